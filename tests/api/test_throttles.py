"""Throttles: per address and per destination on the code endpoints, per user elsewhere."""

import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from tests.helpers import assert_error, assert_success

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """Set throttle rates for one test (DRF reads them once, at import)."""

    def set_rates(**new_rates):
        monkeypatch.setattr(
            SimpleRateThrottle,
            "THROTTLE_RATES",
            {**api_settings.DEFAULT_THROTTLE_RATES, **new_rates},
        )

    return set_rates


def test_the_code_endpoints_are_throttled_per_address(api_client, rates):
    rates(otp_ip="2/hour", otp_destination="100/hour")
    emails = ["a@example.com", "b@example.com", "c@example.com"]

    assert_success(api_client.post("/api/v1/auth/send-otp-email", {"email": emails[0]}), 201)
    assert_success(api_client.post("/api/v1/auth/send-otp-email", {"email": emails[1]}), 201)
    response = api_client.post("/api/v1/auth/send-otp-email", {"email": emails[2]})

    errors = assert_error(response, 429)
    assert errors[0].startswith("Request was throttled.")
    assert 0 < int(response.headers["Retry-After"]) <= 3600


def test_the_code_endpoints_are_throttled_per_destination_from_any_address(api_client, rates):
    rates(otp_ip="100/hour", otp_destination="2/hour")
    payload = {"countryCode": "90", "phoneNumber": "5551234567"}

    for address in ("10.0.0.1", "10.0.0.2"):
        response = api_client.post(
            "/api/v1/auth/verify-otp", {**payload, "code": "0000"}, REMOTE_ADDR=address
        )
        assert response.status_code == 400
    response = api_client.post("/api/v1/auth/send-otp", payload, REMOTE_ADDR="10.0.0.3")

    assert_error(response, 429)
    assert "Retry-After" in response.headers
    other = api_client.post(
        "/api/v1/auth/send-otp", {**payload, "phoneNumber": "5551234568"}, REMOTE_ADDR="10.0.0.3"
    )
    assert_success(other, 201)


def test_signed_in_users_have_a_default_rate(user, client_for, rates):
    rates(user="2/minute")

    # Logout ends the session it is called with, so each call signs in afresh.
    for _ in range(2):
        user.refresh_from_db()
        assert_success(client_for(user).post("/api/v1/auth/logout"))
    user.refresh_from_db()
    response = client_for(user).post("/api/v1/auth/logout")

    assert_error(response, 429)
    assert "Retry-After" in response.headers


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set")
def test_throttles_and_cache_use_redis_when_configured():
    assert (
        django_settings.CACHES["default"]["BACKEND"]
        == "django.core.cache.backends.redis.RedisCache"
    )
    cache.set("probe", "value", 5)
    assert cache.get("probe") == "value"


def test_spellings_of_one_number_share_one_destination_budget(api_client, rates):
    rates(otp_ip="100/hour", otp_destination="2/hour")
    spellings = [("90", "5551234567"), ("+90", "0555 123 45 67"), ("090", "555-123-4567")]

    for address, (country_code, number) in zip(("10.0.0.1", "10.0.0.2"), spellings, strict=False):
        response = api_client.post(
            "/api/v1/auth/verify-otp",
            {"countryCode": country_code, "phoneNumber": number, "code": "0000"},
            REMOTE_ADDR=address,
        )
        assert response.status_code == 400
    country_code, number = spellings[2]
    response = api_client.post(
        "/api/v1/auth/send-otp",
        {"countryCode": country_code, "phoneNumber": number},
        REMOTE_ADDR="10.0.0.3",
    )

    assert_error(response, 429)


def test_a_forged_x_forwarded_for_does_not_reset_the_address_limit(api_client, rates):
    rates(otp_ip="1/hour", otp_destination="100/hour")

    assert_success(api_client.post("/api/v1/auth/send-otp-email", {"email": "a@example.com"}), 201)
    response = api_client.post(
        "/api/v1/auth/send-otp-email", {"email": "b@example.com"}, HTTP_X_FORWARDED_FOR="9.9.9.9"
    )

    assert_error(response, 429)


def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    api_client, rates, settings, monkeypatch
):
    from rest_framework.settings import api_settings as drf_settings

    rates(otp_ip="1/hour", otp_destination="100/hour")
    monkeypatch.setattr(drf_settings, "NUM_PROXIES", 1)

    for number, client_address in enumerate(["1.1.1.1", "2.2.2.2"]):
        response = api_client.post(
            "/api/v1/auth/send-otp-email",
            {"email": f"user{number}@example.com"},
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, {client_address}",  # the proxy appended the last
        )
        assert_success(response, 201)
