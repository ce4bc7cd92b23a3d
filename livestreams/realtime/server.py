"""The Socket.IO server (contract section 9): namespaces `/live-stream` and `/stream-chat`.

One `socketio.AsyncServer` per process, served by `config.asgi` beside Django. With
`REDIS_URL` its client manager is an `AsyncRedisManager` on `SOCKETIO_CHANNEL`, so an event
emitted by any process (or by `events` in a request, a worker, a command) reaches the sockets
of every process; without it, the in-process manager (one process, `make run`).

Connecting: the access token in the `auth` payload (`{"token": "..."}`) or an
`Authorization: Bearer` header, checked as REST checks it; an invalid, expired or revoked
token is refused with `{message, data: {statusCode: 401, error}}`; no token is an anonymous
socket. The token is checked again at every event, so a socket outliving its token or its
session is refused (401) from then on, while it keeps receiving the events of its rooms.

Client events answer with an acknowledgement `{ok: true, ...}` or `{ok: false, statusCode,
error, errors[, retryAfter]}` (`actions`):

- `joinStream {liveStreamId}` on both namespaces: `{ok, liveStreamId, status, role,
  viewerCount}`; rules in `actions.join_stream`. On `/live-stream` a signed-in audience
  member's join records a stay (`services.live_stream_watch`), held until their last socket
  in that stream leaves it (`leaveStream` or disconnect; `coordination` counts the sockets
  across processes), then closed (`services.live_stream_leave`).
- `leaveStream {liveStreamId}`: `{ok, liveStreamId}`; leaving a stream the socket is not in
  is harmless.
- `sendMessage {liveStreamId, content}` on `/stream-chat`: `{ok, message: ChatMessage}`.

Limits of one socket (of one namespace), checked before any database work:
- events: a token bucket, `SOCKETIO_EVENTS_PER_SECOND` (10) refilled, `SOCKETIO_EVENT_BURST`
  (20) at most; an event beyond it is answered 429 with `retryAfter` (seconds);
- streams: at most `SOCKETIO_STREAMS_PER_SOCKET` (20) followed at once; joining one more is
  409 (a state to change, leaving one, not a rate to wait out);
- packets: `max_http_buffer_size` 64 KB (a chat message needs about 3 KB); a larger packet
  closes the connection.

Server events: see `events`. Each process runs one ticker that sends the due `viewerCount`s
and renews its sockets' presence.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import socketio
from django.conf import settings

from config.api.errors import NotFound
from livestreams.realtime import actions, coordination, events
from livestreams.realtime.events import (
    BANNED_EVENT,
    CHAT_NAMESPACE,
    LIVE_STREAM_NAMESPACE,
    member_room,
    stream_room,
)

logger = logging.getLogger(__name__)


# --- Client managers: a `banned` event also takes its sockets out of the stream --------------


class StreamClientManager(socketio.AsyncManager):
    """The client manager of one process without Redis, and the base of the Redis one.

    On delivering `banned` to a person's room in a stream (`events.member_room`), take the
    sockets it reached out of that stream's rooms.

    This is the one hook every process runs for every event, wherever it was emitted: the
    pub/sub manager hands both its own emits and those read from Redis to `emit` of the
    manager below it in the MRO, which is this class. The sockets it reaches are this
    process's own, so they leave their rooms here, with no message to the other processes.
    """

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, **kw):
        room = kw.pop("to", None) or room
        reached = []
        if event == BANNED_EVENT and isinstance(room, str) and isinstance(data, dict):
            reached = [sid for sid, _eio_sid in self.get_participants(namespace, room)]
        await super().emit(
            event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kw
        )
        if not reached:
            return
        live_stream_id = data.get("liveStreamId")
        handler = self.server.namespace_handlers.get(namespace)
        for sid in reached:
            self.basic_leave_room(sid, namespace, room)
            self.basic_leave_room(sid, namespace, stream_room(live_stream_id))
            if isinstance(handler, StreamNamespace):
                await handler.forget(sid, live_stream_id)


class RedisClientManager(socketio.AsyncRedisManager, StreamClientManager):
    """Every process on one Redis channel. `StreamClientManager` comes after the pub/sub
    manager in the MRO, so it wraps the local delivery of each message, not its publishing."""


# --- The namespaces --------------------------------------------------------------------------

EVENTS_PER_SECOND = 10
EVENT_BURST = 20
STREAMS_PER_SOCKET = 20
MAX_PACKET_BYTES = 64 * 1024


class TokenBucket:
    """`rate` events a second, `burst` at once: each event takes a token."""

    def __init__(self, *, rate: float, burst: float):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = time.monotonic()

    def take(self) -> float:
        """0 when the event may go (a token is taken), else the seconds until one is back."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


