"""The envelope on every kind of response (contract section 0)."""

import pytest
from django.db import connection
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient

from config.urls import urlpatterns as project_urlpatterns
from tests.helpers import assert_error, assert_success

pytestmark = pytest.mark.django_db


@api_view(["GET"])
@permission_classes([AllowAny])
def crash(request):
    raise RuntimeError("secret internals: password=hunter2")


@api_view(["GET"])
@permission_classes([AllowAny])
def shapes(request):
    import datetime
    from decimal import Decimal

    return Response(
        {
            "created_at": datetime.datetime(2026, 1, 15, 10, 30, 0, 123456, tzinfo=datetime.UTC),
            "price": Decimal("9.99"),
            "whole_price": Decimal("10.00"),
            "_id": "64d15f9e2e6c8f4d5a123456",
            "nested_list": [{"snake_key": 1}],
        }
    )


urlpatterns = [
    path("test/crash", crash),
    path("test/shapes", shapes),
    *project_urlpatterns,
]


@pytest.fixture
def test_urls(settings):
    settings.ROOT_URLCONF = __name__


def test_an_unknown_url_is_a_404_in_the_envelope(api_client):
    assert_error(api_client.get("/api/v1/no-such-thing"), 404, ["Resource not found"])


def test_an_unknown_url_is_a_404_in_the_envelope_in_debug_mode_too(api_client, settings):
    settings.DEBUG = True

    assert_error(api_client.get("/api/v1/no-such-thing"), 404, ["Resource not found"])


def test_a_wrong_method_is_a_405(api_client):
    response = api_client.get("/api/v1/auth/send-otp")

    assert_error(response, 405, ['Method "GET" not allowed.'])
    assert response.headers["Allow"] == "POST, OPTIONS"


def test_malformed_json_is_a_400(api_client):
    response = api_client.post(
        "/api/v1/auth/send-otp", data="{not json", content_type="application/json"
    )

    assert_error(response, 400, ["The request body is not valid JSON."])


@pytest.mark.parametrize("depth", [600, 5000, 100_000])
def test_json_nested_hundreds_of_levels_deep_is_a_400(api_client, depth):
    body = '{"email": ' + "[" * depth + "]" * depth + "}"

    response = api_client.post(
        "/api/v1/auth/send-otp-email", data=body, content_type="application/json"
    )

    assert_error(response, 400, ["The request body is nested too deeply."])


def test_bytes_that_are_not_utf8_are_a_400(api_client):
    response = api_client.post(
        "/api/v1/auth/send-otp-email", data=b'{"email": "\xff"}', content_type="application/json"
    )

    assert_error(response, 400, ["The request body is not valid JSON."])


def test_an_unsupported_media_type_is_a_415(api_client):
    response = api_client.post("/api/v1/auth/send-otp", data="<x/>", content_type="application/xml")

    assert_error(response, 415, ['Unsupported media type "application/xml" in request.'])


def test_a_crash_is_a_500_that_leaks_nothing(test_urls):
    client = APIClient(raise_request_exception=False)

    response = client.get("/test/crash")

    assert_error(response, 500, ["Internal server error"])
    assert b"hunter2" not in response.content
    assert b"RuntimeError" not in response.content


def test_data_is_camel_cased_with_ms_utc_timestamps_and_numeric_money(api_client, test_urls):
    data = assert_success(api_client.get("/test/shapes"))

    assert data == {
        "createdAt": "2026-01-15T10:30:00.123Z",
        "price": 9.99,
        "wholePrice": 10,
        "_id": "64d15f9e2e6c8f4d5a123456",
        "nestedList": [{"snakeKey": 1}],
    }


def test_messages_follow_x_language_then_accept_language(api_client):
    turkish = ["Kaynak bulunamadı"]
    assert_error(api_client.get("/api/v1/nope", HTTP_X_LANGUAGE="tr"), 404, turkish)
    assert_error(
        api_client.get("/api/v1/nope", HTTP_ACCEPT_LANGUAGE="tr-TR,tr;q=0.9"), 404, turkish
    )
    assert_error(
        api_client.get("/api/v1/nope", HTTP_X_LANGUAGE="en", HTTP_ACCEPT_LANGUAGE="tr"),
        404,
        ["Resource not found"],
    )


@pytest.mark.parametrize("header", ["xx", "", "türkçe", "en-US-but-long"])
def test_bad_optional_headers_are_ignored(api_client, header):
    response = api_client.post(
        "/api/v1/auth/send-otp",
        {"countryCode": "90", "phoneNumber": "5551234567"},
        HTTP_X_LANGUAGE=header,
        HTTP_X_PLATFORM=header,
        HTTP_X_TIMEZONE=header,
        HTTP_X_APP_VERSION=header,
        HTTP_X_DEVICE_ID=header,
    )

    assert_success(response, 201)


def test_token_errors_are_translated(api_client):
    assert_error(
        api_client.post(
            "/api/v1/auth/logout", HTTP_AUTHORIZATION="Bearer nope", HTTP_X_LANGUAGE="tr"
        ),
        401,
        ["Belirteç geçersiz"],
    )


def test_the_authentication_message_is_translated(api_client):
    assert_error(
        api_client.post("/api/v1/auth/logout", HTTP_X_LANGUAGE="tr"),
        401,
        ["Kimlik doğrulama gerekli"],
    )


def test_health_reports_database_and_cache(api_client):
    data = assert_success(api_client.get("/health/"))

    assert data == {"status": "ok", "database": "ok", "cache": "ok"}


def test_health_is_503_when_the_database_cannot_be_reached(api_client, monkeypatch):
    def unreachable(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", unreachable)

    assert_error(api_client.get("/health/"), 503, ["Database unavailable"])


def test_a_path_with_a_nul_character_is_a_404(api_client):
    assert_error(api_client.get("/admin/users/user/%00/change/"), 404, ["Resource not found"])
    assert_error(api_client.get("/api/v1/users/profile/%00"), 404, ["Resource not found"])


def test_an_html_accept_header_still_gets_the_json_envelope(api_client):
    response = api_client.get("/api/v1/no-such-thing", HTTP_ACCEPT="text/html")
    assert_error(response, 404, ["Resource not found"])

    response = api_client.post("/api/v1/auth/logout", HTTP_ACCEPT="text/html")
    assert_error(response, 401, ["Authentication required"])
