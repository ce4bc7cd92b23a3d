"""A stream's audience statistics (GET /participant/stream/{streamId}/statistics, contract
section 9), for its creator, its invited guests and staff.

Only audience stays count (the host's and the guests' do not). How each figure is read:

- `total_viewers`: the distinct people with at least one audience stay (a person has one
  participant row per stream, so distinct participants);
- `peak_concurrent_viewers`: the most stays open at one moment, by a sweep over the stays'
  (start, end) in time order. A stay is open from its join up to, not including, its leave
  (half-open), so a leave and a join at the same instant do not overlap: back-to-back stays
  count once, and a stay that left the instant it joined is never open;
- watch time: each stay's length, an open stay counting until now or, for an ended stream,
  until `ended_at`; a stay never counts past the stream's end nor below zero;
- `total_watch_time_minutes` is the sum in minutes and `average_watch_time_minutes` that sum
  per viewer, both from the exact seconds, rounded half up to 2 decimals only at the end.

All of it is one query of the stays (join, leave, participant) in time order and one pass in
Python: the figures need every stay anyway, and the sweep needs them sorted.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import Forbidden
from config.api.fields import get_object_or_not_found
from livestreams.models import LiveStream, LiveStreamGuest, ParticipantRole, Participation
from users.models import User

NOT_ALLOWED_TO_SEE_STATISTICS = _(
    "Only the creator, an invited guest or staff can see the statistics of this live stream."
)
MINUTES = Decimal("0.01")
MICROSECONDS_PER_MINUTE = 60_000_000


@dataclass(frozen=True)
class LiveStreamStatistics:
    stream_id: str
    total_viewers: int
    peak_concurrent_viewers: int
    average_watch_time_minutes: Decimal
    total_watch_time_minutes: Decimal


def _minutes(length: timedelta, *, per: int = 1) -> Decimal:
    """Minutes of `length` (divided by `per`), from its exact microseconds, rounded half up
    to 2 decimals."""
    microseconds = Decimal(length // timedelta(microseconds=1))
    return (microseconds / (MICROSECONDS_PER_MINUTE * per)).quantize(
        MINUTES, rounding=ROUND_HALF_UP
    )


def _peak(stays: list[tuple[datetime, datetime]]) -> int:
    """The most stays open at one moment; at equal instants a leave comes before a join."""
    changes = [(start, 1) for start, end in stays if end > start]
    changes += [(end, -1) for start, end in stays if end > start]
    # -1 sorts before +1 at the same instant: the half-open rule of the module docstring.
    changes.sort()
    peak = current = 0
    for _moment, change in changes:
        current += change
        peak = max(peak, current)
    return peak


def statistics_of(*, live_stream: LiveStream, now: datetime | None = None) -> LiveStreamStatistics:
    """The audience figures of `live_stream` (one query)."""
    now = now or timezone.now()
    rows = (
        Participation.objects.filter(live_stream=live_stream, role=ParticipantRole.AUDIENCE)
        .order_by("joined_at", "id")
        .values_list("participant_id", "joined_at", "left_at")
    )
    viewers = set()
    stays = []
    total = timedelta()
    for participant_id, joined_at, left_at in rows:
        viewers.add(participant_id)
        end = left_at or now
        if live_stream.ended_at is not None:
            # An open stay of an ended stream counts until the end, never until now.
            end = min(end, live_stream.ended_at)
        end = max(end, joined_at)
        stays.append((joined_at, end))
        total += end - joined_at
    total_viewers = len(viewers)
    average = _minutes(total, per=total_viewers) if total_viewers else Decimal("0.00")
    return LiveStreamStatistics(
        stream_id=live_stream.pk,
        total_viewers=total_viewers,
        peak_concurrent_viewers=_peak(stays),
        average_watch_time_minutes=average,
        total_watch_time_minutes=_minutes(total),
    )


def live_stream_statistics(*, live_stream_id: str, viewer: User) -> LiveStreamStatistics:
    """The statistics of a visible stream for its creator, an invited guest or staff.

    Refuses: an unknown, deleted or ill-shaped id (NotFound); anyone else (Forbidden).
    """
    live_stream = get_object_or_not_found(LiveStream.objects.visible(), live_stream_id)
    allowed = (
        viewer.is_staff
        or live_stream.creator_id == viewer.pk
        or LiveStreamGuest.objects.filter(live_stream=live_stream, user=viewer).exists()
    )
    if not allowed:
        raise Forbidden(NOT_ALLOWED_TO_SEE_STATISTICS)
    return statistics_of(live_stream=live_stream)
