"""CORS for the web app: listed origins only, preflights answered without a token."""

import pytest

pytestmark = pytest.mark.django_db

WEB = "https://app.yayin.example"


@pytest.fixture(autouse=True)
def web_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = [WEB]
    settings.CORS_ALLOW_ALL_ORIGINS = False


def test_a_preflight_from_the_web_app_is_answered_without_a_token(api_client):
    response = api_client.options(
        "/api/v1/live-stream",
        HTTP_ORIGIN=WEB,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, x-language, x-platform",
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == WEB
    allowed = response.headers["Access-Control-Allow-Headers"]
    assert "authorization" in allowed
    assert "x-language" in allowed


def test_responses_to_the_web_app_expose_the_paging_headers(user_client):
    response = user_client.get("/api/v1/live-stream", HTTP_ORIGIN=WEB)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == WEB
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "X-Total-Count" in exposed
    assert "Link" in exposed


def test_other_origins_get_no_cors_headers(user_client):
    response = user_client.get("/api/v1/live-stream", HTTP_ORIGIN="https://evil.example")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_web_app_may_send_an_idempotency_key_and_read_the_replay_header(user_client):
    preflight = user_client.options(
        "/api/v1/credit-packages/purchase",
        HTTP_ORIGIN=WEB,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    assert preflight.status_code == 200
    assert "idempotency-key" in preflight.headers["Access-Control-Allow-Headers"]

    response = user_client.get("/api/v1/credit-packages", HTTP_ORIGIN=WEB)
    assert "Idempotent-Replayed" in response.headers["Access-Control-Expose-Headers"]
