"""Writing the audit log. Every service that changes a domain record calls ``audit_change``."""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest

from .choices import Action
from .models import AuditEntry

if TYPE_CHECKING:
    from fangkong.accounts.models import User
    from fangkong.core.actors import SystemActor

# Field values never written to the log in clear.
MASKED_FIELDS = {"id_number", "phone", "password"}
# Set by the request middleware so services can record the client address without taking a request.
_request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("fangkong_request_ip", default=None)


def set_request_ip(ip: str | None) -> None:
    _request_ip.set(ip)


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The concrete field values of a record, with sensitive ones masked (a sealed value and its
    digest are left out: the mask stored beside them says what changed)."""
    from fangkong.core.fieldcrypt import DigestField, SealedField
    from fangkong.core.idcard import mask_id_number, mask_phone

    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in {"created_at", "updated_at", "password"} or isinstance(field, (SealedField, DigestField)):
            continue
        value = _jsonable(getattr(obj, field.attname))
        if field.name == "id_number" and value:
            value = mask_id_number(str(value))
        elif field.name == "phone" and value:
            value = mask_phone(str(value))
        data[field.name] = value
    return data


def audit_log(
    *,
    actor: User | SystemActor | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str = "",
    ip: str | None = None,
) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk or "")
        object_repr = object_repr or str(obj)[:200]
    entry = AuditEntry(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=(actor.get_username() if actor is not None else "")[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=before,
        after=after,
        detail=detail[:500],
        ip=ip or _request_ip.get(),
    )
    entry.save()
    return entry


def audit_change(
    *, actor: User | SystemActor | None, obj: models.Model, before: dict[str, Any] | None, deleted: bool = False
) -> AuditEntry | None:
    """Record a create (before is None), update or delete of a domain record. An update that
    changed nothing is no change: nothing is written (and None returned)."""
    if deleted:
        return audit_log(actor=actor, action=Action.DELETE, obj=obj, before=before)
    after = snapshot(obj)
    if before is None:
        return audit_log(actor=actor, action=Action.CREATE, obj=obj, after=after)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if not changed:
        return None
    return audit_log(
        actor=actor, action=Action.UPDATE, obj=obj,
        before={k: before.get(k) for k in changed}, after=changed,
    )


REVEALABLE = frozenset({"id_number", "phone"})


def reveal_field(*, actor: User, obj: models.Model, field: str) -> str:
    """Return a masked field (ID number or phone) in clear and write the reveal to the audit log.
    The role needs the ``<app>.reveal`` permission of the object's app."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.translation import gettext as _

    from fangkong.core.scoping import user_has_perm

    if field not in REVEALABLE:
        raise ValidationError(_("This field cannot be revealed."))
    label = getattr(obj, "scope_perm_label", obj._meta.app_label)
    if not user_has_perm(actor, f"{label}.reveal"):
        raise PermissionDenied(_("Your role may not see this in full."))
    audit_log(actor=actor, action=Action.REVEAL, obj=obj, detail=field)
    value: str = getattr(obj, field)
    return value
