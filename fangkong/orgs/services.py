"""Changes to the organisation tree. The closure table is kept in step here and nowhere else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.audit.services import audit_change, snapshot
from fangkong.core.actors import is_system
from fangkong.core.scoping import scope_unit_ids, unit_in_scope, user_has_perm
from fangkong.core.text import clean_text

from .choices import ALLOWED_PARENTS, UnitKind
from .models import Pairing, Unit, UnitLink

if TYPE_CHECKING:
    from fangkong.core.actors import Actor


def _require_change(actor: Actor) -> None:
    # No actor holds no permission: system work passes ``core.actors.SYSTEM``.
    if not user_has_perm(actor, "orgs.change"):
        raise PermissionDenied(_("Your role may not change the organisation tree."))


def _require_unit(actor: Actor, unit_id: int) -> None:
    """The unit must lie in the actor's scope: nobody changes a unit outside it."""
    if not unit_in_scope(actor, unit_id):
        raise PermissionDenied(_("This unit is outside your scope."))


def _require_parent(actor: Actor, parent: Unit | None) -> None:
    """Where a unit may hang: under a unit in the actor's scope, or at the top of the tree only
    for the system administrator whose scope is the whole tree (and the system itself)."""
    if parent is not None:
        _require_unit(actor, parent.pk)
        return
    from fangkong.accounts.roles import Role

    if not (is_system(actor) or (getattr(actor, "role", "") == Role.SYSTEM_ADMIN and scope_unit_ids(actor) is None)):
        raise PermissionDenied(_("Only the system administrator may add a unit at the top of the tree."))


def _check_parent(*, kind: str, parent: Unit | None) -> None:
    allowed = ALLOWED_PARENTS.get(kind)
    if allowed is None:
        raise ValidationError({"kind": _("Unknown unit kind.")})
    if parent is None:
        if allowed:
            raise ValidationError({"parent": _("This kind of unit needs a parent unit.")})
        return
    if parent.kind not in allowed:
        raise ValidationError(
            {"parent": _("A %(kind)s cannot be placed under a %(parent)s.")
             % {"kind": UnitKind(kind).label, "parent": UnitKind(parent.kind).label}}
        )


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    limits = {"code": 32, "name": 100, "short_name": 40, "contact_phone": 32, "address": 200}
    cleaned = dict(fields)
    errors: dict[str, Any] = {}
    for name, limit in limits.items():
        if name in cleaned and cleaned[name] is not None:
            try:
                cleaned[name] = clean_text(str(cleaned[name]), max_length=limit)
            except ValidationError as exc:
                errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def unit_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None,
    short_name: str = "",
    opened_on: dt.date | None = None,
    closed_on: dt.date | None = None,
    contact_phone: str = "",
    address: str = "",
    audit: bool = True,
) -> Unit:
    _require_change(actor)
    _require_parent(actor, parent)
    fields = _clean_fields(
        {"code": code, "name": name, "short_name": short_name, "contact_phone": contact_phone, "address": address}
    )
    _check_parent(kind=kind, parent=parent)
    unit = Unit(
        kind=kind, parent=parent, opened_on=opened_on, closed_on=closed_on,
        level=(parent.level + 1) if parent else 0, **fields,
    )
    unit.full_clean()
    unit.save()
    links = [UnitLink(ancestor=unit, descendant=unit, depth=0)]
    if parent is not None:
        links += [
            UnitLink(ancestor_id=link.ancestor_id, descendant=unit, depth=link.depth + 1)
            for link in UnitLink.objects.filter(descendant=parent)
        ]
    UnitLink.objects.bulk_create(links)
    if audit:
        audit_change(actor=actor, obj=unit, before=None)
    return unit


@dataclass(frozen=True)
class UnitMove:
    """What a move changed: the unit (its whole subtree went with it), the units it was under
    before and the units it is under now (neither list holds the subtree's own units)."""

    unit_id: int
    old_ancestors: tuple[int, ...]
    new_ancestors: tuple[int, ...]


# Callbacks of the apps that keep figures per ancestor (reports: its daily roll-up), registered
# in their ``AppConfig.ready`` so that ``orgs`` never imports the apps above it. ``BEFORE_MOVE``
# runs first thing in the move's transaction, before any row is locked (where an app takes a
# lock of its own, so it cannot wait on the move's row locks while holding it); ``AFTER_MOVE``
# runs once the closure table is rewritten. Plain lists rather than Django signals: the move and
# its callbacks commit or fail together, they run in the order registered, and a reader finds
# every one by searching for ``before_move``/``after_move``.
BEFORE_MOVE: list[Callable[[], None]] = []
AFTER_MOVE: list[Callable[[UnitMove], None]] = []


