"""The deploy recipe, for real: nginx (deploy/nginx.conf) in front of gunicorn, both ways.

    .venv/bin/python deploy/smoke.py            # what CI runs (.ci/run): both recipes
    .venv/bin/python deploy/smoke.py --only asgi
    .venv/bin/python deploy/smoke.py --no-nginx # shows the stall nginx is there to prevent

The two recipes of deploy/README.md: `config.wsgi` on one gunicorn with two sync workers
(REST only), and `config.asgi` (REST and Socket.IO) on two gunicorns of one uvicorn worker
each, behind one nginx. Installs nginx from Debian's packages when it is missing, migrates a
throwaway SQLite database, collects the static files into a temporary folder, starts the
gunicorns with production settings and nginx with the repository's configuration, on free
loopback ports, and proves for each recipe:

  (a) 50 idle connections and 50 requests that send their headers and never their body leave
      GET /health/ answering 200 within 2 seconds;
  (b) a request line or a header over nginx's limits, and a NUL in a header, come back with
      the right status and the JSON envelope;
  (c) a 300 KB JSON body, sent whole or chunked, is a 413 in the envelope; the app's own
      errors pass through as the app wrote them; the upload endpoints take 11 MB bodies;
  (d) with gunicorn gone, nginx answers 502 in the envelope;

and for `config.asgi`, before (d):

  (e) a Socket.IO session through nginx: the long-polling handshake
      (`GET /socket.io/?EIO=4&transport=polling`), a namespace joined over polling, that
      session upgraded to a websocket (probe, upgrade, an event and its acknowledgement
      over the websocket), and a websocket opened directly; ten sessions in a row, every
      request of each reaching the gunicorn that opened it.

Everything it starts is stopped on exit. Exit status 0 when all holds, 1 with the reason
otherwise. Standard library only.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"
GUNICORN = REPO / ".venv" / "bin" / "gunicorn"
HOST = "127.0.0.1"
HEALTH_WITHIN_SECONDS = 2.0
SLOW_CLIENTS = 50
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UPLOAD_PATHS = (
    "/api/v1/users/profile/photo",
    "/api/v1/file/profile-photo",
    "/api/v1/live-stream/create",
)
ENVELOPE_KEYS = {"isSuccess", "statusCode", "data", "errors", "timestamp"}
# The two recipes (deploy/README.md): how many gunicorns, and what each runs.
RECIPES = {
    "wsgi": {"gunicorns": 1, "workers": 2, "app": "config.wsgi:application", "worker": "sync"},
    "asgi": {
        "gunicorns": 2,
        "workers": 1,
        "app": "config.asgi:application",
        "worker": "uvicorn_worker.UvicornWorker",
    },
}
SOCKET_SESSIONS = 10
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
UNKNOWN_STREAM_ID = "0" * 24


class SmokeFailure(Exception):
    pass


def log(message: str) -> None:
    print(f"smoke: {message}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


# --- Set-up ----------------------------------------------------------------------------------


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found:
        return found
    check(os.geteuid() == 0, "nginx is not installed, and installing it needs root")
    log("installing nginx from Debian's packages")
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300"]
    subprocess.run([*apt, "update", "-qq"], check=True, timeout=300)
    subprocess.run(
        [*apt, "install", "-y", "-qq", "--no-install-recommends", "nginx"],
        check=True,
        timeout=600,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")
    check(found is not None, "nginx is still missing after apt-get install")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def production_env(workdir: Path) -> dict:
    """The settings a production server runs with, on a throwaway database and folders."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SMS_", "EMAIL_", "OTP_"))
    }
    return {
        **inherited,
        # config.settings as it is, except that the static files go to a temporary folder.
        "DJANGO_SETTINGS_MODULE": "smoke_settings",
        "PYTHONPATH": f"{workdir}{os.pathsep}{REPO}",
        "YAYIN_TESTING": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DJANGO_NUM_PROXIES": "1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "SMS_BACKEND": "users.senders.WebhookSmsBackend",
        "SMS_WEBHOOK_URL": "https://sms.invalid/send",
        "EMAIL_URL": "smtp+tls://u:p@mail.invalid:587",
        "PUBLIC_API_URL": "https://api.example.com",
    }


