"""deploy/gunicorn.conf.py leaves the scheme to Django: gunicorn's own default would believe a
client's X-Forwarded-Proto from any address on the machine, whatever DJANGO_NUM_PROXIES says.
A real gunicorn with the recipe's configuration, asked for HTTPS with a forged header."""

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
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
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not start: {process.stderr.read1().decode()}")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_forged_x_forwarded_proto_does_not_pass_for_https(gunicorn):
    request = urllib.request.Request(
        f"http://127.0.0.1:{gunicorn}/api/v1/credit-packages",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request, timeout=10)
    # Plain HTTP: the SSL redirect applies. Believed, it would have been a 401 over "https".
    assert answer.value.code == 301
    assert answer.value.headers["Location"].startswith("https://127.0.0.1")
