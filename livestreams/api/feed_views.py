"""Discovery, history and reminders (contract section 8): thin views over
`livestreams.selectors` (feeds, creators) and `livestreams.services` (reminders).

Optional-auth endpoints (`AllowAny`) answer anonymous callers, and an invalid token is still
a 401 (the authentication runs first). Paged feeds answer `{list, pagination}`; the others
are plain arrays with `X-Total-Count` and `Link`, or a short ranking bounded by `limit`.
"""

from datetime import timedelta

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from config.api.pagination import ArrayPagination, PagePagination, read_page_and_limit
from config.api.schema import error_responses
from livestreams import selectors, services
from livestreams.api.feed_serializers import (
    DEFAULT_WINDOW_HOURS,
    DEFAULT_WINDOW_MINUTES,
    MAX_WINDOW_HOURS,
    MAX_WINDOW_MINUTES,
    CatchStreamerSerializer,
    GuestStreamsQuerySerializer,
    HoursWindowQuerySerializer,
    MinutesWindowQuerySerializer,
    RankedCreatorSerializer,
    ReminderStateSerializer,
    read_query,
)
from livestreams.api.serializers import LiveStreamSerializer
from livestreams.api.views import STATUS_PARAMETER, TAGS
from users import selectors as user_selectors

FEED_DEFAULT_LIMIT = 10
RANKING_DEFAULT_LIMIT = 10
RANKING_MAX_LIMIT = 50

USER_ID = OpenApiParameter(
    "user_id", str, OpenApiParameter.PATH, description="The user's 24-character hex id."
)
RANKING_LIMIT = OpenApiParameter(
    "limit",
    {"type": "string", "default": str(RANKING_DEFAULT_LIMIT)},
    description=(
        f"How many (default {RANKING_DEFAULT_LIMIT}, at most {RANKING_MAX_LIMIT}). A value "
        f"below 1 or not a whole number means {RANKING_DEFAULT_LIMIT}; above "
        f"{RANKING_MAX_LIMIT} means {RANKING_MAX_LIMIT}."
    ),
)


def _window_parameter(name: str, unit: str, default: int, maximum: int) -> OpenApiParameter:
    side = "before" if name.endswith("Before") else "after"
    return OpenApiParameter(
        name,
        {"type": "integer", "minimum": 0, "maximum": maximum, "default": default},
        description=(
            f"Scheduled streams planned to start up to this many {unit} {side} now are "
            f"listed (the edge included). A whole number from 0 to {maximum}; a negative or "
            "non-numeric value is a 400."
        ),
    )


HOURS_WINDOW = [
    _window_parameter("hoursBefore", "hours", DEFAULT_WINDOW_HOURS, MAX_WINDOW_HOURS),
    _window_parameter("hoursAfter", "hours", DEFAULT_WINDOW_HOURS, MAX_WINDOW_HOURS),
]
MINUTES_WINDOW = [
    _window_parameter("minutesBefore", "minutes", DEFAULT_WINDOW_MINUTES, MAX_WINDOW_MINUTES),
    _window_parameter("minutesAfter", "minutes", DEFAULT_WINDOW_MINUTES, MAX_WINDOW_MINUTES),
]
GUEST_SORT_PARAMETERS = [
    STATUS_PARAMETER,
    OpenApiParameter(
        "sortBy",
        str,
        enum=list(selectors.GUEST_STREAM_SORTS),
        default="createdAt",
        description="Streams without a value (one that never started, say) come last.",
    ),
    OpenApiParameter("sortOrder", str, enum=["asc", "desc"], default="desc"),
]
UPCOMING_DESCRIPTION = (
    "Streams {who} created or {is_are} invited to as a guest: `active` and `preparing` ones "
    "always, `scheduled` ones planned to start inside the window around now. Live streams "
    "first, then the soonest planned start. A plain array: `page`, `limit` (default 10, at "
    "most 100)."
)
# The LiveStream component (every other live-stream endpoint registers it), or null.
ACTIVE_STREAM_RESPONSE = OpenApiResponse(
    response={"allOf": [{"$ref": "#/components/schemas/LiveStream"}], "nullable": True},
    description="The active stream, or `data: null` when there is none.",
)


def _ranking_limit(request) -> int:
    _page, limit = read_page_and_limit(
        request.query_params, default_limit=RANKING_DEFAULT_LIMIT, max_limit=RANKING_MAX_LIMIT
    )
    return limit


class _LiveStreamListView(GenericAPIView):
    serializer_class = LiveStreamSerializer

    def respond(self, queryset):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class _PagedFeedView(_LiveStreamListView):
    pagination_class = PagePagination
    page_default_limit = FEED_DEFAULT_LIMIT


