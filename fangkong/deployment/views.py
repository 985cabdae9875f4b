"""Pages of the thousand-cadres-down line."""

from fangkong.core.views import ScopedDetailView, ScopedListView

from .models import Secondment


class SecondmentListView(ScopedListView):
    model = Secondment
    template_name = "deployment/secondment_list.html"


class SecondmentDetailView(ScopedDetailView):
    model = Secondment
    template_name = "deployment/secondment_detail.html"
