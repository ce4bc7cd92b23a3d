"""Lifecycle housekeeping (contract section 4): what time alone makes due, applied by the
command to every stream and by the joins to the stream they join. A stream it expires or
ends settles its money in the same transaction (money.settle)."""

import operator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from livestreams.models import (
    FINAL_STATUSES,
    NOT_STARTED_STATUSES,
    LiveStream,
    LiveStreamStatus,
    Participation,
)
from livestreams.realtime import events
from livestreams.services import money

# --- Housekeeping ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DueTransition:
    """A change that time alone makes due: streams matching `condition` move to `to_status`
    (with `changes`)."""

    to_status: str
    condition: Q
    changes: dict


def due_transitions(now: datetime) -> tuple[DueTransition, ...]:
    """THE housekeeping rule (contract section 4), used by the command for every stream and
    by the joins for the one being joined, so both see a stream the same way.

    - `scheduled`/`preparing` more than the grace past its planned start → `expired`;
    - `active` more than the grace past its planned end → `ended` (with `endedAt`);
    - `scheduled` whose planned start has come (within the grace) → `preparing`.

    The three conditions never overlap, so their order does not matter.
    """
    cutoff = now - timedelta(minutes=settings.LIVE_STREAM_GRACE_MINUTES)
    return (
        DueTransition(
            LiveStreamStatus.EXPIRED,
            Q(status__in=NOT_STARTED_STATUSES, planned_start_date__lt=cutoff),
            {},
        ),
        DueTransition(
            LiveStreamStatus.ENDED,
            Q(status=LiveStreamStatus.ACTIVE, planned_end_date__lt=cutoff),
            {"ended_at": now},
        ),
        DueTransition(
            LiveStreamStatus.PREPARING,
            Q(
                status=LiveStreamStatus.SCHEDULED,
                planned_start_date__lte=now,
                planned_start_date__gte=cutoff,
            ),
            {},
        ),
    )


def _apply_due(
    transition: DueTransition, candidates, *, now: datetime, skip_locked: bool = False
) -> int:
    """Apply `transition` to the visible streams among `candidates` that match it; how many
    changed. Inside a transaction: the rows are locked and the condition re-checked, so two
    runs at once, or a run beside a join or a cancel, never apply a stale change. A stream
    that is over keeps nobody inside, and its money settles in the same transaction."""
    due = list(
        candidates.visible()
        .select_for_update(skip_locked=skip_locked)
        .filter(transition.condition)
        .values_list("pk", flat=True)
    )
    if not due:
        return 0
    changed = (
        LiveStream.objects.filter(pk__in=due)
        .filter(transition.condition)
        .update(status=transition.to_status, updated_at=now, **transition.changes)
    )
    for live_stream_id in due:
        events.stream_status(live_stream_id, transition.to_status)
    if transition.to_status in FINAL_STATUSES:
        left = set(
            Participation.objects.filter(live_stream__in=due, left_at__isnull=True)
            .values_list("live_stream_id", flat=True)
            .distinct()
        )
        Participation.objects.filter(live_stream__in=due, left_at__isnull=True).update(left_at=now)
        for live_stream_id in left:
            events.viewer_count_changed(live_stream_id)
        # The rows are still locked, and carry their new status.
        money.settle_by_id(due)
    return changed


def catch_up(live_stream: LiveStream) -> None:
    """Apply to this one stream whatever housekeeping would do to it now, so a join between
    two runs of the command sees the stream as the command would leave it (a no-show is
    expired, an overrun ended, a scheduled stream whose start has come preparing).

    Runs in its own transaction, committed before the join decides: a join refused because
    the stream turned out to be over must not roll the change back. Costs one query when
    nothing is due. `live_stream` is updated in place.
    """
    now = timezone.now()
    transitions = due_transitions(now)
    this_one = LiveStream.objects.filter(pk=live_stream.pk)
    any_due = reduce(operator.or_, (transition.condition for transition in transitions))
    if not this_one.visible().filter(any_due).exists():
        return
    with transaction.atomic():
        for transition in transitions:
            if _apply_due(transition, this_one, now=now):
                break
    live_stream.refresh_from_db(fields=["status", "ended_at", "updated_at"])


@dataclass(frozen=True)
class HousekeepingResult:
    prepared: int
    expired: int
    ended: int


def live_stream_housekeeping(*, now: datetime | None = None) -> HousekeepingResult:
    """Apply `due_transitions` to every visible stream: expire streams that never went live
    within the grace after their planned start, end live streams that ran past their planned
    end by more than the grace, and move scheduled streams whose start has come to preparing.

    Deleted streams keep their status and are not counted; any stay still open in one that
    would be expired or ended is closed all the same (deleting closes them; this tidies any
    left behind).

    Safe to run every minute and to run twice at once: each change re-checks its condition
    on rows locked for it, and a row being joined or changed is skipped until the next run,
    not overwritten. A second run at the same moment changes nothing.
    """
    now = now or timezone.now()
    counts = {}
    for transition in due_transitions(now):
        with transaction.atomic():
            counts[transition.to_status] = _apply_due(
                transition, LiveStream.objects.all(), now=now, skip_locked=True
            )
            if transition.to_status in FINAL_STATUSES:
                deleted_due = LiveStream.objects.deleted().filter(transition.condition)
                Participation.objects.filter(
                    live_stream__in=deleted_due.values("pk"), left_at__isnull=True
                ).update(left_at=now)
    return HousekeepingResult(
        prepared=counts[LiveStreamStatus.PREPARING],
        expired=counts[LiveStreamStatus.EXPIRED],
        ended=counts[LiveStreamStatus.ENDED],
    )
