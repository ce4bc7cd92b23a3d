"""A caller's access to a stream's replay, and the recording URL it may fetch (contract
sections 1 and 5)."""

import math
from datetime import datetime

from django.utils import timezone

from livestreams.models import LiveStream, LiveStreamStatus, ReplayRental
from users.models import User

# A recording URL handed out is signed for at most this long (contract section 5).
RECORDING_URL_MAX_SECONDS = 3600


def replay_is_rentable(live_stream: LiveStream) -> bool:
    """An `ended` stream with a recording, the replay turned on and a price."""
    return bool(
        live_stream.status == LiveStreamStatus.ENDED
        and live_stream.recording
        and live_stream.is_active_replay_on_creator_profile
        and live_stream.replay_credit_price
    )


def _latest_rental(live_stream: LiveStream, viewer: User) -> tuple[datetime | None, ...]:
    if hasattr(live_stream, "viewer_rental_expires_at"):  # annotated by live_streams_for
        return live_stream.viewer_rented_at, live_stream.viewer_rental_expires_at
    rental = (
        ReplayRental.objects.filter(live_stream=live_stream, user=viewer)
        .order_by("-expires_at")
        .values_list("rented_at", "expires_at")
        .first()
    )
    return rental or (None, None)


def replay_access(
    *, live_stream: LiveStream, viewer: User | None, now: datetime | None = None
) -> dict:
    """The caller's ReplayAccess (contract section 1):

    - `owner`: the creator, who may always view and never rents;
    - `rented`: an unexpired rental, which may view until `expiresAt` (even if the creator
      turns the replay off meanwhile: it was paid for);
    - `expired`: the latest rental ran out and the replay may be rented again;
    - `available`: may rent (see `replay_is_rentable`);
    - `unavailable`: anything else (a past rental of a replay no longer rentable included).
    """
    now = now or timezone.now()
    price = live_stream.replay_credit_price
    rentable = replay_is_rentable(live_stream)
    signed_in = viewer is not None and viewer.is_authenticated
    rented_at, expires_at = _latest_rental(live_stream, viewer) if signed_in else (None, None)
    remaining = None
    if signed_in and live_stream.creator_id == viewer.pk:
        status, can_rent, can_view = "owner", False, True
        rented_at = expires_at = None
    elif expires_at is not None and expires_at > now:
        status, can_rent, can_view = "rented", False, True
        remaining = math.ceil((expires_at - now).total_seconds())
    elif expires_at is not None and rentable:
        status, can_rent, can_view = "expired", True, False
        remaining = 0
    elif rentable:
        status, can_rent, can_view = "available", True, False
    else:
        status, can_rent, can_view = "unavailable", False, False
        rented_at = expires_at = None
    return {
        "status": status,
        "can_rent": can_rent,
        "can_view_recording": can_view,
        "price": price,
        "rented_at": rented_at,
        "expires_at": expires_at,
        "remaining_seconds": remaining,
    }


def recording_url_for(*, live_stream: LiveStream, access: dict) -> str | None:
    """Where the caller may fetch the recording, if `access` lets them view it: the attached
    URL as it is, or the stored file's URL. On S3 the file's URL is pre-signed to expire
    within the hour and no later than the caller's rental, whatever the storage's own
    `querystring_auth` says (photos may be public; a paid recording never is). May be a
    relative URL (local files): the serializer makes it absolute."""
    if not access["can_view_recording"]:
        return None
    if not live_stream.recording_file:
        return live_stream.recording_url or None
    expires_in = RECORDING_URL_MAX_SECONDS
    if access["remaining_seconds"] is not None:
        expires_in = max(1, min(expires_in, access["remaining_seconds"]))
    return _storage_url(live_stream.recording_file, expires_in=expires_in)


def _storage_url(file, *, expires_in: int) -> str:
    storage = file.storage
    bucket = getattr(storage, "bucket_name", None)
    if bucket is None:  # not S3: the storage's own URL
        return file.url
    if storage.querystring_auth and not storage.custom_domain:
        return storage.url(file.name, expire=expires_in)
    # Signed with the storage's own credentials, whatever its public URL settings.
    return storage.connection.meta.client.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": storage._normalize_name(file.name)},
        ExpiresIn=expires_in,
    )
