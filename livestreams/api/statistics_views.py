"""A stream's audience statistics (contract section 9): one read for its creator, its invited
guests and staff (livestreams.selectors.statistics decides who and counts)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from config.api.schema import error_responses
from livestreams.api.views import TAGS
from livestreams.selectors.statistics import live_stream_statistics

STREAM_ID = OpenApiParameter(
    "stream_id", str, OpenApiParameter.PATH, description="The stream's 24-character hex id."
)


class LiveStreamStatisticsSerializer(serializers.Serializer):
    stream_id = serializers.CharField()
    total_viewers = serializers.IntegerField(
        min_value=0, help_text="Distinct people who joined as audience."
    )
    peak_concurrent_viewers = serializers.IntegerField(
        min_value=0,
        help_text=(
            "The most audience stays open at one moment (a leave and a join at the same "
            "instant do not overlap)."
        ),
    )
    average_watch_time_minutes = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        help_text=(
            "totalWatchTimeMinutes per viewer, rounded half up to 2 decimals; 0 without viewers."
        ),
    )
    total_watch_time_minutes = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        help_text=(
            "The audience stays' lengths in minutes, rounded half up to 2 decimals; a stay "
            "still open counts until now, or until the stream's end if it has ended."
        ),
    )


class LiveStreamStatisticsView(GenericAPIView):
    serializer_class = LiveStreamStatisticsSerializer

    @extend_schema(
        tags=TAGS,
        summary="Audience statistics of a live stream (creator, guests, staff)",
        description=(
            "Audience stays only: the host's and the guests' own stays do not count. "
            "Anyone else signed in is a 403; an unknown or deleted stream, or an id of the "
            "wrong shape, is a 404."
        ),
        parameters=[STREAM_ID],
        responses={200: LiveStreamStatisticsSerializer, **error_responses(403)},
    )
    def get(self, request, stream_id: str):
        statistics = live_stream_statistics(live_stream_id=stream_id, viewer=request.user)
        return Response(self.get_serializer(statistics).data)
