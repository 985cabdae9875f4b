"""The platform's URLs and one view that fails, to see where an error's traceback goes."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from fangkong.config.urls import urlpatterns as platform


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom: an error for the error log")


urlpatterns = [path("boom/", boom), *platform]
