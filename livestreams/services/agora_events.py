"""Agora's Notification Center (NCS) events (contract section 12): verified, stored once per
`noticeId`, and applied where they say something the API does not already know.

Agora's events are an extra signal, never the only one: the API's own joins, leaves and
housekeeping keep every rule without them, so an event only ever *confirms* what a rule
allows, and anything doubtful (an unknown channel or uid, an event older than what we have,
a join the rules would refuse) is stored for staff with an `outcome` that says why it did
nothing.

What each event does (product 1 is the RTC channel, product 3 Cloud Recording):

- 103/105 (a broadcaster's or an audience member's join) and 104/106 (their leave) move the
  presence of one uid, ordered per (stream, uid) by `clientSeq` in `AgoraPresence`: an event
  whose `clientSeq` is lower than or equal to the stored one is stale and does nothing.
  - A newer leave closes that participant's open stay (so `hasJoined` and `viewerCount`
    follow), unless the stay began after the leave happened (`ts`): the person has come
    back through the API since, and a late leave must not throw them out.
  - A newer join re-opens a stay only for a known participant with none open, and only if
    the API would let them in now: the stream is `active`, they are not banned, a paid
    stream's audience member holds a ticket (a webhook never charges), and they left before
    this join happened (`ts`; a late join must not undo a leave made through the API since).
    A join never starts a stream: the host's first join is the API's.
  - 111/112 (role changes) are stored and do nothing: the role a participant holds is the
    API's (which token they were given), not the SDK's.
- 102 (channel destroyed) ends an `active` stream whose host has no open stay and left more
  than LIVE_STREAM_GRACE_MINUTES ago (the host's last leave, or the stream's start if the
  host has no stay at all); otherwise nothing changes. Checked under the stream's row lock,
  so a host who rejoins meanwhile keeps the stream.
- 31 (Cloud Recording uploaded) attaches the recording: the file list's playlist (`.m3u8`,
  the one of all users mixed first) or else its MP4, joined to AGORA_RECORDING_BASE_URL.
  Without that setting the event is stored and the outcome says it was not attached.

Everything else (101, 107/108, other Cloud Recording events, Agora's `test_webhook` check) is
stored and answered. A refusal by a service while applying an event (a stream deleted
meanwhile, a recording URL too long) is the event's outcome, not an error: Agora would only
deliver the same notice again.
"""

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import AuthenticationRequired, DomainError
from livestreams.models import (
    AgoraEvent,
    AgoraPresence,
    LiveStream,
    LiveStreamStatus,
    Participant,
    ParticipantRole,
    Participation,
)
from livestreams.realtime import events
from livestreams.services.bans import is_banned
from livestreams.services.common import lock, share_lock
from livestreams.services.lifecycle import live_stream_end
from livestreams.services.replays import live_stream_recording_attach
from users.credits import services as credits

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Agora-Signature-V2"
SIGNATURE_INVALID = _("The Agora-Signature-V2 header is missing or does not match the body.")

PRODUCT_RTC = 1
PRODUCT_CLOUD_RECORDING = 3
CHANNEL_DESTROY = 102
BROADCASTER_JOIN, BROADCASTER_LEAVE = 103, 104
AUDIENCE_JOIN, AUDIENCE_LEAVE = 105, 106
JOINS = frozenset({BROADCASTER_JOIN, AUDIENCE_JOIN})
LEAVES = frozenset({BROADCASTER_LEAVE, AUDIENCE_LEAVE})
ROLE_CHANGES = frozenset({111, 112})
RECORDING_UPLOADED = 31

OUTCOME_MAX_LENGTH = AgoraEvent._meta.get_field("outcome").max_length
CHANNEL_NAME_MAX_LENGTH = AgoraEvent._meta.get_field("channel_name").max_length


def agora_signature_verify(*, body: bytes, signature: str | None) -> None:
    """Refuse with AuthenticationRequired (401) a body whose `Agora-Signature-V2` is not the
    hex HMAC-SHA256 of the raw body with AGORA_NCS_SECRET (compared in constant time; an
    unset secret refuses every call)."""
    secret = settings.AGORA_NCS_SECRET
    if not secret or not signature:
        raise AuthenticationRequired(SIGNATURE_INVALID)
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    # Bytes, so a header of any characters compares (and fails) instead of raising.
    given = signature.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected, given):
        raise AuthenticationRequired(SIGNATURE_INVALID)


@dataclass(frozen=True)
class AgoraNotice:
    """One verified, well-formed notice (api.agora_views validates the body)."""

    notice_id: str
    product_id: int
    event_type: int
    payload: dict
    notify_ms: int | None = None
    # The whole body as Agora sent it (stored for staff).
    body: dict = field(default_factory=dict)

    @property
    def channel_name(self) -> str:
        """The channel the notice is about: `channelName` (RTC) or `cname` (Cloud
        Recording)."""
        key = "cname" if self.product_id == PRODUCT_CLOUD_RECORDING else "channelName"
        value = self.payload.get(key)
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class AgoraEventResult:
    event: AgoraEvent
    # True when this noticeId had been stored already (nothing was done again).
    duplicate: bool


