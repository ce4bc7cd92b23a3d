"""The server events of contract section 9, as the rest of the code raises them.

Every function here may be called inside a transaction: the event goes out after the commit
(`transaction.on_commit`), and never for work that rolled back. Sending never raises into the
caller: a socket layer that is down loses the event, not the request.

Where an event goes:

- With `REDIS_URL` set, through a write-only `socketio.RedisManager` on the channel every
  server process listens to, so a REST request, the admin, a worker or a command reaches the
  sockets of every process.
- Without it (development, `make run`), to the Socket.IO server of this process if one is
  running (`attach_local_server`, called when the server starts): the sync views run in
  threads, so the emit is handed to the server's event loop. With no server in the process
  (a command, the WSGI server) the event is dropped.

`viewerCount` is not sent from here: `viewer_count_changed` only marks the stream as changed
(a Redis set, or a set of this process), and the ticker of the server processes sends the
count, at most once per `SOCKETIO_VIEWER_COUNT_INTERVAL_MS` per stream (see `server.py`). A
request thus never counts the audience, and a burst of joins is one event with the last count.
"""

import asyncio
import json
import logging
import threading
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from config.api.renderers import ApiJSONEncoder

logger = logging.getLogger(__name__)

LIVE_STREAM_NAMESPACE = "/live-stream"
CHAT_NAMESPACE = "/stream-chat"
NAMESPACES = (LIVE_STREAM_NAMESPACE, CHAT_NAMESPACE)

BANNED_EVENT = "banned"
# How long the set of changed streams is kept when no server process takes it (no sockets
# are served at all): the counts are stale by then anyway.
VIEWER_COUNT_DIRTY_TTL_SECONDS = 3600


def stream_room(live_stream_id: str) -> str:
    """The room of one stream's sockets (the same name in both namespaces)."""
    return f"stream:{live_stream_id}"


def member_room(live_stream_id: str, user_id: str) -> str:
    """The room of one signed-in person's sockets in one stream: where `banned` goes."""
    return f"stream:{live_stream_id}:user:{user_id}"


def redis_key(name: str) -> str:
    """A Redis key of the socket layer, kept apart per deployment by the channel name."""
    return f"{settings.SOCKETIO_CHANNEL}:{name}"


def viewer_count_dirty_key() -> str:
    return redis_key("viewer-count:dirty")


class WireJSON:
    """The JSON of every socket packet and Redis message: the API's encoder, so a date-time
    is `2026-01-15T10:30:00.000Z`, money a number and a lazy message a string, as in REST."""

    @staticmethod
    def dumps(data, **kwargs) -> str:
        return json.dumps(data, **{"separators": (",", ":"), **kwargs, "cls": ApiJSONEncoder})

    loads = staticmethod(json.loads)


def _after_commit(send) -> None:
    def run():
        try:
            send()
        except Exception:  # the request has committed; losing the event is all that is left
            logger.exception("socket event not sent")

    transaction.on_commit(run)


# --- Where events go -------------------------------------------------------------------------

_manager = None
_redis = None


def manager():
    """The write-only manager (Redis), built once per process; None without Redis."""
    global _manager
    if _manager is None and settings.REDIS_URL:
        import socketio

        _manager = socketio.RedisManager(
            settings.REDIS_URL,
            channel=settings.SOCKETIO_CHANNEL,
            write_only=True,
            json=WireJSON,
        )
    return _manager


def redis_client():
    """A (sync) Redis client for the socket layer's keys; None without Redis."""
    global _redis
    if _redis is None and settings.REDIS_URL:
        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


class _LocalServer:
    """The Socket.IO server running in this process, for when there is no Redis."""

    def __init__(self):
        self.server = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._dirty: set[str] = set()
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self.server is not None and self.loop is not None and not self.loop.is_closed()

    def submit(self, coroutine) -> None:
        """Run `coroutine` on the server's loop, from its own thread or any other."""
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is self.loop:
            self.loop.create_task(coroutine)
            return
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        future.add_done_callback(_log_failure)

    def mark(self, live_stream_id: str) -> None:
        with self._lock:
            self._dirty.add(live_stream_id)

    def take(self) -> set[str]:
        with self._lock:
            taken, self._dirty = self._dirty, set()
        return taken


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("socket event not sent", exc_info=future.exception())


_local = _LocalServer()


def attach_local_server(server, loop: asyncio.AbstractEventLoop) -> None:
    """The Socket.IO server of this process has started on `loop` (see `server.py`)."""
    _local.server, _local.loop = server, loop


def detach_local_server() -> None:
    _local.server, _local.loop = None, None
    _local.take()


def mark_local_viewer_count(live_stream_id: str) -> None:
    _local.mark(live_stream_id)


def take_local_viewer_counts() -> set[str]:
    """The streams marked changed in this process since the last call (without Redis)."""
    return _local.take()


def emit(event: str, data: dict, *, namespace: str, room: str) -> None:
    """Send now (callers use the functions below, which send after commit)."""
    external = manager()
    if external is not None:
        external.emit(event, data, namespace=namespace, room=room)
    elif _local.running:
        _local.submit(_local.server.emit(event, data, namespace=namespace, room=room))


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
    """A stay opened or closed in this stream: `viewerCount` follows (at most once per
    interval, from the ticker of a server process)."""

    def mark():
        client = redis_client()
        if client is not None:
            key = viewer_count_dirty_key()
            with client.pipeline(transaction=False) as pipeline:
                pipeline.sadd(key, live_stream_id)
                pipeline.expire(key, VIEWER_COUNT_DIRTY_TTL_SECONDS)
                pipeline.execute()
        elif _local.running:
            _local.mark(live_stream_id)

    _after_commit(mark)


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
    """`banned {liveStreamId}` to the banned user's sockets in this stream, on both
    namespaces; they then leave the stream's room.

    The event goes to the person's own room in the stream (`member_room`), like any other
    event, so it reaches every process; each server process's client manager, on delivering a
    `banned` event to such a room, takes the sockets it just reached out of the stream
    (`server.StreamClientManager`).
    """
    data = {"liveStreamId": live_stream_id}

    def send():
        for namespace in NAMESPACES:
            emit(
                BANNED_EVENT,
                data,
                namespace=namespace,
                room=member_room(live_stream_id, user_id),
            )

    _after_commit(send)
