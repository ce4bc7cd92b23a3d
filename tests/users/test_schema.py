"""The OpenAPI document says what the users endpoints really return."""

import pytest

from tests.helpers import assert_error, assert_success
from users.models import User

pytestmark = pytest.mark.django_db

USERNAME_PATTERN = "^[a-z0-9._]{3,30}$"


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def success_data(schema: dict, path: str, method: str = "get", status: str = "200") -> dict:
    body = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    return resolve(schema, resolve(schema, body["schema"])["properties"]["data"])


def parameters(schema: dict, path: str, method: str = "get") -> dict:
    return {
        param["name"]: param
        for param in schema["paths"][path][method].get("parameters", [])
        if param["in"] == "query"
    }


def test_search_documents_the_paginated_shape(schema):
    data = success_data(schema, "/api/v1/users/search")

    assert data["type"] == "object"
    assert set(data["properties"]) == {"list", "pagination"}
    items = data["properties"]["list"]
    assert items["type"] == "array"
    item = resolve(schema, items["items"])
    assert set(item["properties"]) == {
        "_id",
        "username",
        "name",
        "surname",
        "profilePhoto",
        "availabilityStatus",
        "expertise",
    }
    pagination = resolve(schema, data["properties"]["pagination"])
    assert set(pagination["properties"]) == {
        "currentPage",
        "totalPages",
        "totalItems",
        "itemsPerPage",
        "hasNextPage",
        "hasPrevPage",
    }


def test_search_documents_its_query_parameters(schema):
    params = parameters(schema, "/api/v1/users/search")

    assert set(params) == {"q", "page", "limit", "expertise"}
    # Any text is taken and normalised (contract section 0), so no integer type or bounds.
    assert params["limit"]["schema"] == {"type": "string", "default": "5"}
    assert "at most 100" in params["limit"]["description"]
    assert params["page"]["schema"] == {"type": "string", "default": "1"}
    assert "not a whole number" in params["page"]["description"]
    assert "musician" in params["expertise"]["schema"]["enum"]
    assert not any(param["required"] for param in params.values() if "required" in param)


@pytest.mark.parametrize("query", ["page=0&limit=0", "page=abc&limit=xyz", "page=-4&limit=500"])
def test_search_takes_the_page_values_the_schema_allows(user_client, query):
    data = assert_success(user_client.get(f"/api/v1/users/search?{query}"))

    assert data["pagination"]["currentPage"] == 1
    assert data["pagination"]["itemsPerPage"] == (100 if "500" in query else 5)


def test_followers_document_the_cursor_parameters_and_page(schema):
    params = parameters(schema, "/api/v1/follow/me/followers")

    assert set(params) == {"after", "limit"}
    assert params["after"]["schema"]["type"] == "string"
    assert params["limit"]["schema"] == {"type": "string", "default": "20"}
    assert "at most 50" in params["limit"]["description"]
    data = success_data(schema, "/api/v1/follow/me/followers")
    assert set(data["properties"]) == {"users", "pageInfo"}
    assert data["properties"]["users"]["type"] == "array"


def component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


# --- Follow ----------------------------------------------------------------------------------


def test_follow_documents_200_whether_or_not_it_is_new(schema):
    responses = schema["paths"]["/api/v1/follow/{userId}"]["post"]["responses"]

    assert "201" not in responses
    assert {"200", "400", "401", "404", "429"} <= set(responses)
    assert "whether or not" in schema["paths"]["/api/v1/follow/{userId}"]["post"]["description"]


# --- Usernames -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "field"),
    [("OnboardingStep1Request", "username"), ("UsernameChangeRequest", "newUsername")],
)
def test_username_inputs_document_the_pattern_and_lengths(schema, name, field):
    body = component(schema, name)
    username = body["properties"][field]

    assert field in body["required"]  # PATCH /users/username too: it is never partial

    assert username["type"] == "string"
    assert username["pattern"] == "^[A-Za-z0-9._]{3,30}$"
    assert (username["minLength"], username["maxLength"]) == (3, 30)
    assert "lower case" in username["description"]


@pytest.mark.parametrize("name", ["UserSummary", "PublicProfile", "User", "UserSearchItem"])
def test_usernames_in_answers_are_lower_case_3_to_30(schema, name):
    username = component(schema, name)["properties"]["username"]

    assert username["pattern"] == USERNAME_PATTERN
    assert (username["minLength"], username["maxLength"]) == (3, 30)


@pytest.mark.parametrize(
    ("sent", "stored"), [("Ayse.K_1", "ayse.k_1"), ("abc", "abc"), ("a" * 30, "a" * 30)]
)
def test_a_username_the_pattern_allows_is_taken(user_client, user, sent, stored):
    data = assert_success(
        user_client.patch("/api/v1/users/username", {"newUsername": sent}, format="json")
    )

    assert data["username"] == stored
    assert User.objects.get(pk=user.pk).username == stored


@pytest.mark.parametrize(
    "sent",
    [
        " ayse",  # surrounding spaces are not in the pattern (they used to be trimmed)
        "ayse\n",
        "\u212aelvin",  # KELVIN SIGN: its lower case is an ASCII "k", but it is not one
        "ay",
        "ayşe",
        "ay se",
    ],
)
def test_a_username_outside_the_pattern_is_a_400(user_client, user, sent):
    before = User.objects.get(pk=user.pk).username

    errors = assert_error(
        user_client.patch("/api/v1/users/username", {"newUsername": sent}, format="json"), 400
    )

    assert errors == [
        "newUsername: Use 3 to 30 characters: lowercase letters, digits, dots and underscores."
    ]
    assert User.objects.get(pk=user.pk).username == before


# --- Emails ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["PatchedUserUpdateRequest", "User", "SendEmailOtpRequest", "VerifyEmailOtpRequest"]
)
def test_emails_have_the_email_format(schema, name):
    email = component(schema, name)["properties"]["email"]

    assert email["type"] == "string"
    assert email["format"] == "email"


# --- Photos ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/v1/users/profile/photo", "patch"), ("/api/v1/file/profile-photo", "post")],
)
def test_photo_uploads_are_multipart_only_with_a_required_file(schema, path, method):
    body = schema["paths"][path][method]["requestBody"]

    assert set(body["content"]) == {"multipart/form-data"}
    assert body["required"] is True
    upload = resolve(schema, body["content"]["multipart/form-data"]["schema"])
    assert upload["required"] == ["file"]
    assert upload["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "A JPEG, PNG or WebP image, at most 10 MB and 40 megapixels.",
    }
    assert "415" in schema["paths"][path][method]["responses"]


# --- Interests -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["PatchedUserUpdateRequest", "OnboardingStep3Request"])
def test_interests_document_that_duplicates_are_dropped_before_the_count(schema, name):
    interests = component(schema, name)["properties"]["interests"]

    description = interests["description"]
    assert interests["maxItems"] == 50
    assert "Duplicates are dropped (the first kept) before they are counted" in description
    assert "at most 10 different interests" in description


def test_twelve_interests_with_ten_different_ones_are_taken(user_client, user):
    sent = ["music", "sports", "gaming", "education", "technology", "art", "lifestyle"]
    sent += ["travel", "food", "fitness", "music", "art"]

    data = assert_success(user_client.patch("/api/v1/users/me", {"interests": sent}, format="json"))

    assert data["interests"] == sent[:10]
    assert User.objects.get(pk=user.pk).interests == sent[:10]
