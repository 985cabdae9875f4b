from django.urls import path

from . import public, views

app_name = "publicity"
urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("materials/", views.MaterialListView.as_view(), name="material_list"),
    path("media-pushes/", views.MediaPushListView.as_view(), name="push_list"),
    path("forwards/", views.ForwardListView.as_view(), name="forward_list"),
    path("pledges/", views.PledgeListView.as_view(), name="pledge_list"),
    path("pledges/<int:pk>/", views.PledgeDetailView.as_view(), name="pledge_detail"),
    path("signatures/", views.SignatureListView.as_view(), name="signature_list"),
    path("deeds/", views.DeedListView.as_view(), name="deed_list"),
    path("deeds/<int:pk>/", views.DeedDetailView.as_view(), name="deed_detail"),
    path("checklists/", views.ChecklistView.as_view(), name="checklists"),
    path("comparison/", views.ComparisonView.as_view(), name="comparison"),
    path("comparison/export/", views.ComparisonExportView.as_view(), name="comparison_export"),
    path("comparison/<str:item>/<int:unit>/", views.ComparisonRecordsView.as_view(), name="comparison_records"),
    # Public pages: no login (see public.py).
    path("p/<str:code>/", public.ShareView.as_view(), name="share"),
    path("p/<str:code>/onward/", public.OnwardView.as_view(), name="share_onward"),
    path("public/pledges/<slug:slug>/", public.PledgePublicView.as_view(), name="pledge_public"),
    path("public/deeds/", public.DeedsPublicView.as_view(), name="deeds_public"),
]
