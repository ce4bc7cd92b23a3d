"""The admin login is throttled: failed logins per (username, address), per address, and per
username from every address; a throttled login checks no password, not even the right one."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

PASSWORD = "correct horse battery staple"
ATTACKER = "203.0.113.66"
STAFF_DESK = "192.0.2.10"
START = datetime(2026, 3, 10, 8, 0, 0, tzinfo=UTC)
INVALID = (
    "Please enter the correct username and password for a staff account. Note that both "
    "fields may be case-sensitive."
)


@pytest.fixture
def staff(db):
    user = StaffFactory(username="operator")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def rates(monkeypatch):
    def set_rates(**new_rates):
        monkeypatch.setattr(
            SimpleRateThrottle,
            "THROTTLE_RATES",
            {**api_settings.DEFAULT_THROTTLE_RATES, **new_rates},
        )

    return set_rates


def log_in(client, username, password, address):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def errors_of(response) -> list[str]:
    return [str(error) for error in response.context["form"].non_field_errors()]


def is_signed_in(client) -> bool:
    """Asked while time is still frozen: a session saved at START has expired by today."""
    return "_auth_user_id" in client.session


def test_a_throttled_login_shows_the_form_with_a_429_and_checks_no_password(staff):
    client = Client()
    with time_machine.travel(START, tick=False):
        for _ in range(10):
            response = log_in(client, "operator", "wrong password", ATTACKER)
            assert response.status_code == 200
            assert errors_of(response) == [INVALID]
        response = log_in(client, "operator", PASSWORD, ATTACKER)
        assert not is_signed_in(client)

    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert errors_of(response) == ["Too many failed login attempts. Try again in 60 min."]
    html = response.content.decode()
    assert 'name="username"' in html  # the normal login form
    assert 'name="password"' in html
    assert "Too many failed login attempts. Try again in 60 min." in html
    staff.refresh_from_db()
    assert staff.last_login is None


def test_the_staff_member_still_logs_in_from_their_own_address(staff):
    with time_machine.travel(START, tick=False):
        for _ in range(12):
            log_in(Client(), "operator", "wrong password", ATTACKER)
        client = Client()
        response = log_in(client, "operator", PASSWORD, STAFF_DESK)
        assert is_signed_in(client)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_one_address_has_a_budget_of_failed_logins_across_usernames(staff):
    with time_machine.travel(START, tick=False):
        for number in range(30):
            assert log_in(Client(), f"guess{number}", "x", ATTACKER).status_code == 200
        refused = log_in(Client(), "operator", PASSWORD, ATTACKER)
        elsewhere = log_in(Client(), "operator", PASSWORD, STAFF_DESK)

    assert refused.status_code == 429
    assert elsewhere.status_code == 302


def test_a_username_has_a_daily_budget_of_failed_logins_from_every_address(staff, rates):
    rates(admin_login_username="3/day")
    with time_machine.travel(START, tick=False):
        for number in range(3):
            assert log_in(Client(), "operator", "x", f"198.51.100.{number}").status_code == 200
        refused = log_in(Client(), "Operator", PASSWORD, STAFF_DESK)  # any spelling of it
        other_staff = StaffFactory(username="moderator")
        other_staff.set_password(PASSWORD)
        other_staff.save()
        colleague = log_in(Client(), "moderator", PASSWORD, STAFF_DESK)

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(16 * 3600)
    assert errors_of(refused) == ["Too many failed login attempts. Try again in 960 min."]
    assert colleague.status_code == 302
    with time_machine.travel(START + timedelta(days=1), tick=False):
        assert log_in(Client(), "operator", PASSWORD, STAFF_DESK).status_code == 302


def test_a_successful_login_forgives_that_addresss_mistakes(staff, rates):
    rates(admin_login_pair="3/hour")
    with time_machine.travel(START, tick=False):
        for _ in range(2):
            log_in(Client(), "operator", "typo", STAFF_DESK)
        assert log_in(Client(), "operator", PASSWORD, STAFF_DESK).status_code == 302
        for _ in range(2):
            assert log_in(Client(), "operator", "typo", STAFF_DESK).status_code == 200
        assert log_in(Client(), "operator", PASSWORD, STAFF_DESK).status_code == 302


def test_an_empty_form_is_not_a_failed_login(staff, rates):
    rates(admin_login_pair="1/hour")
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            response = log_in(Client(), "operator", "", STAFF_DESK)
            assert response.status_code == 200
        assert log_in(Client(), "operator", PASSWORD, STAFF_DESK).status_code == 302


def test_the_login_page_and_the_admin_still_work(staff):
    client = Client()
    assert client.get("/admin/login/").status_code == 200
    assert log_in(client, "operator", PASSWORD, STAFF_DESK).status_code == 302

    assert client.get("/admin/").status_code == 200