def before_move(callback: Callable[[], None]) -> Callable[[], None]:
    """Register ``callback`` to run at the start of every move (once, however often called)."""
    if callback not in BEFORE_MOVE:
        BEFORE_MOVE.append(callback)
    return callback


def after_move(callback: Callable[[UnitMove], None]) -> Callable[[UnitMove], None]:
    """Register ``callback`` to run whenever a unit moves (once, however often called)."""
    if callback not in AFTER_MOVE:
        AFTER_MOVE.append(callback)
    return callback


def _move(unit: Unit, new_parent: Unit | None) -> None:
    subtree = list(UnitLink.objects.filter(ancestor=unit).values_list("descendant_id", "depth"))
    subtree_ids = [d for d, _ in subtree]
    if new_parent is not None and new_parent.pk in subtree_ids:
        raise ValidationError({"parent": _("A unit cannot be moved under itself or one of its own units.")})
    old_ancestors = tuple(
        UnitLink.objects.filter(descendant=unit).exclude(ancestor_id__in=subtree_ids)
        .order_by("ancestor_id").values_list("ancestor_id", flat=True)
    )
    # Cut the subtree loose from its old ancestors, then hang it under the new ones.
    UnitLink.objects.filter(descendant_id__in=subtree_ids).exclude(ancestor_id__in=subtree_ids).delete()
    if new_parent is not None:
        above = list(UnitLink.objects.filter(descendant=new_parent).values_list("ancestor_id", "depth"))
        UnitLink.objects.bulk_create(
            [
                UnitLink(ancestor_id=a, descendant_id=d, depth=a_depth + 1 + d_depth)
                for a, a_depth in above
                for d, d_depth in subtree
            ]
        )
    base = (new_parent.level + 1) if new_parent else 0
    for d, d_depth in subtree:
        Unit.objects.filter(pk=d).update(level=base + d_depth)
    new_ancestors = tuple(
        UnitLink.objects.filter(descendant=new_parent).order_by("ancestor_id").values_list("ancestor_id", flat=True)
    ) if new_parent is not None else ()
    move = UnitMove(unit_id=unit.pk, old_ancestors=old_ancestors, new_ancestors=new_ancestors)
    for callback in AFTER_MOVE:
        callback(move)


@transaction.atomic
def unit_update(*, actor: Actor, unit: Unit, **changes: Any) -> Unit:
    _require_change(actor)
    _require_unit(actor, unit.pk)
    if "parent" in changes:
        target = changes["parent"].pk if changes["parent"] is not None else None
        if target != Unit.objects.filter(pk=unit.pk).values_list("parent_id", flat=True).first():
            _require_parent(actor, changes["parent"])
            for callback in BEFORE_MOVE:
                callback()
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = snapshot(unit)
    changes = _clean_fields(changes)
    new_parent = changes.pop("parent", unit.parent)
    kind = changes.get("kind", unit.kind)
    for name, value in changes.items():
        setattr(unit, name, value)
    _check_parent(kind=kind, parent=new_parent)
    if (new_parent.pk if new_parent else None) != unit.parent_id:
        _move(unit, new_parent)
        unit.parent = new_parent
        unit.level = (new_parent.level + 1) if new_parent else 0
    unit.full_clean()
    unit.save()
    audit_change(actor=actor, obj=unit, before=before)
    return unit


@transaction.atomic
def unit_delete(*, actor: Actor, unit: Unit) -> None:
    _require_change(actor)
    _require_unit(actor, unit.pk)
    # What still refers to the unit is refused by PROTECT here and, for what a concurrent
    # transaction writes, by the foreign-key constraints when it commits.
    if unit.children.exists():
        raise ValidationError(_("This unit still has units under it; move or delete them first."))
    from fangkong.people.models import Person

    if Person.objects.filter(unit=unit).exists() or Person.objects.filter(branch=unit).exists():
        raise ValidationError(_("People still belong to this unit; move them first."))
    before = snapshot(unit)
    audit_change(actor=actor, obj=unit, before=before, deleted=True)
    unit.delete()


@transaction.atomic
def pairing_create(*, actor: Actor, department: Unit, community: Unit, since: dt.date | None = None) -> Pairing:
    """Pair a department with a community (包保). Both sides must be in the actor's scope: a
    pairing puts each side on the other's pages."""
    _require_change(actor)
    _require_unit(actor, department.pk)
    _require_unit(actor, community.pk)
    if department.kind != UnitKind.DEPARTMENT:
        raise ValidationError({"department": _("Only a department can be paired with a community.")})
    if community.kind != UnitKind.COMMUNITY:
        raise ValidationError({"community": _("A department can only be paired with a community.")})
    pairing = Pairing(department=department, community=community, since=since)
    pairing.full_clean()
    pairing.save()
    audit_change(actor=actor, obj=pairing, before=None)
    return pairing
