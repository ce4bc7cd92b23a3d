"""Socket tests run against real server processes (uvicorn on `config.asgi`).

PostgreSQL only: the server is another process and must read the rows a test commits
(`django_db(transaction=True)`); SQLite's test database lives in this process's memory.
Redis is optional: without it the server delivers the events its own requests raise (REST
calls go to the server over HTTP for that reason); the tests of events raised in this process
and of two processes need Redis (the `needs_redis` and `second_server` fixtures skip them
without it).

One server process serves the whole session (starting one takes a second or two); a second
one, on the same Redis, is started for the tests of two processes. The channel is this run's
own, so no other server on the same Redis hears these tests' events.
"""

import uuid

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from livestreams.models import Participation
from livestreams.realtime import events
from tests.livestreams.realtime.support import (
    Rest,
    ServerProcess,
    SocketClient,
    server_is_idle,
    wait_until,
)
from users.sessions import tokens_for_user


@pytest.fixture(scope="session")
def socket_channel():
    return f"yayin-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def redis_url():
    """This run's Redis, or "" when there is none (or it does not answer)."""
    url = settings.REDIS_URL
    if not url:
        return ""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"REDIS_URL is set but Redis at {url} does not answer")
    return url


@pytest.fixture(scope="session")
def _this_process_channel(socket_channel):
    """This process emits on the run's channel too (`events` builds its manager once)."""
    overridden = override_settings(SOCKETIO_CHANNEL=socket_channel)
    overridden.enable()
    events._manager = events._redis = None
    yield
    overridden.disable()
    events._manager = events._redis = None


def _require_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "socket tests need PostgreSQL (set DATABASE_URL=postgres://...): the server is "
            "another process and must see this test's committed rows"
        )


@pytest.fixture(scope="session")
def server(django_db_setup, django_db_blocker, tmp_path_factory, redis_url, socket_channel):
    """The session's socket server process."""
    with django_db_blocker.unblock():
        _require_postgresql()
        process = ServerProcess(
            log_path=tmp_path_factory.mktemp("socket-server") / "server.log",
            redis_url=redis_url,
            channel=socket_channel,
        )
    yield process
    process.stop()


@pytest.fixture(scope="session")
def second_server(server, django_db_blocker, tmp_path_factory, redis_url, socket_channel):
    """Another server process on the same Redis (and database)."""
    if not redis_url:
        pytest.skip("two server processes share events through Redis (set REDIS_URL)")
    with django_db_blocker.unblock():
        process = ServerProcess(
            log_path=tmp_path_factory.mktemp("socket-server-2") / "server.log",
            redis_url=redis_url,
            channel=socket_channel,
        )
    yield process
    process.stop()


@pytest.fixture
def needs_redis(redis_url, _this_process_channel):
    """For events raised in this process: they reach the server only through Redis."""
    if not redis_url:
        pytest.skip("events raised outside the server process travel through Redis")


@pytest.fixture
def rest(server):
    return Rest(server.url)


@pytest.fixture
def sockets(server):
    """`sockets()` opens a client to the server (or `sockets(url=...)` to another one);
    every client is closed at the end of the test."""
    opened = []

    def open_client(*, url=None) -> SocketClient:
        client = SocketClient(url or server.url)
        opened.append(client)
        return client

    yield open_client
    # The server closes the stays of the sockets that leave; the test's database flush must
    # not race that work (PostgreSQL would call it a deadlock and abort one). A client still
    # connected leaves its streams first: the acknowledgement comes once the stay is closed,
    # so its disconnect has nothing left to do. The others (disconnected by the test) are
    # waited for: their stays closed, and no query of the server still running.
    for client in opened:
        client.leave_stays()
        client.disconnect()
    streams = set().union(*(client.stays for client in opened))
    if streams:
        wait_until(
            lambda: (
                not Participation.objects.filter(
                    live_stream_id__in=streams, left_at__isnull=True
                ).exists()
            ),
            timeout=2,
        )
        wait_until(server_is_idle, timeout=2)


def token_of(user) -> str:
    return tokens_for_user(user=user)["access_token"]
