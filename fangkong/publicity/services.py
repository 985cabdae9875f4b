"""Writing the publicity line and the campaign: materials, media pushes, official forwards,
pledges and their signatures, counted shares, model deeds, checklists and score formulas. Pages,
the API and the demo come through here."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fangkong.audit.services import audit_change, snapshot
from fangkong.core import clock
from fangkong.core.actors import is_system, user_of
from fangkong.core.scoping import unit_in_scope, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.choices import PARTY_KINDS
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from .choices import CHECKLIST_ITEMS, DeedStatus, MaterialKind, PushKind, ShareKind
from .models import (
    ChecklistEntry,
    Material,
    MediaPush,
    ModelDeed,
    OfficialForward,
    Outlet,
    Pledge,
    PledgeSignature,
    ScoreFormula,
    ShareCount,
)

if TYPE_CHECKING:
    from fangkong.core.actors import Actor


def _require(actor: Actor, perm: str) -> None:
    if not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def _in_scope(actor: Actor, unit: Unit, field: str = "unit") -> None:
    if not unit_in_scope(actor, unit.pk):
        raise ValidationError({field: [_("Choose a unit in your scope.")]})


def _not_future(day: dt.date, field: str) -> None:
    if day > clock.today():
        raise ValidationError({field: [_("The day cannot be in the future.")]})


# -- the publicity ledger -------------------------------------------------------------------


@transaction.atomic
def material_create(*, actor: Actor, unit: Unit, kind: str, title: str, issued_on: dt.date, body: str = "",
                    file: Any = None) -> Material:
    _require(actor, "publicity.change")
    _in_scope(actor, unit)
    if kind not in MaterialKind.values:
        raise ValidationError({"kind": [_("Choose what kind of material it is.")]})
    _not_future(issued_on, "issued_on")
    material = Material(unit=unit, kind=kind, title=clean_text(title, max_length=120), issued_on=issued_on,
                        body=clean_text(body, max_length=5000, multiline=True), created_by=user_of(actor))
    if file:
        material.file = file
    material.full_clean()
    material.save()
    audit_change(actor=actor, obj=material, before=None)
    return material


@transaction.atomic
def media_push_create(*, actor: Actor, unit: Unit, outlet: Outlet, title: str, pushed_on: dt.date,
                      link: str = "", kind: str = PushKind.NEWS) -> MediaPush:
    """A report pushed to an outlet. The link, if any, must be http(s): never javascript: or data:."""
    _require(actor, "publicity.change")
    _in_scope(actor, unit)
    _not_future(pushed_on, "pushed_on")
    push = MediaPush(unit=unit, outlet=outlet, title=clean_text(title, max_length=200), pushed_on=pushed_on,
                     link=(link or "").strip(), kind=kind, created_by=user_of(actor))
    push.full_clean()
    audit = push.link.split(":", 1)[0].lower() if push.link else "http"
    if audit not in ("http", "https"):
        raise ValidationError({"link": [_("Give a link starting with http:// or https://.")]})
    push.save()
    audit_change(actor=actor, obj=push, before=None)
    return push


@transaction.atomic
def forward_record(*, actor: Actor, unit: Unit, message: str, day: dt.date, count: int = 1,
                   person: Person | None = None) -> OfficialForward:
    """Official messages forwarded, reported by a branch for one member or for itself."""
    _require(actor, "publicity.change")
    _in_scope(actor, unit)
    _not_future(day, "day")
    if count < 1:
        raise ValidationError({"count": [_("At least one forward.")]})
    if person is not None and person.unit_id != unit.pk and person.branch_id != unit.pk:
        raise ValidationError({"person": [_("The member does not belong to this branch or unit.")]})
    forward = OfficialForward(unit=unit, person=person, message=clean_text(message, max_length=200), day=day,
                              count=count, created_by=user_of(actor))
    forward.full_clean()
    forward.save()
    audit_change(actor=actor, obj=forward, before=None)
    return forward


# -- pledges ----------------------------------------------------------------------------------


@transaction.atomic
def pledge_create(*, actor: Actor, slug: str, title: str, text: str, items: list[str], opens_on: dt.date) -> Pledge:
    _require(actor, "publicity.review")
    pledge = Pledge(slug=slug, title=clean_text(title, max_length=120), text=clean_text(text, max_length=5000,
                                                                                         multiline=True),
                    items=[clean_text(i, max_length=200) for i in items], opens_on=opens_on)
    pledge.full_clean()
    pledge.save()
    audit_change(actor=actor, obj=pledge, before=None)
    return pledge


def new_share_code() -> str:
    return secrets.token_urlsafe(9)  # 12 characters, 72 random bits


@transaction.atomic
def pledge_sign(*, actor: Actor, pledge: Pledge, person: Person | None = None) -> PledgeSignature:
    """A party member signs, once. Signing for oneself needs ``publicity.sign`` and an account
    linked to the member; a branch may record a member's signature (``publicity.change``, the
    member in scope). Someone outside the party tree (no membership, no branch) is refused."""
    own = getattr(actor, "person", None) if not is_system(actor) else None
    if person is None:
        person = own
    if person is None:
        raise ValidationError({"person": [_("Your account is not linked to a party member.")]})
    if own is not None and person.pk == own.pk:
        _require(actor, "publicity.sign")
    else:
        _require(actor, "publicity.change")
        if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
            raise ValidationError({"person": [_("Choose a member in your scope.")]})
    if not person.is_party_member or person.branch_id is None or not person.is_active:
        raise ValidationError({"person": [_("Only a party member of the tree can sign.")]})
    branch = Unit.objects.get(pk=person.branch_id)
    if branch.kind not in PARTY_KINDS:
        raise ValidationError({"person": [_("Only a party member of the tree can sign.")]})
    if not pledge.is_active or pledge.opens_on > clock.today():
        raise ValidationError(_("This pledge is not open for signing."))
    if PledgeSignature.objects.filter(pledge=pledge, person=person).exists():
        raise ValidationError({"person": [_("This member has already signed.")]})
    signature = PledgeSignature(pledge=pledge, person=person, unit_id=person.unit_id, branch=branch,
                                signed_at=clock.now(), share_code=new_share_code(), signed_by=user_of(actor))
    try:
        with transaction.atomic():
            signature.save()
    except IntegrityError:
        raise ValidationError({"person": [_("This member has already signed.")]}) from None
    audit_change(actor=actor, obj=signature, before=None)
    return signature


def visitor_id(ip: str, agent: str, day: dt.date) -> str:
    """The id a browser gets in its first-party cookie: derived from where it came from on the day
    it first came, so a client that sends no cookie back (a replay with curl) gets the same id again
    that day and counts once."""
    raw = f"{settings.SECRET_KEY}|visitor|{ip}|{agent[:300]}|{day.isoformat()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def visitor_key(browser: str, day: dt.date) -> str:
    """What is stored: the browser's id and the day, hashed under the secret key (not followable)."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|share|{browser}|{day.isoformat()}".encode()).hexdigest()[:32]


