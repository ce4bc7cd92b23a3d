"""Joining a stream with an Agora token (contract section 4), and the ticket an audience
join of a paid stream charges (section 5).

The joins are not one `@transaction.atomic`: `catch_up` commits on its own first, so a stream
found to be over stays over when the join is then refused. The join proper runs in its own
transaction, under the row lock, and a ticket is charged in that same transaction: a join
that fails after the charge (or a 402) leaves neither a charge nor a stay.

A banned person (services.bans) is refused every join and token renewal (Forbidden), checked
under the same lock as the rest, before anything is charged. Opening or closing an audience
stay raises `events.viewer_count_changed`.

`live_stream_watch` is the audience join without an Agora token, for the socket's
`joinStream`: the same rules and the same ticket, and no need for Agora to be configured.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.api.errors import Conflict, Forbidden
from livestreams import agora
from livestreams.models import (
    LiveStream,
    LiveStreamStatus,
    Participant,
    ParticipantRole,
    Participation,
)
from livestreams.realtime import events
from livestreams.services import money
from livestreams.services.bans import require_not_banned
from livestreams.services.common import (
    AUDIENCE_TOO_EARLY,
    CREATOR_ALREADY_LIVE,
    GUEST_JOINS_AS_GUEST,
    GUEST_TOO_EARLY,
    HOST_JOINS_AS_CREATOR,
    NOT_CREATOR,
    NOT_INVITED_GUEST,
    NOT_PARTICIPANT,
    STREAM_IS_OVER,
    is_guest,
    lock,
    move,
    share_lock,
)
from livestreams.services.housekeeping import catch_up
from users.models import User
from users.notifications import services as notifications

# --- Joining ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinResult:
    live_stream: LiveStream
    role: str
    issued: agora.IssuedToken
    # What this join charged: a paid stream's ticket the first time, else 0.
    charged: Decimal = money.ZERO


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
            opened = Participation.objects.create(
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
    if opened.role == ParticipantRole.AUDIENCE:
        events.viewer_count_changed(participant.live_stream_id)
    return opened


def _enter(
    *,
    live_stream: LiveStream,
    user: User,
    role: str,
    device: DeviceDetails | None = None,
    charged: Decimal = money.ZERO,
) -> JoinResult:
    participant = _participant(live_stream=live_stream, user=user, role=role)
    _open_participation(participant=participant, device=device, now=timezone.now())
    issued = agora.issue_token(
        channel_name=live_stream.channel_name,
        uid=participant.uid,
        publisher=participant.is_publisher,
    )
    return JoinResult(
        live_stream=live_stream, role=participant.role, issued=issued, charged=charged
    )


def _check_can_host(live_stream: LiveStream, user: User) -> None:
    if live_stream.creator_id != user.pk:
        raise Forbidden(NOT_CREATOR)
    if live_stream.is_over:
        raise Conflict(STREAM_IS_OVER)


def _check_can_guest(live_stream: LiveStream, user: User) -> None:
    if not is_guest(live_stream, user):
        raise Forbidden(NOT_INVITED_GUEST)
    if live_stream.is_over:
        raise Conflict(STREAM_IS_OVER)
    if live_stream.status not in (LiveStreamStatus.PREPARING, LiveStreamStatus.ACTIVE):
        raise Conflict(GUEST_TOO_EARLY)


def _check_can_watch(live_stream: LiveStream, user: User) -> None:
    if live_stream.creator_id == user.pk:
        raise Conflict(HOST_JOINS_AS_CREATOR)
    if is_guest(live_stream, user):
        raise Conflict(GUEST_JOINS_AS_GUEST)
    require_not_banned(live_stream, user)
    if live_stream.is_over:
        raise Conflict(STREAM_IS_OVER)
    if live_stream.status != LiveStreamStatus.ACTIVE:
        raise Conflict(AUDIENCE_TOO_EARLY)


def live_stream_join_as_creator(*, live_stream: LiveStream, user: User) -> JoinResult:
    """The creator joins with publisher rights; the first join makes the stream `active`.

    Refuses: anyone but the creator (Forbidden); a stream that is over, or that housekeeping
    would expire (Conflict); a second active stream of the same creator (Conflict, enforced
    by a partial unique index, so two concurrent calls for two streams cannot both go live);
    Agora not configured (ServiceUnavailable). Nothing but the housekeeping changes when it
    refuses.
    """
    catch_up(live_stream)
    _check_can_host(live_stream, user)
    agora.credentials()
    with transaction.atomic():
        locked = lock(live_stream)
        _check_can_host(locked, user)
        if locked.status != LiveStreamStatus.ACTIVE:
            try:
                with transaction.atomic():
                    move(locked, LiveStreamStatus.ACTIVE, STREAM_IS_OVER, started_at=timezone.now())
            except IntegrityError as error:
                raise Conflict(CREATOR_ALREADY_LIVE) from error
            notifications.stream_went_live(locked)
        return _enter(live_stream=locked, user=user, role=ParticipantRole.HOST)


def live_stream_join_as_guest(*, live_stream: LiveStream, user: User) -> JoinResult:
    """An invited guest joins with publisher rights while the stream is preparing or active
    (a scheduled stream whose planned start has come counts as preparing).

    Refuses: anyone not invited (Forbidden); a stream not yet preparing, or over, or that
    housekeeping would expire or end (Conflict); Agora not configured (ServiceUnavailable).
    """
    catch_up(live_stream)
    _check_can_guest(live_stream, user)
    agora.credentials()
    with transaction.atomic():
        current = share_lock(live_stream)
        _check_can_guest(current, user)
        return _enter(live_stream=current, user=user, role=ParticipantRole.GUEST)


def live_stream_join_as_audience(
    *, live_stream: LiveStream, user: User, device: DeviceDetails | None = None
) -> JoinResult:
    """Anyone else joins an active stream with subscriber rights; one open stay per person.
    A paid stream charges its price once per person, in the same transaction as the join;
    a ticket holder joins free (`JoinResult.charged` says which).

    Refuses: the creator or an invited guest (Conflict: they have their own joins); a banned
    person (Forbidden); a stream that is not active, or that housekeeping would end
    (Conflict); Agora not configured (ServiceUnavailable); a balance below the price of a
    paid stream (PaymentRequired). Nothing is charged and nobody joins when it refuses.
    """
    catch_up(live_stream)
    _check_can_watch(live_stream, user)
    agora.credentials()
    with transaction.atomic():
        current = share_lock(live_stream)
        _check_can_watch(current, user)
        charged = money.ticket_for(live_stream=current, user=user)
        return _enter(
            live_stream=current,
            user=user,
            role=ParticipantRole.AUDIENCE,
            device=device,
            charged=charged,
        )


def live_stream_watch(
    *, live_stream: LiveStream, user: User, device: DeviceDetails | None = None
) -> Participation:
    """The audience join without an Agora token (the socket's `joinStream`): the same rules,
    the same ticket of a paid stream, the same one open stay, which it answers.

    Refuses what `live_stream_join_as_audience` refuses, except that Agora need not be
    configured.
    """
    catch_up(live_stream)
    _check_can_watch(live_stream, user)
    with transaction.atomic():
        current = share_lock(live_stream)
        _check_can_watch(current, user)
        money.ticket_for(live_stream=current, user=user)
        participant = _participant(live_stream=current, user=user, role=ParticipantRole.AUDIENCE)
        return _open_participation(participant=participant, device=device, now=timezone.now())


def live_stream_refresh_token(*, live_stream: LiveStream, user: User) -> JoinResult:
    """A fresh token for someone who is in the stream now, re-checking every join rule.

    An audience member without a ticket to a paid stream is charged one, as their join
    would be (only possible if the stream became paid after they joined); a ticket holder
    renews free.

    Refuses: a banned person (Forbidden: the ban closed their stay, and "you have not
    joined" would not say why), a stream that is over or that housekeeping would end
    (Conflict, as any join of it would be), then someone with no open stay (Forbidden), then
    whatever their join would refuse (a short balance for that ticket is PaymentRequired).
    """
    catch_up(live_stream)
    require_not_banned(live_stream, user)
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
        current = share_lock(live_stream)
        check(current, user)
        charged = (
            money.ticket_for(live_stream=current, user=user)
            if participant.role == ParticipantRole.AUDIENCE
            else money.ZERO
        )
        issued = agora.issue_token(
            channel_name=current.channel_name,
            uid=participant.uid,
            publisher=participant.is_publisher,
        )
    return JoinResult(live_stream=current, role=participant.role, issued=issued, charged=charged)


@transaction.atomic
def live_stream_leave(*, live_stream: LiveStream, user: User) -> LiveStream:
    """End the caller's open stay. Leaving twice is harmless (mobile apps retry).

    Refuses: someone who never joined (Forbidden).
    """
    participant = Participant.objects.filter(live_stream=live_stream, user=user).first()
    if participant is None:
        raise Forbidden(NOT_PARTICIPANT)
    closed = Participation.objects.filter(participant=participant, left_at__isnull=True).update(
        left_at=timezone.now()
    )
    if closed and participant.role == ParticipantRole.AUDIENCE:
        events.viewer_count_changed(live_stream.pk)
    return live_stream
