"""The deploy recipe, for real: nginx (deploy/nginx.conf) in front of two sync gunicorn workers.

    .venv/bin/python deploy/smoke.py            # what CI runs (.ci/run)
    .venv/bin/python deploy/smoke.py --no-nginx # shows the stall nginx is there to prevent

Installs nginx from Debian's packages when it is missing, migrates a throwaway SQLite
database, collects the static files into a temporary folder, starts gunicorn with production
settings and nginx with the repository's configuration, on free loopback ports, and proves:

  (a) 50 idle connections and 50 requests that send their headers and never their body leave
      GET /health/ answering 200 within 2 seconds;
  (b) a request line or a header over nginx's limits, and a NUL in a header, come back with
      the right status and the JSON envelope;
  (c) a 300 KB JSON body, sent whole or chunked, is a 413 in the envelope; the app's own
      errors pass through as the app wrote them; the upload endpoints take 11 MB bodies;
  (d) with gunicorn gone, nginx answers 502 in the envelope.

Everything it starts is stopped on exit. Exit status 0 when all holds, 1 with the reason
otherwise. Standard library only.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
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


def render_site_config(*, listen: str, upstream: str, media_root: Path) -> str:
    text = (REPO / "deploy" / "nginx.conf").read_text()
    for placeholder, value in {
        "__LISTEN__": listen,
        "__SERVER_NAME__": "localhost",
        "__UPSTREAM__": upstream,
        "__MEDIA_ROOT__": str(media_root),
    }.items():
        check(placeholder in text, f"deploy/nginx.conf has no {placeholder}")
        text = text.replace(placeholder, value)
    check("__" not in re.sub(r"#.*", "", text), "deploy/nginx.conf has an unknown placeholder")
    return text


def write_nginx_main_config(workdir: Path) -> Path:
    """A minimal nginx.conf around the site file, everything under `workdir`."""
    mime_types = Path("/etc/nginx/mime.types")
    main = workdir / "nginx-main.conf"
    main.write_text(
        f"""worker_processes 1;
pid {workdir}/nginx.pid;
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
    include {workdir}/yayin.conf;
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


def check_upstream_down(port: int, processes: Processes, gunicorn: subprocess.Popen) -> None:
    processes.stop(gunicorn)
    expect_error(
        get(port, "/health/"),
        502,
        "(d) gunicorn stopped",
        ["The service is temporarily unavailable."],
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-nginx",
        action="store_true",
        help="start gunicorn alone and show that 3 idle connections stall it",
    )
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

        app_port = free_port()
        gunicorn_log = workdir / "gunicorn.log"
        gunicorn = processes.start(
            "gunicorn",
            [
                str(GUNICORN),
                "--config",
                str(REPO / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"{HOST}:{app_port}",
                "--workers",
                "2",
                "config.wsgi:application",
            ],
            gunicorn_log,
            cwd=REPO,
            env=env,
        )
        wait_for_health(app_port, gunicorn, "gunicorn", gunicorn_log)
        log(f"gunicorn (2 sync workers) on {HOST}:{app_port}")
        if options.no_nginx:
            return show_stall_without_nginx(app_port)

        proxy_port = free_port()
        (workdir / "yayin.conf").write_text(
            render_site_config(
                listen=f"{HOST}:{proxy_port}",
                upstream=f"{HOST}:{app_port}",
                media_root=workdir / "media",
            )
        )
        main_config = write_nginx_main_config(workdir)
        nginx_command = [nginx, "-p", str(workdir), "-c", str(main_config)]
        test = subprocess.run(
            [*nginx_command, "-t", "-q"], capture_output=True, text=True, timeout=30
        )
        check(test.returncode == 0, f"nginx -t refused the configuration:\n{test.stderr}")
        nginx_log = workdir / "nginx.log"
        nginx_process = processes.start("nginx", [*nginx_command, "-g", "daemon off;"], nginx_log)
        wait_for_health(proxy_port, nginx_process, "nginx", nginx_log)
        log(f"nginx on {HOST}:{proxy_port} in front of it")

        check_slow_clients(proxy_port)
        check_oversized_requests(proxy_port)
        check_bodies(proxy_port)
        check_slow_clients(proxy_port)  # and nothing above left a worker stuck
        check_upstream_down(proxy_port, processes, gunicorn)
        log(f"passed in {time.monotonic() - started:.1f} s")
        return 0
    except SmokeFailure as failure:
        print(f"smoke: FAILED: {failure}", file=sys.stderr, flush=True)
        for name in ("nginx-error.log", "gunicorn.log"):
            path = workdir / name
            if path.exists():
                lines = [line[:300] for line in path.read_text().splitlines()[-15:]]
                print(f"--- {name} (last lines)", *lines, sep="\n", file=sys.stderr)
        return 1
    finally:
        processes.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
