"""Replays (contract section 5): attaching a stream's recording, and renting its replay."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict, InvalidInput
from livestreams.models import LiveStream, ReplayRental
from livestreams.selectors import replay_is_rentable
from livestreams.services import money
from livestreams.services.common import lock_to_change, share_lock
from users.credits import services as credits
from users.models import User

RECORDING_URL_OR_FILE = _("Give the recording as a URL or as a file, not both.")
RECORDING_URL_INVALID = _("Enter a valid http or https URL of at most 500 characters.")
REPLAY_OWN_STREAM = _("This is your own live stream; its replay is yours to watch.")
REPLAY_NOT_AVAILABLE = _(
    "This replay is not available to rent: the live stream must have ended, with a "
    "recording, the replay turned on and a replay price."
)
REPLAY_ALREADY_RENTED = _("You already rent this replay; rent it again once it expires.")
RECORDING_URL_MAX_LENGTH = 500


def _check_recording_url(url: str) -> str:
    url = url.strip()
    try:
        if len(url) > RECORDING_URL_MAX_LENGTH:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise InvalidInput(RECORDING_URL_INVALID, field="url") from error
    return url


def live_stream_recording_attach(
    *, live_stream: LiveStream, url: str | None = None, file: File | None = None
) -> LiveStream:
    """Attach a stream's recording (the operator: the admin, `manage.py
    live_stream_recording`, later Agora Cloud Recording): a URL, or a file stored through
    the storage API. Sets `recording: true`; a new recording replaces the old one (an old
    stored file is deleted once the change commits).

    Refuses: neither or both of `url` and `file`, or a URL that is not http(s) (InvalidInput);
    a deleted stream (Conflict: restore it first). Nothing is stored when it refuses.
    """
    if (url is None) == (file is None):
        raise InvalidInput(RECORDING_URL_OR_FILE)
    if url is not None:
        url = _check_recording_url(url)
    stored = None
    try:
        with transaction.atomic():
            locked = lock_to_change(live_stream, actor=None)
            old_file = locked.recording_file.name
            storage = locked.recording_file.storage
            locked.recording = True
            if url is not None:
                locked.recording_url = url
                locked.recording_file = ""
            else:
                name = get_valid_filename(file.name.rsplit("/", 1)[-1]) or "recording"
                locked.recording_url = ""
                locked.recording_file.save(name, file, save=False)
                stored = locked.recording_file.name
            locked.save(
                update_fields=["recording", "recording_url", "recording_file", "updated_at"]
            )
            if old_file and old_file != stored:
                transaction.on_commit(lambda: storage.delete(old_file))
    except BaseException:
        # Nothing in the database points at a file stored before the failure.
        if stored:
            storage.delete(stored)
        raise
    return locked


def live_stream_replay_rent(*, live_stream: LiveStream, user: User) -> ReplayRental:
    """Rent a replay for REPLAY_RENTAL_HOURS: charges `replayCreditPrice` (`replay_rental`;
    the creator earns their share as `replay_income`).

    The stream is read under a shared lock (a change of its replay settings waits, so the
    price charged is the price shown), and both balances are locked before the caller's
    rentals are read, so two rentals at once by one person charge once.

    Refuses (Conflict): the creator; a replay that is not available (the stream has not
    ended, has no recording, its replay is off or has no price); a caller whose rental has
    not expired. PaymentRequired (402): a balance below the price. Nothing is charged when
    it refuses.
    """
    if live_stream.creator_id == user.pk:
        raise Conflict(REPLAY_OWN_STREAM)
    with transaction.atomic():
        current = share_lock(live_stream)
        if not replay_is_rentable(current):
            raise Conflict(REPLAY_NOT_AVAILABLE)
        credits.balances_lock(user.pk, current.creator_id)
        if ReplayRental.objects.filter(
            user=user, live_stream=current, expires_at__gt=timezone.now()
        ).exists():
            raise Conflict(REPLAY_ALREADY_RENTED)
        row = credits.replay_rental_charge(
            viewer=user, creator=current.creator, live_stream=current,
            price=current.replay_credit_price,
        )  # fmt: skip
        money.income_notify(live_stream=current, gross=current.replay_credit_price)
        return ReplayRental.objects.create(
            user=user,
            live_stream=current,
            transaction=row,
            rented_at=row.occurred_at,
            expires_at=row.occurred_at + timedelta(hours=settings.REPLAY_RENTAL_HOURS),
        )
