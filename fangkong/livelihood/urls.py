from django.urls import path

from . import views

app_name = "livelihood"
urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("volumes/", views.VolumeListView.as_view(), name="volume_list"),
    path("services/<int:pk>/volumes/", views.VolumeRecordView.as_view(), name="volume_record"),
    path("help/", views.HelpListView.as_view(), name="help_list"),
    path("help/new/", views.HelpCreateView.as_view(), name="help_create"),
    path("help/<int:pk>/", views.HelpDetailView.as_view(), name="help_detail"),
    path("help/<int:pk>/reveal/<str:field>/", views.HelpRevealView.as_view(), name="help_reveal"),
    path("confirm/<str:token>/", views.ConfirmView.as_view(), name="confirm"),
]
