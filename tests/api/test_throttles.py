"""Throttles: requests for a code per address, codes sent per destination, per user elsewhere;
the atomic cache counters under all of them."""

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from config.api.throttles import RateLimit, hit_all
from tests.helpers import assert_error, assert_success
from users.models import OneTimeCode

pytestmark = pytest.mark.django_db

PHONE = {"countryCode": "90", "phoneNumber": "5551234567"}
START = datetime(2026, 3, 10, 8, 0, 0, tzinfo=UTC)  # on the hour: windows are easy to read
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set")


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


def test_requests_for_a_code_are_throttled_per_address(api_client, rates):
    rates(otp_ip="2/hour")
    emails = ["a@example.com", "b@example.com", "c@example.com"]

    with time_machine.travel(START, tick=False):
        assert_success(api_client.post("/api/v1/auth/send-otp-email", {"email": emails[0]}), 201)
        assert_success(api_client.post("/api/v1/auth/send-otp-email", {"email": emails[1]}), 201)
        response = api_client.post("/api/v1/auth/send-otp-email", {"email": emails[2]})

    assert_error(response, 429, ["Request was throttled. Expected available in 3600 seconds."])
    assert response.headers["Retry-After"] == "3600"
    assert list(OneTimeCode.objects.values_list("destination", flat=True).order_by("pk")) == [
        "a@example.com",
        "b@example.com",
    ]


def test_codes_sent_are_limited_per_destination_from_any_address(api_client, rates):
    rates(otp_destination="2/hour")

    for minute, address in enumerate(("10.0.0.1", "10.0.0.2")):
        with time_machine.travel(START + timedelta(minutes=minute * 2), tick=False):
            assert_success(
                api_client.post("/api/v1/auth/send-otp", PHONE, REMOTE_ADDR=address), 201
            )
    last = OneTimeCode.objects.get()
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        response = api_client.post("/api/v1/auth/send-otp", PHONE, REMOTE_ADDR="10.0.0.3")
        other = api_client.post(
            "/api/v1/auth/send-otp", {**PHONE, "phoneNumber": "5551234568"}, REMOTE_ADDR="10.0.0.3"
        )

    assert_error(
        response,
        429,
        [
            "Too many codes were sent to this phone number or email address; wait 3000 seconds "
            "before asking again."
        ],
    )
    assert response.headers["Retry-After"] == "3000"
    assert OneTimeCode.objects.get(destination="+905551234567") == last  # nothing replaced
    assert_success(other, 201)


def test_requests_refused_by_the_resend_gap_do_not_use_up_the_destination_budget(api_client, rates):
    """Otherwise anyone could block a number's codes for an hour with a burst of requests."""
    rates(otp_destination="2/hour")

    with time_machine.travel(START, tick=False):
        assert_success(api_client.post("/api/v1/auth/send-otp", PHONE, REMOTE_ADDR="6.6.6.6"), 201)
        for _ in range(10):
            response = api_client.post("/api/v1/auth/send-otp", PHONE, REMOTE_ADDR="6.6.6.6")
            assert_error(
                response, 429, ["A code was sent recently; wait 60 seconds before asking again."]
            )
    with time_machine.travel(START + timedelta(seconds=61), tick=False):
        assert_success(api_client.post("/api/v1/auth/send-otp", PHONE, REMOTE_ADDR="10.0.0.9"), 201)


class FailingSmsBackend:
    def send(self, *, to, body):
        raise ConnectionError("gateway down")


def test_a_code_that_could_not_be_delivered_gives_its_place_back(api_client, rates, settings):
    rates(otp_destination="1/hour")
    settings.SMS_BACKEND = f"{__name__}.FailingSmsBackend"

    assert_error(api_client.post("/api/v1/auth/send-otp", PHONE), 503)
    settings.SMS_BACKEND = "users.senders.LocMemSmsBackend"

    assert_success(api_client.post("/api/v1/auth/send-otp", PHONE), 201)
    assert OneTimeCode.objects.count() == 1


def test_spellings_of_one_number_share_one_destination_budget(api_client, rates):
    rates(otp_destination="2/hour")
    spellings = [("90", "5551234567"), ("+90", "0555 123 45 67"), ("090", "555-123-4567")]

    for step, (country_code, number) in enumerate(spellings):
        with time_machine.travel(START + timedelta(minutes=2 * step), tick=False):
            response = api_client.post(
                "/api/v1/auth/send-otp",
                {"countryCode": country_code, "phoneNumber": number},
                REMOTE_ADDR=f"10.0.0.{step + 1}",
            )
    assert_error(response, 429)
    assert OneTimeCode.objects.count() == 1


