import datetime
from unittest import mock

import pytest
import time_machine

from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success
from users.models import User

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/username"
START = datetime.datetime(2026, 5, 1, 9, 30, tzinfo=datetime.UTC)


def test_it_requires_authentication(api_client):
    assert_error(api_client.patch(URL, {"newUsername": "fresh"}, format="json"), 401)


def test_it_changes_the_username_and_starts_the_clock(client_for, user):
    with time_machine.travel(START, tick=False):
        data = assert_success(
            client_for(user).patch(URL, {"newUsername": "Fresh.Name"}, format="json")
        )

    assert data["username"] == "fresh.name"
    assert data["usernameChangedAt"] == "2026-05-01T09:30:00.000Z"
    user.refresh_from_db()
    assert user.username == "fresh.name"
    assert user.username_changed_at == START


def test_a_second_change_within_30_days_is_a_409_saying_when(client_for, user):
    with time_machine.travel(START, tick=False):
        assert_success(client_for(user).patch(URL, {"newUsername": "first"}, format="json"))
    with time_machine.travel(START + datetime.timedelta(days=29, hours=23), tick=False):
        response = client_for(user).patch(URL, {"newUsername": "second"}, format="json")

    assert_error(
        response,
        409,
        [
            "newUsername: The username can be changed once every 30 days; the next change is "
            "allowed from 2026-05-31 09:30 UTC."
        ],
    )
    user.refresh_from_db()
    assert user.username == "first"
    assert user.username_changed_at == START


def test_after_30_days_it_may_change_again(client_for, user):
    User.objects.filter(pk=user.pk).update(username_changed_at=START)
    with time_machine.travel(START + datetime.timedelta(days=30), tick=False):
        data = assert_success(client_for(user).patch(URL, {"newUsername": "second"}, format="json"))
    assert data["username"] == "second"


def test_the_same_username_is_a_400(user_client, user):
    assert_error(
        user_client.patch(URL, {"newUsername": user.username.upper()}, format="json"),
        400,
        ["newUsername: The new username is the same as the current one."],
    )


def test_a_taken_username_is_a_409_ignoring_case(user_client, user, other_user):
    before = user.username
    assert_error(
        user_client.patch(URL, {"newUsername": other_user.username.upper()}, format="json"),
        409,
        ["newUsername: This username is already taken."],
    )
    user.refresh_from_db()
    assert user.username == before
    assert user.username_changed_at is None


def test_the_409_for_too_soon_is_in_turkish_on_request(client_for, user):
    User.objects.filter(pk=user.pk).update(username_changed_at=START)
    with time_machine.travel(START + datetime.timedelta(days=1), tick=False):
        response = client_for(user).patch(
            URL, {"newUsername": "second"}, format="json", HTTP_X_LANGUAGE="tr"
        )
    errors = assert_error(response, 409)
    assert errors[0].startswith("newUsername: Kullanıcı adı 30 günde bir")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, ["newUsername: This field is required."]),
        ({"newUsername": None}, ["newUsername: This field may not be null."]),
        ({"newUsername": ""}, ["newUsername: This field may not be blank."]),
        ({"newUsername": 42}, ["newUsername: Not a valid string."]),
        ({"newUsername": ["a"]}, ["newUsername: Not a valid string."]),
        (
            {"newUsername": "no"},
            [
                "newUsername: Use 3 to 30 characters: lowercase letters, digits, dots and underscores."
            ],
        ),
        ({"newUsername": "bad/name"}, None),
        ({"newUsername": "x" * 31}, None),
    ],
)
def test_it_refuses_bad_input(user_client, user, body, errors):
    before = User.objects.filter(pk=user.pk).values().get()
    assert_error(user_client.patch(URL, body, format="json"), 400, errors)
    assert User.objects.filter(pk=user.pk).values().get() == before


def test_staff_may_change_their_own(staff_client):
    assert (
        assert_success(staff_client.patch(URL, {"newUsername": "ops.team"}, format="json"))[
            "username"
        ]
        == "ops.team"
    )


def test_the_public_profile_follows_the_new_username(user_client, api_client, user):
    old_username = user.username
    assert_success(user_client.patch(URL, {"newUsername": "renamed"}, format="json"))

    assert_success(api_client.get("/api/v1/users/profile/username/renamed"))
    assert_error(api_client.get(f"/api/v1/users/profile/username/{old_username}"), 404)


def test_a_username_taken_between_the_check_and_the_save_is_a_409(user_client, user):
    """The race: the unique constraint, not the check, has the last word."""
    UserFactory(username="contested")
    with mock.patch("users.services._username_taken", return_value=False):
        response = user_client.patch(URL, {"newUsername": "contested"}, format="json")

    assert_error(response, 409, ["newUsername: This username is already taken."])
    user.refresh_from_db()
    assert user.username != "contested"
    assert user.username_changed_at is None
