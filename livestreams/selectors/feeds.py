"""Discovery and history feeds of live streams (contract section 8).

Every feed is `live_streams_for` (the LiveStream object as the caller sees it, deleted
streams left out) narrowed by the vocabulary of `LiveStreamQuerySet` (live, scheduled, in
interests, upcoming for someone, broadcast by, watched by...) and put in its order. Each
ordering ends with the id, so pages never overlap. The indexes they use are named beside the
model (livestreams.models).
"""

from datetime import datetime, timedelta

from django.db.models import Case, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from livestreams.models import LiveStream, LiveStreamStatus, ParticipantRole, Participation
from livestreams.selectors.streams import live_streams_for, signed_in
from users.models import User

FEATURED_COUNT = 10
# What guest-streams may be sorted by (its `sortBy`), and the column behind each name.
GUEST_STREAM_SORTS = {
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "startedAt": "started_at",
    "plannedStartDate": "planned_start_date",
    "endedAt": "ended_at",
    "durationGoal": "duration_goal",
    "fundingGoal": "funding_goal",
}


def _interests_of(viewer: User) -> list[str]:
    interests = getattr(viewer, "interests", None) if signed_in(viewer) else None
    return interests if isinstance(interests, list) else []


# --- Live now --------------------------------------------------------------------------------


def live_streams_by_audience(*, viewer: User) -> QuerySet[LiveStream]:
    """whats-live-now: the `active` streams, most viewers now first, then the latest start."""
    return (
        live_streams_for(viewer=viewer)
        .live()
        .order_by("-viewer_count", F("started_at").desc(nulls_last=True), "-id")
    )


def live_streams_featured(*, viewer: User) -> list[LiveStream]:
    """featured: the first `FEATURED_COUNT` of whats-live-now."""
    return list(live_streams_by_audience(viewer=viewer)[:FEATURED_COUNT])


def live_streams_for_you_live(*, viewer: User) -> QuerySet[LiveStream]:
    """for-you/live: whats-live-now in the caller's interests (none without interests)."""
    return live_streams_by_audience(viewer=viewer).in_interests(_interests_of(viewer))


# --- Coming up -------------------------------------------------------------------------------


def live_streams_for_you_scheduled(*, viewer: User) -> QuerySet[LiveStream]:
    """for-you/scheduled: `scheduled` streams in the caller's interests, soonest first."""
    return (
        live_streams_for(viewer=viewer)
        .scheduled()
        .in_interests(_interests_of(viewer))
        .order_by("planned_start_date", "id")
    )


def live_streams_for_you_crowdfunding(*, viewer: User) -> QuerySet[LiveStream]:
    """for-you/crowdfunding: not-started duocrowd streams in the caller's interests that take
    funding and have not reached their goal, soonest first."""
    return (
        live_streams_for(viewer=viewer)
        .not_started()
        .taking_funding()
        .in_interests(_interests_of(viewer))
        .filter(collected_funding__lt=F("funding_goal"))
        .order_by("planned_start_date", "id")
    )


def live_streams_upcoming(
    *,
    viewer: User,
    person: User,
    before: timedelta,
    after: timedelta,
    now: datetime | None = None,
) -> QuerySet[LiveStream]:
    """my-upcoming-streams and user/{id}/upcoming-live-streams: `person`'s streams as creator
    or invited guest that are `active` or `preparing`, or `scheduled` to start in
    [now − `before`, now + `after`] (both edges included); live ones first, then soonest."""
    now = now or timezone.now()
    return (
        live_streams_for(viewer=viewer)
        .upcoming_for(person, start=now - before, end=now + after)
        .annotate(
            live_first=Case(
                When(status=LiveStreamStatus.ACTIVE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("live_first", "planned_start_date", "id")
    )


def live_stream_active_of(*, viewer: User, creator: User) -> LiveStream | None:
    """my-active-stream and user/{id}/active-stream: `creator`'s `active` stream, if any (at
    most one: the `live_stream_one_active_per_creator` constraint, whose index serves this)."""
    return live_streams_for(viewer=viewer).live().created_by(creator).first()


# --- Invitations and history -----------------------------------------------------------------


def live_streams_invited(
    *,
    viewer: User,
    statuses: list[str] | None = None,
    sort_by: str = "createdAt",
    descending: bool = True,
) -> QuerySet[LiveStream]:
    """guest-streams: the streams `viewer` is invited to as a guest, optionally only in
    `statuses`, sorted by one of `GUEST_STREAM_SORTS` (streams without a value, such as one
    that never started, come last either way)."""
    queryset = live_streams_for(viewer=viewer).invited(viewer)
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    column = F(GUEST_STREAM_SORTS[sort_by])
    tiebreak = "-id" if descending else "id"
    order = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return queryset.order_by(order, tiebreak)


def _latest_end_first(queryset: QuerySet[LiveStream]) -> QuerySet[LiveStream]:
    return queryset.order_by(F("ended_at").desc(nulls_last=True), "-id")


def live_streams_past(*, viewer: User, creator: User) -> QuerySet[LiveStream]:
    """my-past-streams and user/{id}/past-streams: `creator`'s `ended` streams, latest end
    first."""
    return _latest_end_first(live_streams_for(viewer=viewer).ended().created_by(creator))


def live_streams_broadcast(*, viewer: User) -> QuerySet[LiveStream]:
    """my-broadcasted-streams: `ended` streams `viewer` broadcast in (host, or a guest who
    joined), each once, latest end first; `role` says which."""
    return _latest_end_first(live_streams_for(viewer=viewer).ended().broadcast_by(viewer))


def live_streams_watched(*, viewer: User) -> QuerySet[LiveStream]:
    """my-watched-streams: `ended` streams `viewer` joined as audience, each once, by the
    caller's latest join, newest first."""
    latest_join = (
        Participation.objects.filter(
            live_stream=OuterRef("pk"),
            participant__user=viewer,
            role=ParticipantRole.AUDIENCE,
        )
        .order_by("-joined_at")
        .values("joined_at")[:1]
    )
    return (
        live_streams_for(viewer=viewer)
        .ended()
        .watched_by(viewer)
        .annotate(last_watched_at=Subquery(latest_join))
        .order_by(F("last_watched_at").desc(nulls_last=True), "-id")
    )
