from django.urls import path

from users.notifications.api import views

urlpatterns = [
    path("notifications", views.NotificationsView.as_view(), name="notifications"),
    path(
        "notifications/unread-count",
        views.UnreadCountView.as_view(),
        name="notifications-unread-count",
    ),
    path("notifications/read-all", views.ReadAllView.as_view(), name="notifications-read-all"),
    path(
        "notifications/device-token",
        views.DeviceTokenView.as_view(),
        name="notifications-device-token",
    ),
    path(
        "notifications/device-token/<str:device_id>",
        views.DeviceTokenForgetView.as_view(),
        name="notifications-device-token-forget",
    ),
    path(
        "notifications/<str:notification_id>/read",
        views.NotificationReadView.as_view(),
        name="notifications-read",
    ),
]