def agora_event_receive(*, notice: AgoraNotice) -> AgoraEventResult:
    """Store `notice` and apply it (see the module docstring); the same `noticeId` again,
    even at the same moment, changes nothing and answers the stored event.

    Refuses nothing: what it cannot apply is the stored event's outcome.
    """
    try:
        with transaction.atomic():
            event = AgoraEvent.objects.create(
                notice_id=notice.notice_id,
                product_id=notice.product_id,
                event_type=notice.event_type,
                notify_ms=notice.notify_ms,
                channel_name=notice.channel_name[:CHANNEL_NAME_MAX_LENGTH],
                payload=notice.body,
            )
            live_stream = (
                LiveStream.objects.filter(channel_name=notice.channel_name).first()
                if notice.channel_name
                else None
            )
            event.live_stream = live_stream
            event.outcome = _apply(notice, live_stream)[:OUTCOME_MAX_LENGTH]
            event.save(update_fields=["live_stream", "outcome"])
    except IntegrityError:
        # The same notice, delivered again (or at the same moment): it was handled once.
        existing = AgoraEvent.objects.filter(notice_id=notice.notice_id).first()
        if existing is None:
            raise
        return AgoraEventResult(event=existing, duplicate=True)
    logger.info(
        "Agora %s/%s %s: %s", event.product_id, event.event_type, event.notice_id, event.outcome
    )
    return AgoraEventResult(event=event, duplicate=False)


def _apply(notice: AgoraNotice, live_stream: LiveStream | None) -> str:
    handler = _handler_of(notice)
    if handler is None:
        return "stored"
    if live_stream is None:
        return "unknown channel"
    try:
        # A savepoint: a refusal half-way leaves nothing of the change, and the event stays.
        with transaction.atomic():
            return handler(notice, live_stream)
    except DomainError as refusal:
        return f"not applied: {refusal.message}"


def _handler_of(notice: AgoraNotice):
    if notice.product_id == PRODUCT_RTC:
        if notice.event_type in JOINS | LEAVES:
            return _presence
        if notice.event_type == CHANNEL_DESTROY:
            return _channel_destroyed
        if notice.event_type in ROLE_CHANGES:
            return lambda _notice, _stream: "role change: no effect"
    if notice.product_id == PRODUCT_CLOUD_RECORDING and notice.event_type == RECORDING_UPLOADED:
        return _recording_uploaded
    return None


# --- Presence (103-106) ----------------------------------------------------------------------


def _happened_at(payload: dict) -> datetime | None:
    """Agora's `ts`: when the event happened on its side (whole seconds)."""
    ts = payload.get("ts")
    return datetime.fromtimestamp(ts, tz=UTC) if isinstance(ts, int) else None


def _presence(notice: AgoraNotice, live_stream: LiveStream) -> str:
    uid, client_seq = notice.payload.get("uid"), notice.payload.get("clientSeq")
    if not isinstance(uid, int) or not isinstance(client_seq, int):
        return "no uid or clientSeq: no effect"
    # Stream first (FOR SHARE, as joins take it), so a ban or an end cannot cross a re-open.
    current = share_lock(live_stream)
    participant = Participant.objects.filter(live_stream=current, uid=uid).first()
    if participant is None:
        return f"unknown uid {uid}: no effect"
    joined = notice.event_type in JOINS
    newer = _presence_advance(
        live_stream=current,
        uid=uid,
        client_seq=client_seq,
        event_type=notice.event_type,
        in_channel=joined,
    )
    if not newer:
        return f"stale: clientSeq {client_seq} is not newer for uid {uid}"
    happened_at = _happened_at(notice.payload)
    if joined:
        return _rejoin(current, participant, happened_at=happened_at)
    return _leave(current, participant, happened_at=happened_at)


def _presence_advance(
    *, live_stream: LiveStream, uid: int, client_seq: int, event_type: int, in_channel: bool
) -> bool:
    """Record this uid's newest event if `client_seq` is newer than the stored one; False
    (and nothing changed) for a stale event. The row is locked, so two events for one uid at
    once are ordered; a first event races on the unique constraint and the loser compares
    with the winner."""
    values = {"client_seq": client_seq, "event_type": event_type, "in_channel": in_channel}
    presence = (
        AgoraPresence.objects.select_for_update().filter(live_stream=live_stream, uid=uid).first()
    )
    if presence is None:
        try:
            with transaction.atomic():
                AgoraPresence.objects.create(live_stream=live_stream, uid=uid, **values)
            return True
        except IntegrityError:
            presence = AgoraPresence.objects.select_for_update().get(
                live_stream=live_stream, uid=uid
            )
    if client_seq <= presence.client_seq:
        return False
    for name, value in values.items():
        setattr(presence, name, value)
    presence.save(update_fields=[*values, "updated_at"])
    return True


