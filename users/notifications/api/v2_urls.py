"""Version 2 of the notifications list (contract section 10), under /api/v2/: the same
Notification objects, paginated as `{list, pagination}`."""

from django.urls import path

from users.notifications.api import views

urlpatterns = [
    path("notifications", views.NotificationsV2View.as_view(), name="v2-notifications"),
]
