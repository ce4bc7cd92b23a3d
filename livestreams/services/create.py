"""Creating a stream (contract section 4), and what a duo stream costs at creation
(section 5): a `duocrowd` stream's funding goal, a `duoself` creator's guest fee."""

import re
import secrets
import string
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.api.errors import InvalidInput
from config.api.ids import new_object_id
from config.images import process_image
from livestreams.models import (
    AccessType,
    LiveStream,
    LiveStreamGuest,
    LiveStreamStatus,
    LiveStreamType,
)
from livestreams.services import money
from livestreams.services.common import (
    CANNOT_INVITE_YOURSELF,
    DUO_TAKES_ONE_GUEST,
    SOLO_TAKES_NO_GUESTS,
    START_TOO_EARLY,
    START_TOO_LATE,
    UNKNOWN_GUEST,
)
from users.credits import services as credits
from users.models import User
from users.notifications import services as notifications
from users.selectors import users_visible

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

    A `duocrowd` stream's funding goal is fixed now (the guest's minute price times
    `duration_goal`; none without a minute price). A `duoself` creator is charged that much
    as the guest's fee, held until the stream settles, in the same transaction as the stream.

    Refuses with InvalidInput: guests that do not fit the type (none for solo, exactly one
    otherwise), the creator as guest, a planned start more than 5 minutes past or 90 days
    ahead, a thumbnail that is not a valid image, and guests who are not visible app users
    (unknown, inactive or staff); with PaymentRequired (402) a duoself creator whose balance
    is below the guest's fee. A price above zero makes the stream paid. The title is stored
    in Unicode NFC. Nothing is stored (and nothing charged) when it refuses.
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
            if live_stream_type == LiveStreamType.DUOSELF:
                # The guest's row is locked below and the creator's balance by the fee:
                # both at once here, in the ledger's one lock order, so this cannot
                # deadlock with a payment between the same two people.
                credits.balances_lock(creator.pk, *unique_guest_ids)
            guests = _lock_guests(unique_guest_ids)
            fee = money.guest_fee_of(
                guest=guests[0] if guests else None, duration_goal=duration_goal
            )
            if live_stream_type == LiveStreamType.DUOCROWD:
                live_stream.funding_goal = fee
            _insert_with_unique_channel_name(live_stream)
            LiveStreamGuest.objects.bulk_create(
                [LiveStreamGuest(live_stream=live_stream, user=guest) for guest in guests]
            )
            money.guest_fee_hold(live_stream=live_stream, creator=creator, fee=fee)
            if guests:
                notifications.guest_invited(live_stream)
    except BaseException:
        # Nothing in the database points at the stored thumbnail: do not leave it behind.
        if live_stream.thumbnail:
            live_stream.thumbnail.storage.delete(live_stream.thumbnail.name)
        raise
    return live_stream
