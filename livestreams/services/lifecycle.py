"""The lifecycle of a stream after creation (contract sections 4 and 7): delete, restore,
cancel, end, replay settings. The API and the operator admin (`actor=None`) call the same
functions. Whatever ends a stream settles its money in the same transaction (money.settle).
A cancel (or the delete of a stream that never went live) tells the guests, and the creator
when someone else did it (users.notifications; sent after the commit).
"""

from django.db import transaction
from django.utils import timezone

from config.api.errors import Conflict, Forbidden, InvalidInput
from livestreams.models import MAX_PRICE, NOT_STARTED_STATUSES, LiveStream, LiveStreamStatus
from livestreams.services import money
from livestreams.services.common import (
    ACTIVE_CANNOT_BE_CANCELLED,
    ACTIVE_CANNOT_BE_DELETED,
    ALREADY_DELETED,
    NOT_CREATOR_OR_GUEST,
    NOT_DELETED,
    NOT_STARTED_CANNOT_END,
    NOTHING_TO_CHANGE,
    PRICE_OUT_OF_RANGE,
    REPLAY_ALREADY_OFF,
    close_open_participations,
    is_guest,
    lock,
    lock_to_change,
    move,
    require_creator,
)
from users.models import User
from users.notifications import services as notifications

# --- Lifecycle -------------------------------------------------------------------------------


@transaction.atomic
def live_stream_delete(*, live_stream: LiveStream, actor: User | None) -> LiveStream:
    """Soft-delete a stream (the creator, or the operator with `actor=None`).

    A stream that never went live can never run once deleted (housekeeping leaves deleted
    streams alone), so what it holds (contributions, a guest fee) is refunded now.

    Refuses: another user (Forbidden), an active stream (Conflict: end it first), a stream
    already deleted (NotFound to the creator, Conflict to the operator).
    """
    require_creator(live_stream, actor)
    locked = lock(live_stream, include_deleted=actor is None)
    if locked.deleted_at is not None:
        raise Conflict(ALREADY_DELETED)
    if locked.status == LiveStreamStatus.ACTIVE:
        raise Conflict(ACTIVE_CANNOT_BE_DELETED)
    if locked.status in NOT_STARTED_STATUSES:
        # To its guests (and to a creator whose stream the operator deleted) a stream that
        # will now never run is cancelled: the same notification, under the same key.
        notifications.stream_cancelled(locked, actor=actor)
    now = timezone.now()
    locked.deleted_at = now
    locked.save(update_fields=["deleted_at", "updated_at"])
    close_open_participations(locked, now=now)
    money.settle([locked], actor=actor)
    return locked


@transaction.atomic
def live_stream_restore(*, live_stream: LiveStream) -> LiveStream:
    """Undo a soft delete (operators only, from the admin). A duoself stream that has not
    started holds its guest fee again (deleting it refunded the fee); contributions to a
    crowdfunded one were refunded and start again from 0.

    Refuses: a stream that is not deleted (Conflict), so the admin counts only real restores;
    a creator balance below the guest fee (PaymentRequired), restoring nothing.
    """
    locked = lock(live_stream, include_deleted=True)
    if locked.deleted_at is None:
        raise Conflict(NOT_DELETED)
    if locked.status in NOT_STARTED_STATUSES:
        money.guest_fee_rehold(live_stream=locked)
    locked.deleted_at = None
    locked.save(update_fields=["deleted_at", "updated_at"])
    return locked


@transaction.atomic
def live_stream_cancel(*, live_stream: LiveStream, actor: User | None) -> LiveStream:
    """`scheduled`/`preparing` → `cancelled_by_host` (creator, or the operator with
    `actor=None`) or `cancelled_by_guest` (an invited guest).

    Every contribution and the guest fee it holds are refunded in the same transaction.

    Refuses: anyone else (Forbidden); a stream that is active or over (Conflict); a deleted
    stream (NotFound, or Conflict for the operator: restore it first).
    """
    if actor is None or live_stream.creator_id == actor.pk:
        to_status = LiveStreamStatus.CANCELLED_BY_HOST
    elif is_guest(live_stream, actor):
        to_status = LiveStreamStatus.CANCELLED_BY_GUEST
    else:
        raise Forbidden(NOT_CREATOR_OR_GUEST)
    locked = lock_to_change(live_stream, actor=actor)
    now = timezone.now()
    move(locked, to_status, ACTIVE_CANNOT_BE_CANCELLED)
    close_open_participations(locked, now=now)
    money.settle([locked], actor=actor)
    notifications.stream_cancelled(locked, actor=actor)
    return locked


@transaction.atomic
def live_stream_end(*, live_stream: LiveStream, actor: User | None) -> LiveStream:
    """`active` → `ended` with `endedAt`; everyone still in is marked as left. What the
    stream holds is paid out to the guest if they broadcast, refunded otherwise.

    Refuses: anyone but the creator or the operator (Forbidden); a stream that is not active
    (Conflict); a deleted stream (NotFound, or Conflict for the operator).
    """
    require_creator(live_stream, actor)
    locked = lock_to_change(live_stream, actor=actor)
    now = timezone.now()
    move(locked, LiveStreamStatus.ENDED, NOT_STARTED_CANNOT_END, ended_at=now)
    close_open_participations(locked, now=now)
    money.settle([locked], actor=actor)
    return locked


@transaction.atomic
def live_stream_update_replay_settings(
    *, live_stream: LiveStream, actor: User | None, changes: dict
) -> LiveStream:
    """Set `is_active_replay_on_creator_profile` and/or `replay_credit_price` (either may be
    null). Only the keys present in `changes` are touched.

    Refuses: anyone but the creator or the operator (Forbidden); no known key, or a price out
    of range (InvalidInput); a deleted stream (NotFound, or Conflict for the operator).
    """
    require_creator(live_stream, actor)
    allowed = {"is_active_replay_on_creator_profile", "replay_credit_price"}
    changes = {key: value for key, value in changes.items() if key in allowed}
    if not changes:
        raise InvalidInput(NOTHING_TO_CHANGE)
    price = changes.get("replay_credit_price")
    if price is not None and not (0 < price <= MAX_PRICE and price == round(price, 2)):
        raise InvalidInput(PRICE_OUT_OF_RANGE, field="replayCreditPrice")
    locked = lock_to_change(live_stream, actor=actor)
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.save(update_fields=[*changes, "updated_at"])
    return locked


@transaction.atomic
def live_stream_turn_replay_off(*, live_stream: LiveStream) -> LiveStream:
    """The operator hides a replay from the creator's profile.

    Refuses (Conflict): a deleted stream (restore it first), a replay that is already off.
    """
    locked = lock_to_change(live_stream, actor=None)
    if locked.is_active_replay_on_creator_profile is False:
        raise Conflict(REPLAY_ALREADY_OFF)
    locked.is_active_replay_on_creator_profile = False
    locked.save(update_fields=["is_active_replay_on_creator_profile", "updated_at"])
    return locked