def share_count(*, signature: PledgeSignature, kind: str, browser: str, day: dt.date | None = None) -> bool:
    """Count an open or an onward share of a member's link: once per browser, link, kind and day.
    Returns whether it was counted now."""
    if kind not in ShareKind.values or not browser:
        return False
    day = day or clock.today()
    visitor = visitor_key(browser, day)
    if ShareCount.objects.filter(signature=signature, kind=kind, day=day, visitor=visitor).exists():
        return False
    # Two requests at once from one browser: the unique constraint keeps one, the other is ignored.
    ShareCount.objects.bulk_create([ShareCount(signature=signature, pledge_id=signature.pledge_id,
                                               unit_id=signature.unit_id, kind=kind, day=day, visitor=visitor)],
                                   ignore_conflicts=True)
    return True


# -- model deeds and checklists ------------------------------------------------------------


@transaction.atomic
def deed_nominate(*, actor: Actor, branch: Unit, person: Person, title: str, story: str, photo: Any = None) -> ModelDeed:
    _require(actor, "publicity.change")
    _in_scope(actor, branch, "branch")
    if branch.kind not in PARTY_KINDS:
        raise ValidationError({"branch": [_("A model deed is nominated by a party branch.")]})
    if person.branch_id != branch.pk:
        raise ValidationError({"person": [_("The member does not belong to this branch.")]})
    unit = Unit.objects.get(pk=person.unit_id)
    deed = ModelDeed(branch=branch, person=person, unit_name=unit.display_name, title=clean_text(title, max_length=120),
                     story=clean_text(story, max_length=5000, multiline=True), nominated_at=clock.now(),
                     nominated_by=user_of(actor))
    if photo:
        deed.photo = photo
    deed.full_clean()
    deed.save()
    audit_change(actor=actor, obj=deed, before=None)
    return deed


