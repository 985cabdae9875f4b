from django.urls import path

from . import views

app_name = "passes"
urlpatterns = [
    path("", views.PassListView.as_view(), name="pass_list"),
    path("print/", views.PassPrintView.as_view(), name="pass_print"),
    path("checks/", views.PassCheckListView.as_view(), name="check_list"),
    path("new/staff/", views.StaffPassIssueView.as_view(), name="issue_staff"),
    path("new/vehicle/", views.VehiclePassIssueView.as_view(), name="issue_vehicle"),
    path("new/department/", views.DepartmentIssueView.as_view(), name="issue_department"),
    path("new/import/", views.PassImportView.as_view(), name="issue_import"),
    path("new/staff/people/", views.PersonPickerView.as_view(), name="person_picker"),
    path("<int:pk>/", views.PassDetailView.as_view(), name="pass_detail"),
    path("<int:pk>/print/", views.PassCardView.as_view(), name="pass_card"),
    path("<int:pk>/<str:action>/", views.PassStatusView.as_view(), name="pass_status"),
    path("checkpoint/", views.CheckpointChooseView.as_view(), name="checkpoint_choose"),
    path("checkpoint/manifest.webmanifest", views.ManifestView.as_view(), name="checkpoint_manifest"),
    path("checkpoint/sw.js", views.ServiceWorkerView.as_view(), name="checkpoint_sw"),
    path("checkpoint/keys.json", views.CheckpointKeysView.as_view(), name="checkpoint_keys"),
    path("checkpoint/revocations.json", views.CheckpointRevocationsView.as_view(), name="checkpoint_revocations"),
    path("checkpoint/lookup/", views.CheckpointLookupView.as_view(), name="checkpoint_lookup"),
    path("checkpoint/log/", views.CheckpointLogView.as_view(), name="checkpoint_log"),
    path("checkpoint/checkin/", views.CheckpointCheckinView.as_view(), name="checkpoint_checkin"),
    path("checkpoint/shift/", views.CheckpointShiftView.as_view(), name="checkpoint_shift"),
    path("checkpoint/photo/<int:pass_id>/", views.CheckpointPhotoView.as_view(), name="checkpoint_photo"),
    path("checkpoint/<str:code>/", views.CheckpointView.as_view(), name="checkpoint"),
]
