"""The server events of contract section 9, as the rest of the code raises them.

Every function here may be called inside a transaction: the event goes out after the commit
(`transaction.on_commit`), and never for work that rolled back. Sending never raises into the
caller: a socket layer that is down loses the event, not the request.

With `REDIS_URL` set, events go through a write-only `socketio.RedisManager` on the channel
every server process listens to. Without it (development), they go to the Socket.IO server
of this process, if there is one.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

LIVE_STREAM_NAMESPACE = "/live-stream"
CHAT_NAMESPACE = "/stream-chat"
NAMESPACES = (LIVE_STREAM_NAMESPACE, CHAT_NAMESPACE)


def stream_room(live_stream_id: str) -> str:
    """The room of one stream's sockets (the same name in both namespaces)."""
    return f"stream:{live_stream_id}"


def _after_commit(send) -> None:
    def run():
        try:
            send()
        except Exception:  # the request has committed; losing the event is all that is left
            logger.exception("socket event not sent")

    transaction.on_commit(run)


_manager = None


def manager():
    """The write-only manager (Redis), built once per process; None without Redis."""
    global _manager
    if _manager is None and settings.REDIS_URL:
        import socketio

        _manager = socketio.RedisManager(
            settings.REDIS_URL, channel=settings.SOCKETIO_CHANNEL, write_only=True
        )
    return _manager


def emit(event: str, data: dict, *, namespace: str, room: str) -> None:
    """Send now (callers use the functions below, which send after commit)."""
    external = manager()
    if external is not None:
        external.emit(event, data, namespace=namespace, room=room)


def _number(value: Decimal | int | float | None):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# --- The events ------------------------------------------------------------------------------


def stream_status(live_stream_id: str, status: str) -> None:
    """`streamStatus` on `/live-stream`, on every lifecycle change."""
    data = {"liveStreamId": live_stream_id, "status": status}
    _after_commit(
        lambda: emit(
            "streamStatus", data, namespace=LIVE_STREAM_NAMESPACE, room=stream_room(live_stream_id)
        )
    )


def viewer_count_changed(live_stream_id: str) -> None:
    """A stay opened or closed in this stream: `viewerCount` follows (at most once a second)."""

    def send():
        from livestreams.models import Participation

        count = Participation.objects.open_audience(live_stream_id).count()
        emit(
            "viewerCount",
            {"liveStreamId": live_stream_id, "viewerCount": count},
            namespace=LIVE_STREAM_NAMESPACE,
            room=stream_room(live_stream_id),
        )

    _after_commit(send)


def funding_updated(live_stream_id: str, collected_funding, funding_percentage) -> None:
    """`fundingUpdated` on `/live-stream` after a contribution."""
    data = {
        "liveStreamId": live_stream_id,
        "collectedFunding": _number(collected_funding),
        "fundingPercentage": _number(funding_percentage),
    }
    _after_commit(
        lambda: emit(
            "fundingUpdated",
            data,
            namespace=LIVE_STREAM_NAMESPACE,
            room=stream_room(live_stream_id),
        )
    )


def new_message(live_stream_id: str, message: dict) -> None:
    """`newMessage` on `/stream-chat`; `message` is the ChatMessage as the API writes it."""
    _after_commit(
        lambda: emit(
            "newMessage", message, namespace=CHAT_NAMESPACE, room=stream_room(live_stream_id)
        )
    )


def message_deleted(live_stream_id: str, message_id: str) -> None:
    """`messageDeleted` on `/stream-chat` when a message is hidden."""
    data = {"liveStreamId": live_stream_id, "messageId": message_id}
    _after_commit(
        lambda: emit(
            "messageDeleted", data, namespace=CHAT_NAMESPACE, room=stream_room(live_stream_id)
        )
    )


def banned(live_stream_id: str, user_id: str) -> None:
    """`banned` to the banned user's sockets in this stream, on both namespaces; they then
    leave the stream's room."""
    # The socket server owns how the user's sockets are found and leave the room.
    logger.debug("ban of %s in %s not sent: no socket server yet", user_id, live_stream_id)
