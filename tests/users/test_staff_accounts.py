"""Staff accounts: created with a password (createsuperuser), no email needed."""

import pytest
from django.core.management import call_command

from users.models import User

pytestmark = pytest.mark.django_db


def test_several_staff_accounts_can_be_created_without_an_email(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-staff-password-1")
    call_command("createsuperuser", "--noinput", "--username", "boss1", verbosity=0)
    call_command("createsuperuser", "--noinput", "--username", "boss2", verbosity=0)

    staff = User.objects.filter(is_superuser=True).order_by("username")
    assert [(user.username, user.email, user.is_staff) for user in staff] == [
        ("boss1", None, True),
        ("boss2", None, True),
    ]
    assert staff[0].check_password("a-long-staff-password-1")


def test_app_users_have_no_usable_password_and_lowercase_email():
    user = User.objects.create_user("plain1", email="Ada@Example.COM")

    assert user.email == "ada@example.com"
    assert not user.has_usable_password()


def test_staff_sign_in_to_the_admin_with_a_password(client):
    User.objects.create_superuser("boss", password="a-long-staff-password-1")

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss", "password": "a-long-staff-password-1", "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
