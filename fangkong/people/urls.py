from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.PersonListView.as_view(), name="person_list"),
    path("new/", views.PersonEditView.as_view(), name="person_create"),
    path("export/", views.PersonExportView.as_view(), name="person_export"),
    path("<int:pk>/", views.PersonDetailView.as_view(), name="person_detail"),
    path("<int:pk>/edit/", views.PersonEditView.as_view(), name="person_update"),
    path("<int:pk>/delete/", views.PersonDeleteView.as_view(), name="person_delete"),
    path("<int:pk>/photo/", views.PersonPhotoView.as_view(), name="person_photo"),
    path("<int:pk>/reveal/<str:field>/", views.PersonRevealView.as_view(), name="person_reveal"),
]
