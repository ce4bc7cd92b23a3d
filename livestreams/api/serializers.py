"""Live streams on the wire (contract sections 1 and 4).

Input serializers check types and ranges and convert; the domain rules (guests per type,
planned start window, image content) are the services'. Output field names are snake_case
here and camelCased by the renderer.
"""

import json
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.templatetags.static import static
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

from config.api.fields import ObjectIdField, StrictBooleanField, StrictCharField, absolute_url
from config.api.ids import is_object_id
from config.images import NOT_A_FILE
from livestreams.models import (
    MAX_DURATION_MINUTES,
    MAX_PRICE,
    UID_MAX,
    LiveStream,
    LiveStreamType,
    Participant,
    ParticipantRole,
)
from livestreams.selectors import funding_percentage, recording_url_for, replay_access
from users.api.serializers import UserSummarySerializer
from users.credits.models import AMOUNT_DIGITS
from users.models import Interest

GUESTS_NOT_A_LIST = _('Send a JSON array of user ids, such as ["64d15f9e2e6c8f4d5a654321"].')
GUEST_NOT_AN_ID = _("{value} is not a valid user id (24 hexadecimal characters).")
MAX_GUEST_IDS = 10


# --- Input fields ----------------------------------------------------------------------------


class CreditAmountField(serializers.DecimalField):
    """Credits: a number (or numeric text) with at most 2 decimals; empty text is null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 8)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_value", Decimal(MAX_PRICE))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str) and not data.strip() and self.allow_null:
            return None
        return super().to_internal_value(data)

    def validate_empty_values(self, data):
        if isinstance(data, str) and not data.strip() and self.allow_null:
            return (True, None)
        return super().validate_empty_values(data)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
        "description": (
            "User ids of the invited guests: a JSON array, or in multipart one field holding "
            'a JSON array as text (`["64d15f9e2e6c8f4d5a654321"]`), or the field repeated.'
        ),
    }
)
class GuestIdsField(serializers.Field):
    """Guest ids as the apps send them: a JSON array, a JSON array inside one form field,
    or one form field per id."""

    default_error_messages = {"not_a_list": GUESTS_NOT_A_LIST, "not_an_id": GUEST_NOT_AN_ID}

    def get_value(self, dictionary):
        if html.is_html_input(dictionary):
            if self.field_name not in dictionary:
                return empty
            values = dictionary.getlist(self.field_name)
            return values[0] if len(values) == 1 else values
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data):
        if isinstance(data, str):
            text = data.strip()
            if not text:
                return []
            if text.startswith(("[", "{", '"')):
                try:
                    data = json.loads(text)
                except (ValueError, RecursionError):
                    # RecursionError: `[[[[…]]]]` thousands deep exhausts the decoder's stack.
                    self.fail("not_a_list")
            else:
                data = [text]
        if not isinstance(data, list) or len(data) > MAX_GUEST_IDS:
            self.fail("not_a_list")
        ids = []
        for value in data:
            if not isinstance(value, str) or not is_object_id(value.strip()):
                self.fail("not_an_id", value=json.dumps(value)[:40])
            ids.append(value.strip())
        return ids

    def to_representation(self, value):  # pragma: no cover - input only
        return value


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.Field):
    """An uploaded file, passed on as it is; the service checks that it is a real image."""

    default_error_messages = {"not_a_file": NOT_A_FILE}

    def to_internal_value(self, data):
        if not (hasattr(data, "read") and hasattr(data, "size")):
            self.fail("not_a_file")
        return data

    def to_representation(self, value):  # pragma: no cover - input only
        return None


# --- Input serializers -----------------------------------------------------------------------


class TitleField(StrictCharField):
    """Text normalised to Unicode NFC before its length is checked: `é` typed as `e` plus a
    combining accent is one character, as the apps show it, not two."""

    def to_internal_value(self, data):
        return unicodedata.normalize("NFC", super().to_internal_value(data))


class LiveStreamCreateSerializer(serializers.Serializer):
    title = TitleField(min_length=1, max_length=120)
    live_stream_type = serializers.ChoiceField(
        choices=LiveStreamType.choices, default=LiveStreamType.SOLO
    )
    guests = GuestIdsField(required=False)
    thumbnail = UploadField(required=False, allow_null=True)
    price = CreditAmountField(
        required=False,
        allow_null=True,
        min_value=Decimal("0"),
        help_text="Credits; above 0 makes the stream paid. Absent or empty: free.",
    )
    interest = serializers.ChoiceField(choices=Interest.choices, required=False, allow_null=True)
    duration_goal = serializers.IntegerField(
        min_value=1, max_value=MAX_DURATION_MINUTES, default=60, help_text="Minutes (1–720)."
    )
    motivation = StrictCharField(max_length=1000, required=False, allow_blank=True, allow_null=True)
    planned_start_date = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Absent: now (`preparing`). In the future: `scheduled`.",
    )


class LiveStreamIdSerializer(serializers.Serializer):
    live_stream_id = ObjectIdField()


class LiveStreamJoinSerializer(LiveStreamIdSerializer):
    role = serializers.ChoiceField(
        choices=[ParticipantRole.AUDIENCE.value], default=ParticipantRole.AUDIENCE.value
    )
    device_type = StrictCharField(max_length=50, required=False, allow_blank=True)
    device_model = StrictCharField(max_length=100, required=False, allow_blank=True)
    os_version = StrictCharField(max_length=50, required=False, allow_blank=True)
    app_version = StrictCharField(max_length=50, required=False, allow_blank=True)
    country = StrictCharField(max_length=64, required=False, allow_blank=True)


class LiveStreamFundSerializer(serializers.Serializer):
    amount = CreditAmountField(
        max_digits=AMOUNT_DIGITS,
        max_value=None,
        help_text=(
            "Credits, above 0 with at most 2 decimals, at most what remains to the funding "
            "goal (a 400 says how much remains)."
        ),
    )


class ReplaySettingsSerializer(serializers.Serializer):
    # Strict: "yes" or 1 are a client bug worth a 400, not a guess.
    is_active_replay_on_creator_profile = StrictBooleanField(required=False, allow_null=True)
    replay_credit_price = CreditAmountField(
        required=False, allow_null=True, min_value=Decimal("0.01")
    )


# --- Output ----------------------------------------------------------------------------------


class ReplayAccessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["owner", "unavailable", "available", "rented", "expired"]
    )
    can_rent = serializers.BooleanField()
    can_view_recording = serializers.BooleanField()
    price = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    rented_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    remaining_seconds = serializers.IntegerField(allow_null=True)


class BroadcasterSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    role = serializers.ChoiceField(choices=[ParticipantRole.HOST, ParticipantRole.GUEST])
    has_joined = serializers.BooleanField(read_only=True)

    class Meta:
        model = Participant
        fields = ["user", "role", "uid", "has_joined"]
        read_only_fields = fields


class ThumbnailUrlMixin:
    """`thumbnail_url` of a stream: its own picture, or the default one, absolute. The
    default's URL is worked out once per serializer instance (a list shares one)."""

    @cached_property
    def _default_thumbnail_url(self) -> str:
        return absolute_url(
            self.context.get("request"), static(settings.LIVE_STREAM_DEFAULT_THUMBNAIL)
        )

    def get_thumbnail_url(self, live_stream: LiveStream) -> str:
        if live_stream.thumbnail:
            return absolute_url(self.context.get("request"), live_stream.thumbnail.url)
        return self._default_thumbnail_url


