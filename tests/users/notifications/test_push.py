"""Push (contract section 10): every notification goes to its recipient's devices through
PUSH_BACKEND. The webhook backend is tested against a capture server on 127.0.0.1: it
receives `{tokens, platform, title, body, data}` per platform and message, and the tokens
it answers as invalid are dropped."""

import json
import logging
import runpy
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import config
from tests.factories import UserFactory
from tests.users.notifications.factories import DeviceTokenFactory
from users.models import User
from users.notifications import push, services, tasks
from users.notifications.models import DeviceToken, Notification

pytestmark = pytest.mark.django_db

WEBHOOK = "users.notifications.push.WebhookPushBackend"


class CaptureServer:
    """A push relay on 127.0.0.1 that records every request and gives the answers it is
    told, in order (the last one again once they run out)."""

    def __init__(self, answers: list[tuple[int, dict | None, dict | None]]):
        self.answers = list(answers)
        self.received: list[dict] = []
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                capture.received.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "content_type": self.headers.get("Content-Type"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                status, body, headers = (
                    capture.answers.pop(0) if len(capture.answers) > 1 else capture.answers[0]
                )
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/push"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def relay(settings):
    """`relay(answers)`: a capture server as PUSH_WEBHOOK_URL, the webhook backend on."""
    started = []

    def start(*answers):
        server = CaptureServer(list(answers) or [(200, {}, None)])
        started.append(server)
        settings.PUSH_BACKEND = WEBHOOK
        settings.PUSH_WEBHOOK_URL = server.url
        settings.PUSH_WEBHOOK_TOKEN = "relay-secret"
        settings.PUSH_WEBHOOK_TIMEOUT = 5
        return server

    yield start
    for server in started:
        server.close()


def announce(recipient, title="Bakım", message="Bu gece kısa bir bakım var."):
    return services.announcement_create(recipient=recipient, title=title, message=message)


def tokens_of(user) -> list:
    return sorted(DeviceToken.objects.filter(user=user).values_list("token", flat=True), key=str)


def test_the_relay_receives_each_platform_and_message_once_with_its_tokens(relay, after_commit):
    server = relay()
    first, second = UserFactory(), UserFactory()
    DeviceTokenFactory(user=first, token="ios-a", platform="ios")
    DeviceTokenFactory(user=first, token="web-a", platform="web")
    DeviceTokenFactory(user=second, token="ios-b", platform="ios")
    DeviceTokenFactory(user=second, token=None, platform="android")  # no token yet
    DeviceTokenFactory(user=UserFactory(), token="someone-else", platform="ios")

    with after_commit():
        services.notify_many(
            recipients=[(first.pk, "en"), (second.pk, "en")],
            category="announcement",
            title="Yeni özellik",
            message="Canlı yayınlara tepki verebilirsin.",
            metadata={"deep_link": "yayin://features/1"},
            key="announcement:x",
        )

    requests = sorted(server.received, key=lambda request: request["body"]["platform"])
    data = {"category": "announcement", "deepLink": "yayin://features/1"}
    assert requests == [
        {
            "path": "/push",
            "authorization": "Bearer relay-secret",
            "content_type": "application/json",
            "body": {
                "tokens": ["ios-a", "ios-b"],
                "platform": "ios",
                "title": "Yeni özellik",
                "body": "Canlı yayınlara tepki verebilirsin.",
                "data": data,
            },
        },
        {
            "path": "/push",
            "authorization": "Bearer relay-secret",
            "content_type": "application/json",
            "body": {
                "tokens": ["web-a"],
                "platform": "web",
                "title": "Yeni özellik",
                "body": "Canlı yayınlara tepki verebilirsin.",
                "data": data,
            },
        },
    ]
    assert Notification.objects.filter(pushed_at__isnull=True).count() == 0


def test_no_bearer_header_without_a_token(relay, settings, user, after_commit):
    server = relay()
    settings.PUSH_WEBHOOK_TOKEN = ""
    DeviceTokenFactory(user=user, token="t")

    with after_commit():
        announce(user)

    assert [request["authorization"] for request in server.received] == [None]


def test_tokens_the_relay_calls_invalid_are_dropped(relay, user, other_user, after_commit):
    server = relay((200, {"invalidTokens": ["dead", "not-sent-here", 7]}, None))
    DeviceTokenFactory(user=user, device_id="old-phone", token="dead")
    DeviceTokenFactory(user=user, device_id="new-phone", token="alive")
    DeviceTokenFactory(user=other_user, token="not-sent-here")

    with after_commit():
        announce(user)

    assert len(server.received) == 1
    assert tokens_of(user) == [None, "alive"]
    assert tokens_of(other_user) == ["not-sent-here"]  # not in this request: kept
    # the device stays (its time zone, its Live Activity token); only its token is gone
    assert DeviceToken.objects.filter(user=user).count() == 2


@pytest.mark.parametrize("answer", [b"", b"not json", b"[1, 2]", b'{"invalidTokens": "dead"}'])
def test_an_answer_without_invalid_tokens_drops_none(answer):
    assert push.invalid_tokens_of(answer, ["dead"]) == []


@pytest.mark.parametrize("failure", [503, 429])
def test_a_relay_that_is_down_is_tried_again_and_pushed_once(relay, user, after_commit, failure):
    server = relay((failure, None, None), (200, {}, None))
    DeviceTokenFactory(user=user, token="t")

    with after_commit():
        announce(user)

    assert [request["body"]["tokens"] for request in server.received] == [["t"], ["t"]]
    assert Notification.objects.get().pushed_at is not None


def test_a_relay_that_stays_unreachable_fails_the_task_after_its_retries(
    settings, user, django_capture_on_commit_callbacks
):
    settings.PUSH_BACKEND = WEBHOOK
    settings.PUSH_WEBHOOK_URL = "http://127.0.0.1:9/push"  # nothing listens on port 9
    DeviceTokenFactory(user=user, token="t")

    with (
        pytest.raises(push.PushRelayUnavailable, match="unreachable"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        announce(user)

    assert Notification.objects.get().pushed_at is None  # a later run can still push it


@pytest.mark.parametrize("refusal", [400, 401, 302])
def test_a_refusal_is_logged_not_retried_and_no_redirect_is_followed(
    relay, user, after_commit, caplog, refusal
):
    elsewhere = relay()
    server = relay((refusal, None, {"Location": elsewhere.url}))
    DeviceTokenFactory(user=user, token="t")

    with after_commit():
        announce(user)

    assert len(server.received) == 1
    assert elsewhere.received == []
    assert Notification.objects.get().pushed_at is not None
    assert f"push relay answered {refusal}" in caplog.text
    assert [record.levelno for record in caplog.records if "refused" in record.getMessage()] == [
        logging.ERROR
    ]


def test_a_push_that_runs_again_sends_nothing_twice(relay, user, after_commit):
    server = relay()
    DeviceTokenFactory(user=user, token="t")
    with after_commit():
        notification = announce(user)

    tasks.push.delay(key=notification.key, user_ids=[user.pk])

    assert len(server.received) == 1


def test_many_tokens_go_in_requests_of_at_most_500(relay, user, after_commit):
    server = relay()
    recipients = User.objects.bulk_create(
        [User(username=f"many{index:04d}") for index in range(501)]
    )
    DeviceToken.objects.bulk_create(
        [
            DeviceToken(user=recipient, device_id="d", token=f"t{index:04d}", platform="android")
            for index, recipient in enumerate(recipients)
        ]
    )

    with after_commit():
        services.notify_many(
            recipients=[(recipient.pk, "en") for recipient in recipients],
            category="announcement",
            title="T",
            message="M",
            key="announcement:many",
        )

    assert sorted(len(request["body"]["tokens"]) for request in server.received) == [1, 500]


def test_the_console_backend_logs(settings, user, after_commit, caplog):
    caplog.set_level(logging.INFO, logger="users.notifications.push")
    settings.PUSH_BACKEND = "users.notifications.push.ConsolePushBackend"
    DeviceTokenFactory(user=user, token="t", platform="web")

    with after_commit():
        announce(user, title="Merhaba", message="Hoş geldin")

    assert "push to 1 web device(s): Merhaba: Hoş geldin" in caplog.text


def test_a_recipient_without_devices_is_marked_pushed_without_a_request(relay, user, after_commit):
    server = relay()

    with after_commit():
        announce(user)

    assert server.received == []
    assert Notification.objects.get().pushed_at is not None


# --- settings --------------------------------------------------------------------------------

SETTINGS_FILE = Path(config.__file__).with_name("settings.py")
VARIABLES = ("PUSH_BACKEND", "PUSH_WEBHOOK_URL", "YAYIN_TESTING", "DJANGO_DEBUG")


@pytest.fixture
def settings_with(monkeypatch):
    def load(**environ):
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return load


@pytest.mark.parametrize(
    ("environ", "backend"),
    [
        ({}, "users.notifications.push.ConsolePushBackend"),
        ({"PUSH_WEBHOOK_URL": "https://relay.example.com/push"}, WEBHOOK),
        ({"YAYIN_TESTING": "true"}, "users.notifications.push.LocMemPushBackend"),
        (
            {
                "PUSH_WEBHOOK_URL": "https://relay.example.com/push",
                "PUSH_BACKEND": "users.notifications.push.ConsolePushBackend",
            },
            "users.notifications.push.ConsolePushBackend",
        ),
    ],
)
def test_the_push_backend_default(settings_with, environ, backend):
    loaded = settings_with(**{"YAYIN_TESTING": "false", "DJANGO_DEBUG": "true", **environ})

    assert loaded["PUSH_BACKEND"] == backend


def test_the_webhook_backend_without_a_url_refuses_to_start(settings_with):
    with pytest.raises(ImproperlyConfigured, match="set PUSH_WEBHOOK_URL"):
        settings_with(YAYIN_TESTING="false", DJANGO_DEBUG="true", PUSH_BACKEND=WEBHOOK)


def test_a_plain_http_relay_outside_debug_refuses_to_start(settings_with, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    with pytest.raises(ImproperlyConfigured, match="PUSH_WEBHOOK_URL must be an https://"):
        settings_with(YAYIN_TESTING="true", PUSH_WEBHOOK_URL="http://relay.example.com/push")