def test_verify_calls_never_count_against_sending_a_code(api_client, rates):
    """The reported lockout: wrong verify calls from anywhere, with no code pending, made the
    number's own send-otp a 429 for an hour."""
    rates(otp_ip="3/hour", otp_destination="3/hour")

    for number in range(40):
        response = api_client.post(
            "/api/v1/auth/verify-otp", {**PHONE, "code": "0000"}, REMOTE_ADDR=f"10.1.0.{number}"
        )
        assert_error(response, 400, ["code: The code is incorrect or has expired."])
    for _ in range(5):  # the same address too: its own wrong codes do not stop its sends
        api_client.post(
            "/api/v1/auth/verify-otp", {**PHONE, "code": "0000"}, REMOTE_ADDR="10.2.0.1"
        )

    assert_success(api_client.post("/api/v1/auth/send-otp", PHONE, REMOTE_ADDR="10.2.0.1"), 201)


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


@needs_redis
def test_throttles_and_cache_use_redis_when_configured():
    assert (
        django_settings.CACHES["default"]["BACKEND"]
        == "django.core.cache.backends.redis.RedisCache"
    )
    cache.set("probe", "value", 5)
    assert cache.get("probe") == "value"


def test_a_forged_x_forwarded_for_does_not_reset_the_address_limit(api_client, rates):
    rates(otp_ip="1/hour")

    assert_success(api_client.post("/api/v1/auth/send-otp-email", {"email": "a@example.com"}), 201)
    response = api_client.post(
        "/api/v1/auth/send-otp-email", {"email": "b@example.com"}, HTTP_X_FORWARDED_FOR="9.9.9.9"
    )

    assert_error(response, 429)


def test_behind_a_trusted_proxy_the_forwarded_address_counts(api_client, rates, settings):
    rates(otp_ip="1/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    for number, client_address in enumerate(["1.1.1.1", "2.2.2.2"]):
        response = api_client.post(
            "/api/v1/auth/send-otp-email",
            {"email": f"user{number}@example.com"},
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, {client_address}",  # the proxy appended the last
        )
        assert_success(response, 201)
    response = api_client.post(
        "/api/v1/auth/send-otp-email",
        {"email": "user9@example.com"},
        HTTP_X_FORWARDED_FOR="7.7.7.7, 2.2.2.2",
    )
    assert_error(response, 429)


def test_a_rate_limit_counts_in_fixed_windows(rates):
    rates(otp_verify_pair="2/hour")

    with time_machine.travel(START + timedelta(minutes=59), tick=False):
        limit = RateLimit("otp_verify_pair", "someone")
        assert [limit.hit(), limit.hit(), limit.hit()] == [True, True, False]
        assert limit.retry_after == 60
    with time_machine.travel(START + timedelta(minutes=60), tick=False):
        assert RateLimit("otp_verify_pair", "someone").hit() is True


def test_hit_all_counts_against_every_limit_or_none(rates):
    rates(otp_verify_pair="5/hour", otp_verify_ip="1/hour")
    pair = RateLimit("otp_verify_pair", "a")
    address = RateLimit("otp_verify_ip", "a")

    assert hit_all([pair, address]) is None
    refused = hit_all([RateLimit("otp_verify_pair", "a"), RateLimit("otp_verify_ip", "a")])

    assert refused.scope == "otp_verify_ip"
    assert cache.get(pair.key) == 1  # the refused event was given back everywhere
    assert cache.get(address.key) == 1


def test_concurrent_hits_never_pass_the_limit(rates):
    """cache.add + cache.incr: many threads at once (on Redis, many connections) never count
    more than the limit, which a read-modify-write of the count would."""
    rates(otp_verify_destination="20/day")
    barrier = threading.Barrier(8)
    allowed = []

    def worker():
        barrier.wait()
        for _ in range(10):
            allowed.append(RateLimit("otp_verify_destination", "+905551234567").hit())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert allowed.count(True) == 20
    assert allowed.count(False) == 60


@needs_redis
def test_counters_are_shared_by_processes_through_redis(api_client):
    """Another process (another gunicorn worker) uses up a number's daily cap of wrong codes;
    this one then refuses a guess for that number."""
    script = (
        "import django, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'\n"
        "django.setup()\n"
        "from config.api.throttles import RateLimit\n"
        "print(sum(RateLimit('otp_verify_destination', '+905551234567').hit() for _ in range(25)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={
            "PATH": "/usr/bin:/bin",
            "YAYIN_TESTING": "true",
            "REDIS_URL": os.environ["REDIS_URL"],
        },
        cwd=Path(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "10"  # the default cap

    response = api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": "1234"})

    errors = assert_error(response, 429)
    assert errors[0].startswith("Too many wrong codes; wait ")


def test_a_scope_without_a_rate_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="no rate for the scope 'otp_verfy_pair'"):
        RateLimit("otp_verfy_pair", "someone")


def test_a_scope_whose_rate_is_none_is_unlimited(rates):
    rates(otp_verify_pair=None)
    limit = RateLimit("otp_verify_pair", "someone")

    assert all(limit.hit() for _ in range(100))
