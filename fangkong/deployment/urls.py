from django.urls import path

from . import views

app_name = "deployment"
urlpatterns = [
    path("", views.SecondmentListView.as_view(), name="secondment_list"),
    path("<int:pk>/", views.SecondmentDetailView.as_view(), name="secondment_detail"),
]
