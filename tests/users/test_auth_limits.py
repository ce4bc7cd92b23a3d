"""Limits on wrong codes: per (number, address), per address, and a daily cap per number from
every address; none of them lets a guesser elsewhere lock anyone out of sending a code."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.helpers import assert_error, assert_success, failures_of, run_together
from users import senders
from users.models import OneTimeCode, User

pytestmark = pytest.mark.django_db

PHONE = {"countryCode": "90", "phoneNumber": "5551234567"}
VICTIM = "192.0.2.10"
ATTACKER = "203.0.113.66"
WRONG = "code: The code is incorrect or has expired."
START = datetime(2026, 3, 10, 8, 0, 0, tzinfo=UTC)  # 16 hours before the UTC day ends


@pytest.fixture(autouse=True)
def _empty_outbox():
    senders.sms_outbox.clear()
    yield
    senders.sms_outbox.clear()


@pytest.fixture
def rates(monkeypatch):
    def set_rates(**new_rates):
        monkeypatch.setattr(
            SimpleRateThrottle,
            "THROTTLE_RATES",
            {**api_settings.DEFAULT_THROTTLE_RATES, **new_rates},
        )

    return set_rates


def send_code(client, address=VICTIM, payload=PHONE) -> str:
    response = client.post("/api/v1/auth/send-otp", payload, REMOTE_ADDR=address)
    return assert_success(response, 201)["code"]


def verify(client, code, address, payload=PHONE):
    return client.post("/api/v1/auth/verify-otp", {**payload, "code": code}, REMOTE_ADDR=address)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10000:04d}"


def guesses_throttled(seconds: int) -> list[str]:
    return [f"Too many wrong codes; wait {seconds} seconds before trying again."]


def test_wrong_codes_from_one_address_do_not_lock_out_a_sign_in_from_another(api_client):
    with time_machine.travel(START, tick=False):
        code = send_code(api_client)
        for _ in range(10):
            assert_error(verify(api_client, wrong(code), ATTACKER), 400, [WRONG])
        refused = verify(api_client, wrong(code), ATTACKER)
    assert_error(refused, 429, guesses_throttled(3600))
    assert refused.headers["Retry-After"] == "3600"
    # The attacker's first five tries voided the victim's code; the victim asks for another,
    # from their own address, and nothing the attacker did stands in the way.
    assert OneTimeCode.objects.get().code_hash == ""

    with time_machine.travel(START + timedelta(seconds=61), tick=False):
        new_code = send_code(api_client)
        data = assert_success(verify(api_client, new_code, VICTIM))

    assert data["isNewUser"] is True
    assert User.objects.get().phone_number == "5551234567"
    assert len(senders.sms_outbox) == 2


def test_while_throttled_even_the_right_code_is_refused_and_left_unused(api_client):
    with time_machine.travel(START, tick=False):
        for _ in range(10):  # no code pending yet: still the guesser's own wrong tries
            assert_error(verify(api_client, "0000", ATTACKER), 400, [WRONG])
        code = send_code(api_client)
        refused = verify(api_client, code, ATTACKER)

        assert_error(refused, 429, guesses_throttled(3600))
        stored = OneTimeCode.objects.get()
        assert (stored.attempts, stored.code_hash != "") == (0, True)  # not even looked at
        assert User.objects.count() == 0
        assert_success(verify(api_client, code, VICTIM))


def test_the_429_comes_after_as_many_tries_whether_or_not_a_code_is_pending(api_client):
    """Counting only guesses at a pending code against the guesser would tell them, by when
    the 429 comes, whether someone is signing in."""
    other = {"countryCode": "90", "phoneNumber": "5557654321"}
    with time_machine.travel(START, tick=False):
        code = send_code(api_client)
        responses = {
            "pending": [verify(api_client, wrong(code), ATTACKER) for _ in range(11)],
            "none": [verify(api_client, "0000", ATTACKER, payload=other) for _ in range(11)],
        }

    for outcome in ("pending", "none"):
        statuses = [response.status_code for response in responses[outcome]]
        assert statuses == [400] * 10 + [429], outcome


@pytest.mark.parametrize("state", ["none sent", "wrong", "void", "used", "expired"])
def test_every_code_that_does_not_sign_in_gets_one_message(api_client, state):
    """Two messages told anyone whether a sign-in to the number was in progress."""
    with time_machine.travel(START, tick=False):
        if state != "none sent":
            code = send_code(api_client)
        guess = "0000" if state == "none sent" else wrong(code)
        if state == "void":
            for _ in range(5):
                verify(api_client, wrong(code), VICTIM)
            guess = code
        if state == "used":
            assert_success(verify(api_client, code, VICTIM))
            guess = code
    with time_machine.travel(START + timedelta(seconds=301 if state == "expired" else 1)):
        if state == "expired":
            guess = code
        response = verify(api_client, guess, ATTACKER)

    assert_error(response, 400, [WRONG])


def test_a_daily_cap_of_wrong_codes_holds_across_many_addresses(api_client):
    """10 wrong codes a UTC day per number, from any number of addresses; sending a code is
    never refused because of it, and the next day the number signs in again."""
    address = iter(f"198.51.100.{number}" for number in range(1, 200))
    for cycle in range(2):  # two codes, five wrong tries each (the fifth voids the code)
        with time_machine.travel(START + timedelta(minutes=2 * cycle), tick=False):
            code = send_code(api_client)
            for _ in range(5):
                assert_error(verify(api_client, wrong(code), next(address)), 400, [WRONG])

    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        code = send_code(api_client, address=VICTIM)  # never refused for the guessing
        refused = verify(api_client, code, VICTIM)
        seconds = 16 * 3600 - 10 * 60
        assert_error(refused, 429, guesses_throttled(seconds))
        assert refused.headers["Retry-After"] == str(seconds)
        assert_error(
            verify(api_client, wrong(code), next(address)), 429, guesses_throttled(seconds)
        )
    assert User.objects.count() == 0
    assert OneTimeCode.objects.get().attempts == 0

    with time_machine.travel(datetime(2026, 3, 11, 0, 0, 1, tzinfo=UTC), tick=False):
        code = send_code(api_client, address=VICTIM)
        assert_success(verify(api_client, code, VICTIM))


def test_guesses_with_no_code_pending_do_not_count_against_the_daily_cap(api_client):
    with time_machine.travel(START, tick=False):
        for number in range(60):
            assert_error(verify(api_client, "0000", f"198.51.100.{number}"), 400, [WRONG])
        code = send_code(api_client)

        assert_success(verify(api_client, code, VICTIM))


def test_a_right_code_is_not_a_wrong_guess(api_client, rates):
    rates(otp_verify_destination="1/day")
    with time_machine.travel(START, tick=False):
        assert_success(verify(api_client, send_code(api_client), VICTIM))
    with time_machine.travel(START + timedelta(minutes=2), tick=False):
        assert_success(verify(api_client, send_code(api_client), VICTIM))


def test_one_address_has_a_budget_of_wrong_codes_across_numbers(api_client):
    """30 wrong codes an hour per address, whatever numbers they are for."""
    numbers = [f"55512345{index:02d}" for index in range(31)]
    with time_machine.travel(START, tick=False):
        for number in numbers[:30]:
            payload = {"countryCode": "90", "phoneNumber": number}
            assert_error(verify(api_client, "0000", ATTACKER, payload=payload), 400, [WRONG])
        last = {"countryCode": "90", "phoneNumber": numbers[30]}
        code = send_code(api_client, payload=last)

        assert_error(verify(api_client, code, ATTACKER, payload=last), 429, guesses_throttled(3600))
        assert_success(verify(api_client, code, VICTIM, payload=last))


def test_email_codes_have_the_same_limits(api_client):
    email = {"email": "ada@example.com"}
    with time_machine.travel(START, tick=False):
        code = assert_success(api_client.post("/api/v1/auth/send-otp-email", email), 201)["code"]
        for _ in range(10):
            response = api_client.post(
                "/api/v1/auth/verify-otp-email",
                {**email, "code": wrong(code)},
                REMOTE_ADDR=ATTACKER,
            )
            assert_error(response, 400, [WRONG])
        response = api_client.post(
            "/api/v1/auth/verify-otp-email", {**email, "code": code}, REMOTE_ADDR=ATTACKER
        )
        assert_error(response, 429, guesses_throttled(3600))


def test_the_limits_are_settings(api_client, rates):
    rates(otp_verify_pair="2/minute")
    with time_machine.travel(START, tick=False):
        for _ in range(2):
            assert_error(verify(api_client, "0000", ATTACKER), 400, [WRONG])
        assert_error(verify(api_client, "0000", ATTACKER), 429, guesses_throttled(60))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_from_many_addresses_never_pass_the_daily_cap(rates):
    """Guesses are counted before they are checked: ten at once against a cap of three get
    three checked, whatever the interleaving."""
    rates(otp_verify_destination="3/day")
    code = send_code(APIClient())

    def guess(number):
        return lambda: verify(APIClient(), wrong(code), f"198.51.100.{number}")

    responses = run_together(*[guess(number) for number in range(10)])

    assert failures_of(responses) == []
    assert sorted(response.status_code for response in responses) == [400] * 3 + [429] * 7
    assert OneTimeCode.objects.get().attempts == 3


def test_an_operator_lifts_a_numbers_daily_cap(api_client):
    from django.core.management import call_command

    address = iter(f"198.51.100.{number}" for number in range(1, 50))
    for cycle in range(2):
        with time_machine.travel(START + timedelta(minutes=2 * cycle), tick=False):
            code = send_code(api_client)
            for _ in range(5):
                verify(api_client, wrong(code), next(address))
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        code = send_code(api_client, address=VICTIM)
        assert verify(api_client, code, VICTIM).status_code == 429
        call_command("sign_in_unlock", "--phone", "+905551234567")
        assert_success(verify(api_client, code, VICTIM))


def test_an_operator_lifts_an_admin_usernames_cap(client, rates, django_user_model):
    from django.core.management import call_command

    rates(admin_login_username="2/day")
    django_user_model.objects.create_superuser(username="boss", password="right-horse-battery")
    for number in range(2):
        client.post("/admin/login/", {"username": "boss", "password": "wrong"},
                    REMOTE_ADDR=f"198.51.100.{number}")  # fmt: skip
    held = client.post("/admin/login/", {"username": "boss", "password": "right-horse-battery"},
                       REMOTE_ADDR="192.0.2.50")  # fmt: skip
    assert held.status_code == 429
    call_command("sign_in_unlock", "--admin-username", "Boss")
    signed_in = client.post("/admin/login/", {"username": "boss", "password": "right-horse-battery"},
                            REMOTE_ADDR="192.0.2.50")  # fmt: skip
    assert signed_in.status_code == 302


def test_without_redis_the_unlock_command_says_it_cannot_reach_a_server(settings):
    import io

    from django.core.management import call_command

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    errors = io.StringIO()
    call_command("sign_in_unlock", "--admin-username", "boss", stderr=errors)
    assert "REDIS_URL is not set" in errors.getvalue()
