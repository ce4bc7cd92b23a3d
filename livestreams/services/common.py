"""What every live-stream service shares: the messages tests assert, and the row locks.

A stream row is locked `FOR UPDATE` by whatever changes its status or its money, and
`FOR SHARE` by joins and rentals, so a join cannot slip in beside an end, a cancel or an
expiry and leave someone "in" a finished stream, and a contribution cannot slip in beside a
cancel and be lost. Locks are always taken stream first, then balances (users.credits).
"""

from datetime import datetime

from django.db import connection
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict, Forbidden, NotFound
from livestreams.models import LiveStream, LiveStreamGuest, Participation, can_transition
from livestreams.realtime import events
from users.models import User

# --- Messages (tests assert these) -----------------------------------------------------------
NOT_CREATOR = _("Only the creator of this live stream can do this.")
NOT_INVITED_GUEST = _("You are not an invited guest of this live stream.")
NOT_CREATOR_OR_GUEST = _("Only the creator or an invited guest can cancel this live stream.")
NOT_PARTICIPANT = _("You have not joined this live stream.")
STREAM_IS_OVER = _("This live stream is over: it has ended, expired or been cancelled.")
ACTIVE_CANNOT_BE_DELETED = _("An active live stream cannot be deleted; end it first.")
ACTIVE_CANNOT_BE_CANCELLED = _("An active live stream cannot be cancelled; end it instead.")
NOT_STARTED_CANNOT_END = _("This live stream has not started; cancel it instead.")
CREATOR_ALREADY_LIVE = _("You already have an active live stream; end it first.")
GUEST_TOO_EARLY = _("Guests can join once the live stream is preparing or active.")
AUDIENCE_TOO_EARLY = _("This live stream is not live yet.")
HOST_JOINS_AS_CREATOR = _("You are the host of this live stream; use join-as-creator.")
GUEST_JOINS_AS_GUEST = _("You are an invited guest of this live stream; use join-as-guest.")
SOLO_TAKES_NO_GUESTS = _("A solo live stream takes no guests.")
DUO_TAKES_ONE_GUEST = _("This type of live stream takes exactly one guest.")
CANNOT_INVITE_YOURSELF = _("You cannot invite yourself.")
UNKNOWN_GUEST = _("No user with the id {id}.")
START_TOO_EARLY = _("The planned start cannot be more than 5 minutes in the past.")
START_TOO_LATE = _("The planned start cannot be more than 90 days ahead.")
NOTHING_TO_CHANGE = _("Send isActiveReplayOnCreatorProfile, replayCreditPrice or both.")
STREAM_IS_DELETED = _("This live stream is deleted; restore it first.")
ALREADY_DELETED = _("This live stream is already deleted.")
NOT_DELETED = _("This live stream is not deleted.")
REPLAY_ALREADY_OFF = _("The replay of this live stream is already off.")
PRICE_OUT_OF_RANGE = _("Must be greater than 0 and at most 100000, with at most 2 decimals.")


# --- Locks -----------------------------------------------------------------------------------


def lock(live_stream: LiveStream, *, include_deleted: bool = False) -> LiveStream:
    """The stream's row, locked for a status change; NotFound if it went meanwhile."""
    queryset = LiveStream.objects.select_for_update()
    if not include_deleted:
        queryset = queryset.visible()
    locked = queryset.filter(pk=live_stream.pk).first()
    if locked is None:
        raise NotFound()
    return locked


def lock_to_change(live_stream: LiveStream, *, actor: User | None) -> LiveStream:
    """The stream's row locked for a change by its creator or, with `actor=None`, the
    operator. A deleted stream is NotFound to the creator (the API does not show it) and a
    Conflict to the operator, who sees it in the admin: restore it first."""
    locked = lock(live_stream, include_deleted=actor is None)
    if locked.deleted_at is not None:
        raise Conflict(STREAM_IS_DELETED)
    return locked


def share_lock(live_stream: LiveStream) -> LiveStream:
    """The stream re-read under a shared row lock: many joins at once, but none beside a
    status change (which takes FOR UPDATE). SQLite locks the whole database instead."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(LiveStream._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR SHARE", [live_stream.pk])
    found = LiveStream.objects.visible().filter(pk=live_stream.pk).first()
    if found is None:
        raise NotFound()
    return found


def move(live_stream: LiveStream, to_status: str, refusal, **changes) -> None:
    """Change a locked stream's status if the state machine allows it, else Conflict.

    `refusal` is the message for a stream that has not finished; a finished one always gets
    STREAM_IS_OVER, which says more than any per-action message could.
    """
    if not can_transition(live_stream.status, to_status):
        raise Conflict(STREAM_IS_OVER if live_stream.is_over else refusal)
    live_stream.status = to_status
    for field, value in changes.items():
        setattr(live_stream, field, value)
    live_stream.save(update_fields=["status", "updated_at", *changes])
    events.stream_status(live_stream.pk, to_status)


def close_open_participations(live_stream: LiveStream, *, now: datetime) -> int:
    closed = Participation.objects.filter(live_stream=live_stream, left_at__isnull=True).update(
        left_at=now
    )
    if closed:
        events.viewer_count_changed(live_stream.pk)
    return closed


def is_guest(live_stream: LiveStream, user: User) -> bool:
    return LiveStreamGuest.objects.filter(live_stream=live_stream, user=user).exists()


def require_creator(live_stream: LiveStream, actor: User | None) -> None:
    """Forbidden unless `actor` created the stream; `actor=None` is the operator (the admin),
    who may act on any stream. Views call it before validating a body, so a stranger learns
    nothing from the validation messages."""
    if actor is not None and live_stream.creator_id != actor.pk:
        raise Forbidden(NOT_CREATOR)
