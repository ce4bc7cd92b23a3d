"""The creator's bans (contract section 9): a banned person's stay is closed, and their joins,
token renewals and chat messages in that stream are refused from then on.

Who can be banned: anyone with an account except the creator and the stream's invited guests.
A guest is part of what the stream was created (and, for duo streams, funded or paid) for;
a creator who no longer wants them cancels the stream instead.

A ban and a join cannot cross: the ban locks the stream's row `FOR UPDATE`, every join holds
it `FOR SHARE` and checks the ban under that lock, so either the join commits first (and the
ban closes the stay it opened) or the join sees the ban.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import Forbidden, InvalidInput
from config.api.fields import get_object_or_not_found
from livestreams.models import LiveStream, LiveStreamBan, Participation
from livestreams.realtime import events
from livestreams.services.common import is_guest, lock, require_creator
from users.models import User

BANNED = _("You have been banned from this live stream.")
CANNOT_BAN_YOURSELF = _("You cannot ban yourself.")
CANNOT_BAN_GUEST = _("An invited guest cannot be banned; cancel the live stream instead.")


def is_banned(live_stream: LiveStream, user: User) -> bool:
    return LiveStreamBan.objects.filter(live_stream=live_stream, user=user).exists()


def require_not_banned(live_stream: LiveStream, user: User) -> None:
    """Forbidden (BANNED) when `user` is banned from `live_stream`."""
    if is_banned(live_stream, user):
        raise Forbidden(BANNED)


def _target(user_id: str) -> User:
    """The person a ban names: any account (NotFound for an unknown or ill-shaped id)."""
    return get_object_or_not_found(User.objects.all(), user_id)


def live_stream_ban(*, live_stream: LiveStream, actor: User | None, user_id: str) -> LiveStreamBan:
    """Ban the user `user_id` from `live_stream`: close their open stay and tell their
    sockets (`banned`). Banning again is harmless: the first ban stays, nothing is sent twice.
    `actor=None` is the operator.

    Refuses: anyone but the creator (Forbidden); an unknown user or a deleted stream
    (NotFound); the creator themselves or an invited guest (InvalidInput on `userId`).
    """
    require_creator(live_stream, actor)
    target = _target(user_id)
    if target.pk == live_stream.creator_id:
        raise InvalidInput(CANNOT_BAN_YOURSELF, field="userId")
    if is_guest(live_stream, target):
        raise InvalidInput(CANNOT_BAN_GUEST, field="userId")
    with transaction.atomic():
        locked = lock(live_stream)
        try:
            with transaction.atomic():
                ban = LiveStreamBan.objects.create(live_stream=locked, user=target, banned_by=actor)
        except IntegrityError:
            # Banned already (or by a concurrent call, which did the rest).
            return LiveStreamBan.objects.get(live_stream=locked, user=target)
        closed = Participation.objects.filter(
            live_stream=locked, participant__user=target, left_at__isnull=True
        ).update(left_at=timezone.now())
        if closed:
            events.viewer_count_changed(locked.pk)
        events.banned(locked.pk, target.pk)
    return ban


@transaction.atomic
def live_stream_unban(*, live_stream: LiveStream, actor: User | None, user_id: str) -> bool:
    """Lift the ban of `user_id` in `live_stream`; answers whether there was one. Lifting a
    ban that does not exist is harmless (apps retry). The person may join again; nothing
    reopens by itself.

    Refuses: anyone but the creator (Forbidden); an unknown user or a deleted stream
    (NotFound).
    """
    require_creator(live_stream, actor)
    target = _target(user_id)
    deleted, _per_model = LiveStreamBan.objects.filter(
        live_stream=live_stream, user=target
    ).delete()
    return deleted > 0