@transaction.atomic
def deed_review(*, actor: Actor, deed: ModelDeed, decision: str, note: str = "") -> ModelDeed:
    """The committee reviews a nomination: approve, reject, or publish an approved one."""
    _require(actor, "publicity.review")
    allowed = {DeedStatus.NOMINATED: {DeedStatus.APPROVED, DeedStatus.REJECTED},
               DeedStatus.APPROVED: {DeedStatus.PUBLISHED, DeedStatus.REJECTED},
               DeedStatus.PUBLISHED: {DeedStatus.APPROVED}}
    if decision not in allowed.get(deed.status, set()):  # type: ignore[call-overload]
        raise ValidationError(_("This step does not follow from the deed's state."))
    before = snapshot(deed)
    now = clock.now()
    deed.status = decision
    deed.review_note = clean_text(note, max_length=300)
    if decision in (DeedStatus.APPROVED, DeedStatus.REJECTED):
        deed.reviewed_at = now
    deed.published_at = now if decision == DeedStatus.PUBLISHED else None
    deed.save()
    audit_change(actor=actor, obj=deed, before=before)
    from .public import forget_public_pages

    forget_public_pages()
    return deed


@transaction.atomic
def checklist_save(*, actor: Actor, person: Person, kind: str, items: list[str], note: str = "") -> ChecklistEntry:
    """A branch ticks what a member has in place (六到位 / 四带头)."""
    _require(actor, "publicity.change")
    if kind not in CHECKLIST_ITEMS:
        raise ValidationError({"kind": [_("Unknown checklist.")]})
    known = {code for code, _label in CHECKLIST_ITEMS[kind]}
    if set(items) - known:
        raise ValidationError({"items": [_("Unknown item in the checklist.")]})
    if person.branch_id is None or not person.is_party_member:
        raise ValidationError({"person": [_("Only a party member of the tree has a checklist.")]})
    if not unit_in_scope(actor, person.branch_id):
        raise ValidationError({"person": [_("Choose a member in your scope.")]})
    entry = ChecklistEntry.objects.filter(person=person, kind=kind).first()
    before = snapshot(entry) if entry else None
    if entry is None:
        entry = ChecklistEntry(person=person, kind=kind, branch_id=person.branch_id)
    entry.items = [code for code, _label in CHECKLIST_ITEMS[kind] if code in set(items)]
    entry.note = clean_text(note, max_length=200)
    entry.updated_at = clock.now()
    entry.save()
    audit_change(actor=actor, obj=entry, before=before)
    return entry


# -- the comparison ---------------------------------------------------------------------------


@transaction.atomic
def formula_save(*, actor: Actor, name: str, expression: str, since: dt.date,
                 formula: ScoreFormula | None = None) -> ScoreFormula:
    """Save a score formula; one naming an item that is not registered (or anything but numbers,
    items, + - * / and brackets) is refused."""
    from .comparison import parse_formula

    _require(actor, "publicity.review")
    try:
        parse_formula(expression)
    except ValueError as exc:
        raise ValidationError({"expression": [str(exc)]}) from None
    before = snapshot(formula) if formula else None
    if formula is None:
        formula = ScoreFormula(created_at=clock.now(), created_by=user_of(actor))
    formula.name = clean_text(name, max_length=60)
    formula.expression = expression.strip()
    formula.since = since
    formula.full_clean()
    formula.save()
    ScoreFormula.objects.exclude(pk=formula.pk).filter(is_active=True).update(is_active=False)
    audit_change(actor=actor, obj=formula, before=before)
    return formula
