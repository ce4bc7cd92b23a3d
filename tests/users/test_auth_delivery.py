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


@pytest.fixture
def sms_gateway():
    """A real HTTP server on loopback standing in for an SMS relay."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        status = 202

        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(
                {
                    "body": json.loads(self.rfile.read(length)),
                    "authorization": self.headers.get("Authorization"),
                }
            )
            self.send_response(type(self).status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {
        "url": f"http://127.0.0.1:{server.server_port}/send",
        "received": received,
        "handler": Handler,
    }
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
