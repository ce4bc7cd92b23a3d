import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_url_is_a_404_in_the_envelope(api_client):
    response = api_client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    body = response.json()
    assert body["isSuccess"] is False
    assert body["statusCode"] == 404
    assert body["data"] is None
    assert body["errors"] == ["Resource not found"]
    assert body["timestamp"].endswith("Z")
    assert len(body["timestamp"]) == len("2026-05-22T16:11:27.022Z")


def test_health_reports_database_and_cache(api_client):
    response = api_client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["isSuccess"] is True
    assert body["errors"] == []
    assert body["data"] == {"status": "ok", "database": "ok", "cache": "ok"}
