"""deploy/gunicorn.conf.py leaves the scheme and the client's address to Django: gunicorn's
own default, and uvicorn's, would believe a client's X-Forwarded-Proto and X-Forwarded-For
from any address on the machine, whatever DJANGO_NUM_PROXIES says. A real gunicorn with the
recipe's configuration, on both of its workers (sync on config.wsgi, uvicorn on config.asgi),
asked for HTTPS with forged headers."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
FORGED_ADDRESS = "203.0.113.9"
RECIPES = {
    "sync": ["config.wsgi:application"],
    "uvicorn": ["--worker-class", "uvicorn_worker.UvicornWorker", "config.asgi:application"],
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(tmp_path, arguments: list[str]):
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "YAYIN_TESTING": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "gunicorn-conf-test-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "true",
        "ALLOW_CONSOLE_CODE_DELIVERY": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         *arguments],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    for _ in range(150):
        if process.poll() is not None:
            break
        try:
            # Every worker has booted once /health/ answers (one worker: that one).
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"gunicorn did not start: {(tmp_path / 'gunicorn.log').read_text()[-3000:]}")


def _stop(process) -> None:
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(params=sorted(RECIPES))
def gunicorn(request, tmp_path):
    process, port = _start(tmp_path, ["--workers", "1", *RECIPES[request.param]])
    try:
        yield port, tmp_path / "gunicorn.log"
    finally:
        _stop(process)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _forged_https_request(port: int):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/credit-packages",
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Ssl": "on",
            "X-Forwarded-For": FORGED_ADDRESS,
        },
    )
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request, timeout=10)
    return answer.value


def test_a_forged_x_forwarded_proto_does_not_pass_for_https(gunicorn):
    port, _log = gunicorn
    answer = _forged_https_request(port)
    # Plain HTTP: the SSL redirect applies. Believed, it would have been a 401 over "https".
    assert answer.code == 301
    assert answer.headers["Location"].startswith("https://127.0.0.1")


def test_a_forged_x_forwarded_for_is_not_the_clients_address(gunicorn):
    port, log = gunicorn
    _forged_https_request(port)
    time.sleep(0.3)  # the access log line is written after the answer
    access = [line for line in log.read_text().splitlines() if "/api/v1/credit-packages" in line]
    assert len(access) == 1
    assert access[0].startswith("127.0.0.1")
    assert FORGED_ADDRESS not in access[0]


def test_more_than_one_uvicorn_worker_in_a_gunicorn_is_warned_about(tmp_path):
    process, _port = _start(tmp_path, ["--workers", "2", *RECIPES["uvicorn"]])
    _stop(process)
    assert (
        "Socket.IO long-polling needs one worker per gunicorn"
        in (tmp_path / "gunicorn.log").read_text()
    )
