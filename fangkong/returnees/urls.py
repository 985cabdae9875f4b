from django.urls import path

from . import views

app_name = "returnees"
urlpatterns = [
    path("", views.ReturneeListView.as_view(), name="returnee_list"),
    path("export/", views.ReturneeExportView.as_view(), name="returnee_export"),
    path("register/unit/", views.RegisterView.as_view(), name="register_unit"),
    path("register/community/", views.CommunityRegisterView.as_view(), name="register_community"),
    path("follow-ups/", views.FollowUpTodayView.as_view(), name="followup_today"),
    path("follow-ups/export/", views.FollowUpExportView.as_view(), name="followup_export"),
    path("reconciliation/", views.ReconciliationView.as_view(), name="reconciliation"),
    path("reconciliation/export/", views.ReconciliationExportView.as_view(), name="reconciliation_export"),
    path("conflicts/", views.ConflictListView.as_view(), name="conflict_list"),
    path("conflicts/<int:pk>/", views.ConflictDetailView.as_view(), name="conflict_detail"),
    path("conflicts/<int:pk>/resolve/", views.ConflictResolveView.as_view(), name="conflict_resolve"),
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/new/", views.ImportCreateView.as_view(), name="import_create"),
    path("imports/templates/<str:side>/", views.TemplateDownloadView.as_view(), name="template_download"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/progress/", views.ImportProgressView.as_view(), name="import_progress"),
    path("imports/<int:pk>/commit/", views.ImportCommitView.as_view(), name="import_commit"),
    path("imports/<int:pk>/mapping/", views.ImportMapView.as_view(), name="import_map"),
    path("imports/<int:pk>/rejected.xlsx", views.ImportRejectedView.as_view(), name="import_rejected"),
    path("<int:pk>/", views.ReturneeDetailView.as_view(), name="returnee_detail"),
    path("<int:pk>/edit/", views.ReturneeEditView.as_view(), name="returnee_update"),
    path("<int:pk>/reveal/<str:field>/", views.ReturneeRevealView.as_view(), name="returnee_reveal"),
    path("<int:pk>/isolation/change/", views.IsolationChangeView.as_view(), name="isolation_change"),
    path("<int:pk>/isolation/release/", views.IsolationReleaseView.as_view(), name="isolation_release"),
    path("<int:pk>/follow-ups/", views.FollowUpRecordView.as_view(), name="followup_record"),
    path("<int:pk>/merge/", views.ReturneeMergeView.as_view(), name="returnee_merge"),
]