class _ArrayFeedView(_LiveStreamListView):
    pagination_class = ArrayPagination


# --- Live now ---------------------------------------------------------------------------------


class FeaturedView(_LiveStreamListView):
    permission_classes = [AllowAny]
    pagination_class = None

    @extend_schema(
        tags=TAGS,
        summary="Featured: the 10 live streams with the most viewers now",
        description="Ties go to the latest `startedAt`. At most 10, no paging.",
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request):
        streams = selectors.live_streams_featured(viewer=request.user)
        return Response(self.get_serializer(streams, many=True).data)


class CatchStreamersView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = CatchStreamerSerializer

    @extend_schema(
        tags=TAGS,
        summary="Creators live now, latest start first, one entry per creator",
        parameters=[RANKING_LIMIT],
        responses={200: CatchStreamerSerializer(many=True)},
    )
    def get(self, request):
        entries = selectors.catch_streamers(viewer=request.user, limit=_ranking_limit(request))
        return Response(self.get_serializer(entries, many=True).data)


class MostWatchedCreatorsView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = RankedCreatorSerializer

    @extend_schema(
        tags=TAGS,
        summary="Creators with the largest audience over the last 30 days",
        description=(
            "Ranked by how many distinct people joined the audience of their streams that "
            "went live in the last 30 days (ties by id). Deleted streams do not count."
        ),
        parameters=[RANKING_LIMIT],
        responses={200: RankedCreatorSerializer(many=True)},
    )
    def get(self, request):
        creators = selectors.most_watched_creators(
            viewer=request.user, limit=_ranking_limit(request)
        )
        return Response(self.get_serializer(creators, many=True).data)


class WhatsLiveNowView(_PagedFeedView):
    @extend_schema(
        tags=TAGS,
        summary="Live streams, most viewers first",
        description="Ties go to the latest `startedAt`. `limit` default 10, at most 100.",
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request):
        return self.respond(selectors.live_streams_by_audience(viewer=request.user))


class ForYouLiveView(_PagedFeedView):
    @extend_schema(
        tags=TAGS,
        summary="Live streams in the caller's interests, most viewers first",
        description="An empty page for a caller with no interests.",
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request):
        return self.respond(selectors.live_streams_for_you_live(viewer=request.user))


class ForYouScheduledView(_PagedFeedView):
    @extend_schema(
        tags=TAGS,
        summary="Scheduled live streams in the caller's interests, soonest first",
        description="An empty page for a caller with no interests.",
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request):
        return self.respond(selectors.live_streams_for_you_scheduled(viewer=request.user))


class ForYouCrowdfundingView(_PagedFeedView):
    @extend_schema(
        tags=TAGS,
        summary="Crowdfunded live streams in the caller's interests still short of their goal",
        description=(
            "`scheduled` or `preparing` `duocrowd` streams that take funding and whose "
            "`collectedFunding` is below their `fundingGoal`, soonest planned start first. An "
            "empty page for a caller with no interests."
        ),
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request):
        return self.respond(selectors.live_streams_for_you_crowdfunding(viewer=request.user))


# --- Invitations, upcoming and history -------------------------------------------------------


class GuestStreamsView(_ArrayFeedView):
    @extend_schema(
        tags=TAGS,
        summary="Live streams the caller is invited to as a guest",
        description="Newest first by default. A bad `status`, `sortBy` or `sortOrder` is a 400.",
        parameters=GUEST_SORT_PARAMETERS,
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request):
        query = read_query(GuestStreamsQuerySerializer, request.query_params)
        statuses = selectors.parse_statuses(",".join(request.query_params.getlist("status")))
        return self.respond(
            selectors.live_streams_invited(
                viewer=request.user,
                statuses=statuses,
                sort_by=query["sort_by"],
                descending=query["sort_order"] == "desc",
            )
        )


class MyPastStreamsView(_ArrayFeedView):
    @extend_schema(
        tags=TAGS,
        summary="The caller's ended live streams as creator, latest end first",
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request):
        return self.respond(selectors.live_streams_past(viewer=request.user, creator=request.user))


class UserPastStreamsView(_ArrayFeedView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="A user's ended live streams as creator, latest end first",
        parameters=[USER_ID],
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request, user_id: str):
        creator = user_selectors.user_get_active(user_id=user_id)
        return self.respond(selectors.live_streams_past(viewer=request.user, creator=creator))


