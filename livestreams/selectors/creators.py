"""Creators worth showing (contract section 8): who is live now, who drew the largest
audience lately."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from livestreams.models import LiveStream, Participant, ParticipantRole
from livestreams.selectors.streams import (
    PROFILE_PHOTO_FIELDS,
    USER_SUMMARY_FIELDS,
    live_streams_for,
    signed_in,
)
from users import selectors as user_selectors
from users.models import User

AUDIENCE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class CatchStreamer:
    creator: User
    active_live_stream: LiveStream


def catch_streamers(*, viewer: User, limit: int) -> list[CatchStreamer]:
    """catch-streamers: the creators of the most recently started `active` streams, each
    with that stream. One entry per creator because a creator has at most one active stream
    (the `live_stream_one_active_per_creator` constraint); read in the order of the
    `live_stream_live_recent` index, which stops after `limit` rows."""
    streams = live_streams_for(viewer=viewer).live().order_by("-started_at", "-id")[:limit]
    return [CatchStreamer(creator=stream.creator, active_live_stream=stream) for stream in streams]


def most_watched_creators(*, viewer: User, limit: int, now: datetime | None = None) -> list[User]:
    """most-watched-creators: creators ranked by how many distinct people joined the
    audience of their streams that went live in the last 30 days, most first (ties by id).

    The ranking is one GROUP BY in SQL over the audience participants of those streams;
    the users come in a second query, each with `expertise` and `is_following` (null for
    anonymous callers and on the caller's own row). Deleted streams do not count; inactive
    and staff accounts are not listed.

    Both sides of the join are read by time: the streams by `live_stream_started_creator`,
    their audience by `ls_participant_audience_recent`. The participant's own `created_at`
    (its first join) bound adds no condition — nobody joins a stream before it went live —
    but lets PostgreSQL read only the last 30 days of audience instead of all of it.
    """
    since = (now or timezone.now()) - AUDIENCE_WINDOW
    ranking = list(
        Participant.objects.filter(
            role=ParticipantRole.AUDIENCE,
            created_at__gte=since,
            live_stream__started_at__gte=since,
            live_stream__deleted_at__isnull=True,
            live_stream__creator__is_active=True,
            live_stream__creator__is_staff=False,
        )
        .values("live_stream__creator")
        .annotate(audience=Count("user", distinct=True))
        .order_by("-audience", "live_stream__creator")
        .values_list("live_stream__creator", flat=True)[:limit]
    )
    if not ranking:
        return []
    users = user_selectors.with_is_following(
        User.objects.filter(pk__in=ranking)
        .select_related("profile_photo")
        .only(
            *USER_SUMMARY_FIELDS,
            "expertise",
            *(f"profile_photo__{field}" for field in PROFILE_PHOTO_FIELDS),
        ),
        viewer=viewer,
    )
    by_id = {user.pk: user for user in users}
    ranked = [by_id[user_id] for user_id in ranking if user_id in by_id]
    if signed_in(viewer):
        for user in ranked:
            if user.pk == viewer.pk:
                user.is_following = None
    return ranked
