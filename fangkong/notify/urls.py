from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("read/", views.InboxReadView.as_view(), name="inbox_read"),
    path("channels/", views.ChannelListView.as_view(), name="channel_list"),
    path("channels/<int:pk>/delete/", views.ChannelDeleteView.as_view(), name="channel_delete"),
    path("channels/<int:pk>/test/", views.ChannelTestView.as_view(), name="channel_test"),
    path("deliveries/", views.DeliveryListView.as_view(), name="delivery_list"),
    path("deliveries/<int:pk>/retry/", views.DeliveryRetryView.as_view(), name="delivery_retry"),
    path("remind/", views.RemindUnitsView.as_view(), name="remind_units"),
]
