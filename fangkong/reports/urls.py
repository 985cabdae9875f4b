from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("submit/", views.SubmitView.as_view(), name="submit"),
    path("export/", views.BoardExportView.as_view(), name="board_export"),
    path("trends/", views.TrendsView.as_view(), name="trends"),
    path("trends/export/", views.TrendsExportView.as_view(), name="trends_export"),
    path("flags/", views.FlagListView.as_view(), name="flag_list"),
    path("flags/<int:pk>/", views.FlagDetailView.as_view(), name="flag_detail"),
    path("templates/", views.TemplateListView.as_view(), name="template_list"),
    path("templates/<int:pk>/", views.TemplateDetailView.as_view(), name="template_detail"),
    path("units/<int:pk>/calendar/", views.UnitCalendarView.as_view(), name="unit_calendar"),
    path("<int:pk>/", views.ReportDetailView.as_view(), name="report_detail"),
]