def write_settings_override(workdir: Path) -> None:
    (workdir / "smoke_settings.py").write_text(
        f"from config.settings import *  # noqa: F403\nSTATIC_ROOT = {str(workdir / 'static')!r}\n"
    )


def run_manage(env: dict, *args: str) -> None:
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise SmokeFailure(
            f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}"
        )


def render_site_config(*, listen: str, upstreams: list[str], media_root: Path) -> str:
    text = (REPO / "deploy" / "nginx.conf").read_text()
    for placeholder, value in {
        "__LISTEN__": listen,
        "__SERVER_NAME__": "localhost",
        "__UPSTREAM_SERVERS__": " ".join(f"server {up} fail_timeout=0;" for up in upstreams),
        "__MEDIA_ROOT__": str(media_root),
    }.items():
        check(placeholder in text, f"deploy/nginx.conf has no {placeholder}")
        text = text.replace(placeholder, value)
    check("__" not in re.sub(r"#.*", "", text), "deploy/nginx.conf has an unknown placeholder")
    return text


def write_nginx_main_config(workdir: Path, site: Path) -> Path:
    """A minimal nginx.conf around the site file, everything under `workdir`."""
    mime_types = Path("/etc/nginx/mime.types")
    main = workdir / f"nginx-main-{site.stem}.conf"
    main.write_text(
        f"""worker_processes 1;
pid {workdir}/nginx-{site.stem}.pid;
error_log {workdir}/nginx-error.log info;
events {{ worker_connections 1024; }}
http {{
    {f"include {mime_types};" if mime_types.exists() else ""}
    default_type application/octet-stream;
    access_log {workdir}/nginx-access.log;
    client_body_temp_path {workdir}/nginx-body;
    proxy_temp_path {workdir}/nginx-proxy;
    fastcgi_temp_path {workdir}/nginx-fastcgi;
    uwsgi_temp_path {workdir}/nginx-uwsgi;
    scgi_temp_path {workdir}/nginx-scgi;
    include {site};
}}
"""
    )
    return main


class Processes:
    """What the smoke run started, stopped on exit by process id (and nothing else)."""

    def __init__(self):
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], log_path: Path, **kwargs) -> subprocess.Popen:
        log_file = log_path.open("ab")
        process = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs
        )
        log_file.close()
        self.started.append((name, process))
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def stop_all(self) -> None:
        for _name, process in reversed(self.started):
            self.stop(process)


# --- Talking HTTP by hand (slow clients need raw sockets) -------------------------------------


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=timeout)


def exchange(port: int, head: bytes, body_parts=(), timeout: float = 10.0):
    """Send a request (the body may be refused half-way) and read the answer to the end."""
    with connect(port, timeout) as connection:
        connection.sendall(head)
        try:
            for part in body_parts:
                connection.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # nginx answered before the body was through; its answer is still readable
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    check(received, f"no answer to {head[:60]!r}")
    header_block, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = header_block.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    return int(status_line.split()[1]), headers, body


def dechunk(data: bytes) -> bytes:
    body = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        body, data = body + data[:size], data[size + 2 :]
    return body


def request_head(method: str, target: str, headers: dict | None = None) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def get(port: int, target: str, headers: dict | None = None, timeout: float = 10.0):
    return exchange(port, request_head("GET", target, headers), timeout=timeout)


