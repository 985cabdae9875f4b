from django.urls import path

from . import views

app_name = "deployment"
urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("report/", views.OverviewView.as_view(report=True), name="report"),
    path("report/export/", views.ReportExportView.as_view(), name="report_export"),
    path("secondments/", views.SecondmentListView.as_view(), name="secondment_list"),
    path("secondments/new/", views.SecondmentCreateView.as_view(), name="secondment_create"),
    path("secondments/<int:pk>/", views.SecondmentDetailView.as_view(), name="secondment_detail"),
    path("secondments/<int:pk>/place/", views.SecondmentPlaceView.as_view(), name="secondment_place"),
    path("secondments/<int:pk>/end/", views.SecondmentEndView.as_view(), name="secondment_end"),
    path("departments/<int:pk>/", views.DepartmentTeamView.as_view(), name="department_team"),
    path("places/<int:pk>/", views.PlaceView.as_view(), name="place"),
    path("rosters/", views.ShiftListView.as_view(), name="shift_list"),
    path("rosters/no-shows/", views.NoShowListView.as_view(), name="no_shows"),
    path("rosters/no-shows/export/", views.NoShowExportView.as_view(), name="no_show_export"),
    path("rosters/<int:pk>/", views.ShiftDetailView.as_view(), name="shift_detail"),
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/template/", views.TemplateDownloadView.as_view(), name="template_download"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
]
