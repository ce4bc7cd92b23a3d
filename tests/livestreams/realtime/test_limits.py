"""What one socket may cost the server: its database work does not stall the others, its
events are rate-limited, it follows a bounded number of streams, its packets are bounded; and
a ban that lands while its join is in flight does not leave it in the stream."""

import asyncio
import threading
import time

import pytest
from django.core.cache import caches
from django.db import connection, transaction

from livestreams import services
from livestreams.models import ChatMessage, LiveStream, LiveStreamBan, Participant, Participation
from livestreams.realtime import actions
from livestreams.realtime.events import CHAT_NAMESPACE, LIVE_STREAM_NAMESPACE
from livestreams.realtime.server import TokenBucket
from tests.factories import UserFactory
from tests.livestreams.factories import LiveStreamFactory
from tests.livestreams.realtime.conftest import token_of
from tests.livestreams.realtime.support import WAIT_SECONDS, wait_until

BOTH = (LIVE_STREAM_NAMESPACE, CHAT_NAMESPACE)
server_test = pytest.mark.django_db(transaction=True)


def refusal(status_code: int, error, **extra) -> dict:
    return {"ok": False, "statusCode": status_code, "error": str(error), "errors": [str(error)]} | (
        extra
    )


def signed_in(sockets, user, namespaces=BOTH):
    return sockets().connect(namespaces=namespaces, auth={"token": token_of(user)})


class Holder(threading.Thread):
    """A transaction of this process, on its own connection, that runs `take_lock` and holds
    what it took until `release()` (then runs `before_commit` and commits)."""

    def __init__(self, take_lock, before_commit=None):
        super().__init__(daemon=True)
        self.take_lock = take_lock
        self.before_commit = before_commit
        self.locked = threading.Event()
        self.released = threading.Event()

    def run(self):
        try:
            with transaction.atomic():
                self.take_lock()
                self.locked.set()
                self.released.wait(timeout=30)
                if self.before_commit:
                    self.before_commit()
        finally:
            connection.close()

    def __enter__(self):
        self.start()
        assert self.locked.wait(timeout=WAIT_SECONDS)
        return self

    def release(self):
        self.released.set()
        self.join(timeout=WAIT_SECONDS)

    def __exit__(self, *exc):
        self.release()


class InBackground(threading.Thread):
    """`work()` in a thread; `result` once it is done."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work = work
        self.result = None

    def run(self):
        self.result = self.work()


def lock_waiters() -> int:
    """Queries of other connections to the test database waiting for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


# --- 1. A lock wait stalls only its own socket ---------------------------------------------------


@server_test
def test_a_socket_waiting_on_a_row_lock_does_not_stall_the_others(sockets):
    locked_stream, other_stream = LiveStreamFactory(active=True), LiveStreamFactory(active=True)
    joiner = signed_in(sockets, UserFactory(), namespaces=(LIVE_STREAM_NAMESPACE,))
    sender = signed_in(sockets, other_stream.creator, namespaces=(CHAT_NAMESPACE,))
    payload = {"liveStreamId": other_stream.pk, "content": "still here"}

    # As a status change holds it: the audience join waits for its shared lock on the row.
    with Holder(lambda: LiveStream.objects.select_for_update().get(pk=locked_stream.pk)) as holder:
        join = InBackground(lambda: joiner.join(locked_stream.pk))
        join.start()
        assert wait_until(lambda: lock_waiters() > 0)

        started = time.monotonic()
        ack = sender.call("sendMessage", payload, namespace=CHAT_NAMESPACE)
        answered_in = time.monotonic() - started

        assert ack["ok"] is True, ack
        assert answered_in < 1.0
        assert join.is_alive()  # the join still waits for the lock
        holder.release()

    join.join(timeout=WAIT_SECONDS)
    assert join.result["ok"] is True
    assert join.result["role"] == "audience"
    assert ChatMessage.objects.get().content == "still here"


def test_each_database_thread_keeps_its_cache_from_event_to_event():
    def where():
        return threading.get_ident(), id(caches["default"])

    async def run_some():
        return [(await actions.database("en", where)).value for _ in range(6)]

    seen = asyncio.run(run_some())

    assert all(ident != threading.get_ident() for ident, _cache in seen)
    assert len(set(seen)) == len({ident for ident, _cache in seen})


# --- 2. Rate of events, number of streams ---------------------------------------------------------


def test_the_bucket_allows_a_burst_then_the_rate():
    bucket = TokenBucket(rate=10, burst=3)

    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    wait = bucket.take()
    assert 0 < wait <= 0.1
    bucket.updated -= 0.1  # a tenth of a second later: one token is back
    assert bucket.take() == 0
    assert bucket.take() > 0


@server_test
def test_a_flood_of_events_is_answered_429_before_any_work(sockets):
    client = sockets().connect(namespaces=(LIVE_STREAM_NAMESPACE,))
    stream_id = "64d15f9e2e6c8f4d5a123456"
    acks, done = [], threading.Event()

    def collect(ack):
        acks.append(ack)
        if len(acks) == 40:
            done.set()

    started = time.monotonic()
    for _ in range(40):
        client.client.emit(
            "leaveStream",
            {"liveStreamId": stream_id},
            namespace=LIVE_STREAM_NAMESPACE,
            callback=collect,
        )
    assert done.wait(timeout=WAIT_SECONDS)
    elapsed = time.monotonic() - started

    accepted = [ack for ack in acks if ack["ok"]]
    refused = [ack for ack in acks if not ack["ok"]]
    # A burst of 20, plus what 10 a second gave back while they arrived.
    assert 20 <= len(accepted) <= 20 + int(elapsed * 10) + 1
    assert accepted[0] == {"ok": True, "liveStreamId": stream_id}
    assert refused
    assert all(ack == refusal(429, actions.TOO_MANY_EVENTS, retryAfter=1) for ack in refused)

    time.sleep(0.15)
    assert client.call("leaveStream", {"liveStreamId": stream_id})["ok"] is True


