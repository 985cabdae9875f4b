from fangkong.core.views import ScopedListView

from .filtersets import AuditEntryFilterSet
from .models import AuditEntry


class AuditEntryListView(ScopedListView):
    model = AuditEntry
    filterset_class = AuditEntryFilterSet
    template_name = "audit/entry_list.html"
    partial_template = "audit/_entry_table.html"
