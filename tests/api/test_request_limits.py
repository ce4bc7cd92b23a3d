"""Request body limits (issue 7, "Denial of service"): JSON and form bodies are capped at
API_MAX_BODY_BYTES and refused before they are read; multipart uploads may carry one 10 MB
image; everything over is a 413 in the envelope and changes nothing."""

import asyncio
import io
import json
import os

import pytest
from asgiref.sync import async_to_sync
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from PIL import Image
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from tests.helpers import assert_error, assert_success
from users import senders
from users.models import OneTimeCode, ProfilePhoto

pytestmark = pytest.mark.django_db

TOO_LARGE = ["The request body is too large."]
PHONE = {"countryCode": "90", "phoneNumber": "5551234567"}
CAP = 256 * 1024


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    senders.sms_outbox.clear()
    yield
    senders.sms_outbox.clear()


def padded_json(fields: dict, size: int, item: str = '{"liveStreamId":1}') -> bytes:
    """`fields` plus a `padding` array of small objects, `size` bytes in all (what the issue
    sent: a large array of small objects, each costing a key conversion)."""
    head = json.dumps({**fields, "padding": []}, separators=(",", ":"))[:-2]  # ends `"padding":[`
    room = size - len(head) - 2
    count = (room + 1) // (len(item) + 1)
    body = head + ",".join([item] * count)
    body += " " * (size - len(body) - 2) + "]}"
    assert len(body) == size
    return body.encode()


def post_json(client, url: str, body: bytes):
    return client.post(url, data=body, content_type="application/json")


def sign_in(client) -> dict:
    code = assert_success(client.post("/api/v1/auth/send-otp", PHONE, format="json"), 201)["code"]
    return assert_success(client.post("/api/v1/auth/verify-otp", {**PHONE, "code": code}))


# --- JSON, form and other bodies -------------------------------------------------------------


def test_the_issues_12_5_mb_array_is_a_413_on_send_otp_and_nothing_is_sent(api_client):
    response = post_json(api_client, "/api/v1/auth/send-otp", padded_json(PHONE, 12_500_000))

    assert_error(response, 413, TOO_LARGE)
    assert OneTimeCode.objects.count() == 0
    assert senders.sms_outbox == []


def test_the_issues_12_5_mb_array_is_a_413_on_refresh_and_the_token_is_not_used(api_client):
    session = sign_in(api_client)
    tokens = (OutstandingToken.objects.count(), BlacklistedToken.objects.count())

    response = post_json(
        api_client,
        "/api/v1/auth/refresh",
        padded_json({"refreshToken": session["refreshToken"]}, 12_500_000),
    )

    assert_error(response, 413, TOO_LARGE)
    assert (OutstandingToken.objects.count(), BlacklistedToken.objects.count()) == tokens
    refreshed = api_client.post(
        "/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]}, format="json"
    )
    assert_success(refreshed)


def test_a_json_body_of_exactly_the_cap_still_works(api_client):
    response = post_json(api_client, "/api/v1/auth/send-otp", padded_json(PHONE, CAP))

    assert assert_success(response, 201)["phoneNumber"] == "5551234567"
    assert OneTimeCode.objects.count() == 1
    assert len(senders.sms_outbox) == 1


def test_one_byte_over_the_cap_is_a_413_and_nothing_is_sent(api_client):
    response = post_json(api_client, "/api/v1/auth/send-otp", padded_json(PHONE, CAP + 1))

    assert_error(response, 413, TOO_LARGE)
    assert OneTimeCode.objects.count() == 0
    assert senders.sms_outbox == []


def test_the_cap_follows_the_setting(api_client, settings):
    settings.API_MAX_BODY_BYTES = 2048
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048

    assert_error(
        post_json(api_client, "/api/v1/auth/send-otp", padded_json(PHONE, 2049)), 413, TOO_LARGE
    )
    assert_success(post_json(api_client, "/api/v1/auth/send-otp", padded_json(PHONE, 2048)), 201)