@server_test
def test_a_socket_follows_at_most_twenty_streams(sockets):
    creator = UserFactory()
    streams = [LiveStreamFactory(creator=creator) for _ in range(21)]
    client = signed_in(sockets, creator, namespaces=(CHAT_NAMESPACE,))

    def join(stream):
        time.sleep(0.05)  # within the rate of events
        return client.join(stream.pk, namespace=CHAT_NAMESPACE)

    assert all(join(stream)["ok"] for stream in streams[:20])
    too_many = actions.TOO_MANY_STREAMS % {"count": 20}
    assert join(streams[20]) == refusal(409, too_many)
    assert join(streams[0])["ok"] is True  # one it follows already
    assert client.call(
        "leaveStream", {"liveStreamId": streams[0].pk}, namespace=CHAT_NAMESPACE
    ) == {"ok": True, "liveStreamId": streams[0].pk}
    assert join(streams[20])["ok"] is True


# --- 3. A ban while the join is in flight ----------------------------------------------------------


@server_test
def test_a_ban_between_the_joins_check_and_its_rooms_refuses_the_join(sockets, rest):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    Participant.objects.create(live_stream=stream, user=viewer, role="audience", uid=7)
    client = signed_in(sockets, viewer, namespaces=(CHAT_NAMESPACE,))
    witness = signed_in(sockets, stream.creator, namespaces=(CHAT_NAMESPACE,))
    assert witness.join(stream.pk, namespace=CHAT_NAMESPACE)["ok"] is True
    table = connection.ops.quote_name(Participation._meta.db_table)

    def lock_the_stays():
        # The chat join reads the stays last (its viewerCount), after its ban checks.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

    def ban():  # the row alone: no `banned` event, which would reach no room of this socket
        LiveStreamBan.objects.create(live_stream=stream, user=viewer, banned_by=stream.creator)

    with Holder(lock_the_stays, before_commit=ban):
        join = InBackground(lambda: client.join(stream.pk, namespace=CHAT_NAMESPACE))
        join.start()
        assert wait_until(lambda: lock_waiters() > 0)
    join.join(timeout=WAIT_SECONDS)

    assert join.result == refusal(403, services.BANNED)
    # Not in the room: the creator's next message reaches the witness only.
    sent = rest.post(
        f"/api/v1/live-stream/{stream.pk}/chat/messages",
        {"content": "hello room"},
        token=token_of(stream.creator),
    )
    assert sent.status_code == 201, sent.content
    assert witness.wait_for("newMessage", namespace=CHAT_NAMESPACE)["content"] == "hello room"
    assert client.events(namespace=CHAT_NAMESPACE, within=0.3) == []


# --- 4. Packets ----------------------------------------------------------------------------------


@server_test
def test_a_packet_over_64_kb_closes_its_connection_only(sockets):
    stream = LiveStreamFactory(active=True)
    big = signed_in(sockets, stream.creator, namespaces=(CHAT_NAMESPACE,))
    other = signed_in(sockets, stream.creator, namespaces=(CHAT_NAMESPACE,))

    # 10 KB gets through, to be refused by the chat's own length rule.
    ack = big.call(
        "sendMessage",
        {"liveStreamId": stream.pk, "content": "x" * 10_000},
        namespace=CHAT_NAMESPACE,
    )
    assert ack == refusal(400, "content: Ensure this field has no more than 500 characters.")

    big.client.emit(
        "sendMessage",
        {"liveStreamId": stream.pk, "content": "x" * 100_000},
        namespace=CHAT_NAMESPACE,
    )

    assert wait_until(lambda: not big.client.connected)
    assert not ChatMessage.objects.exists()
    assert other.join(stream.pk, namespace=CHAT_NAMESPACE)["ok"] is True
    time.sleep(1.05)  # the chat allows one message a second per person and stream
    ack = other.call(
        "sendMessage", {"liveStreamId": stream.pk, "content": "hi"}, namespace=CHAT_NAMESPACE
    )
    assert ack["ok"] is True


# --- 5. Leaving a stream without a stay -----------------------------------------------------------


@pytest.mark.django_db
def test_leaving_without_an_open_stay_is_one_plain_read(django_assert_num_queries):
    stream, viewer = LiveStreamFactory(active=True), UserFactory()
    services.live_stream_watch(live_stream=stream, user=viewer)

    actions.leave_stream(user_id=viewer.pk, live_stream_id=stream.pk)
    assert not Participation.objects.filter(left_at__isnull=True).exists()

    with django_assert_num_queries(1) as queries:
        actions.leave_stream(user_id=viewer.pk, live_stream_id=stream.pk)
    assert queries.captured_queries[0]["sql"].lstrip().upper().startswith("SELECT")
    assert Participation.objects.filter(live_stream=stream).count() == 1