def envelope_of(status: int, headers: dict, body: bytes, what: str) -> dict:
    content_type = headers.get("content-type", "")
    check(
        content_type.startswith("application/json"),
        f"{what}: {status} with Content-Type {content_type!r}, not JSON: {body[:200]!r}",
    )
    try:
        envelope = json.loads(body)
    except ValueError as error:
        raise SmokeFailure(f"{what}: the body is not JSON ({error}): {body[:200]!r}") from error
    check(set(envelope) == ENVELOPE_KEYS, f"{what}: not the envelope: {envelope}")
    check(envelope["statusCode"] == status, f"{what}: statusCode {envelope['statusCode']}")
    check(envelope["isSuccess"] is (status < 400), f"{what}: isSuccess {envelope['isSuccess']}")
    check(TIMESTAMP_RE.match(envelope["timestamp"]) is not None, f"{what}: timestamp format")
    stamp = datetime.strptime(envelope["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    skew = abs((datetime.now(UTC) - stamp).total_seconds())
    check(skew < 60, f"{what}: timestamp {envelope['timestamp']} is {skew:.0f} s off UTC now")
    if status >= 400:
        check(envelope["data"] is None, f"{what}: data {envelope['data']!r}")
        errors = envelope["errors"]
        check(
            isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors),
            f"{what}: errors {errors!r}",
        )
    return envelope


def expect_error(response, status: int, what: str, errors: list[str] | None = None) -> None:
    got, headers, body = response
    check(got == status, f"{what}: expected {status}, got {got}: {body[:300]!r}")
    envelope = envelope_of(got, headers, body, what)
    if errors is not None:
        check(envelope["errors"] == errors, f"{what}: errors {envelope['errors']!r}")
    log(f"ok  {what}: {status} {envelope['errors']}")


def health_answers(port: int, *, attempts: int = 5) -> float:
    """GET /health/ `attempts` times in a row; each must be a 200 within the time allowed."""
    slowest = 0.0
    for _ in range(attempts):
        started = time.monotonic()
        try:
            status, headers, body = get(port, "/health/", timeout=HEALTH_WITHIN_SECONDS)
        except TimeoutError as error:
            raise SmokeFailure(
                f"GET /health/ had no answer within {HEALTH_WITHIN_SECONDS} s"
            ) from error
        elapsed = time.monotonic() - started
        check(status == 200, f"GET /health/ answered {status}: {body[:200]!r}")
        check(
            envelope_of(status, headers, body, "GET /health/")["data"]["status"] == "ok",
            "health not ok",
        )
        check(elapsed <= HEALTH_WITHIN_SECONDS, f"GET /health/ took {elapsed:.2f} s")
        slowest = max(slowest, elapsed)
    return slowest


def wait_for_health(port: int, process: subprocess.Popen, name: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SmokeFailure(f"{name} exited at start-up:\n{log_path.read_text()[-4000:]}")
        try:
            if get(port, "/health/", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SmokeFailure(
        f"{name} did not answer /health/ within 30 s:\n{log_path.read_text()[-4000:]}"
    )


def open_slow_clients(port: int) -> list[socket.socket]:
    """Connections that send nothing, and requests whose body never comes."""
    held = []
    for _ in range(SLOW_CLIENTS):
        held.append(connect(port))
    slow_body = request_head(
        "POST",
        "/api/v1/auth/send-otp",
        {"Content-Type": "application/json", "Content-Length": "1000"},
    )
    for _ in range(SLOW_CLIENTS):
        connection = connect(port)
        connection.sendall(slow_body)
        held.append(connection)
    return held


# --- The checks ------------------------------------------------------------------------------


def check_slow_clients(port: int) -> None:
    held = open_slow_clients(port)
    try:
        time.sleep(0.5)  # let every connection reach the server before asking for health
        slowest = health_answers(port)
        log(
            f"ok  (a) {SLOW_CLIENTS} idle connections + {SLOW_CLIENTS} bodies never sent: "
            f"/health/ 200, slowest {slowest * 1000:.0f} ms"
        )
    finally:
        for connection in held:
            connection.close()


def check_oversized_requests(port: int) -> None:
    expect_error(
        get(port, "/health/?q=" + "a" * 5000),
        414,
        "(b) request line over 4 KB",
        ["The request URL is too long."],
    )
    expect_error(
        get(port, "/health/", {"X-Padding": "a" * 5000}),
        431,
        "(b) header over 4 KB",
        ["The request headers are too large."],
    )
    expect_error(
        exchange(port, request_head("GET", "/health/")[:-2] + b"X-Bad: a\x00b\r\n\r\n"),
        400,
        "(b) NUL in a header",
        ["The request is malformed."],
    )
    many_headers = {f"X-Header-{index}": "1" for index in range(300)}
    status, headers, body = get(port, "/health/", many_headers)
    check(status == 200, f"300 small headers: {status} {body[:200]!r}")
    envelope_of(status, headers, body, "300 small headers")
    log("ok  (b) 300 small headers reach the app (gunicorn's header count limit is not hit)")


def check_bodies(port: int) -> None:
    too_large = ["The request body is too large."]
    body = json.dumps({"padding": "x" * 300_000}).encode()
    head = request_head(
        "POST",
        "/api/v1/auth/send-otp",
        {"Content-Type": "application/json", "Content-Length": str(len(body))},
    )
    expect_error(exchange(port, head, [body]), 413, "(c) 300 KB JSON body", too_large)

    chunked_head = request_head(
        "POST",
        "/api/v1/auth/send-otp",
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    )
    chunks = [b"%x\r\n%s\r\n" % (len(part), part) for part in split(body, 16384)] + [b"0\r\n\r\n"]
    expect_error(exchange(port, chunked_head, chunks), 413, "(c) 300 KB chunked JSON", too_large)

    small = b'{"countryCode": "90"}'
    head = request_head(
        "POST",
        "/api/v1/auth/send-otp",
        {"Content-Type": "application/json", "Content-Length": str(len(small))},
    )
    expect_error(
        exchange(port, head, [small]),
        400,
        "(c) the app's own 400 passes through",
        ["phoneNumber: This field is required."],
    )

    # The app refuses these before reading the body (no token); config/wsgi.py reads the rest
    # anyway, or gunicorn's close would reset nginx's connection mid-body and the client would
    # get a 502 instead of the app's 401.
    upload = b"x" * (10 * 1024 * 1024)
    for path in UPLOAD_PATHS:
        head = request_head(
            "PATCH" if "users" in path else "POST",
            path,
            {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(len(upload))},
        )
        for _ in range(3):
            status, headers, body = exchange(port, head, split(upload, 1 << 20), timeout=30)
            check(status == 401, f"10 MB upload to {path}: {status} {body[:200]!r}")
            envelope_of(status, headers, body, f"10 MB upload to {path}")
    log("ok  (c) 10 MB uploads reach the app on every upload path (anonymous: its 401)")


def split(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


def check_upstream_down(port: int, processes: Processes, gunicorns: list) -> None:
    for gunicorn in gunicorns:
        processes.stop(gunicorn)
    expect_error(
        get(port, "/health/"),
        502,
        "(d) gunicorn stopped",
        ["The service is temporarily unavailable."],
    )


# --- Socket.IO by hand: engine.io v4 over polling and a websocket ---------------------------


def poll(port: int, target: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One long-polling request (a GET reads packets, a POST sends them)."""
    if body is None:
        status, _headers, answer = get(port, target, timeout=30)
        return status, answer
    head = request_head(
        "POST",
        target,
        {"Content-Type": "text/plain;charset=UTF-8", "Content-Length": str(len(body))},
    )
    status, _headers, answer = exchange(port, head, [body], timeout=30)
    return status, answer


def engineio_open(packet: bytes | str, what: str) -> dict:
    """The handshake: `0{"sid": ..., "upgrades": [...], "pingInterval": ..., ...}`."""
    text = packet.decode() if isinstance(packet, bytes) else packet
    check(text.startswith("0{"), f"{what}: not an engine.io open packet: {text[:200]!r}")
    handshake = json.loads(text[1:])
    check(isinstance(handshake.get("sid"), str), f"{what}: no sid in {handshake}")
    return handshake


class WebSocket:
    """A client websocket on a raw socket: text frames, masked as RFC 6455 wants."""

    def __init__(self, port: int, target: str):
        self.connection = connect(port, timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        head = (
            f"GET {target} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self.connection.sendall(head.encode())
        self.reader = self.connection.makefile("rb")
        status_line = self.reader.readline().decode("latin-1").strip()
        headers = {}
        while (line := self.reader.readline().decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        check(status_line.split()[1:2] == ["101"], f"websocket {target}: {status_line!r}")
        accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest())
        check(
            headers.get("sec-websocket-accept") == accept.decode(),
            f"websocket {target}: Sec-WebSocket-Accept {headers.get('sec-websocket-accept')!r}",
        )

    def send(self, text: str) -> None:
        payload, mask = text.encode(), os.urandom(4)
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x81, 0x80 | size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.connection.sendall(header + mask + masked)

    def receive(self) -> str:
        """The next text message (the server's own pings of the websocket are answered)."""
        while True:
            first, second = self._read(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", self._read(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", self._read(8))
            payload = self._read(size)
            opcode = first & 0x0F
            if opcode == 0x1:
                return payload.decode()
            check(opcode != 0x8, f"the server closed the websocket: {payload[:2].hex()}")
            if opcode == 0x9:  # ping: pong with the same payload
                mask = os.urandom(4)
                masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
                self.connection.sendall(struct.pack("!BB", 0x8A, 0x80 | size) + mask + masked)

    def _read(self, size: int) -> bytes:
        data = self.reader.read(size)
        check(len(data) == size, "the websocket ended early")
        return data

    def close(self) -> None:
        self.reader.close()
        self.connection.close()


def socketio_connect_answer(text: str, namespace: str, what: str) -> None:
    """A Socket.IO CONNECT answer: `40/namespace,{"sid": ...}`."""
    prefix = f"40{namespace},"
    packets = text.split("\x1e")  # a polling answer may carry several packets
    answer = next((packet for packet in packets if packet.startswith(prefix)), None)
    check(answer is not None, f"{what}: no CONNECT answer for {namespace}: {text[:200]!r}")
    check("sid" in json.loads(answer[len(prefix) :]), f"{what}: {answer[:200]!r}")


def check_socket_session(proxy_port: int, app_ports: list[int]) -> None:
    """One client's session: the polling handshake, `/live-stream` joined over polling, the
    session kept on its gunicorn, upgraded to a websocket, an event and its acknowledgement."""
    status, body = poll(proxy_port, "/socket.io/?EIO=4&transport=polling")
    check(status == 200, f"(e) polling handshake: {status} {body[:200]!r}")
    handshake = engineio_open(body, "(e) polling handshake")
    check("websocket" in handshake.get("upgrades", []), f"(e) no websocket upgrade: {handshake}")
    session = f"/socket.io/?EIO=4&transport=polling&sid={handshake['sid']}"

    status, body = poll(proxy_port, session, b"40/live-stream,")
    check(
        status == 200 and body.lower() == b"ok",
        f"(e) namespace CONNECT over polling: {status} {body!r}",
    )
    status, body = poll(proxy_port, session)
    check(status == 200, f"(e) polling read: {status} {body[:200]!r}")
    socketio_connect_answer(body.decode(), "/live-stream", "(e) polling read")

    # The session lives in one process: straight to each gunicorn (a pong, harmless), exactly
    # one knows it.
    owners = [port for port in app_ports if poll(port, session, b"3")[0] == 200]
    check(len(owners) == 1, f"(e) the session is known to {len(owners)} gunicorns, not one")

    websocket = WebSocket(
        proxy_port, f"/socket.io/?EIO=4&transport=websocket&sid={handshake['sid']}"
    )
    try:
        websocket.send("2probe")
        check(websocket.receive() == "3probe", "(e) no 3probe answer to the upgrade probe")
        websocket.send("5")
        websocket.send(f'42/live-stream,1["joinStream",{{"liveStreamId":"{UNKNOWN_STREAM_ID}"}}]')
        answer = websocket.receive()
        while answer in ("6", "2"):  # a noop for the old transport, a ping
            if answer == "2":
                websocket.send("3")
            answer = websocket.receive()
        prefix = "43/live-stream,1"
        check(answer.startswith(prefix), f"(e) no acknowledgement of joinStream: {answer[:200]!r}")
        (ack,) = json.loads(answer[len(prefix) :])
        check(
            ack.get("ok") is False and ack.get("statusCode") == 404,
            f"(e) joinStream of an unknown stream: {ack}",
        )
    finally:
        websocket.close()


def check_direct_websocket(proxy_port: int) -> None:
    """A client that skips polling: the websocket from the first request, `/stream-chat`."""
    websocket = WebSocket(proxy_port, "/socket.io/?EIO=4&transport=websocket")
    try:
        engineio_open(websocket.receive(), "(e) direct websocket")
        websocket.send("40/stream-chat,")
        socketio_connect_answer(websocket.receive(), "/stream-chat", "(e) direct websocket")
    finally:
        websocket.close()


def check_sockets(proxy_port: int, app_ports: list[int]) -> None:
    for _ in range(SOCKET_SESSIONS):
        check_socket_session(proxy_port, app_ports)
        check_direct_websocket(proxy_port)
    log(
        f"ok  (e) {SOCKET_SESSIONS} Socket.IO sessions through nginx: polling handshake, "
        "namespace, each kept on its gunicorn, websocket upgrade, event acknowledged; and "
        f"{SOCKET_SESSIONS} direct websockets"
    )


def show_stall_without_nginx(app_port: int) -> int:
    """The issue's finding, for the record: 3 idle connections, or 3 requests whose body never
    comes, straight to two sync gunicorn workers. Exit 0 when both stall /health/."""
    slow_body = request_head(
        "POST",
        "/api/v1/auth/send-otp",
        {"Content-Type": "application/json", "Content-Length": "1000"},
    )
    stalled = 0
    for kind, opening in (("idle connections", b""), ("bodies never sent", slow_body)):
        held = [connect(app_port) for _ in range(3)]
        for connection in held:
            if opening:
                connection.sendall(opening)
        try:
            time.sleep(0.5)
            started = time.monotonic()
            try:
                status = get(app_port, "/health/", timeout=5)[0]
                elapsed = time.monotonic() - started
                log(f"without nginx, 3 {kind}: /health/ answered {status} in {elapsed:.2f} s")
            except TimeoutError:
                log(f"without nginx, 3 {kind}: /health/ had no answer within 5 s (stalled)")
                stalled += 1
        finally:
            for connection in held:
                connection.close()
        # Once those connections are gone the workers are free again; check before the next.
        check(get(app_port, "/health/", timeout=10)[0] == 200, "gunicorn did not recover")
    return 0 if stalled == 2 else 1


# --- Main ------------------------------------------------------------------------------------


def start_gunicorns(recipe: str, env: dict, workdir: Path, processes: Processes) -> list:
    """The recipe's gunicorns, each on a free port, answering /health/: [(process, port)]."""
    spec = RECIPES[recipe]
    started = []
    for index in range(spec["gunicorns"]):
        port = free_port()
        log_path = workdir / f"gunicorn-{recipe}-{index}.log"
        command = [
            str(GUNICORN),
            "--config",
            str(REPO / "deploy" / "gunicorn.conf.py"),
            "--worker-class",
            spec["worker"],
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(spec["workers"]),
            spec["app"],
        ]
        process = processes.start(
            f"gunicorn-{recipe}-{index}", command, log_path, cwd=REPO, env=env
        )
        wait_for_health(port, process, f"gunicorn ({recipe})", log_path)
        started.append((process, port))
    log(
        f"{recipe}: {spec['gunicorns']} gunicorn(s) of {spec['workers']} {spec['worker']} "
        f"worker(s) serving {spec['app']} on {', '.join(str(port) for _p, port in started)}"
    )
    return started


def start_nginx(recipe: str, nginx: str, app_ports: list[int], workdir: Path, processes: Processes):
    proxy_port = free_port()
    site = workdir / f"yayin-{recipe}.conf"
    site.write_text(
        render_site_config(
            listen=f"{HOST}:{proxy_port}",
            upstreams=[f"{HOST}:{port}" for port in app_ports],
            media_root=workdir / "media",
        )
    )
    main_config = write_nginx_main_config(workdir, site)
    nginx_command = [nginx, "-p", str(workdir), "-c", str(main_config)]
    test = subprocess.run([*nginx_command, "-t", "-q"], capture_output=True, text=True, timeout=30)
    check(test.returncode == 0, f"nginx -t refused the configuration:\n{test.stderr}")
    nginx_log = workdir / f"nginx-{recipe}.log"
    process = processes.start(f"nginx-{recipe}", [*nginx_command, "-g", "daemon off;"], nginx_log)
    wait_for_health(proxy_port, process, "nginx", nginx_log)
    log(f"{recipe}: nginx on {HOST}:{proxy_port} in front of them")
    return process, proxy_port


def check_recipe(recipe: str, nginx: str, env: dict, workdir: Path, processes: Processes) -> None:
    gunicorns = start_gunicorns(recipe, env, workdir, processes)
    app_ports = [port for _process, port in gunicorns]
    nginx_process, proxy_port = start_nginx(recipe, nginx, app_ports, workdir, processes)
    check_slow_clients(proxy_port)
    check_oversized_requests(proxy_port)
    check_bodies(proxy_port)
    if recipe == "asgi":
        check_sockets(proxy_port, app_ports)
    check_slow_clients(proxy_port)  # and nothing above left a worker stuck
    check_upstream_down(proxy_port, processes, [process for process, _port in gunicorns])
    processes.stop(nginx_process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-nginx",
        action="store_true",
        help="start gunicorn alone (2 sync workers) and show that 3 idle connections stall it",
    )
    parser.add_argument("--only", choices=sorted(RECIPES), help="check one recipe only")
    options = parser.parse_args()
    started = time.monotonic()
    processes = Processes()
    workdir = Path(tempfile.mkdtemp(prefix="yayin-smoke-"))

    def on_signal(signum, frame):
        raise SystemExit(f"smoke: stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        nginx = None if options.no_nginx else nginx_binary()
        # nginx's workers run as `nobody` when nginx starts as root: they read media from here.
        workdir.chmod(0o755)
        (workdir / "media").mkdir(mode=0o755)
        write_settings_override(workdir)
        env = production_env(workdir)
        log(f"work folder {workdir}")
        run_manage(env, "migrate", "--noinput")
        run_manage(env, "collectstatic", "--noinput")
        if options.no_nginx:
            ((_process, app_port),) = start_gunicorns("wsgi", env, workdir, processes)
            return show_stall_without_nginx(app_port)
        for recipe in [options.only] if options.only else list(RECIPES):
            check_recipe(recipe, nginx, env, workdir, processes)
        log(f"passed in {time.monotonic() - started:.1f} s")
        return 0
    except SmokeFailure as failure:
        print(f"smoke: FAILED: {failure}", file=sys.stderr, flush=True)
        for path in sorted(workdir.glob("*.log")):
            lines = [line[:300] for line in path.read_text().splitlines()[-15:]]
            if lines:
                print(f"--- {path.name} (last lines)", *lines, sep="\n", file=sys.stderr)
        return 1
    finally:
        processes.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
