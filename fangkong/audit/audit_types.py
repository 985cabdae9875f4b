"""How the audit log's own entries read in it (its exports)."""

from fangkong.audit.registry import register


def _filterset() -> type:
    from .filtersets import AuditEntryFilterSet

    return AuditEntryFilterSet


register("audit.auditentry", filterset=_filterset)
