"""Discovery, history and reminders on the wire (contract section 8): the query parameters
the feeds read, and the shapes that are not a bare LiveStream."""

from django.http import QueryDict
from rest_framework import serializers

from livestreams.api.serializers import LiveStreamSerializer
from livestreams.selectors import GUEST_STREAM_SORTS
from users.api.serializers import UserSummarySerializer

# How far the upcoming window reaches either way: a year (streams are planned at most 90
# days ahead, so anything wider shows nothing more; a bound keeps the arithmetic finite).
MAX_WINDOW_HOURS = 24 * 365
MAX_WINDOW_MINUTES = MAX_WINDOW_HOURS * 60
DEFAULT_WINDOW_HOURS = 24
DEFAULT_WINDOW_MINUTES = 1440


def query_data(query_params, names: dict[str, str]) -> QueryDict:
    """The query parameters named in `names` (camelCase on the wire → the serializer's
    snake_case field), as a QueryDict so an empty `?hoursBefore=` means the default, as DRF
    reads an empty form value. Errors still name the camelCase parameter (the exception
    handler camelizes field names)."""
    data = QueryDict(mutable=True)
    for wire, field in names.items():
        if wire in query_params:
            data.setlist(field, query_params.getlist(wire))
    return data


class HoursWindowQuerySerializer(serializers.Serializer):
    """my-upcoming-streams, user/{id}/upcoming-live-streams: whole hours, 0 or more."""

    hours_before = serializers.IntegerField(
        min_value=0, max_value=MAX_WINDOW_HOURS, default=DEFAULT_WINDOW_HOURS
    )
    hours_after = serializers.IntegerField(
        min_value=0, max_value=MAX_WINDOW_HOURS, default=DEFAULT_WINDOW_HOURS
    )

    wire_names = {"hoursBefore": "hours_before", "hoursAfter": "hours_after"}


class MinutesWindowQuerySerializer(serializers.Serializer):
    """v2 user/{id}/upcoming-live-streams: whole minutes, 0 or more."""

    minutes_before = serializers.IntegerField(
        min_value=0, max_value=MAX_WINDOW_MINUTES, default=DEFAULT_WINDOW_MINUTES
    )
    minutes_after = serializers.IntegerField(
        min_value=0, max_value=MAX_WINDOW_MINUTES, default=DEFAULT_WINDOW_MINUTES
    )

    wire_names = {"minutesBefore": "minutes_before", "minutesAfter": "minutes_after"}


class GuestStreamsQuerySerializer(serializers.Serializer):
    """guest-streams: `sortBy` and `sortOrder` (`status` is read like the stream list's)."""

    sort_by = serializers.ChoiceField(choices=list(GUEST_STREAM_SORTS), default="createdAt")
    sort_order = serializers.ChoiceField(choices=["asc", "desc"], default="desc")

    wire_names = {"sortBy": "sort_by", "sortOrder": "sort_order"}


def read_query(serializer_class, query_params) -> dict:
    """Validate `serializer_class`'s parameters (a 400 naming each bad one); the values."""
    serializer = serializer_class(data=query_data(query_params, serializer_class.wire_names))
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CatchStreamerSerializer(serializers.Serializer):
    creator = UserSummarySerializer()
    active_live_stream = LiveStreamSerializer()


class RankedCreatorSerializer(UserSummarySerializer):
    """A most-watched creator: UserSummary plus `expertise` and whether the caller follows
    them (null for anonymous callers and on the caller's own row)."""

    is_following = serializers.BooleanField(allow_null=True, read_only=True)

    class Meta(UserSummarySerializer.Meta):
        fields = [*UserSummarySerializer.Meta.fields, "expertise", "is_following"]
        read_only_fields = fields


class ReminderStateSerializer(serializers.Serializer):
    is_reminder_active = serializers.BooleanField()