class _UpcomingView(_ArrayFeedView):
    page_default_limit = FEED_DEFAULT_LIMIT
    window_query = HoursWindowQuerySerializer
    unit = "hours"

    def upcoming(self, request, person):
        window = read_query(self.window_query, request.query_params)
        before, after = (window[name] for name in self.window_query.wire_names.values())
        return self.respond(
            selectors.live_streams_upcoming(
                viewer=request.user,
                person=person,
                before=timedelta(**{self.unit: before}),
                after=timedelta(**{self.unit: after}),
            )
        )


class MyUpcomingStreamsView(_UpcomingView):
    @extend_schema(
        tags=TAGS,
        summary="The caller's live and upcoming streams, as creator or guest",
        description=UPCOMING_DESCRIPTION.format(who="the caller", is_are="is"),
        parameters=HOURS_WINDOW,
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request):
        return self.upcoming(request, request.user)


class UserUpcomingStreamsView(_UpcomingView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="A user's live and upcoming streams, as creator or guest",
        description=UPCOMING_DESCRIPTION.format(who="the user", is_are="is")
        + " `isReminderActive` is the caller's (null when anonymous).",
        parameters=[USER_ID, *HOURS_WINDOW],
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request, user_id: str):
        return self.upcoming(request, user_selectors.user_get_active(user_id=user_id))


class UserUpcomingStreamsV2View(_UpcomingView):
    permission_classes = [AllowAny]
    window_query = MinutesWindowQuerySerializer
    unit = "minutes"

    @extend_schema(
        tags=TAGS,
        summary="A user's live and upcoming streams, window in minutes (v2)",
        description=UPCOMING_DESCRIPTION.format(who="the user", is_are="is")
        + " As v1, with the window in minutes (`minutesBefore`, `minutesAfter`, default "
        "1440 each). `isReminderActive` is the caller's (null when anonymous).",
        parameters=[USER_ID, *MINUTES_WINDOW],
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request, user_id: str):
        return self.upcoming(request, user_selectors.user_get_active(user_id=user_id))


class MyBroadcastedStreamsView(_PagedFeedView):
    @extend_schema(
        tags=TAGS,
        summary="Ended live streams the caller broadcast in (host or guest), latest end first",
        description="One item per stream; `role` says host or guest.",
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request):
        return self.respond(selectors.live_streams_broadcast(viewer=request.user))


class MyWatchedStreamsView(_PagedFeedView):
    @extend_schema(
        tags=TAGS,
        summary="Ended live streams the caller watched, by the caller's latest join",
        description="One item per stream, however many times the caller joined it.",
        responses={200: LiveStreamSerializer(many=True)},
    )
    def get(self, request):
        return self.respond(selectors.live_streams_watched(viewer=request.user))


# --- One stream ------------------------------------------------------------------------------


class _ActiveStreamView(GenericAPIView):
    serializer_class = LiveStreamSerializer

    def active(self, request, creator):
        live_stream = selectors.live_stream_active_of(viewer=request.user, creator=creator)
        return Response(self.get_serializer(live_stream).data if live_stream else None)


class MyActiveStreamView(_ActiveStreamView):
    @extend_schema(
        tags=TAGS,
        summary="The caller's active live stream as creator, or null",
        responses={200: ACTIVE_STREAM_RESPONSE},
    )
    def get(self, request):
        return self.active(request, request.user)


class UserActiveStreamView(_ActiveStreamView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="A user's active live stream as creator, or null",
        parameters=[USER_ID],
        responses={200: ACTIVE_STREAM_RESPONSE},
    )
    def get(self, request, user_id: str):
        return self.active(request, user_selectors.user_get_active(user_id=user_id))


class ReminderView(GenericAPIView):
    serializer_class = ReminderStateSerializer

    def _answer(self, active: bool):
        return Response(self.get_serializer({"is_reminder_active": active}).data)

    @extend_schema(
        tags=TAGS,
        summary="Remind me when this live stream goes live",
        description=(
            "Only for a `scheduled` or `preparing` stream (409 otherwise). Setting it again "
            "keeps the one reminder."
        ),
        request=None,
        responses={200: ReminderStateSerializer, **error_responses(409)},
    )
    def post(self, request, pk: str):
        live_stream = selectors.live_stream_get_plain(live_stream_id=pk)
        services.live_stream_reminder_set(live_stream=live_stream, user=request.user)
        return self._answer(True)

    @extend_schema(
        tags=TAGS,
        summary="Stop the reminder for this live stream",
        description="200 with `isReminderActive: false` whether or not there was one.",
        responses={200: ReminderStateSerializer},
    )
    def delete(self, request, pk: str):
        live_stream = selectors.live_stream_get_plain(live_stream_id=pk)
        services.live_stream_reminder_clear(live_stream=live_stream, user=request.user)
        return self._answer(False)
