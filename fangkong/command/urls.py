from django.urls import path

from . import views

app_name = "command"
urlpatterns = [
    path("", views.PictureView.as_view(), name="picture"),
    path("screen/", views.PictureView.as_view(screen=True), name="screen"),
    path("units/<str:line>/<str:figure>/", views.UnitListView.as_view(), name="unit_list"),
    path("briefings/", views.BriefingListView.as_view(), name="briefing_list"),
    path("briefings/<int:pk>/", views.BriefingDetailView.as_view(), name="briefing_detail"),
    path("briefings/<int:pk>/xlsx/", views.BriefingExportView.as_view(), name="briefing_export"),
]
