"""Paging rules of contract section 0, and the request size limit."""

import pytest
from django.http import QueryDict

from config.api.pagination import pagination_meta, read_page_and_limit
from tests.helpers import assert_error


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", (1, 20)),
        ("page=3&limit=10", (3, 10)),
        ("page=0&limit=0", (1, 20)),
        ("page=-4&limit=-1", (1, 20)),
        ("page=abc&limit=xyz", (1, 20)),
        ("page=2.5&limit=1e3", (1, 20)),
        ("limit=101", (1, 100)),
        ("limit=100000000000000000000", (1, 100)),
        ("page=100000000000000000000", (1_000_000, 20)),
    ],
)
def test_page_and_limit_are_read_leniently(query, expected):
    assert read_page_and_limit(QueryDict(query), default_limit=20) == expected


def test_pagination_meta():
    assert pagination_meta(page=2, limit=10, total=45) == {
        "current_page": 2,
        "total_pages": 5,
        "total_items": 45,
        "items_per_page": 10,
        "has_next_page": True,
        "has_prev_page": True,
    }
    assert pagination_meta(page=1, limit=10, total=0)["total_pages"] == 0
    assert pagination_meta(page=1, limit=10, total=0)["has_next_page"] is False


@pytest.mark.django_db
def test_a_body_over_the_limit_is_a_413_before_it_is_read(api_client, settings):
    settings.API_MAX_BODY_BYTES = 100

    response = api_client.post(
        "/api/v1/auth/send-otp-email", {"email": "a" * 200 + "@example.com"}, format="json"
    )

    assert_error(response, 413, ["The request body is too large."])