def _leave(live_stream: LiveStream, participant: Participant, *, happened_at) -> str:
    stay = Participation.objects.filter(participant=participant, left_at__isnull=True).first()
    if stay is None:
        return f"left: uid {participant.uid} had no open stay"
    # `ts` is whole seconds: a stay that began within the second of the leave began before it.
    if happened_at is not None and stay.joined_at >= happened_at + timedelta(seconds=1):
        return f"left: uid {participant.uid} has joined again since, stay kept"
    Participation.objects.filter(pk=stay.pk, left_at__isnull=True).update(left_at=timezone.now())
    if participant.role == ParticipantRole.AUDIENCE:
        events.viewer_count_changed(live_stream.pk)
    return f"left: closed the stay of uid {participant.uid}"


def _rejoin_refusal(live_stream: LiveStream, participant: Participant, happened_at) -> str:
    """Why the API would not let this participant back in now ("" when it would)."""
    if live_stream.status != LiveStreamStatus.ACTIVE:
        return f"the stream is {live_stream.status}"
    if is_banned(live_stream, participant.user):
        return "banned"
    if (
        participant.role == ParticipantRole.AUDIENCE
        and live_stream.is_paid
        and not credits.has_ticket(viewer=participant.user, live_stream=live_stream)
    ):
        return "no ticket"
    last_left = (
        Participation.objects.filter(participant=participant, left_at__isnull=False)
        .order_by("-left_at")
        .values_list("left_at", flat=True)
        .first()
    )
    if last_left is not None and (happened_at is None or last_left >= happened_at):
        return "left after this join"
    return ""


def _rejoin(live_stream: LiveStream, participant: Participant, *, happened_at) -> str:
    if Participation.objects.filter(participant=participant, left_at__isnull=True).exists():
        return f"joined: uid {participant.uid} already has an open stay"
    refusal = _rejoin_refusal(live_stream, participant, happened_at)
    if refusal:
        return f"joined: not re-opened for uid {participant.uid} ({refusal})"
    try:
        with transaction.atomic():
            Participation.objects.create(
                participant=participant,
                live_stream=live_stream,
                role=participant.role,
                joined_at=timezone.now(),
            )
    except IntegrityError:
        # The partial unique index: an API join opened a stay meanwhile.
        return f"joined: uid {participant.uid} already has an open stay"
    if participant.role == ParticipantRole.AUDIENCE:
        events.viewer_count_changed(live_stream.pk)
    return f"joined: re-opened a stay for uid {participant.uid}"


# --- Channel destroyed (102) -----------------------------------------------------------------


def _channel_destroyed(notice: AgoraNotice, live_stream: LiveStream) -> str:
    # FOR UPDATE: a host's join (FOR SHARE) waits, so "the host is away" holds until the end.
    locked = lock(live_stream)
    if locked.status != LiveStreamStatus.ACTIVE:
        return f"channel destroyed: the stream is {locked.status}, no change"
    host_stays = Participation.objects.filter(
        live_stream=locked, participant__role=ParticipantRole.HOST
    )
    if host_stays.filter(left_at__isnull=True).exists():
        return "channel destroyed: the host is still in, no change"
    last_left = (
        host_stays.order_by("-left_at").values_list("left_at", flat=True).first()
        or locked.started_at
    )
    grace = timedelta(minutes=settings.LIVE_STREAM_GRACE_MINUTES)
    if last_left is None or timezone.now() - last_left <= grace:
        return "channel destroyed: the host left within the grace, no change"
    live_stream_end(live_stream=locked, actor=None)
    return "channel destroyed: ended the stream"


# --- Cloud Recording uploaded (31) -----------------------------------------------------------


def _recorded_file(details: dict) -> str | None:
    """The file to play back: a playlist (`.m3u8`, the one of all users mixed first), else an
    MP4 (the same preference); None when the list has neither."""
    files = [item for item in details.get("fileList") or [] if isinstance(item, dict)]
    for extension in (".m3u8", ".mp4"):
        names = [
            (not item.get("mixedAllUser"), item["fileName"])
            for item in files
            if isinstance(item.get("fileName"), str)
            and item["fileName"].lower().endswith(extension)
        ]
        if names:
            return min(names, key=lambda pair: pair[0])[1]
    return None


def _recording_uploaded(notice: AgoraNotice, live_stream: LiveStream) -> str:
    details = notice.payload.get("details")
    details = details if isinstance(details, dict) else {}
    status = details.get("status", 0)
    if status != 0:
        return f"recording not attached: upload status {status}"
    name = _recorded_file(details)
    if name is None:
        return "recording not attached: no playlist or MP4 in the file list"
    if any(part in {"..", "."} for part in name.split("/")):
        # A name that climbs out of the bucket's prefix is never a recording of ours.
        return "recording not attached: the file name has . or .. segments"
    base_url = settings.AGORA_RECORDING_BASE_URL
    if not base_url:
        return "recording not attached: AGORA_RECORDING_BASE_URL is not set"
    url = f"{base_url.rstrip('/')}/{quote(name.lstrip('/'), safe='/')}"
    live_stream_recording_attach(live_stream=live_stream, url=url)
    return f"recording attached: {url}"