def event_bucket() -> TokenBucket:
    return TokenBucket(
        rate=float(getattr(settings, "SOCKETIO_EVENTS_PER_SECOND", EVENTS_PER_SECOND)),
        burst=float(getattr(settings, "SOCKETIO_EVENT_BURST", EVENT_BURST)),
    )


def streams_per_socket() -> int:
    return int(getattr(settings, "SOCKETIO_STREAMS_PER_SOCKET", STREAMS_PER_SOCKET))


@dataclass
class Socket:
    """One connected socket of a namespace."""

    connection: actions.Connection
    # The streams whose rooms it is in.
    streams: set[str] = field(default_factory=set)
    # The streams where it holds its person's audience stay (counted in `coordination`).
    stays: set[str] = field(default_factory=set)
    # One event at a time per socket: joinStream and leaveStream of one socket do not race.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Its events, counted as they arrive (before they wait for the lock).
    bucket: TokenBucket = field(default_factory=event_bucket)


class StreamNamespace(socketio.AsyncNamespace):
    """`/stream-chat` as it is; `/live-stream` adds the audience stays."""

    records_stays = False
    events = {"joinStream": "join_stream", "leaveStream": "leave_stream"}

    def __init__(self, namespace: str, runtime: "Runtime"):
        super().__init__(namespace)
        self.runtime = runtime
        self.sockets: dict[str, Socket] = {}
        # Sockets whose connect handler has started: a client may send an event named
        # "connect" (python-socketio hands it to the same handler), and only the first, the
        # server's own, may run it.
        self._connecting: set[str] = set()

    async def trigger_event(self, event, *args):
        sid, *payload = args
        if event == "connect":
            if sid in self._connecting or sid in self.sockets:
                return self._unknown(sid)  # a client's "connect" event, not a connection
            self._connecting.add(sid)
            try:
                return await super().trigger_event(event, *args)
            finally:
                self._connecting.discard(sid)
        if event == "disconnect":
            # The server's own disconnect comes after python-socketio has marked the socket
            # as leaving; a client's event named "disconnect" comes while it is connected.
            if self.server.manager.is_connected(sid, self.namespace):
                return self._unknown(sid)
            return await super().trigger_event(event, *args)
        socket = self.sockets.get(sid)
        method = self.events.get(event)
        if socket is None or method is None:
            return self._unknown(sid)
        if wait := socket.bucket.take():
            return actions.answer(socket.connection.language, actions.too_many_events, wait).refusal
        try:
            async with socket.lock:
                return await getattr(self, method)(sid, socket, payload[0] if payload else None)
        except Exception as error:  # Redis down, a bug: a 500 ack, never the details
            return actions.answer(socket.connection.language, _reraise, error).refusal

    def _unknown(self, sid: str) -> dict:
        socket = self.sockets.get(sid)
        language = socket.connection.language if socket else "en"
        return actions.answer(language, _unknown_event).refusal

    async def on_connect(self, sid, environ, auth=None):
        language = actions.language_of(environ, auth)
        try:
            await self.runtime.start()
            outcome = await actions.database(
                language, actions.connect, environ=environ, auth=auth, language=language
            )
        except Exception as error:
            outcome = actions.answer(language, _reraise, error)
        if outcome.refused:
            refusal = outcome.refusal
            raise socketio.exceptions.ConnectionRefusedError(
                refusal["error"],
                {"statusCode": refusal["statusCode"], "error": refusal["error"]},
            )
        self.sockets[sid] = Socket(connection=outcome.value)

    async def on_disconnect(self, sid, reason=None):
        socket = self.sockets.pop(sid, None)
        if socket is None:
            return
        async with socket.lock:
            for live_stream_id in list(socket.stays):
                try:
                    await self._release(sid, socket, live_stream_id)
                except Exception:  # the other stays still close
                    logger.exception("stay of %s in %s not released", sid, live_stream_id)

    # --- events --------------------------------------------------------------------------

    async def join_stream(self, sid: str, socket: Socket, payload) -> dict:
        connection = socket.connection
        checked = actions.answer(connection.language, actions.stream_id_of, payload)
        if checked.refused:
            return checked.refusal
        live_stream_id = checked.value
        limit = streams_per_socket()
        if live_stream_id not in socket.streams and len(socket.streams) >= limit:
            return actions.answer(connection.language, actions.too_many_streams, limit).refusal
        # Counted before the join, so that a concurrent last leave of another socket of this
        # person sees this one and keeps (or reopens) the stay.
        counted = self.records_stays and connection.signed_in and live_stream_id not in socket.stays
        if counted:
            await self.runtime.coordination.presence_add(
                live_stream_id=live_stream_id, user_id=connection.user_id, sid=sid
            )
        outcome = await actions.database(
            connection.language,
            actions.join_stream,
            connection=connection,
            live_stream_id=live_stream_id,
            records_stay=self.records_stays,
        )
        joined = outcome.value
        if counted and (outcome.refused or not joined.stay):
            await self.runtime.coordination.presence_remove(
                live_stream_id=live_stream_id, user_id=connection.user_id, sid=sid
            )
        if outcome.refused:
            return outcome.refusal
        await self.enter_room(sid, stream_room(live_stream_id))
        socket.streams.add(live_stream_id)
        if counted and joined.stay:
            socket.stays.add(live_stream_id)
        if connection.signed_in:
            await self.enter_room(sid, member_room(live_stream_id, connection.user_id))
            # A ban between the join's check and now sent its `banned` to a room the socket
            # was not in yet: look again, now that any later one reaches it.
            confirmed = await actions.database(
                connection.language,
                actions.confirm_join,
                user_id=connection.user_id,
                live_stream_id=live_stream_id,
                stay=joined.stay,
            )
            if confirmed.refused:
                await self._leave_rooms(sid, socket, live_stream_id)
                await self.forget(sid, live_stream_id)  # and its count, if it held the stay
                return confirmed.refusal
        return {"ok": True, **joined.data}

    async def leave_stream(self, sid: str, socket: Socket, payload) -> dict:
        checked = actions.answer(socket.connection.language, actions.stream_id_of, payload)
        if checked.refused:
            return checked.refusal
        live_stream_id = checked.value
        await self._leave_rooms(sid, socket, live_stream_id)
        if live_stream_id in socket.stays:
            await self._release(sid, socket, live_stream_id)
        return {"ok": True, "liveStreamId": live_stream_id}

    # --- helpers -------------------------------------------------------------------------

    async def _leave_rooms(self, sid: str, socket: Socket, live_stream_id: str) -> None:
        await self.leave_room(sid, stream_room(live_stream_id))
        if socket.connection.signed_in:
            await self.leave_room(sid, member_room(live_stream_id, socket.connection.user_id))
        socket.streams.discard(live_stream_id)

    async def _release(self, sid: str, socket: Socket, live_stream_id: str) -> None:
        """This socket no longer holds its person's stay; close it if it was the last."""
        socket.stays.discard(live_stream_id)
        user_id = socket.connection.user_id
        presence = self.runtime.coordination
        remaining = await presence.presence_remove(
            live_stream_id=live_stream_id, user_id=user_id, sid=sid
        )
        if remaining:
            return
        language = socket.connection.language
        await actions.database(
            language, actions.leave_stream, user_id=user_id, live_stream_id=live_stream_id
        )
        # A socket of the same person may have joined between the count and the close: its
        # join found the stay still open, so it is reopened for it.
        if await presence.presence_count(live_stream_id=live_stream_id, user_id=user_id):
            await actions.database(
                language, actions.watch_again, user_id=user_id, live_stream_id=live_stream_id
            )

    async def forget(self, sid: str, live_stream_id: str) -> None:
        """The socket was taken out of the stream by a ban: it no longer holds a stay (the
        ban closed it)."""
        socket = self.sockets.get(sid)
        if socket is None:
            return
        socket.streams.discard(live_stream_id)
        if live_stream_id in socket.stays:
            socket.stays.discard(live_stream_id)
            await self.runtime.coordination.presence_remove(
                live_stream_id=live_stream_id, user_id=socket.connection.user_id, sid=sid
            )

    def held_stays(self):
        """(stream, user, sid) of every stay this process's sockets hold."""
        for sid, socket in list(self.sockets.items()):
            for live_stream_id in list(socket.stays):
                yield live_stream_id, socket.connection.user_id, sid


