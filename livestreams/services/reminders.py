"""Reminders (contract section 8): "tell me when this stream goes live". The notification
itself is sent when the stream goes live (contract section 10); these are the rows it reads."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict
from livestreams.models import (
    NOT_STARTED_STATUSES,
    LiveStream,
    LiveStreamReminder,
    LiveStreamStatus,
)
from livestreams.services.common import STREAM_IS_OVER, share_lock
from livestreams.services.housekeeping import catch_up
from users.models import User

REMINDER_ALREADY_LIVE = _("This live stream is already live; join it instead.")


def live_stream_reminder_set(*, live_stream: LiveStream, user: User) -> LiveStreamReminder:
    """Remind `user` when `live_stream` goes live. Setting it again keeps the one reminder,
    also when two requests arrive together (the unique constraint decides; the loser reads
    the winner's row).

    Refuses a stream that is not `scheduled` or `preparing` (Conflict: REMINDER_ALREADY_LIVE
    for an active one, STREAM_IS_OVER for a finished one); a deleted stream is NotFound. A
    stream that housekeeping would expire is expired first (and refused), as joins do.
    """
    catch_up(live_stream)
    with transaction.atomic():
        # A shared lock, as joins take: a cancel or a go-live in flight finishes first, so a
        # reminder is never added to a stream that has just moved on.
        current = share_lock(live_stream)
        if current.status not in NOT_STARTED_STATUSES:
            raise Conflict(
                REMINDER_ALREADY_LIVE
                if current.status == LiveStreamStatus.ACTIVE
                else STREAM_IS_OVER
            )
        reminder, _created = LiveStreamReminder.objects.get_or_create(
            user=user, live_stream=current
        )
    return reminder


@transaction.atomic
def live_stream_reminder_clear(*, live_stream: LiveStream, user: User) -> bool:
    """Remove `user`'s reminder for `live_stream`, if there is one (whatever the stream's
    status); answers whether one was removed. Refuses nothing."""
    deleted, _per_model = LiveStreamReminder.objects.filter(
        user=user, live_stream=live_stream
    ).delete()
    return deleted > 0
