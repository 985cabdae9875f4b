from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from fangkong.core.api import api


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico where a page names no icon (a PDF, a JSON answer)."""

    permanent = True

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        return static("favicon.ico")


urlpatterns = [
    path("", include("fangkong.core.urls")),
    path("orgs/", include("fangkong.orgs.urls")),
    path("people/", include("fangkong.people.urls")),
    path("returnees/", include("fangkong.returnees.urls")),
    path("deployment/", include("fangkong.deployment.urls")),
    path("documents/", include("fangkong.documents.urls")),
    path("passes/", include("fangkong.passes.urls")),
    path("reports/", include("fangkong.reports.urls")),
    path("notify/", include("fangkong.notify.urls")),
    path("command/", include("fangkong.command.urls")),
    path("supervision/", include("fangkong.supervision.urls")),
    path("livelihood/", include("fangkong.livelihood.urls")),
    path("publicity/", include("fangkong.publicity.urls")),
    path("donations/", include("fangkong.donations.urls")),
    path("public/donations/", include("fangkong.donations.public_urls")),
    path("accounts/", include("fangkong.accounts.urls")),
    path("audit/", include("fangkong.audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("favicon.ico", FaviconView.as_view()),
]
