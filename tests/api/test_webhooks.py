"""Outgoing webhooks post through one helper that never follows a redirect."""

import json
import threading
import urllib.error
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.webhooks import post_json, validate_webhook_url


def serve(answer_status: int, location: str | None = None):
    """A loopback server answering every request with `answer_status`; returns it and the
    list of requests it received."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            received.append(
                {
                    "method": self.command,
                    "authorization": self.headers.get("Authorization"),
                    "body": self.rfile.read(length),
                }
            )
            self.send_response(answer_status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, received


@pytest.fixture
def servers():
    started = []

    def start(*args, **kwargs):
        server, received = serve(*args, **kwargs)
        started.append(server)
        return f"http://127.0.0.1:{server.server_port}/hook", received

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def test_post_json_posts_and_returns_the_status(servers):
    url, received = servers(202)

    status = post_json(url, {"to": "+905551234567"}, headers={"X-Key": "k"}, timeout=5)

    assert status == 202
    assert received == [
        {"method": "POST", "authorization": None, "body": b'{"to": "+905551234567"}'}
    ]


@pytest.mark.parametrize("redirect", [301, 302, 303, 307, 308])
def test_a_redirect_is_returned_and_never_followed(servers, redirect):
    elsewhere, elsewhere_received = servers(200)
    url, received = servers(redirect, location=elsewhere)

    status = post_json(url, {"a": 1}, headers={"Authorization": "Bearer secret"}, timeout=5)

    assert status == redirect
    assert len(received) == 1
    assert elsewhere_received == []


def test_an_error_status_is_returned(servers):
    url, _received = servers(503)

    assert post_json(url, {}, timeout=5) == 503


def test_a_connection_failure_raises():
    with pytest.raises(urllib.error.URLError, match="Connection refused"):
        post_json("http://127.0.0.1:9/hook", {}, timeout=2)  # nothing listens on port 9


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "/relative"])
def test_only_http_urls_are_posted_to(url):
    with pytest.raises(ValueError, match="http:// or https://"):
        post_json(url, {}, timeout=1)


@pytest.mark.parametrize(
    ("url", "debug", "allowed"),
    [
        ("https://relay.example.com/send", False, True),
        ("http://relay.example.com/send", False, False),
        ("http://relay.example.com/send", True, True),
        ("http://127.0.0.1:9000/send", False, True),
        ("http://[::1]/send", False, True),
        ("http://LOCALHOST/send", False, True),
        ("http://10.0.0.5/send", False, False),
        ("http://127.0.0.1.example.com/send", False, False),
        ("ftp://relay.example.com/send", True, False),
        ("not a url", True, False),
    ],
)
def test_webhook_urls_are_https_outside_debug_except_on_loopback(url, debug, allowed):
    if allowed:
        validate_webhook_url("PUSH_WEBHOOK_URL", url, debug=debug)
    else:
        with pytest.raises(ImproperlyConfigured, match="PUSH_WEBHOOK_URL must be an https:// URL"):
            validate_webhook_url("PUSH_WEBHOOK_URL", url, debug=debug)


def test_the_payload_is_json(servers):
    url, received = servers(200)

    post_json(url, {"title": "Çay", "data": [1, None]}, timeout=5)

    assert json.loads(received[0]["body"]) == {"title": "Çay", "data": [1, None]}