def test_a_form_body_over_the_cap_is_a_413(api_client):
    body = "countryCode=90&phoneNumber=5551234567&padding=" + "x" * CAP

    response = api_client.post(
        "/api/v1/auth/send-otp", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert_error(response, 413, TOO_LARGE)
    assert OneTimeCode.objects.count() == 0


def test_a_small_form_body_still_works(api_client):
    response = api_client.post(
        "/api/v1/auth/send-otp",
        data="countryCode=90&phoneNumber=5551234567",
        content_type="application/x-www-form-urlencoded",
    )

    assert assert_success(response, 201)["countryCode"] == "90"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_any_other_body_over_the_cap_is_a_413_not_a_415(api_client, content_type):
    response = api_client.post(
        "/api/v1/auth/send-otp", data=b"x" * (CAP + 1), content_type=content_type
    )

    assert_error(response, 413, TOO_LARGE)


def test_a_body_django_finds_too_big_while_reading_it_is_a_413_not_a_400(api_client, settings):
    # The middleware passes it (under API_MAX_BODY_BYTES); Django's own limit, checked when DRF
    # reads `request.body`, raises RequestDataTooBig, which Django alone would answer with 400.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048

    response = post_json(api_client, "/api/v1/auth/send-otp", padded_json(PHONE, 4096))

    assert_error(response, 413, TOO_LARGE)
    assert OneTimeCode.objects.count() == 0


# --- A body with no Content-Length (chunked), through the ASGI application -------------------


def asgi_post(path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> dict:
    """One request through `config.asgi.application`, its body in `chunks` the way an ASGI
    server hands over a chunked upload; returns the status, headers and body sent back."""
    from config.asgi import application

    messages = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    answer = {"body": b""}

    async def receive():
        if messages:
            return messages.pop(0)
        await stay_connected()
        return None

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    async_to_sync(application)(scope, receive, send)
    return answer


async def stay_connected():
    """A client that stays connected: Django listens for a disconnect while it answers."""
    await asyncio.get_running_loop().create_future()


class AsgiResponse:
    """Enough of a test-client response for `assert_error` / `assert_success`."""

    def __init__(self, answer: dict):
        self.status_code = answer["status"]
        self.content = answer["body"]

    def json(self):
        return json.loads(self.content)


@pytest.fixture
def keep_the_test_database_connection():
    """As Django's test client does: a real request would close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("keep_the_test_database_connection")
def test_a_chunked_body_over_the_cap_is_a_413_under_asgi():
    chunks = [b'{"countryCode":"90","phoneNumber":"5551234567","padding":"'] + [b"x" * 65536] * 5
    chunks.append(b'"}')

    answer = asgi_post(
        "/api/v1/auth/send-otp",
        chunks,
        [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
    )

    assert_error(AsgiResponse(answer), 413, TOO_LARGE)
    assert OneTimeCode.objects.count() == 0


@pytest.mark.usefixtures("keep_the_test_database_connection")
def test_a_small_body_still_works_under_asgi():
    body = json.dumps(PHONE).encode()

    answer = asgi_post(
        "/api/v1/auth/send-otp",
        [body],
        [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    )

    assert assert_success(AsgiResponse(answer), 201)["phoneNumber"] == "5551234567"
    assert OneTimeCode.objects.count() == 1


# --- Multipart uploads ---------------------------------------------------------------------


def ten_megabyte_png() -> bytes:
    """A real PNG of about 10 MB (random pixels do not compress), under the 10 MiB limit."""
    width, height = 1800, 1900
    buffer = io.BytesIO()
    pixels = os.urandom(width * height * 3)
    Image.frombytes("RGB", (width, height), pixels).save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def test_a_10_mb_photo_upload_still_works(user_client, user, settings):
    content = ten_megabyte_png()
    assert 10_000_000 < len(content) <= settings.IMAGE_MAX_BYTES
    upload = SimpleUploadedFile("big.png", content, content_type="image/png")

    response = user_client.patch(
        "/api/v1/users/profile/photo", {"file": upload}, format="multipart"
    )

    photo = ProfilePhoto.objects.get(user=user)
    assert assert_success(response)["profilePhoto"]["_id"] == photo.pk
    assert (photo.width, photo.height) == (1800, 1900)


def test_a_multipart_body_over_the_upload_cap_is_a_413_and_nothing_is_stored(
    user_client, user, settings
):
    content = b"\x89PNG\r\n\x1a\n" + b"\0" * settings.MAX_UPLOAD_REQUEST_BYTES
    upload = SimpleUploadedFile("huge.png", content, content_type="image/png")

    response = user_client.patch(
        "/api/v1/users/profile/photo", {"file": upload}, format="multipart"
    )

    assert_error(response, 413, TOO_LARGE)
    assert not ProfilePhoto.objects.filter(user=user).exists()
    assert not (settings.MEDIA_ROOT.exists() and any(settings.MEDIA_ROOT.rglob("*.*")))


def test_a_multipart_text_field_over_the_cap_is_a_413_not_a_400(user_client, user):
    # Only the file may be large: Django counts the other fields against
    # DATA_UPLOAD_MAX_MEMORY_SIZE while it parses, and raises RequestDataTooBig.
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 20, 30)).save(buffer, format="PNG")
    upload = SimpleUploadedFile("small.png", buffer.getvalue(), content_type="image/png")

    response = user_client.patch(
        "/api/v1/users/profile/photo",
        {"file": upload, "note": "x" * (CAP + 1)},
        format="multipart",
    )

    assert_error(response, 413, TOO_LARGE)
    assert not ProfilePhoto.objects.filter(user=user).exists()
