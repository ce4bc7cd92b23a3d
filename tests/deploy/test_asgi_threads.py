"""config.asgi_threads.RequestThreads: Django under ASGI runs each request's sync code on one
of a fixed set of threads, so connections and caches outlive a request as under WSGI.

Requests go through the real Django ASGI handler, in this process, on an event loop of the
test's own."""

import asyncio
import gc
import threading

import pytest
from django.core.asgi import get_asgi_application
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import connection

from config.asgi_threads import RequestThreads

pytestmark = pytest.mark.django_db(transaction=True)
REQUESTS = 40

# Django's handler alone drops each request's thread with its connection still open, which
# Python reports when it collects the connection: the leak these tests show. They collect
# them at the end, or the test database could not be dropped.


@pytest.fixture
def _collect_leaked_connections():
    yield
    gc.collect()


async def _get(app, path: str) -> int:
    """One GET through the ASGI app: its status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    sent_body = asyncio.Event()
    never = asyncio.Event()
    messages = []

    async def receive():
        if not sent_body.is_set():
            sent_body.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()  # the client never goes away

    async def send(message):
        messages.append(message)

    await app(scope, receive, send)
    return messages[0]["status"]


@pytest.fixture
def seen():
    """For each request: the thread of its request_started and request_finished, and the
    default cache object the request found."""
    seen = {"started": [], "finished": [], "caches": []}

    def started(**kwargs):
        seen["started"].append(threading.get_ident())
        seen["caches"].append(id(caches["default"]))

    def finished(**kwargs):
        seen["finished"].append(threading.get_ident())

    request_started.connect(started)
    request_finished.connect(finished)
    yield seen
    request_started.disconnect(started)
    request_finished.disconnect(finished)


def _serve_concurrently(app, path: str, count: int) -> list[int]:
    async def main():
        statuses = await asyncio.gather(*(_get(app, path) for _ in range(count)))
        if isinstance(app, RequestThreads):
            await app.close_connections()
        return statuses

    return asyncio.run(main())


def test_every_request_runs_on_one_of_the_fixed_threads(seen):
    app = RequestThreads(get_asgi_application(), size=2)

    statuses = _serve_concurrently(app, "/health/", REQUESTS)

    assert statuses == [200] * REQUESTS
    assert len(seen["started"]) == len(seen["finished"]) == REQUESTS
    assert len(set(seen["started"])) <= 2
    assert set(seen["finished"]) == set(seen["started"])
    assert threading.get_ident() not in seen["started"]


def test_every_request_finds_the_same_cache_object(seen):
    app = RequestThreads(get_asgi_application(), size=2)

    _serve_concurrently(app, "/health/", REQUESTS)

    assert len(set(seen["caches"])) == 1


def test_its_size_is_at_least_one():
    with pytest.raises(ValueError, match="at least one thread"):
        RequestThreads(get_asgi_application(), size=0)


@pytest.mark.postgres
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.usefixtures("_collect_leaked_connections")
def test_requests_reuse_their_threads_database_connections():
    """Each of the two threads opens one PostgreSQL connection and keeps it (CONN_MAX_AGE),
    where Django's handler alone opens one per request (bench/README.md, "ASGI and WSGI";
    how many it opens depends on asgiref's state left by earlier tests, so it is not
    asserted here)."""
    database = connection.settings_dict["NAME"]

    def sessions() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [database])
            return cursor.fetchone()[0]

    app = RequestThreads(get_asgi_application(), size=2)
    before = sessions()
    _serve_concurrently(app, "/health/", REQUESTS)  # and closes the two connections

    # At most one per thread (none when an earlier test left asgiref running sync code on
    # this thread, whose connection is already open).
    assert sessions() - before <= 2
