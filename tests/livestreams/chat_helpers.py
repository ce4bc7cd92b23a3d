"""What the chat, moderation and ban tests share: the cast of a live stream, and a tap on the
socket events the services send."""

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import TestCase

from livestreams.models import ChatMessage, LiveStreamBan, Participation
from livestreams.realtime import events
from tests.factories import StaffFactory, UserFactory
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory, in_audience

CHAT_MESSAGE_KEYS = ["_id", "streamId", "content", "sender", "createdAt", "updatedAt"]
HISTORY_KEYS = [
    "messages",
    "page",
    "limit",
    "total",
    "totalPages",
    "hasNextPage",
    "hasPreviousPage",
]


def messages_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/chat/messages"


def message_url(stream, message) -> str:
    message_id = message if isinstance(message, str) else message.pk
    return f"/api/v1/live-stream/{stream.pk}/chat/messages/{message_id}"


def ban_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/ban"


def unban_url(stream, user) -> str:
    user_id = user if isinstance(user, str) else user.pk
    return f"/api/v1/live-stream/{stream.pk}/ban/{user_id}"


@dataclass
class Cast:
    """An active duo stream and everyone around it."""

    stream: object
    creator: object
    guest: object
    viewer: object  # in the audience now
    left: object  # joined once, has left
    stranger: object  # never joined
    staff: object

    def of(self, name: str):
        return getattr(self, name)


def make_cast(user) -> Cast:
    """`user` creates an active duo stream (each test module's `cast` fixture)."""
    stream = LiveStreamFactory(creator=user, active=True, title="Sohbet")
    guest = UserFactory(username="konuk")
    LiveStreamGuestFactory(live_stream=stream, user=guest)
    viewer = in_audience(stream, UserFactory(username="izleyici")).participant.user
    left = in_audience(stream, UserFactory(username="ayrilan"), left_at=stream.started_at)
    return Cast(
        stream=stream,
        creator=user,
        guest=guest,
        viewer=viewer,
        left=left.participant.user,
        stranger=UserFactory(username="yabanci"),
        staff=StaffFactory(username="gorevli"),
    )


def chat_snapshot() -> tuple:
    """Messages, bans and stays: what a refused request must leave as it was."""
    return (
        sorted(ChatMessage.objects.values_list("pk", "content", "hidden_at", "hidden_by_id")),
        sorted(LiveStreamBan.objects.values_list("live_stream_id", "user_id", "banned_by_id")),
        sorted(Participation.objects.values_list("pk", "left_at")),
    )


# --- The socket events ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    event: str
    namespace: str
    room: str
    data: dict


class EventTap:
    """The events of one test, as the services hand them to the socket layer.

    `callbacks` counts what was queued for after the commit (one per event: with or without
    Redis). With Redis, the events themselves are read off the Socket.IO channel every
    server process listens to (`sent`), and the streams marked for a `viewerCount` off their
    Redis set (`viewer_counts`); without Redis those two stay empty and the tests that read
    them are skipped (`require_redis`).
    """

    def __init__(self):
        self.callbacks: list = []
        self.sent: list[Sent] = []
        self.viewer_counts: set[str] = set()
        self._pubsub = None

    @property
    def has_redis(self) -> bool:
        return bool(settings.REDIS_URL)

    def require_redis(self) -> None:
        if not self.has_redis:
            pytest.skip("the events on the wire need Redis (set REDIS_URL)")

    def _start(self) -> None:
        if not self.has_redis:
            return
        self._pubsub = events.redis_client().pubsub()
        self._pubsub.subscribe(settings.SOCKETIO_CHANNEL)
        # Wait for Redis to confirm the subscription: what is published from then on is ours.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message = self._pubsub.get_message(timeout=0.1)
            if message is not None and message["type"] == "subscribe":
                return
        raise AssertionError("no subscription to the socket channel")

    def _finish(self) -> None:
        if self._pubsub is None:
            return
        while (message := self._pubsub.get_message(timeout=0.2)) is not None:
            if message["type"] != "message":
                continue
            packet = json.loads(message["data"])
            if packet.get("method") == "emit":
                self.sent.append(
                    Sent(packet["event"], packet["namespace"], packet["room"], packet["data"][0])
                )
        self._pubsub.close()
        key = events.viewer_count_dirty_key()
        self.viewer_counts = {member.decode() for member in events.redis_client().smembers(key)}

    def for_stream(self, stream) -> list[Sent]:
        """What went to the rooms of `stream` (this test's, whatever else shares the channel)."""
        prefix = events.stream_room(stream.pk)
        return [sent for sent in self.sent if sent.room.split(":user:")[0] == prefix]


@contextmanager
def tap_events():
    """Run the block's on-commit callbacks (the tests' transaction never commits) and record
    what they send."""
    tap = EventTap()
    tap._start()
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        yield tap
    tap.callbacks = list(callbacks)
    tap._finish()
