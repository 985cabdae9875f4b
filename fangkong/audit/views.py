from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.core.views import ScopedExportView, ScopedListView

from .filtersets import AuditEntryFilterSet
from .models import AuditEntry
from .rendering import Line, render_entries

EXPORT_CHUNK = 500


def _entries(user: Any) -> QuerySet[AuditEntry]:
    qs: QuerySet[AuditEntry] = AuditEntry.objects.visible_to(user)  # type: ignore[attr-defined]
    return qs.select_related("actor").prefetch_related("actor__scope_units")


class AuditEntryListView(ScopedListView):
    model = AuditEntry
    filterset_class = AuditEntryFilterSet
    template_name = "audit/entry_list.html"
    partial_template = "audit/_entry_table.html"

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return _entries(self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["lines"] = render_entries(context["object_list"])
        return context


def export_rows(entries: QuerySet[AuditEntry], *, clear: bool) -> tuple[list[str], Any]:
    """The log as the page reads it, one sentence per row (nothing in it is ever in clear)."""
    headers = [str(h) for h in (_("Time"), _("User"), _("Action"), _("Object type"), _("Entry"), _("IP address"))]

    def row(line: Line) -> list[Any]:
        e = line.entry
        return [line.when, e.actor_name, e.get_action_display(), line.noun, line.sentence, e.ip or ""]

    def rows() -> Any:
        chunk: list[AuditEntry] = []
        for entry in entries.iterator(chunk_size=EXPORT_CHUNK):
            chunk.append(entry)
            if len(chunk) == EXPORT_CHUNK:
                yield from map(row, render_entries(chunk))
                chunk = []
        yield from map(row, render_entries(chunk))

    return headers, rows()


class AuditEntryExportView(ScopedExportView):
    model = AuditEntry
    filterset_class = AuditEntryFilterSet
    rows = staticmethod(export_rows)
    sheet = _("Audit log")
    file_prefix = "audit-log"

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return _entries(self.request.user)
