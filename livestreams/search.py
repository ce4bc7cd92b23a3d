"""User search v2 (contract section 8): v1's search (users.selectors.user_search), with each
user's active stream as creator."""

from django.db.models import Prefetch, QuerySet

from livestreams.models import LiveStream
from livestreams.selectors import with_viewer_count
from users.models import User
from users.selectors import user_search

# What `activeLiveStream` shows of a stream (api.search_v2), and what its prefetch needs.
ACTIVE_LIVE_STREAM_FIELDS = ("id", "creator_id", "title", "channel_name", "thumbnail", "started_at")
ACTIVE_LIVE_STREAM_ATTR = "active_live_stream_list"


def active_live_streams() -> QuerySet[LiveStream]:
    """Visible `active` streams with `viewer_count`: the audience in them now (open stays,
    counted by the `ls_participation_open` index). A creator has at most one active stream
    (the `live_stream_one_active_per_creator` constraint)."""
    return with_viewer_count(
        LiveStream.objects.visible().live().only(*ACTIVE_LIVE_STREAM_FIELDS)
    ).order_by("-started_at", "-id")


def user_search_with_active_streams(
    *, query: str = "", expertise: str | None = None
) -> QuerySet[User]:
    """`user_search`, each user with `active_live_stream_list` (their active stream, or
    nothing): the streams of a whole page come in one query, whatever its size."""
    return user_search(query=query, expertise=expertise).prefetch_related(
        Prefetch("live_streams", queryset=active_live_streams(), to_attr=ACTIVE_LIVE_STREAM_ATTR)
    )


def active_live_stream_of(user: User) -> LiveStream | None:
    """The active stream prefetched by `user_search_with_active_streams`, or None."""
    streams = getattr(user, ACTIVE_LIVE_STREAM_ATTR, None)
    if streams is None:
        streams = list(active_live_streams().filter(creator=user)[:1])
    return streams[0] if streams else None
