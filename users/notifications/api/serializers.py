"""Shapes of the notification endpoints (contract section 10)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import ObjectIdField, StrictBooleanField, StrictCharField
from users.notifications.models import (
    MESSAGE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    DevicePlatform,
    Notification,
    NotificationCategory,
    NotificationType,
)

UNKNOWN_VALUE = _("Unknown value %(value)s; use one of: %(choices)s.")
NOT_A_BOOLEAN = _("Use true or false.")

_METADATA_SCHEMA = {
    "type": "object",
    "additionalProperties": True,
    "description": (
        "What the notification is about, for the app to open it: e.g. `liveStreamId`, "
        "`followerId`, `transactionId`, `amount`."
    ),
    "example": {"liveStreamId": "64d15f9e2e6c8f4d5a123456"},
}


@extend_schema_field(_METADATA_SCHEMA)
class MetadataField(serializers.DictField):
    """A JSON object (any keys); anything else is a 400."""


class NotificationSerializer(serializers.ModelSerializer):
    """The contract's Notification."""

    user_id = serializers.CharField()
    metadata = MetadataField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "user_id",
            "type",
            "category",
            "title",
            "message",
            "metadata",
            "read",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class NotificationReadSerializer(serializers.Serializer):
    is_read = StrictBooleanField()


class NotificationCreateSerializer(serializers.Serializer):
    """Staff's notification to one user."""

    user_id = ObjectIdField()
    type = serializers.ChoiceField(
        choices=NotificationType.choices, default=NotificationType.SYSTEM
    )
    category = serializers.ChoiceField(
        choices=NotificationCategory.choices, default=NotificationCategory.ANNOUNCEMENT
    )
    title = StrictCharField(max_length=TITLE_MAX_LENGTH)
    message = StrictCharField(max_length=MESSAGE_MAX_LENGTH)
    metadata = MetadataField(required=False, default=dict)


class DeviceTokenSerializer(serializers.Serializer):
    token = StrictCharField(
        required=False,
        allow_null=True,
        max_length=1000,
        help_text="The push token (APNs, FCM, web push). Null or absent: the stored one stays.",
    )
    platform = serializers.ChoiceField(choices=DevicePlatform.choices)
    device_id = StrictCharField(max_length=200)
    timezone = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    live_activity_push_to_start_token = StrictCharField(
        required=False, allow_null=True, max_length=1000
    )


class SuccessSerializer(serializers.Serializer):
    success = serializers.BooleanField()


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField(min_value=0)


class ReadAllResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField(min_value=0)


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _choice(query_params, name: str, choices) -> str | None:
    value = (query_params.get(name) or "").strip()
    if not value:
        return None
    if value not in choices.values:
        raise serializers.ValidationError(
            {name: UNKNOWN_VALUE % {"value": value, "choices": ", ".join(choices.values)}}
        )
    return value


def notification_filters(query_params) -> dict:
    """The filters of the notification lists, read and checked (a 400 names the filter).
    `read` wins over the deprecated `isRead` when both are sent."""
    filters = {
        "type_": _choice(query_params, "type", NotificationType),
        "category": _choice(query_params, "category", NotificationCategory),
        "read": None,
    }
    for name in ("isRead", "read"):
        value = (query_params.get(name) or "").strip().lower()
        if not value:
            continue
        if value not in _BOOLEANS:
            raise serializers.ValidationError({name: NOT_A_BOOLEAN})
        filters["read"] = _BOOLEANS[value]
    return filters
