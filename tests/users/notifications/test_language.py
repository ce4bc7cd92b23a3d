"""The language a signed-in caller's app sends (X-Language, else Accept-Language) is kept
as `User.language`, which their notifications are written in (contract section 10): one
UPDATE when it changes, no query otherwise."""

import pytest

from tests.helpers import assert_error, assert_success
from users.models import User

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/unread-count"


def language_of(user) -> str:
    return User.objects.values_list("language", flat=True).get(pk=user.pk)


@pytest.mark.parametrize(
    ("headers", "stored"),
    [
        ({"HTTP_X_LANGUAGE": "tr"}, "tr"),
        ({"HTTP_X_LANGUAGE": "TR-tr"}, "tr"),
        ({"HTTP_ACCEPT_LANGUAGE": "tr-TR,tr;q=0.9"}, "tr"),
        ({"HTTP_X_LANGUAGE": "de", "HTTP_ACCEPT_LANGUAGE": "tr"}, "tr"),
        ({"HTTP_X_LANGUAGE": "en", "HTTP_ACCEPT_LANGUAGE": "tr"}, "en"),
        ({"HTTP_ACCEPT_LANGUAGE": "de-DE"}, "en"),
    ],
)
def test_the_requests_language_is_stored(client_for, user, headers, stored):
    User.objects.filter(pk=user.pk).update(language="en" if stored == "tr" else "tr")

    assert_success(client_for(user).get(URL, **headers))

    assert language_of(user) == stored


@pytest.mark.parametrize("headers", [{}, {"HTTP_X_LANGUAGE": "de"}, {"HTTP_X_LANGUAGE": ""}])
def test_a_request_naming_no_language_changes_nothing(user_client, user, headers):
    User.objects.filter(pk=user.pk).update(language="tr")

    assert_success(user_client.get(URL, **headers))

    assert language_of(user) == "tr"


def test_one_update_when_it_changes_and_no_query_when_it_does_not(
    client_for, user, django_assert_num_queries
):
    client = client_for(user)
    # the caller, the count, the update
    with django_assert_num_queries(3):
        assert_success(client.get(URL, HTTP_X_LANGUAGE="tr"))
    # a new request loads the user again, now with "tr": nothing to write
    with django_assert_num_queries(2):
        assert_success(client.get(URL, HTTP_X_LANGUAGE="tr"))

    assert language_of(user) == "tr"


def test_it_is_stored_on_a_refused_request_too(client_for, user):
    assert_error(client_for(user).post("/api/v1/notifications", {}, HTTP_X_LANGUAGE="tr"), 403)

    assert language_of(user) == "tr"


def test_anonymous_and_invalid_token_requests_store_nothing(api_client, user):
    assert_error(api_client.get(URL, HTTP_X_LANGUAGE="tr"), 401)
    assert_error(api_client.get(URL, HTTP_X_LANGUAGE="tr", HTTP_AUTHORIZATION="Bearer nope"), 401)

    assert language_of(user) == "en"
