"""No input gives a 500: every body field of every section-3 endpoint gets hostile values."""

import pytest

from tests.users.helpers import assert_error

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


@pytest.mark.parametrize(
    "body", [[], [1, 2], "text", 42, None, True, {"__proto__": {"admin": True}}]
)
@pytest.mark.parametrize(("method", "url", "_fields"), ENDPOINTS)
def test_non_object_bodies_are_a_400(user_client, method, url, _fields, body):
    response = getattr(user_client, method)(url, body, format="json")
    if response.status_code != 200:
        assert_error(response, 400)


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
