"""What a user is told, and where it is pushed (contract section 10).

- `Notification`: one row per event and recipient. `key` names the event ("follow:<id>",
  "live:<streamId>", "income:<streamId>:<yyyymmddhh>"), unique per recipient, so an event
  that is raised twice (a retried task, a re-follow) inserts nothing the second time.
  `title` and `message` are written in the recipient's language when the row is made.
- `DeviceToken`: one row per user and `device_id`; `token` is what the push relay delivers
  to (null once the relay said it is invalid, or before the app has one).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from config.api.ids import ObjectIdField

TITLE_MAX_LENGTH = 255
MESSAGE_MAX_LENGTH = 1000
KEY_MAX_LENGTH = 200


class NotificationType(models.TextChoices):
    SYSTEM = "system", _("System")


class NotificationCategory(models.TextChoices):
    LIVE_STREAM = "live_stream", _("Live stream")
    PAYMENTS = "payments", _("Payments")
    FOLLOWS = "follows", _("Follows")
    MESSAGES = "messages", _("Messages")
    FOLLOWING_ACTIVITY = "following_activity", _("Following activity")
    ANNOUNCEMENT = "announcement", _("Announcement")


class Notification(models.Model):
    id = ObjectIdField(primary_key=True)
    # No index of its own: the key constraint and the list index both start with the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    type = models.CharField(
        max_length=20, choices=NotificationType.choices, default=NotificationType.SYSTEM
    )
    category = models.CharField(max_length=30, choices=NotificationCategory.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    message = models.CharField(max_length=MESSAGE_MAX_LENGTH, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    read = models.BooleanField(default=False)
    # The event, unique per recipient (see the module docstring); never shown to clients.
    key = models.CharField(max_length=KEY_MAX_LENGTH, editable=False)
    # Set by the push task once the row went to the recipient's devices: a task that runs
    # again pushes nothing twice.
    pushed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_unique_key"),
        ]
        indexes = [
            # The list, newest first, with or without the filters (few rows per user each).
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_recent"),
            # The unread count and read-all touch only the unread rows.
            models.Index(
                fields=["user", "-created_at"],
                condition=Q(read=False),
                name="notification_user_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} to {self.user_id}: {self.title}"


class DevicePlatform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    WEB = "web", _("Web")


class DeviceToken(models.Model):
    id = ObjectIdField(primary_key=True)
    # No index of its own: the (user, device) constraint starts with the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="device_tokens",
        db_index=False,
    )
    device_id = models.CharField(max_length=200)
    token = models.CharField(max_length=1000, null=True, blank=True)
    platform = models.CharField(max_length=10, choices=DevicePlatform.choices)
    timezone = models.CharField(max_length=64, blank=True)
    live_activity_push_to_start_token = models.CharField(max_length=1000, null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "device_id"], name="device_token_unique"),
        ]
        indexes = [
            # Dropping a token the relay calls invalid, and taking a token over from the
            # account that last used the device.
            models.Index(fields=["token"], name="device_token_token"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} device {self.device_id} of {self.user_id}"
