from fangkong.core.views import ScopedListView

from .models import Document


class DocumentListView(ScopedListView):
    model = Document
