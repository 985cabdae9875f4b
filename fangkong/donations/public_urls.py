"""The public disclosure's addresses (/public/donations/), outside the staff area."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.PublicView.as_view(), name="donations_public"),
    path("export/", views.PublicExportView.as_view(), name="donations_public_export"),
]
