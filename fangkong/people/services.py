"""Writing people. Views, forms, the API, imports and the demo all come through here."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from fangkong.audit.services import audit_change, snapshot
from fangkong.core import clock
from fangkong.core.idcard import id_digest, normalize_phone, parse_id_number
from fangkong.core.scoping import unit_in_scope, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from .models import Person, PersonMove

if TYPE_CHECKING:
    from fangkong.core.actors import Actor

EDITABLE = ("name", "id_number", "phone", "unit", "position", "title", "is_cadre", "is_party_member", "branch",
            "photo", "is_active")


def pinyin_initials(name: str) -> str:
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    return "".join(letters).lower().replace(" ", "")[:60]


def _validate(actor: Actor, data: dict[str, Any], *, instance: Person | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}

    def run(field: str, fn: Any) -> None:
        try:
            clean[field] = fn()
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)

    if "name" in data:
        run("name", lambda: clean_text(str(data["name"]), max_length=60))
        if not errors.get("name") and not clean["name"]:
            errors["name"] = [_("The name is required.")]
    if "title" in data:
        run("title", lambda: clean_text(str(data["title"] or ""), max_length=60))
    if "id_number" in data:
        run("id_number", lambda: parse_id_number(str(data["id_number"] or "")))
    if "phone" in data:
        run("phone", lambda: normalize_phone(str(data["phone"])) if data["phone"] else "")
    for field in ("position", "is_cadre", "is_party_member", "is_active"):
        if field in data:
            clean[field] = data[field]
    if "unit" in data:
        unit = data["unit"]
        if not isinstance(unit, Unit):
            errors["unit"] = [_("Choose a unit.")]
        elif (instance is None or unit.pk != instance.unit_id) and not unit_in_scope(actor, unit.pk):
            errors["unit"] = [_("This unit is outside your scope.")]
        else:
            clean["unit"] = unit
    if "branch" in data:
        branch = data["branch"]
        if branch is not None and branch.kind != UnitKind.BRANCH:
            errors["branch"] = [_("Choose a party branch.")]
        elif (branch is not None and (instance is None or branch.pk != instance.branch_id)
              and not unit_in_scope(actor, branch.pk)):
            # The branch places the person in its secretary's scope too: it must be in the actor's.
            errors["branch"] = [_("This party branch is outside your scope.")]
        else:
            clean["branch"] = branch
    if "photo" in data:
        photo = data["photo"]
        if isinstance(photo, UploadedFile) and photo.size and photo.size > settings.PHOTO_MAX_BYTES:
            errors["photo"] = [_("The photo is larger than 2 MB.")]
        else:
            clean["photo"] = photo
    info = clean.pop("id_number", None)
    if info is not None:
        clean["id_number"] = info.number  # sealed, with its digest, mask, sex and birth year
        duplicate = Person.objects.filter(id_digest=id_digest(info.number))
        if instance is not None:
            duplicate = duplicate.exclude(pk=instance.pk)
        if duplicate.exists():
            errors["id_number"] = [_("A person with this ID number is already registered.")]
    if errors:
        raise ValidationError(errors)
    return clean


def _can_change(actor: Actor) -> None:
    # No actor holds no permission: system work passes ``core.actors.SYSTEM``.
    if not user_has_perm(actor, "people.change"):
        raise PermissionDenied(_("Your role may not change people."))


def _editable(actor: Actor, person: Person) -> None:
    """The person must be one the actor may change (``editable_by``): in their scope."""
    if not Person.objects.editable_by(actor).filter(pk=person.pk).exists():
        raise PermissionDenied(_("This person is outside your scope."))


@transaction.atomic
def person_create(*, actor: Actor, audit: bool = True, **data: Any) -> Person:
    _can_change(actor)
    for required in ("name", "id_number", "unit"):
        data.setdefault(required, None if required == "unit" else "")
    clean = _validate(actor, data, instance=None)
    person = Person(**clean)
    person.name_initials = pinyin_initials(person.name)
    person.phone_tail = person.phone_masked[-4:]  # the last four, shown in the mask anyway
    person.full_clean(exclude=["photo"])
    person.save()
    if audit:
        audit_change(actor=actor, obj=person, before=None)
    return person


@transaction.atomic
def person_update(*, actor: Actor, person: Person, moved_on: dt.date | None = None, **data: Any) -> Person:
    """Change a person. A new unit is recorded as a move (``PersonMove``) dated ``moved_on``, the
    business day by default."""
    _can_change(actor)
    _editable(actor, person)
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    person = Person.objects.select_for_update().get(pk=person.pk)
    before = snapshot(person)
    clean = _validate(actor, data, instance=person)
    for name, value in clean.items():
        setattr(person, name, value)
    person.name_initials = pinyin_initials(person.name)
    person.phone_tail = person.phone_masked[-4:]  # the last four, shown in the mask anyway
    person.full_clean(exclude=["photo"])
    person.save()
    if person.unit_id != before.get("unit"):
        PersonMove.objects.create(person=person, from_unit_id=before["unit"], to_unit_id=person.unit_id,
                                  moved_on=moved_on or clock.today())
    audit_change(actor=actor, obj=person, before=before)
    return person


@transaction.atomic
def person_delete(*, actor: Actor, person: Person) -> None:
    _can_change(actor)
    _editable(actor, person)
    before = snapshot(person)
    audit_change(actor=actor, obj=person, before=before, deleted=True)
    person.delete()
