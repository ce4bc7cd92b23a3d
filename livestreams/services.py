"""Every write to live streams, and the rules that refuse them (contract section 4).

The API views and the operator admin both call these functions. Status changes go through
`_move`, which consults the one state machine (`livestreams.models.TRANSITIONS`). A stream row
is locked `FOR UPDATE` by whatever changes its status, and `FOR SHARE` by joins, so a join
cannot slip in beside an end, a cancel or an expiry and leave someone "in" a finished stream.
"""

import logging
import operator
import re
import secrets
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict, Forbidden, InvalidInput, NotFound, PaymentRequired
from config.api.ids import new_object_id
from config.images import process_image
from livestreams import agora
from livestreams.models import (
    FINAL_STATUSES,
    MAX_PRICE,
    NOT_STARTED_STATUSES,
    AccessType,
    LiveStream,
    LiveStreamGuest,
    LiveStreamStatus,
    LiveStreamType,
    Participant,
    ParticipantRole,
    Participation,
    can_transition,
)
from users.models import User
from users.selectors import users_visible

logger = logging.getLogger(__name__)

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

PLANNED_START_PAST_TOLERANCE = timedelta(minutes=5)
PLANNED_START_MAX_AHEAD = timedelta(days=90)
THUMBNAIL_MAX_SIDE = 1280

# --- Channel names ---------------------------------------------------------------------------
CHANNEL_NAME_MAX_LENGTH = 63  # Agora: under 64 bytes; ours are ASCII
CHANNEL_SUFFIX_LENGTH = 4
CHANNEL_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
_TURKISH = str.maketrans(
    {
        "ı": "i",
        "İ": "i",
        "ş": "s",
        "Ş": "s",
        "ğ": "g",
        "Ğ": "g",
        "ü": "u",
        "Ü": "u",
        "ö": "o",
        "Ö": "o",
        "ç": "c",
        "Ç": "c",
        # Latin letters NFKD leaves whole (they are not a base letter plus an accent), which
        # the ASCII step below would otherwise drop: `Straße` must not become `strae`.
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "ł": "l",
        "Ł": "l",
        "œ": "oe",
        "Œ": "oe",
        "þ": "th",
        "Þ": "th",
    }
)