class LiveStreamSerializer(ThumbnailUrlMixin, serializers.ModelSerializer):
    """The LiveStream object, field for field. Needs `selectors.live_streams_for`."""

    # Declared fields, not method fields that build a serializer per stream: building
    # serializer fields is most of the cost of a list page.
    broadcasters = BroadcasterSerializer(source="broadcaster_list", many=True, read_only=True)
    guests = UserSummarySerializer(source="guest_users", many=True, read_only=True)
    creator = UserSummarySerializer(read_only=True)
    thumbnail_url = serializers.SerializerMethodField()
    recording_url = serializers.SerializerMethodField()
    replay_access = serializers.SerializerMethodField()
    price = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    replay_credit_price = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    funding_goal = serializers.SerializerMethodField()
    collected_funding = serializers.SerializerMethodField()
    funding_percentage = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    viewer_count = serializers.IntegerField()
    is_reminder_active = serializers.SerializerMethodField()
    mini_crowd_fundings = serializers.SerializerMethodField()

    class Meta:
        model = LiveStream
        fields = [
            "id",
            "title",
            "live_stream_type",
            "channel_name",
            "broadcasters",
            "guests",
            "creator",
            "thumbnail_url",
            "recording",
            "recording_url",
            "replay_access",
            "status",
            "access_type",
            "price",
            "interest",
            "duration_goal",
            "motivation",
            "is_active_replay_on_creator_profile",
            "replay_credit_price",
            "started_at",
            "planned_start_date",
            "ended_at",
            "planned_end_date",
            "created_at",
            "updated_at",
            "funding_goal",
            "collected_funding",
            "funding_percentage",
            "role",
            "viewer_count",
            "is_reminder_active",
            "mini_crowd_fundings",
        ]
        read_only_fields = fields

    # In a list one instance serializes every stream, so what is the same for all of them
    # (the caller, the default thumbnail's absolute URL) is worked out once, not per stream.

    @cached_property
    def _viewer(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def to_representation(self, live_stream: LiveStream):
        # `recordingUrl` and `replayAccess` both follow from the caller's replay access:
        # worked out once per stream, before the fields are read.
        self._replay_access = replay_access(live_stream=live_stream, viewer=self._viewer)
        return super().to_representation(live_stream)

    @extend_schema_field(
        {
            "type": "string",
            "format": "uri",
            "nullable": True,
            "description": (
                "Only while `replayAccess.canViewRecording`. A stored file on S3 comes as a "
                "pre-signed URL that expires within the hour and no later than the rental."
            ),
        }
    )
    def get_recording_url(self, live_stream: LiveStream) -> str | None:
        url = recording_url_for(live_stream=live_stream, access=self._replay_access)
        return absolute_url(self.context.get("request"), url) if url else None

    @extend_schema_field(ReplayAccessSerializer)
    def get_replay_access(self, live_stream: LiveStream):
        # Already primitives (the price a Decimal the renderer writes as a number).
        return self._replay_access

    @extend_schema_field(
        {
            "type": "number",
            "nullable": True,
            "example": None,
            "description": (
                "duocrowd: the guest's minute price × durationGoal, fixed at creation; null "
                "for a stream that takes no funding."
            ),
        }
    )
    def get_funding_goal(self, live_stream: LiveStream):
        return live_stream.funding_goal

    def _collected(self, live_stream: LiveStream) -> Decimal:
        # Annotated by selectors.live_streams_for.
        return getattr(live_stream, "collected_funding", None) or Decimal("0")

    @extend_schema_field(
        {
            "type": "number",
            "example": 0,
            "description": "Contributions held or paid out (refunded ones do not count).",
        }
    )
    def get_collected_funding(self, live_stream: LiveStream):
        return self._collected(live_stream)

    @extend_schema_field(
        {
            "type": "number",
            "example": 0,
            "description": "collectedFunding / fundingGoal × 100, 2 decimals; 0 without a goal.",
        }
    )
    def get_funding_percentage(self, live_stream: LiveStream):
        return funding_percentage(
            collected=self._collected(live_stream), goal=live_stream.funding_goal
        )

    @extend_schema_field(
        {"type": "string", "enum": ["host", "guest", "audience"], "nullable": True}
    )
    def get_role(self, live_stream: LiveStream) -> str | None:
        return getattr(live_stream, "viewer_role", None)

    @extend_schema_field(
        {
            "type": "boolean",
            "nullable": True,
            "example": None,
            "description": (
                "Whether the caller has a reminder for this stream (POST /{id}/reminder); "
                "null for anonymous callers."
            ),
        }
    )
    def get_is_reminder_active(self, live_stream: LiveStream) -> bool | None:
        # Annotated by selectors.live_streams_for (an EXISTS; null when anonymous).
        return getattr(live_stream, "is_reminder_active", None)

    @extend_schema_field({"type": "array", "items": {"type": "object"}, "maxItems": 0})
    def get_mini_crowd_fundings(self, live_stream: LiveStream) -> list:
        return []


class LiveStreamJoinResponseSerializer(serializers.Serializer):
    live_stream = LiveStreamSerializer()
    token = serializers.CharField(help_text="Agora RTC AccessToken (version 006).")
    uid = serializers.IntegerField(min_value=1, max_value=UID_MAX)
    channel_name = serializers.CharField()
    app_id = serializers.CharField()
    role = serializers.ChoiceField(choices=ParticipantRole.choices)
    expires_at = serializers.DateTimeField()
    charged = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        help_text="Credits this join charged: a paid stream's ticket the first time, else 0.",
    )


class LiveStreamViewerSerializer(UserSummarySerializer):
    """A person in the audience now: UserSummary plus counts, follow state and arrival."""

    is_following = serializers.BooleanField(allow_null=True, read_only=True)
    joined_at = serializers.DateTimeField(read_only=True)

    class Meta(UserSummarySerializer.Meta):
        fields = [
            *UserSummarySerializer.Meta.fields,
            "followers_count",
            "following_count",
            "expertise",
            "is_following",
            "joined_at",
        ]
        read_only_fields = fields


class PaginationMetaSerializer(serializers.Serializer):
    current_page = serializers.IntegerField()
    total_pages = serializers.IntegerField()
    total_items = serializers.IntegerField()
    items_per_page = serializers.IntegerField()
    has_next_page = serializers.BooleanField()
    has_prev_page = serializers.BooleanField()


class LiveStreamViewersPageSerializer(serializers.Serializer):
    """Schema of GET /live-stream/{id}/viewers."""

    list = LiveStreamViewerSerializer(many=True)
    pagination = PaginationMetaSerializer()
    participant_audience_total = serializers.IntegerField(
        help_text="Everyone in the audience now, whatever `search` says."
    )
