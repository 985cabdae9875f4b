"""How people read in the audit log (see fangkong.audit.registry)."""

from django.utils.translation import gettext_lazy as _

from fangkong.audit.registry import register


def _filterset() -> type:
    from .filtersets import PersonFilterSet

    return PersonFilterSet


register(
    "people.person",
    labels={"name": _("full name")},
    hidden=frozenset({"name_initials", "phone_tail", "photo"}),
    filterset=_filterset,
)