class LiveStreamNamespace(StreamNamespace):
    records_stays = True


class ChatNamespace(StreamNamespace):
    events = {**StreamNamespace.events, "sendMessage": "send_message"}

    async def send_message(self, sid: str, socket: Socket, payload) -> dict:
        connection = socket.connection
        outcome = await actions.database(
            connection.language, actions.send_message, connection=connection, payload=payload
        )
        if outcome.refused:
            return outcome.refusal
        return {"ok": True, "message": outcome.value}


def _unknown_event():
    raise NotFound(actions.UNKNOWN_EVENT)


def _reraise(error: Exception):
    """For `actions.answer`: the acknowledgement of an error already caught."""
    raise error


# --- The process's runtime: coordination store and ticker ------------------------------------


class Runtime:
    """What runs beside the server in one process: the coordination store and the ticker.
    Started by the ASGI lifespan (or, without one, by the first connection)."""

    def __init__(self, server: socketio.AsyncServer):
        self.server = server
        self.coordination = None
        self._ticker: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        if self._ticker is not None:
            return
        async with self._lock:
            if self._ticker is not None:
                return
            if settings.REDIS_URL:
                self.coordination = coordination.RedisCoordination(
                    url=settings.REDIS_URL, host_id=self.server.manager.host_id
                )
            else:
                self.coordination = coordination.LocalCoordination()
                events.attach_local_server(self.server, asyncio.get_running_loop())
            self._ticker = asyncio.create_task(self._tick_forever())

    async def stop(self) -> None:
        if self._ticker is None:
            return
        self._ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._ticker
        self._ticker = None
        events.detach_local_server()
        await self.coordination.close()

    def _namespaces(self) -> list[StreamNamespace]:
        return [
            handler
            for handler in self.server.namespace_handlers.values()
            if isinstance(handler, StreamNamespace)
        ]

    async def _tick_forever(self) -> None:
        refreshed = time.monotonic()
        while True:
            # Sleep after the work, not on a fixed beat: a stream claimed at the end of one
            # tick is free again by the next (see coordination's viewerCount notes).
            await asyncio.sleep(settings.SOCKETIO_VIEWER_COUNT_INTERVAL_MS / 1000)
            try:
                await self.send_viewer_counts()
                if time.monotonic() - refreshed >= coordination.PRESENCE_REFRESH_SECONDS:
                    refreshed = time.monotonic()
                    held = [stay for handler in self._namespaces() for stay in handler.held_stays()]
                    await self.coordination.presence_refresh(held)
            except Exception:  # the next tick tries again; a dead ticker would end the counts
                logger.exception("socket ticker failed")

    async def send_viewer_counts(self) -> None:
        due = await self.coordination.viewer_counts_due()
        if not due:
            return
        outcome = await actions.database("en", actions.audience_counts, due)
        if outcome.refused:  # logged by `actions`; the counts are due again
            await self.coordination.viewer_counts_retry(due)
            return
        changed = await self.coordination.viewer_counts_changed(outcome.value)
        for live_stream_id, count in changed.items():
            await self.server.emit(
                "viewerCount",
                {"liveStreamId": live_stream_id, "viewerCount": count},
                namespace=LIVE_STREAM_NAMESPACE,
                room=stream_room(live_stream_id),
            )
        if changed:
            await self.coordination.viewer_counts_sent(changed)


def cors_allowed_origins():
    """`"*"`, or the list; an empty list means the server's own origin only (engineio reads
    `[]` as "no CORS checks at all", `None` as same-origin)."""
    origins = settings.SOCKETIO_CORS_ALLOWED_ORIGINS
    if origins == "*":
        return "*"
    return list(origins) or None


def build_server() -> tuple[socketio.AsyncServer, Runtime]:
    if settings.REDIS_URL:
        client_manager = RedisClientManager(settings.REDIS_URL, channel=settings.SOCKETIO_CHANNEL)
    else:
        client_manager = StreamClientManager()
    server = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=client_manager,
        # Only these two: the default namespace "/" would take anonymous sockets for nothing.
        namespaces=list(events.NAMESPACES),
        json=events.WireJSON,
        max_http_buffer_size=MAX_PACKET_BYTES,
        cors_allowed_origins=cors_allowed_origins(),
        logger=False,
        engineio_logger=False,
    )
    runtime = Runtime(server)
    server.register_namespace(LiveStreamNamespace(LIVE_STREAM_NAMESPACE, runtime))
    server.register_namespace(ChatNamespace(CHAT_NAMESPACE, runtime))
    return server, runtime


sio, runtime = build_server()
