from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("", views.DocumentListView.as_view(), name="document_list"),
    path("new/", views.DocumentCreateView.as_view(), name="document_create"),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("reports/new/", views.ReportCreateView.as_view(), name="report_create"),
    path("kinds/", views.KindListView.as_view(), name="kind_list"),
    path("kinds/new/", views.KindEditView.as_view(), name="kind_create"),
    path("kinds/<int:pk>/", views.KindEditView.as_view(), name="kind_edit"),
    path("instructions/", views.InstructionListView.as_view(), name="instruction_list"),
    path("instructions/items/", views.ItemListView.as_view(), name="item_list"),
    path("instructions/<int:pk>/", views.InstructionDetailView.as_view(), name="instruction_detail"),
    path("instructions/<int:pk>/<slug:action>/", views.InstructionActionView.as_view(), name="instruction_action"),
    path("<int:pk>/", views.DocumentDetailView.as_view(), name="document_detail"),
    path("<int:pk>/attachments/<int:attachment>/", views.AttachmentView.as_view(), name="attachment"),
    path("instructions/<int:pk>/image/", views.InstructionImageView.as_view(), name="instruction_image"),
    path("<int:pk>/file.<str:fmt>", views.DocumentFileView.as_view(), name="document_file"),
    path("<int:pk>/<slug:action>/", views.DocumentActionView.as_view(), name="document_action"),
]
