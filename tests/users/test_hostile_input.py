"""No input gives a 500: every body field of every section-3 endpoint gets hostile values."""

import pytest

from tests.helpers import assert_error, assert_success
from users.models import User

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = [
    None,
    True,
    0,
    -1,
    10**40,
    1.5e308,
    "NaN",
    "Infinity",
    "",
    " ",
    "\x00",
    "a" * 10_000,
    "' OR 1=1 --",
    [],
    [None],
    [[1]],
    {},
    {"nested": {"deep": [1, 2]}},
]
ENDPOINTS = [
    (
        "patch",
        "/api/v1/users/me",
        [
            "name",
            "surname",
            "bio",
            "birthDate",
            "gender",
            "interests",
            "expertise",
            "availabilityStatus",
            "minutePriceInLiveStream",
            "instagram",
            "x",
            "tiktok",
            "snapchat",
            "facebook",
            "email",
        ],
    ),
    ("post", "/api/v1/onboarding/step-1", ["name", "surname", "username", "birthDate"]),
    ("post", "/api/v1/onboarding/step-2", ["gender"]),
    ("post", "/api/v1/onboarding/step-3", ["interests", "expertise"]),
    ("patch", "/api/v1/users/username", ["newUsername"]),
]
CASES = [
    (method, url, field, value)
    for method, url, fields in ENDPOINTS
    for field in fields
    for value in HOSTILE_VALUES
]


@pytest.mark.parametrize(("method", "url", "field", "value"), CASES)
def test_hostile_values_never_give_a_500(user_client, method, url, field, value):
    response = getattr(user_client, method)(url, {field: value}, format="json")
    assert response.status_code < 500, response.content
    assert response.json()["isSuccess"] is (response.status_code < 400)


def user_row(user) -> dict:
    return User.objects.values().get(pk=user.pk)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]", "Invalid data. Expected a dictionary, but got list."),
        ("[1, 2]", "Invalid data. Expected a dictionary, but got list."),
        ('"text"', "Invalid data. Expected a dictionary, but got str."),
        ("42", "Invalid data. Expected a dictionary, but got int."),
        ("1.5", "Invalid data. Expected a dictionary, but got float."),
        ("true", "Invalid data. Expected a dictionary, but got bool."),
        ("null", "No data provided"),
    ],
)
@pytest.mark.parametrize(("method", "url", "_fields"), ENDPOINTS)
def test_non_object_bodies_are_a_400(user_client, user, method, url, _fields, body, message):
    before = user_row(user)

    response = getattr(user_client, method)(url, body, content_type="application/json")

    assert_error(response, 400, [message])
    assert user_row(user) == before


PROTO_BODY = {"__proto__": {"admin": True, "isStaff": True}, "constructor": {"x": 1}}


def test_a_proto_key_in_a_profile_update_is_ignored(user_client, user):
    before = user_row(user)

    assert_success(user_client.patch("/api/v1/users/me", PROTO_BODY, format="json"))

    assert user_row(user) == before


@pytest.mark.parametrize(
    ("method", "url", "errors"),
    [
        (
            "post",
            "/api/v1/onboarding/step-1",
            [
                "name: This field is required.",
                "surname: This field is required.",
                "username: This field is required.",
                "birthDate: This field is required.",
            ],
        ),
        ("post", "/api/v1/onboarding/step-2", ["gender: This field is required."]),
        ("post", "/api/v1/onboarding/step-3", ["interests: This field is required."]),
        ("patch", "/api/v1/users/username", ["newUsername: This field is required."]),
    ],
)
def test_a_proto_key_alone_is_missing_fields(user_client, user, method, url, errors):
    before = user_row(user)

    response = getattr(user_client, method)(url, PROTO_BODY, format="json")

    assert_error(response, 400, errors)
    assert user_row(user) == before


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/users/search?q=%FF%FE",
        "/api/v1/users/search?expertise=%00",
        "/api/v1/users/search?expertise=",
        "/api/v1/users/search?page=1&limit=99999999999999999999",
        "/api/v1/follow/me/followers?after=%00",
        "/api/v1/follow/me/followers?after=" + "A" * 5000,
        "/api/v1/follow/me/followers?limit=1e9",
        "/api/v1/users/profile/" + "f" * 24 + "%0A",
        "/api/v1/follow/" + "a" * 1000 + "/status",
    ],
)
def test_hostile_query_strings_and_paths_never_give_a_500(user_client, url):
    response = user_client.get(url)
    assert response.status_code < 500, response.content


def test_a_huge_page_number_is_not_a_500(user_client):
    response = user_client.get("/api/v1/users/search?page=99999999999999999999")
    assert response.status_code == 200
    assert response.json()["data"]["list"] == []
    assert response.json()["data"]["pagination"]["currentPage"] == 1_000_000
