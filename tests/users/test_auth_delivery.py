"""Where codes go: the webhook SMS backend, and the production guards around delivery."""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import CommandError, call_command

from tests.helpers import assert_error, assert_success
from users.models import OneTimeCode

pytestmark = pytest.mark.django_db

PHONE = {"countryCode": "90", "phoneNumber": "5551234567"}


def _serve(handler_class):
    server = HTTPServer(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@pytest.fixture
def sms_gateway():
    """A real HTTP server on loopback standing in for an SMS relay; `location` set, it answers
    with a redirect there instead."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        status = 202
        location = None

        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(
                {
                    "body": json.loads(self.rfile.read(length)),
                    "authorization": self.headers.get("Authorization"),
                }
            )
            self.send_response(type(self).status)
            if type(self).location:
                self.send_header("Location", type(self).location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = _serve(Handler)
    yield {
        "url": f"http://127.0.0.1:{server.server_port}/send",
        "received": received,
        "handler": Handler,
    }
    server.shutdown()
    server.server_close()


@pytest.fixture
def capture_server():
    """Another host, as far as the relay's redirect goes: records every request it gets."""
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def _record(self):
            requests.append({"method": self.command, "headers": dict(self.headers)})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_HEAD = _record

        def log_message(self, *args):
            pass

    server = _serve(Handler)
    yield {"url": f"http://127.0.0.1:{server.server_port}/elsewhere", "requests": requests}
    server.shutdown()
    server.server_close()


def test_the_webhook_backend_posts_the_code_to_the_gateway(api_client, settings, sms_gateway):
    settings.SMS_BACKEND = "users.senders.WebhookSmsBackend"
    settings.SMS_WEBHOOK_URL = sms_gateway["url"]
    settings.SMS_WEBHOOK_TOKEN = "relay-secret"

    data = assert_success(api_client.post("/api/v1/auth/send-otp", PHONE), 201)

    assert sms_gateway["received"] == [
        {
            "body": {
                "to": "+905551234567",
                "body": f"Your yayin code is {data['code']}. It is valid for 5 minutes.",
            },
            "authorization": "Bearer relay-secret",
        }
    ]


def test_a_gateway_error_is_a_503_and_keeps_no_code(api_client, settings, sms_gateway):
    settings.SMS_BACKEND = "users.senders.WebhookSmsBackend"
    settings.SMS_WEBHOOK_URL = sms_gateway["url"]
    sms_gateway["handler"].status = 500

    assert_error(
        api_client.post("/api/v1/auth/send-otp", PHONE),
        503,
        ["The code could not be sent; try again in a moment."],
    )
    assert OneTimeCode.objects.count() == 0


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_delivery_and_is_not_followed(
    api_client, settings, sms_gateway, capture_server, status
):
    settings.SMS_BACKEND = "users.senders.WebhookSmsBackend"
    settings.SMS_WEBHOOK_URL = sms_gateway["url"]
    settings.SMS_WEBHOOK_TOKEN = "relay-secret"
    sms_gateway["handler"].status = status
    sms_gateway["handler"].location = capture_server["url"]

    assert_error(
        api_client.post("/api/v1/auth/send-otp", PHONE),
        503,
        ["The code could not be sent; try again in a moment."],
    )
    assert len(sms_gateway["received"]) == 1
    assert capture_server["requests"] == []  # nothing re-sent, the token never left
    assert OneTimeCode.objects.count() == 0


def test_production_refuses_to_echo_codes():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        ],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_DEBUG": "false",
            "YAYIN_TESTING": "false",
            "DJANGO_SECRET_KEY": "x" * 60,
            "OTP_ECHO": "true",
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "OTP_ECHO would return every sign-in code" in result.stderr


def test_demo_data_is_refused_outside_debug_mode(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="runs only with DJANGO_DEBUG=true"):
        call_command("seed_demo")


PRODUCTION = {
    "PATH": "/usr/bin:/bin",
    "DJANGO_DEBUG": "false",
    "YAYIN_TESTING": "false",
    "DJANGO_SECRET_KEY": "x" * 60,
    "SMS_BACKEND": "users.senders.WebhookSmsBackend",
    "SMS_WEBHOOK_URL": "https://sms-relay.yayin.example/send",
    "EMAIL_URL": "smtp+tls://user:password@mail.yayin.example:587",
}


def start_django(**variables) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter, as a server start would."""
    environment = {**PRODUCTION, **variables}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
            "django.setup(); print('started')",
        ],
        env={name: value for name, value in environment.items() if value is not None},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_starts_with_real_delivery():
    result = start_django()

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"SMS_BACKEND": None},
            "SMS_BACKEND=users.senders.ConsoleSmsBackend would write sign-in codes to the log",
        ),
        (
            {"SMS_BACKEND": "users.senders.ConsoleSmsBackend"},
            "SMS_BACKEND=users.senders.ConsoleSmsBackend would write sign-in codes to the log",
        ),
        (
            {"SMS_BACKEND": "users.senders.LocMemSmsBackend"},
            "SMS_BACKEND=users.senders.LocMemSmsBackend would write sign-in codes to the log",
        ),
        ({"EMAIL_URL": None}, "EMAIL_URL=console: would write sign-in codes to the log"),
        ({"EMAIL_URL": "console:"}, "EMAIL_URL=console: would write sign-in codes to the log"),
        ({"SMS_WEBHOOK_URL": None}, "SMS_BACKEND is the webhook backend: set SMS_WEBHOOK_URL."),
        (
            {"SMS_WEBHOOK_URL": "http://sms-relay.yayin.example/send"},
            "SMS_WEBHOOK_URL must be an https:// URL outside debug",
        ),
        (
            {"SMS_WEBHOOK_URL": "ftp://sms-relay.yayin.example/send"},
            "SMS_WEBHOOK_URL must be an https:// URL with a host name.",
        ),
        ({"SMS_WEBHOOK_URL": "https:///send"}, "SMS_WEBHOOK_URL must be an https:// URL"),
    ],
)
def test_production_refuses_to_start_when_codes_would_not_reach_people(variables, message):
    result = start_django(**variables)

    assert result.returncode != 0
    assert message in result.stderr
    assert "relay.yayin.example" not in result.stderr.splitlines()[-1]  # no URL in the message


def test_console_delivery_in_production_only_when_explicitly_allowed():
    result = start_django(SMS_BACKEND=None, EMAIL_URL=None, ALLOW_CONSOLE_CODE_DELIVERY="true")

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/send",
        "http://127.8.0.1/send",
        "http://[::1]:9000/send",
        "http://localhost/send",
    ],
)
def test_a_relay_on_the_same_host_may_use_plain_http(url):
    assert start_django(SMS_WEBHOOK_URL=url).returncode == 0


def test_debug_allows_a_plain_http_relay_anywhere():
    result = start_django(
        DJANGO_DEBUG="true", SMS_WEBHOOK_URL="http://sms-relay.yayin.example/send"
    )

    assert result.returncode == 0, result.stderr
