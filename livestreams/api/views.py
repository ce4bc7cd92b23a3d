"""Live-stream endpoints (contract section 4): validate, call one service or selector, shape.

Which stream a caller may act on is decided by the selectors (visible streams only) and the
services (creator, guest, participant rules); views never catch.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from config.api.fields import client_ip
from config.api.pagination import (
    ArrayPagination,
    PagePagination,
    limit_parameter,
    page_parameter,
)
from config.api.schema import error_responses
from livestreams import selectors, services
from livestreams.api.serializers import (
    LiveStreamCreateSerializer,
    LiveStreamFundSerializer,
    LiveStreamIdSerializer,
    LiveStreamJoinResponseSerializer,
    LiveStreamJoinSerializer,
    LiveStreamSerializer,
    LiveStreamViewerSerializer,
    LiveStreamViewersPageSerializer,
    ReplayAccessSerializer,
    ReplaySettingsSerializer,
)
from livestreams.models import LiveStreamStatus
from users.credits.idempotency import IDEMPOTENCY_PARAMETER, idempotent

TAGS = ["live-streams"]
JOIN_DESCRIPTION = (
    "Answers an Agora RTC token (version 006) with an absolute expiry "
    "(`AGORA_TOKEN_TTL_SECONDS` from now) and the caller's stable, non-zero 32-bit `uid`. "
    "503 when Agora is not configured. `charged` is what this call charged (a paid "
    "stream's ticket, the first time; else 0)."
)
AUDIENCE_JOIN_DESCRIPTION = (
    " A `paid` stream charges its `price` once per person and stream, in the same "
    "transaction as the join; later joins and token renewals of a ticket holder are free. "
    "A balance below the price is a 402 that says the price and the balance, and joins "
    "nothing. Send an `Idempotency-Key` to retry safely."
)
# The contract's example guest id is the demo data's `demo_elif` (users/demo.py), so "Try it
# out" against a `make run` server creates the stream. No `plannedStartDate`: a fixed date
# would one day be in the past (a 400); without one the stream starts `preparing` now.
DEMO_GUEST_USERNAME = "demo_elif"
DEMO_GUEST_ID = "64d15f9e2e6c8f4d5a654321"
CREATE_EXAMPLE = OpenApiExample(
    "Paid duo stream",
    summary=f"Paid duo stream with the demo user {DEMO_GUEST_USERNAME} as guest",
    description=(
        f"`{DEMO_GUEST_ID}` is `{DEMO_GUEST_USERNAME}` in the demo data (`make run`); sign "
        "in as another user to try it. Add `plannedStartDate` (ISO 8601, up to 90 days "
        "ahead) to schedule it instead of starting it now."
    ),
    request_only=True,
    value={
        "title": "Yeni ürün tanıtımı",
        "guests": [DEMO_GUEST_ID],
        "price": 9.99,
        "liveStreamType": "duoself",
        "interest": "music",
        "durationGoal": 60,
        "motivation": "Bu yayında müzik hakkında konuşacağım.",
    },
)
STATUS_PARAMETER = OpenApiParameter(
    "status",
    str,
    many=True,
    enum=LiveStreamStatus.values,
    style="form",
    explode=False,
    description=(
        "Only streams in these statuses, comma separated (`?status=scheduled,preparing`); "
        "the parameter repeated (`?status=scheduled&status=preparing`) works too. An unknown "
        "status is a 400."
    ),
)


def _query_parameter(spec: dict) -> OpenApiParameter:
    return OpenApiParameter(spec["name"], spec["schema"], description=spec["description"])


VIEWER_PARAMETERS = [
    _query_parameter(page_parameter()),
    _query_parameter(
        limit_parameter(
            default=PagePagination.default_limit,
            maximum=PagePagination.max_limit,
            name="Viewers",
        )
    ),
    OpenApiParameter(
        "search",
        str,
        description=(
            "Part of a username, name or surname (case-insensitive); "
            "`participantAudienceTotal` still counts everyone."
        ),
    ),
]


class LiveStreamViewSet(viewsets.GenericViewSet):
    serializer_class = LiveStreamSerializer
    pagination_class = ArrayPagination

    # --- helpers -------------------------------------------------------------------------

    def _stream(self, live_stream_id: str):
        """The visible stream the URL or body names (404 otherwise), for a service to act on."""
        return selectors.live_stream_get_plain(live_stream_id=live_stream_id)

    def _answer(self, live_stream_id: str, *, status: int = 200, include_deleted=False):
        live_stream = selectors.live_stream_get(
            viewer=self.request.user, live_stream_id=live_stream_id, include_deleted=include_deleted
        )
        return Response(self.get_serializer(live_stream).data, status=status)

    def _join_answer(self, result: services.JoinResult):
        live_stream = selectors.live_stream_get(
            viewer=self.request.user, live_stream_id=result.live_stream.pk
        )
        payload = {
            "live_stream": live_stream,
            "token": result.issued.token,
            "uid": result.issued.uid,
            "channel_name": result.issued.channel_name,
            "app_id": result.issued.app_id,
            "role": result.role,
            "expires_at": result.issued.expires_at,
            "charged": result.charged,
        }
        return Response(
            LiveStreamJoinResponseSerializer(payload, context=self.get_serializer_context()).data
        )

    def _body_stream(self, serializer_class=LiveStreamIdSerializer):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return self._stream(serializer.validated_data["live_stream_id"]), serializer.validated_data

    # --- collection ----------------------------------------------------------------------

    @extend_schema(
        tags=TAGS,
        summary="Create a live stream",
        description=(
            "Multipart (as the apps send it: `guests` as a JSON array in one field, optional "
            "`thumbnail` image) or JSON with the same keys. A `price` above 0 makes it paid."
        ),
        request={
            "multipart/form-data": LiveStreamCreateSerializer,
            "application/json": LiveStreamCreateSerializer,
        },
        responses={201: LiveStreamSerializer, **error_responses(400, 413, 415)},
        examples=[CREATE_EXAMPLE],
    )
    def create(self, request):
        serializer = LiveStreamCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        live_stream = services.live_stream_create(
            creator=request.user,
            title=data["title"],
            live_stream_type=data["live_stream_type"],
            guest_ids=data.get("guests") or [],
            thumbnail=data.get("thumbnail"),
            price=data.get("price"),
            interest=data.get("interest"),
            duration_goal=data["duration_goal"],
            motivation=data.get("motivation"),
            planned_start_date=data.get("planned_start_date"),
        )
        return self._answer(live_stream.pk, status=201)

    @extend_schema(
        tags=TAGS,
        summary="All visible live streams, newest first",
        parameters=[STATUS_PARAMETER],
        responses={200: LiveStreamSerializer(many=True)},
    )
    def list(self, request):
        statuses = selectors.parse_statuses(",".join(request.query_params.getlist("status")))
        queryset = selectors.live_stream_list(viewer=request.user, statuses=statuses)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    # --- one stream ----------------------------------------------------------------------

    @extend_schema(tags=TAGS, summary="One live stream", responses={200: LiveStreamSerializer})
    def retrieve(self, request, pk: str):
        live_stream = selectors.live_stream_get(viewer=request.user, live_stream_id=pk)
        return Response(self.get_serializer(live_stream).data)

    @extend_schema(
        tags=TAGS,
        summary="Delete a live stream (creator; soft delete)",
        description="Returns the record as it was hidden. An active stream is a 409.",
        responses={200: LiveStreamSerializer, **error_responses(403, 409)},
    )
    def destroy(self, request, pk: str):
        live_stream = services.live_stream_delete(live_stream=self._stream(pk), actor=request.user)
        return self._answer(live_stream.pk, include_deleted=True)

    @extend_schema(
        tags=TAGS,
        summary="Cancel a live stream that has not started (creator or invited guest)",
        request=None,
        responses={200: LiveStreamSerializer, **error_responses(403, 409)},
    )
    def cancel(self, request, pk: str):
        live_stream = services.live_stream_cancel(live_stream=self._stream(pk), actor=request.user)
        return self._answer(live_stream.pk)

    @extend_schema(
        tags=TAGS,
        summary="End an active live stream (creator)",
        request=None,
        responses={200: LiveStreamSerializer, **error_responses(403, 409)},
    )
    def end(self, request, pk: str):
        live_stream = services.live_stream_end(live_stream=self._stream(pk), actor=request.user)
        return self._answer(live_stream.pk)

    @extend_schema(
        tags=TAGS,
        summary="A fresh Agora token for a current participant",
        description=JOIN_DESCRIPTION
        + " Every join rule is checked again: an audience member of a paid stream who holds "
        "no ticket is charged one, as the join would (402 on a short balance).",
        request=None,
        responses={200: LiveStreamJoinResponseSerializer, **error_responses(402, 403, 409, 503)},
    )
    def token(self, request, pk: str):
        result = services.live_stream_refresh_token(live_stream=self._stream(pk), user=request.user)
        return self._join_answer(result)

    @extend_schema(
        tags=TAGS,
        summary="Leave a live stream (a participant)",
        request=None,
        responses={200: LiveStreamSerializer, **error_responses(403)},
    )
    def leave(self, request, pk: str):
        live_stream = services.live_stream_leave(live_stream=self._stream(pk), user=request.user)
        return self._answer(live_stream.pk)

    @extend_schema(
        tags=TAGS,
        summary="The audience in a live stream now",
        parameters=VIEWER_PARAMETERS,
        responses={200: LiveStreamViewersPageSerializer},
    )
    def viewers(self, request, pk: str):
        # Paged as `{list, pagination}` (PagePagination, set in urls.py), not a plain array.
        live_stream = self._stream(pk)
        search = selectors.clean_search(request.query_params.get("search"))
        queryset = selectors.live_stream_viewers(
            live_stream=live_stream, viewer=request.user, search=search
        )
        page = self.paginate_queryset(queryset)
        data = LiveStreamViewerSerializer(
            page, many=True, context=self.get_serializer_context()
        ).data
        # Without a search the page's own count is everyone in the audience.
        total = (
            selectors.live_stream_audience_total(live_stream=live_stream)
            if search
            else self.paginator.total
        )
        return Response(self.paginator.get_paginated_data(data, participant_audience_total=total))

    @extend_schema(
        tags=TAGS,
        summary="Replay visibility and price (creator)",
        request=ReplaySettingsSerializer,
        responses={200: LiveStreamSerializer, **error_responses(403, 415)},
    )
    def replay_settings(self, request, pk: str):
        live_stream = self._stream(pk)
        # Who may change it is decided before what they sent: a stranger gets 403 whatever
        # the body, not a list of what is wrong with it.
        services.require_creator(live_stream, request.user)
        serializer = ReplaySettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.live_stream_update_replay_settings(
            live_stream=live_stream, actor=request.user, changes=serializer.validated_data
        )
        return self._answer(live_stream.pk)

    # --- money ---------------------------------------------------------------------------

    @extend_schema(
        tags=TAGS,
        summary="Fund a crowdfunded (duocrowd) live stream",
        description=(
            "Anyone signed in except the creator and the guest (403), while the stream is "
            "`scheduled` or `preparing` (409 otherwise). A stream that takes no funding or "
            "has reached its goal is a 409 (checked first). `amount` is above 0 with at most "
            "2 decimals and at most what remains to the goal (a 400 says what remains); a "
            "balance below it is a 402. The contribution is held until the stream settles: "
            "paid out to the guest if the stream ends with them having broadcast, refunded "
            "otherwise. Answers the stream with the new `collectedFunding`. Send an "
            "`Idempotency-Key` to retry safely."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=LiveStreamFundSerializer,
        responses={200: LiveStreamSerializer, **error_responses(402, 403, 409, 422)},
    )
    @idempotent("live-stream-fund")
    def fund(self, request, pk: str):
        live_stream = self._stream(pk)
        # Who may fund and whether the stream takes funding now are decided before the
        # amount is read (the contract's order of refusals).
        services.live_stream_funding_check(live_stream=live_stream, user=request.user)
        serializer = LiveStreamFundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.live_stream_fund(
            live_stream=live_stream, user=request.user, amount=serializer.validated_data["amount"]
        )
        return self._answer(live_stream.pk)

    @extend_schema(
        tags=TAGS,
        summary="Scheduled or preparing live streams the caller has funded",
        description=(
            "Streams with a contribution of the caller's that was not refunded, soonest "
            "`plannedStartDate` first."
        ),
        responses={200: LiveStreamSerializer(many=True)},
    )
    def funded(self, request):
        queryset = selectors.live_streams_funded_by(viewer=request.user)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _replay_access(self, live_stream_id: str):
        live_stream = selectors.live_stream_get(
            viewer=self.request.user, live_stream_id=live_stream_id
        )
        return selectors.replay_access(live_stream=live_stream, viewer=self.request.user)

    @extend_schema(
        tags=TAGS,
        summary="Rent the replay of an ended live stream",
        description=(
            "Needs an `ended` stream with a recording, the replay turned on "
            "(`isActiveReplayOnCreatorProfile: true`) and a `replayCreditPrice`. Charges "
            "that price and grants access for `REPLAY_RENTAL_HOURS` (default 48). The "
            "creator, a caller whose rental has not expired, and a replay that is not "
            "available get a 409; a short balance is a 402. Send an `Idempotency-Key` to "
            "retry safely."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=None,
        responses={201: ReplayAccessSerializer, **error_responses(402, 409, 422)},
    )
    @idempotent("live-stream-replay-rentals")
    def replay_rentals(self, request, pk: str):
        services.live_stream_replay_rent(live_stream=self._stream(pk), user=request.user)
        return Response(ReplayAccessSerializer(self._replay_access(pk)).data, status=201)

    @extend_schema(
        tags=TAGS,
        summary="The caller's access to the replay of a live stream",
        responses={200: ReplayAccessSerializer},
    )
    def replay_status(self, request, pk: str):
        return Response(ReplayAccessSerializer(self._replay_access(pk)).data)

    # --- joins ---------------------------------------------------------------------------

    @extend_schema(
        tags=TAGS,
        summary="Join as the creator (publisher token); the first join goes live",
        description=JOIN_DESCRIPTION,
        request=LiveStreamIdSerializer,
        responses={
            200: LiveStreamJoinResponseSerializer,
            **error_responses(403, 404, 409, 415, 503),
        },
    )
    def join_as_creator(self, request):
        live_stream, _data = self._body_stream()
        result = services.live_stream_join_as_creator(live_stream=live_stream, user=request.user)
        return self._join_answer(result)

    @extend_schema(
        tags=TAGS,
        summary="Join as an invited guest (publisher token)",
        description=JOIN_DESCRIPTION,
        request=LiveStreamIdSerializer,
        responses={
            200: LiveStreamJoinResponseSerializer,
            **error_responses(403, 404, 409, 415, 503),
        },
    )
    def join_as_guest(self, request):
        live_stream, _data = self._body_stream()
        result = services.live_stream_join_as_guest(live_stream=live_stream, user=request.user)
        return self._join_answer(result)

    @extend_schema(
        tags=TAGS,
        summary="Join an active live stream as audience (subscriber token)",
        description=JOIN_DESCRIPTION
        + AUDIENCE_JOIN_DESCRIPTION
        + " The server records the caller's address itself; an `ipAddress` field is ignored.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=LiveStreamJoinSerializer,
        responses={
            200: LiveStreamJoinResponseSerializer,
            **error_responses(402, 404, 409, 415, 422, 503),
        },
    )
    @idempotent("live-stream-join")
    def join(self, request):
        live_stream, data = self._body_stream(LiveStreamJoinSerializer)
        device = services.DeviceDetails(
            device_type=data.get("device_type", ""),
            device_model=data.get("device_model", ""),
            os_version=data.get("os_version", ""),
            app_version=data.get("app_version", ""),
            country=data.get("country", ""),
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        result = services.live_stream_join_as_audience(
            live_stream=live_stream, user=request.user, device=device
        )
        return self._join_answer(result)
