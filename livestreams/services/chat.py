"""A stream's chat (contract section 9): posting a message, and hiding one.

The REST endpoint and the socket's `sendMessage` call `chat_message_post`, so both keep the
same rules, including the rate limit, which is counted here and not by a DRF throttle.

Content is plain text, stored as it will be shown: Unicode NFC; line breaks (`\\r\\n` and a
lone `\\r`) become `\\n`; a tab becomes a space (removing it would glue two words together);
every other control character (C0, DEL, C1) is removed; then it is trimmed. What is left must
be 1 to CHAT_MESSAGE_MAX_LENGTH characters. Nothing is escaped: the apps show text, not HTML.

A message is not taken under the stream's row lock: one that crosses an end or a ban is one
sent a moment before it, and a lock per message would serialise a busy chat on one row.
"""

import re
import unicodedata

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict, Forbidden, InvalidInput, TooManyRequests
from config.api.throttles import RateLimit, SpacingLimit, spacing_or_window
from livestreams.api.chat_serializers import chat_message_json
from livestreams.models import (
    ChatMessage,
    LiveStream,
    LiveStreamStatus,
    Participant,
    Participation,
)
from livestreams.realtime import events
from livestreams.services.bans import require_not_banned
from livestreams.services.common import STREAM_IS_OVER, is_guest
from users.models import User

CHAT_NOT_LIVE = _("The chat opens when the live stream goes live.")
NOT_IN_CHAT = _(
    "Only the creator, the invited guests and the audience in this live stream can write in "
    "its chat; join it first."
)
NOT_CHAT_READER = _(
    "Only the creator, the guests and people who have joined this live stream can read its chat."
)
NOT_YOUR_MESSAGE = _("Only the sender, the creator of the live stream or staff can delete it.")
# DRF's own wording (and its translations) for the same rules on any other text field.
CONTENT_EMPTY = _("This field may not be blank.")
CONTENT_TOO_LONG = _("Ensure this field has no more than {max_length} characters.")
CHAT_TOO_FAST = _("You are sending messages too fast. Try again in %(seconds)s s.")

RATE_SCOPE = "chat"
# C0 controls but tab and newline, DEL and C1 (what `\r` and tabs become is decided first).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def max_length() -> int:
    return getattr(settings, "CHAT_MESSAGE_MAX_LENGTH", 500)


def clean_content(raw: str) -> str:
    """The text as it is stored (see the module docstring); InvalidInput on `content` when
    nothing is left or too much is."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = unicodedata.normalize("NFC", _CONTROL_CHARACTERS.sub("", text)).strip()
    if not text:
        raise InvalidInput(CONTENT_EMPTY, field="content")
    limit = max_length()
    if len(text) > limit:
        raise InvalidInput(CONTENT_TOO_LONG.format(max_length=limit), field="content")
    return text


def chat_require_reader(*, live_stream: LiveStream, user: User) -> None:
    """Who may read the history: the creator, an invited guest, anyone who has joined the
    stream (a participant, in it now or not), staff.

    Refuses: a banned person (Forbidden: BANNED; they may no longer follow the stream at
    all), anyone else (Forbidden: NOT_CHAT_READER). No query for staff and the creator, at
    most three for others.
    """
    if user.is_staff or live_stream.creator_id == user.pk:
        return
    require_not_banned(live_stream, user)
    if is_guest(live_stream, user):
        return
    if not Participant.objects.filter(live_stream=live_stream, user=user).exists():
        raise Forbidden(NOT_CHAT_READER)


def chat_require_writer(*, live_stream: LiveStream, user: User) -> None:
    """The refusals of `chat_message_post` before the content, in its order: a banned person
    (Forbidden), a stream that is not `active` (Conflict), anyone but the creator, an invited
    guest or an audience member with an open stay (Forbidden). The view calls it before
    validating a body, so a stranger learns nothing from the validation messages."""
    require_not_banned(live_stream, user)
    if live_stream.status != LiveStreamStatus.ACTIVE:
        raise Conflict(STREAM_IS_OVER if live_stream.is_over else CHAT_NOT_LIVE)
    if live_stream.creator_id == user.pk or is_guest(live_stream, user):
        return
    in_audience = Participation.objects.filter(
        live_stream=live_stream, participant__user=user, left_at__isnull=True
    ).exists()
    if not in_audience:
        raise Forbidden(NOT_IN_CHAT)


def chat_rate_limit(live_stream: LiveStream, user: User) -> SpacingLimit | RateLimit:
    """The `chat` scope of API_THROTTLE_RATES for one person in one stream: with the default
    `1/second`, any two messages are at least a second apart."""
    return spacing_or_window(RATE_SCOPE, f"{user.pk} {live_stream.pk}")


def chat_message_post(*, live_stream: LiveStream, user: User, content: str) -> ChatMessage:
    """Post `content` to the chat of `live_stream` as `user`, and send it to the stream's
    room (`newMessage`) once committed.

    Refuses, in this order: a banned person (Forbidden); a stream that is not `active`
    (Conflict: CHAT_NOT_LIVE before it starts, STREAM_IS_OVER after); anyone but the creator,
    an invited guest or an audience member with an open stay (Forbidden); content that is
    empty or too long once cleaned (InvalidInput on `content`); a message within the `chat`
    rate (TooManyRequests, with Retry-After). A refused message is not counted.
    """
    chat_require_writer(live_stream=live_stream, user=user)
    text = clean_content(content)
    limit = chat_rate_limit(live_stream, user)
    # Counted before the insert, so two messages sent together cannot both slip under it.
    if not limit.hit():
        raise TooManyRequests(
            CHAT_TOO_FAST % {"seconds": limit.retry_after}, retry_after=limit.retry_after
        )
    try:
        with transaction.atomic():
            message = ChatMessage.objects.create(live_stream=live_stream, sender=user, content=text)
            events.new_message(live_stream.pk, chat_message_json(message))
    except Exception:
        limit.undo()  # nothing was posted
        raise
    return message


def can_hide(message: ChatMessage, actor: User | None) -> bool:
    """The sender, the stream's creator, staff, and the operator (`actor=None`)."""
    if actor is None or actor.is_staff:
        return True
    return actor.pk in (message.sender_id, message.live_stream.creator_id)


def chat_message_hide(*, message: ChatMessage, actor: User | None) -> ChatMessage:
    """Hide `message` from the history and from every client (`messageDeleted`). Hiding it
    again is harmless: the first hiding stays, nothing is sent twice. `actor=None` is the
    operator (the admin).

    Refuses: anyone but the sender, the creator of the stream or staff (Forbidden).
    """
    if not can_hide(message, actor):
        raise Forbidden(NOT_YOUR_MESSAGE)
    now = timezone.now()
    with transaction.atomic():
        # A conditional update: of two concurrent hides, one hides and sends, the other
        # finds it hidden.
        hidden = ChatMessage.objects.filter(pk=message.pk, hidden_at__isnull=True).update(
            hidden_at=now, hidden_by=actor, updated_at=now
        )
        if hidden:
            events.message_deleted(message.live_stream_id, message.pk)
    message.refresh_from_db(fields=["hidden_at", "hidden_by", "updated_at"])
    return message