def channel_name_base(title: str) -> str:
    """`Yeni ürün tanıtımı` → `yeni-urun-tanitimi`: Turkish letters and the Latin letters
    with no decomposition (ß, æ, ø, đ, ł, œ, þ) transliterated, other accents dropped,
    anything else a single `-`, cut to leave room for the suffix."""
    ascii_title = (
        unicodedata.normalize("NFKD", title.translate(_TURKISH))
        .encode("ascii", "ignore")
        .decode("ascii")
        .lower()
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")
    limit = CHANNEL_NAME_MAX_LENGTH - CHANNEL_SUFFIX_LENGTH - 1
    return slug[:limit].rstrip("-") or "live"


def channel_name_for(title: str) -> str:
    suffix = "".join(secrets.choice(CHANNEL_SUFFIX_ALPHABET) for _ in range(CHANNEL_SUFFIX_LENGTH))
    return f"{channel_name_base(title)}-{suffix}"


# --- Helpers ---------------------------------------------------------------------------------


def _lock(live_stream: LiveStream, *, include_deleted: bool = False) -> LiveStream:
    """The stream's row, locked for a status change; NotFound if it went meanwhile."""
    queryset = LiveStream.objects.select_for_update()
    if not include_deleted:
        queryset = queryset.visible()
    locked = queryset.filter(pk=live_stream.pk).first()
    if locked is None:
        raise NotFound()
    return locked


def _lock_to_change(live_stream: LiveStream, *, actor: User | None) -> LiveStream:
    """The stream's row locked for a change by its creator or, with `actor=None`, the
    operator. A deleted stream is NotFound to the creator (the API does not show it) and a
    Conflict to the operator, who sees it in the admin: restore it first."""
    locked = _lock(live_stream, include_deleted=actor is None)
    if locked.deleted_at is not None:
        raise Conflict(STREAM_IS_DELETED)
    return locked


def _share_lock(live_stream: LiveStream) -> LiveStream:
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


def _move(live_stream: LiveStream, to_status: str, refusal, **changes) -> None:
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


def _close_open_participations(live_stream: LiveStream, *, now: datetime) -> int:
    return Participation.objects.filter(live_stream=live_stream, left_at__isnull=True).update(
        left_at=now
    )


def _is_guest(live_stream: LiveStream, user: User) -> bool:
    return LiveStreamGuest.objects.filter(live_stream=live_stream, user=user).exists()


def require_creator(live_stream: LiveStream, actor: User | None) -> None:
    """Forbidden unless `actor` created the stream; `actor=None` is the operator (the admin),
    who may act on any stream. Views call it before validating a body, so a stranger learns
    nothing from the validation messages."""
    if actor is not None and live_stream.creator_id != actor.pk:
        raise Forbidden(NOT_CREATOR)


# --- Create ----------------------------------------------------------------------------------


def _check_guest_ids(
    *, creator: User, live_stream_type: str, guest_ids: Sequence[str]
) -> list[str]:
    """The distinct guest ids, if their number fits the type and the creator is not one."""
    unique_ids = list(dict.fromkeys(guest_ids))
    if live_stream_type == LiveStreamType.SOLO:
        if unique_ids:
            raise InvalidInput(SOLO_TAKES_NO_GUESTS, field="guests")
        return []
    if len(unique_ids) != 1:
        raise InvalidInput(DUO_TAKES_ONE_GUEST, field="guests")
    if creator.pk in unique_ids:
        raise InvalidInput(CANNOT_INVITE_YOURSELF, field="guests")
    return unique_ids


def _lock_guests(guest_ids: list[str]) -> list[User]:
    """The guests as visible app users, locked until the stream is stored: a guest deleted
    in between would otherwise fail the deferred foreign key at commit (a 500), not here.
    Staff, inactive and unknown ids are all the same unknown user. Inside a transaction."""
    found = {
        user.pk: user
        for user in users_visible()
        .select_related(None)
        .select_for_update(no_key=True)
        .filter(pk__in=guest_ids)
    }
    for guest_id in guest_ids:
        if guest_id not in found:
            raise InvalidInput(UNKNOWN_GUEST.format(id=guest_id), field="guests")
    return [found[guest_id] for guest_id in guest_ids]


def _planned_start(planned_start_date: datetime | None, *, now: datetime) -> tuple[datetime, str]:
    if planned_start_date is None:
        return now, LiveStreamStatus.PREPARING
    if planned_start_date < now - PLANNED_START_PAST_TOLERANCE:
        raise InvalidInput(START_TOO_EARLY, field="plannedStartDate")
    if planned_start_date > now + PLANNED_START_MAX_AHEAD:
        raise InvalidInput(START_TOO_LATE, field="plannedStartDate")
    if planned_start_date > now:
        return planned_start_date, LiveStreamStatus.SCHEDULED
    return planned_start_date, LiveStreamStatus.PREPARING


def _insert_with_unique_channel_name(live_stream: LiveStream) -> None:
    # Four random characters make a clash rare; the unique index makes it harmless.
    for _attempt in range(10):
        live_stream.channel_name = channel_name_for(live_stream.title)
        try:
            with transaction.atomic():
                live_stream.save(force_insert=True)
            return
        except IntegrityError:
            if not LiveStream.objects.filter(channel_name=live_stream.channel_name).exists():
                raise
    raise RuntimeError("could not find a free channel name")  # pragma: no cover


def live_stream_create(
    *,
    creator: User,
    title: str,
    live_stream_type: str = LiveStreamType.SOLO,
    guest_ids: Sequence[str] = (),
    thumbnail=None,
    price: Decimal | None = None,
    interest: str | None = None,
    duration_goal: int = 60,
    motivation: str | None = None,
    planned_start_date: datetime | None = None,
) -> LiveStream:
    """Create a stream for `creator`; `preparing` when it starts now, else `scheduled`.

    Refuses with InvalidInput: guests that do not fit the type (none for solo, exactly one
    otherwise), the creator as guest, a planned start more than 5 minutes past or 90 days
    ahead, a thumbnail that is not a valid image, and guests who are not visible app users
    (unknown, inactive or staff). A price above zero makes the stream paid. The title is
    stored in Unicode NFC. Nothing is stored when it refuses.
    """
    now = timezone.now()
    title = unicodedata.normalize("NFC", title)
    unique_guest_ids = _check_guest_ids(
        creator=creator, live_stream_type=live_stream_type, guest_ids=guest_ids
    )
    start, status = _planned_start(planned_start_date, now=now)
    processed = (
        process_image(thumbnail, field="thumbnail", max_side=THUMBNAIL_MAX_SIDE)
        if thumbnail is not None
        else None
    )
    is_paid = price is not None and price > 0
    live_stream = LiveStream(
        id=new_object_id(),
        title=title,
        live_stream_type=live_stream_type,
        creator=creator,
        status=status,
        access_type=AccessType.PAID if is_paid else AccessType.FREE,
        price=price if is_paid else None,
        interest=interest,
        duration_goal=duration_goal,
        motivation=motivation or None,
        planned_start_date=start,
        planned_end_date=LiveStream.planned_end_for(start, duration_goal),
        created_at=now,
    )
    if processed is not None:
        live_stream.thumbnail.save("thumbnail.webp", processed.original, save=False)
    try:
        with transaction.atomic():
            guests = _lock_guests(unique_guest_ids)
            _insert_with_unique_channel_name(live_stream)
            LiveStreamGuest.objects.bulk_create(
                [LiveStreamGuest(live_stream=live_stream, user=guest) for guest in guests]
            )
    except BaseException:
        # Nothing in the database points at the stored thumbnail: do not leave it behind.
        if live_stream.thumbnail:
            live_stream.thumbnail.storage.delete(live_stream.thumbnail.name)
        raise
    return live_stream


# --- Lifecycle -------------------------------------------------------------------------------


@transaction.atomic
def live_stream_delete(*, live_stream: LiveStream, actor: User | None) -> LiveStream:
    """Soft-delete a stream (the creator, or the operator with `actor=None`).

    Refuses: another user (Forbidden), an active stream (Conflict: end it first), a stream
    already deleted (NotFound to the creator, Conflict to the operator).
    """
    require_creator(live_stream, actor)
    locked = _lock(live_stream, include_deleted=actor is None)
    if locked.deleted_at is not None:
        raise Conflict(ALREADY_DELETED)
    if locked.status == LiveStreamStatus.ACTIVE:
        raise Conflict(ACTIVE_CANNOT_BE_DELETED)
    now = timezone.now()
    locked.deleted_at = now
    locked.save(update_fields=["deleted_at", "updated_at"])
    _close_open_participations(locked, now=now)
    return locked


@transaction.atomic
def live_stream_restore(*, live_stream: LiveStream) -> LiveStream:
    """Undo a soft delete (operators only, from the admin).

    Refuses: a stream that is not deleted (Conflict), so the admin counts only real restores.
    """
    locked = _lock(live_stream, include_deleted=True)
    if locked.deleted_at is None:
        raise Conflict(NOT_DELETED)
    locked.deleted_at = None
    locked.save(update_fields=["deleted_at", "updated_at"])
    return locked


@transaction.atomic
def live_stream_cancel(*, live_stream: LiveStream, actor: User | None) -> LiveStream:
    """`scheduled`/`preparing` → `cancelled_by_host` (creator, or the operator with
    `actor=None`) or `cancelled_by_guest` (an invited guest).

    Refuses: anyone else (Forbidden); a stream that is active or over (Conflict); a deleted
    stream (NotFound, or Conflict for the operator: restore it first).
    """
    if actor is None or live_stream.creator_id == actor.pk:
        to_status = LiveStreamStatus.CANCELLED_BY_HOST
    elif _is_guest(live_stream, actor):
        to_status = LiveStreamStatus.CANCELLED_BY_GUEST
    else:
        raise Forbidden(NOT_CREATOR_OR_GUEST)
    locked = _lock_to_change(live_stream, actor=actor)
    now = timezone.now()
    _move(locked, to_status, ACTIVE_CANNOT_BE_CANCELLED)
    _close_open_participations(locked, now=now)
    return locked


@transaction.atomic
def live_stream_end(*, live_stream: LiveStream, actor: User | None) -> LiveStream:
    """`active` → `ended` with `endedAt`; everyone still in is marked as left.

    Refuses: anyone but the creator or the operator (Forbidden); a stream that is not active
    (Conflict); a deleted stream (NotFound, or Conflict for the operator).
    """
    require_creator(live_stream, actor)
    locked = _lock_to_change(live_stream, actor=actor)
    now = timezone.now()
    _move(locked, LiveStreamStatus.ENDED, NOT_STARTED_CANNOT_END, ended_at=now)
    _close_open_participations(locked, now=now)
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
    locked = _lock_to_change(live_stream, actor=actor)
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.save(update_fields=[*changes, "updated_at"])
    return locked


@transaction.atomic
def live_stream_turn_replay_off(*, live_stream: LiveStream) -> LiveStream:
    """The operator hides a replay from the creator's profile.

    Refuses (Conflict): a deleted stream (restore it first), a replay that is already off.
    """
    locked = _lock_to_change(live_stream, actor=None)
    if locked.is_active_replay_on_creator_profile is False:
        raise Conflict(REPLAY_ALREADY_OFF)
    locked.is_active_replay_on_creator_profile = False
    locked.save(update_fields=["is_active_replay_on_creator_profile", "updated_at"])
    return locked


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
    that is over keeps nobody inside."""
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
    if transition.to_status in FINAL_STATUSES:
        Participation.objects.filter(live_stream__in=due, left_at__isnull=True).update(left_at=now)
    return changed


def _catch_up(live_stream: LiveStream) -> None:
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


# --- Joining ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinResult:
    live_stream: LiveStream
    role: str
    issued: agora.IssuedToken


@dataclass(frozen=True)
class DeviceDetails:
    device_type: str = ""
    device_model: str = ""
    os_version: str = ""
    app_version: str = ""
    country: str = ""
    ip_address: str | None = None
    user_agent: str = ""


def _participant(*, live_stream: LiveStream, user: User, role: str) -> Participant:
    """This person's participant row in this stream, made on the first join.

    The uid comes from a hash of (stream, user); on the rare clash with someone else's uid
    in the same stream the next candidate is tried. A concurrent first join by the same
    person loses the insert race and takes the winner's row.
    """
    existing = Participant.objects.filter(live_stream=live_stream, user=user).first()
    if existing is not None:
        return existing
    for attempt in range(16):
        uid = agora.candidate_uid(live_stream_id=live_stream.pk, user_id=user.pk, attempt=attempt)
        try:
            with transaction.atomic():
                return Participant.objects.create(
                    live_stream=live_stream, user=user, role=role, uid=uid
                )
        except IntegrityError:
            existing = Participant.objects.filter(live_stream=live_stream, user=user).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not allocate an Agora uid")  # pragma: no cover


def _open_participation(
    *, participant: Participant, device: DeviceDetails | None, now: datetime
) -> Participation:
    """The participant's open stay, opened now unless one is open already (a second join
    from a crashed app, or a double tap, keeps the first)."""
    existing = Participation.objects.filter(participant=participant, left_at__isnull=True).first()
    if existing is not None:
        return existing
    device = device or DeviceDetails()
    try:
        with transaction.atomic():
            return Participation.objects.create(
                participant=participant,
                live_stream_id=participant.live_stream_id,
                role=participant.role,
                joined_at=now,
                device_type=device.device_type[:50],
                device_model=device.device_model[:100],
                os_version=device.os_version[:50],
                app_version=device.app_version[:50],
                country=device.country[:64],
                ip_address=device.ip_address,
                user_agent=device.user_agent[:300],
            )
    except IntegrityError:
        # The partial unique index refused a second open stay: a concurrent join won.
        return Participation.objects.get(participant=participant, left_at__isnull=True)


def _enter(
    *, live_stream: LiveStream, user: User, role: str, device: DeviceDetails | None = None
) -> JoinResult:
    participant = _participant(live_stream=live_stream, user=user, role=role)
    _open_participation(participant=participant, device=device, now=timezone.now())
    issued = agora.issue_token(
        channel_name=live_stream.channel_name,
        uid=participant.uid,
        publisher=participant.is_publisher,
    )
    return JoinResult(live_stream=live_stream, role=participant.role, issued=issued)


def _check_can_host(live_stream: LiveStream, user: User) -> None:
    if live_stream.creator_id != user.pk:
        raise Forbidden(NOT_CREATOR)
    if live_stream.is_over:
        raise Conflict(STREAM_IS_OVER)


def _check_can_guest(live_stream: LiveStream, user: User) -> None:
    if not _is_guest(live_stream, user):
        raise Forbidden(NOT_INVITED_GUEST)
    if live_stream.is_over:
        raise Conflict(STREAM_IS_OVER)
    if live_stream.status not in (LiveStreamStatus.PREPARING, LiveStreamStatus.ACTIVE):
        raise Conflict(GUEST_TOO_EARLY)


def _check_can_watch(live_stream: LiveStream, user: User) -> None:
    if live_stream.creator_id == user.pk:
        raise Conflict(HOST_JOINS_AS_CREATOR)
    if _is_guest(live_stream, user):
        raise Conflict(GUEST_JOINS_AS_GUEST)
    if live_stream.is_over:
        raise Conflict(STREAM_IS_OVER)
    if live_stream.status != LiveStreamStatus.ACTIVE:
        raise Conflict(AUDIENCE_TOO_EARLY)
    if live_stream.is_paid:
        # Tickets come with credits (contract section 5); until then nobody holds one.
        raise PaymentRequired()


# The joins are not one `@transaction.atomic`: `_catch_up` commits on its own first, so a
# stream found to be over stays over when the join is then refused. The join proper runs in
# its own transaction, under the row lock.


def live_stream_join_as_creator(*, live_stream: LiveStream, user: User) -> JoinResult:
    """The creator joins with publisher rights; the first join makes the stream `active`.

    Refuses: anyone but the creator (Forbidden); a stream that is over, or that housekeeping
    would expire (Conflict); a second active stream of the same creator (Conflict, enforced
    by a partial unique index, so two concurrent calls for two streams cannot both go live);
    Agora not configured (ServiceUnavailable). Nothing but the housekeeping changes when it
    refuses.
    """
    _catch_up(live_stream)
    _check_can_host(live_stream, user)
    agora.credentials()
    with transaction.atomic():
        locked = _lock(live_stream)
        _check_can_host(locked, user)
        if locked.status != LiveStreamStatus.ACTIVE:
            try:
                with transaction.atomic():
                    _move(
                        locked, LiveStreamStatus.ACTIVE, STREAM_IS_OVER, started_at=timezone.now()
                    )
            except IntegrityError as error:
                raise Conflict(CREATOR_ALREADY_LIVE) from error
        return _enter(live_stream=locked, user=user, role=ParticipantRole.HOST)


def live_stream_join_as_guest(*, live_stream: LiveStream, user: User) -> JoinResult:
    """An invited guest joins with publisher rights while the stream is preparing or active
    (a scheduled stream whose planned start has come counts as preparing).

    Refuses: anyone not invited (Forbidden); a stream not yet preparing, or over, or that
    housekeeping would expire or end (Conflict); Agora not configured (ServiceUnavailable).
    """
    _catch_up(live_stream)
    _check_can_guest(live_stream, user)
    agora.credentials()
    with transaction.atomic():
        current = _share_lock(live_stream)
        _check_can_guest(current, user)
        return _enter(live_stream=current, user=user, role=ParticipantRole.GUEST)


def live_stream_join_as_audience(
    *, live_stream: LiveStream, user: User, device: DeviceDetails | None = None
) -> JoinResult:
    """Anyone else joins an active stream with subscriber rights; one open stay per person.

    Refuses: the creator or an invited guest (Conflict: they have their own joins); a stream
    that is not active, or that housekeeping would end (Conflict); a paid stream
    (PaymentRequired, until tickets exist); Agora not configured (ServiceUnavailable).
    """
    _catch_up(live_stream)
    _check_can_watch(live_stream, user)
    agora.credentials()
    with transaction.atomic():
        current = _share_lock(live_stream)
        _check_can_watch(current, user)
        return _enter(live_stream=current, user=user, role=ParticipantRole.AUDIENCE, device=device)


def live_stream_refresh_token(*, live_stream: LiveStream, user: User) -> JoinResult:
    """A fresh token for someone who is in the stream now, re-checking every join rule.

    Refuses: a stream that is over or that housekeeping would end (Conflict, as any join of
    it would be), then someone with no open stay (Forbidden), then whatever their join would
    refuse.
    """
    _catch_up(live_stream)
    if live_stream.is_over:
        # Ending a stream closes every stay, so without this the host would hear "you have
        # not joined" about a stream that has simply ended.
        raise Conflict(STREAM_IS_OVER)
    participant = Participant.objects.filter(live_stream=live_stream, user=user).first()
    if (
        participant is None
        or not Participation.objects.filter(participant=participant, left_at__isnull=True).exists()
    ):
        raise Forbidden(NOT_PARTICIPANT)
    checks = {
        ParticipantRole.HOST: _check_can_host,
        ParticipantRole.GUEST: _check_can_guest,
        ParticipantRole.AUDIENCE: _check_can_watch,
    }
    check = checks[participant.role]
    check(live_stream, user)
    agora.credentials()
    with transaction.atomic():
        current = _share_lock(live_stream)
        check(current, user)
        issued = agora.issue_token(
            channel_name=current.channel_name,
            uid=participant.uid,
            publisher=participant.is_publisher,
        )
    return JoinResult(live_stream=current, role=participant.role, issued=issued)


@transaction.atomic
def live_stream_leave(*, live_stream: LiveStream, user: User) -> LiveStream:
    """End the caller's open stay. Leaving twice is harmless (mobile apps retry).

    Refuses: someone who never joined (Forbidden).
    """
    participant = Participant.objects.filter(live_stream=live_stream, user=user).first()
    if participant is None:
        raise Forbidden(NOT_PARTICIPANT)
    Participation.objects.filter(participant=participant, left_at__isnull=True).update(
        left_at=timezone.now()
    )
    return live_stream
