"""A real socket server process for the tests, and a Socket.IO client that records events."""

import os
import queue
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from urllib.parse import quote

import requests
import socketio
from django.conf import settings
from django.db import connection

from livestreams.realtime.events import CHAT_NAMESPACE, LIVE_STREAM_NAMESPACE
from tests.livestreams.conftest import AGORA_APP_CERTIFICATE, AGORA_APP_ID

START_SECONDS = 20
WAIT_SECONDS = 5
# The ticker's beat in the test servers: short, so the tests wait little for viewerCount.
VIEWER_COUNT_INTERVAL_MS = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_database_url() -> str:
    """The URL of the test database this run made, for the server process."""
    database = connection.settings_dict
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = f"{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(database['NAME'], safe='')}"


test_database_url.__test__ = False  # a helper, not a test


class ServerProcess:
    """`uvicorn config.asgi:application` on a free port, on the test database (and this
    run's Redis and socket channel, when there is Redis)."""

    def __init__(self, *, log_path, redis_url: str, channel: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        environ = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "YAYIN_TESTING": "true",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": redis_url,
            "SOCKETIO_CHANNEL": channel,
            "SOCKETIO_VIEWER_COUNT_INTERVAL_MS": str(VIEWER_COUNT_INTERVAL_MS),
            "AGORA_APP_ID": AGORA_APP_ID,
            "AGORA_APP_CERTIFICATE": AGORA_APP_CERTIFICATE,
            "CELERY_BROKER_URL": "",
        }
        command = [
            sys.executable, "-m", "uvicorn", "config.asgi:application",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
            # A long poll a test client left pending would hold the shutdown until its ping.
            "--timeout-graceful-shutdown", "2",
        ]  # fmt: skip
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=environ, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the socket server exited:\n{self.log()}")
            with suppress(requests.ConnectionError):
                if requests.get(f"{self.url}/health/", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the socket server did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Rest:
    """REST calls over HTTP to a server process (so its events start in that process)."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def request(self, method: str, path: str, *, token: str | None = None, json=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(
            method, self.base_url + path, json=json, headers=headers, timeout=WAIT_SECONDS
        )

    def post(self, path: str, json=None, *, token: str | None = None):
        return self.request("POST", path, token=token, json=json)


class SocketClient:
    """One Socket.IO connection to one or both namespaces, keeping what it receives."""

    def __init__(self, url: str):
        self.url = url
        self.client = socketio.Client(reconnection=False)
        self.received = {LIVE_STREAM_NAMESPACE: queue.Queue(), CHAT_NAMESPACE: queue.Queue()}
        self.connect_errors = {}
        # The streams where a join of this client recorded an audience stay.
        self.stays: set[str] = set()
        for namespace in self.received:
            self.client.on("*", self._recorder(namespace), namespace=namespace)
            self.client.on("connect_error", self._error_recorder(namespace), namespace=namespace)

    def _recorder(self, namespace):
        def record(event, *args):
            self.received[namespace].put((event, args[0] if args else None, time.monotonic()))

        return record

    def _error_recorder(self, namespace):
        def record(data=None):
            self.connect_errors[namespace] = data

        return record

    def connect(
        self,
        *,
        namespaces=(LIVE_STREAM_NAMESPACE,),
        auth=None,
        headers=None,
        transports=("websocket",),
    ) -> "SocketClient":
        self.client.connect(
            self.url,
            namespaces=list(namespaces),
            auth=auth,
            headers=headers or {},
            transports=list(transports),
            wait_timeout=WAIT_SECONDS,
        )
        return self

    def call(self, event: str, data=None, *, namespace=LIVE_STREAM_NAMESPACE):
        return self.client.call(event, data, namespace=namespace, timeout=WAIT_SECONDS)

    def join(self, live_stream_id: str, *, namespace=LIVE_STREAM_NAMESPACE) -> dict:
        ack = self.call("joinStream", {"liveStreamId": live_stream_id}, namespace=namespace)
        if ack.get("role") == "audience" and namespace == LIVE_STREAM_NAMESPACE:
            self.stays.add(live_stream_id)
        return ack

    def wait_for(self, event: str, *, namespace=LIVE_STREAM_NAMESPACE, match=None, timeout=None):
        """The data of the next `event` (for which `match(data)` holds); other events before
        it are skipped. AssertionError when none comes in time."""
        return self.wait_for_all(event, namespace=namespace, until=match, timeout=timeout)[-1][0]

    def wait_for_all(
        self, event: str, *, namespace=LIVE_STREAM_NAMESPACE, until=None, timeout=None
    ) -> list[tuple]:
        """Every `event` received, as (data, monotonic time), up to the first for which
        `until(data)` holds (the first of all without `until`); other events are skipped."""
        deadline = time.monotonic() + (timeout or WAIT_SECONDS)
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                name, data, at = self.received[namespace].get(timeout=left)
            except queue.Empty:
                break
            if name != event:
                continue
            seen.append((data, at))
            if until is None or until(data):
                return seen
        raise AssertionError(
            f"no {event} on {namespace} within {timeout or WAIT_SECONDS}s (got {seen})"
        )

    def events(self, *, namespace=LIVE_STREAM_NAMESPACE, within: float = 0.0) -> list:
        """What arrived (name, data, monotonic time), waiting `within` seconds first."""
        time.sleep(within)
        items = []
        with suppress(queue.Empty):
            while True:
                items.append(self.received[namespace].get_nowait())
        return items

    def leave_stays(self) -> None:
        """`leaveStream` every stream where this client holds a stay, if it is still
        connected (waiting out the rate of events if a test used it up)."""
        if LIVE_STREAM_NAMESPACE not in self.client.namespaces:
            return
        for live_stream_id in list(self.stays):
            for _attempt in range(3):
                with suppress(socketio.exceptions.TimeoutError):
                    ack = self.call("leaveStream", {"liveStreamId": live_stream_id})
                    if ack.get("statusCode") != 429:
                        break
                    time.sleep(ack.get("retryAfter", 1))

    def disconnect(self) -> None:
        """Leave every namespace and close. A polling connection is closed without waiting
        for its pending long poll, which the server answers only at the next ping (25 s)."""
        if not self.client.connected:
            return
        for namespace in list(self.client.namespaces):
            self.client._send_packet(
                self.client.packet_class(socketio.packet.DISCONNECT, namespace=namespace)
            )
        self.client.eio.disconnect(abort=self.client.transport() == "polling")

    @property
    def connected_namespaces(self) -> list[str]:
        return sorted(self.client.namespaces)


def server_is_idle() -> bool:
    """No other connection to the test database is running a query (twice, 50 ms apart)."""
    for attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return False
        if not attempt:
            time.sleep(0.05)
    return True


def wait_until(condition, *, timeout: float = WAIT_SECONDS) -> bool:
    """Poll `condition` (a database check) until it holds or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
