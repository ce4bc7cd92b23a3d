"""JWT sessions: refresh with rotation, logout of every session (contract section 2)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success, run_together
from users.models import User

pytestmark = pytest.mark.django_db

PHONE = {"countryCode": "90", "phoneNumber": "5551234567"}
REFRESH_INVALID = ["The refresh token is invalid, expired or already used."]
SESSION_ENDED = ["This session has ended; sign in again."]


def sign_in(client: APIClient) -> dict:
    """A real sign-in through HTTP: send a code, verify it."""
    code = assert_success(client.post("/api/v1/auth/send-otp", PHONE), 201)["code"]
    return assert_success(client.post("/api/v1/auth/verify-otp", {**PHONE, "code": code}))


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_refresh_rotates_the_pair_and_the_old_refresh_token_stops_working(api_client):
    session = sign_in(api_client)

    pair = assert_success(
        api_client.post("/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]})
    )

    assert set(pair) == {"accessToken", "refreshToken", "expiresIn", "refreshExpiresIn"}
    assert (pair["expiresIn"], pair["refreshExpiresIn"]) == (3600, 2592000)
    assert pair["refreshToken"] != session["refreshToken"]
    assert_error(
        api_client.post("/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]}),
        401,
        REFRESH_INVALID,
    )
    again = assert_success(
        api_client.post("/api/v1/auth/refresh", {"refreshToken": pair["refreshToken"]})
    )
    assert again["refreshToken"] != pair["refreshToken"]
    assert BlacklistedToken.objects.count() == 2


def test_the_new_access_token_authenticates(api_client):
    session = sign_in(api_client)
    pair = assert_success(
        api_client.post("/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]})
    )

    assert_success(api_client.post("/api/v1/auth/logout", **bearer(pair["accessToken"])))


@pytest.mark.parametrize(
    ("payload", "status", "errors"),
    [
        ({}, 400, ["refreshToken: This field is required."]),
        ({"refreshToken": ""}, 400, ["refreshToken: This field may not be blank."]),
        ({"refreshToken": 12}, 400, ["refreshToken: Not a valid string."]),
        ({"refreshToken": None}, 400, ["refreshToken: This field may not be null."]),
        ({"refreshToken": "not.a.token"}, 401, REFRESH_INVALID),
    ],
)
def test_refresh_refuses_bad_input(api_client, payload, status, errors):
    assert_error(api_client.post("/api/v1/auth/refresh", payload, format="json"), status, errors)


def test_an_access_token_is_not_a_refresh_token(api_client):
    session = sign_in(api_client)

    assert_error(
        api_client.post("/api/v1/auth/refresh", {"refreshToken": session["accessToken"]}),
        401,
        REFRESH_INVALID,
    )


def test_an_expired_refresh_token_is_refused(api_client):
    session = sign_in(api_client)

    with time_machine.travel(timezone.now() + timedelta(days=30, seconds=1)):
        response = api_client.post(
            "/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]}
        )

    assert_error(response, 401, REFRESH_INVALID)


def test_an_expired_access_token_is_a_401(api_client):
    session = sign_in(api_client)

    with time_machine.travel(timezone.now() + timedelta(seconds=3601)):
        response = api_client.post("/api/v1/auth/logout", **bearer(session["accessToken"]))

    assert_error(response, 401, ["Token is expired"])
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_logout_ends_every_session_access_tokens_included(api_client):
    start = timezone.now()
    with time_machine.travel(start):
        first = sign_in(api_client)
    # A second device signs in later (after the resend gap); everything after runs then.
    with time_machine.travel(start + timedelta(seconds=61)):
        second = sign_in(APIClient())
        user = User.objects.get()
        assert OutstandingToken.objects.filter(user=user).count() == 2

        data = assert_success(
            api_client.post("/api/v1/auth/logout", **bearer(first["accessToken"]))
        )

        assert data is None
        for session in (first, second):
            assert_error(
                api_client.post("/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]}),
                401,
                REFRESH_INVALID,
            )
            assert_error(
                api_client.post("/api/v1/auth/logout", **bearer(session["accessToken"])),
                401,
                SESSION_ENDED,
            )
    assert BlacklistedToken.objects.filter(token__user=user).count() == 2
    user.refresh_from_db()
    assert user.session_version == 1


def test_signing_in_again_after_logout_works(api_client):
    first = sign_in(api_client)
    assert_success(api_client.post("/api/v1/auth/logout", **bearer(first["accessToken"])))

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        again = sign_in(api_client)
        assert_success(
            api_client.post("/api/v1/auth/refresh", {"refreshToken": again["refreshToken"]})
        )
        assert_success(api_client.post("/api/v1/auth/logout", **bearer(again["accessToken"])))


def test_logout_of_one_user_leaves_other_users_signed_in(client_for, other_user):
    other = client_for(other_user)
    mine = client_for(UserFactory())

    assert_success(mine.post("/api/v1/auth/logout"))

    assert_success(other.post("/api/v1/auth/logout"))


def test_logout_needs_authentication(api_client):
    assert_error(api_client.post("/api/v1/auth/logout"), 401, ["Authentication required"])
    assert_error(
        api_client.post("/api/v1/auth/logout", HTTP_AUTHORIZATION="Bearer garbage"),
        401,
        ["Token is invalid"],
    )


def test_a_token_of_a_deleted_user_is_refused(user_client, user):
    user.delete()

    assert_error(user_client.post("/api/v1/auth/logout"), 401, ["User not found"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_give_one_new_pair():
    session = sign_in(APIClient())

    def refresh():  # a client per thread, as separate devices would be
        return APIClient().post("/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]})

    statuses = [response.status_code for response in run_together(*[refresh] * 4)]

    assert sorted(statuses) == [200, 401, 401, 401]


def test_sign_in_read_me_refresh_logout_end_to_end(api_client):
    session = sign_in(api_client)
    me = assert_success(api_client.get("/api/v1/users/me", **bearer(session["accessToken"])))
    assert me["_id"] == session["user"]["_id"]
    assert me["phoneNumber"] == "5551234567"

    pair = assert_success(
        api_client.post("/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]})
    )
    assert_success(api_client.get("/api/v1/users/me", **bearer(pair["accessToken"])))
    assert_success(api_client.post("/api/v1/auth/logout", **bearer(pair["accessToken"])))

    for token in (session["accessToken"], pair["accessToken"]):
        assert_error(api_client.get("/api/v1/users/me", **bearer(token)), 401, SESSION_ENDED)
    for token in (session["refreshToken"], pair["refreshToken"]):
        assert_error(
            api_client.post("/api/v1/auth/refresh", {"refreshToken": token}), 401, REFRESH_INVALID
        )
