"""GET /api/v1/notifications (plain array) and /api/v2/notifications ({list, pagination}):
the caller's own, newest first, filtered by type, category and read (contract section 10)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.helpers import assert_error, assert_success
from tests.users.notifications.conftest import NOTIFICATION_KEYS
from tests.users.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db

V1 = "/api/v1/notifications"
V2 = "/api/v2/notifications"


def notifications_of(user, count: int, **fields) -> list:
    """`count` notifications of `user`, the last one the newest."""
    start = timezone.now() - timedelta(hours=1)
    return [
        NotificationFactory(user=user, created_at=start + timedelta(seconds=index), **fields)
        for index in range(count)
    ]


@pytest.mark.parametrize("url", [V1, V2, f"{V1}/unread-count"])
def test_anonymous_callers_get_401(api_client, url):
    assert_error(api_client.get(url), 401, ["Authentication required"])


def test_the_list_is_the_callers_own_newest_first_in_the_contract_shape(
    user_client, user, other_user
):
    older, newer = notifications_of(user, 2, metadata={"live_stream_id": "a" * 24})
    NotificationFactory(user=other_user)

    response = user_client.get(V1)
    data = assert_success(response)

    assert [item["id"] for item in data] == [newer.pk, older.pk]
    assert list(data[0]) == NOTIFICATION_KEYS
    assert data[0] == {
        "id": newer.pk,
        "userId": user.pk,
        "type": "system",
        "category": "follows",
        "title": newer.title,
        "message": "Something happened.",
        "metadata": {"liveStreamId": "a" * 24},
        "read": False,
        "createdAt": data[0]["createdAt"],
        "updatedAt": data[0]["updatedAt"],
    }
    assert data[0]["createdAt"].endswith("Z")
    assert response["X-Total-Count"] == "2"
    assert "Link" not in response


def test_v2_is_the_same_list_paginated(user_client, user):
    rows = notifications_of(user, 3)

    data = assert_success(user_client.get(V2, {"limit": 2, "page": 2}))

    assert [item["id"] for item in data["list"]] == [rows[0].pk]
    assert list(data["list"][0]) == NOTIFICATION_KEYS
    assert data["pagination"] == {
        "currentPage": 2,
        "totalPages": 2,
        "totalItems": 3,
        "itemsPerPage": 2,
        "hasNextPage": False,
        "hasPrevPage": True,
    }


def test_v1_pages_with_headers(user_client, user):
    rows = notifications_of(user, 5)

    response = user_client.get(V1, {"limit": 2, "page": 2})
    data = assert_success(response)

    assert [item["id"] for item in data] == [rows[2].pk, rows[1].pk]
    assert response["X-Total-Count"] == "5"
    assert 'page=3>; rel="next"' in response["Link"]
    assert 'page=1>; rel="prev"' in response["Link"]


@pytest.mark.parametrize("url", [V1, V2])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"category": "payments"}, {"payments-unread", "payments-read"}),
        ({"type": "system"}, {"payments-unread", "payments-read", "follows-unread"}),
        ({"read": "true"}, {"payments-read"}),
        ({"read": "false"}, {"payments-unread", "follows-unread"}),
        ({"read": "1"}, {"payments-read"}),
        ({"isRead": "false"}, {"payments-unread", "follows-unread"}),
        ({"read": "true", "isRead": "false"}, {"payments-read"}),
        ({"category": "payments", "read": "FALSE"}, {"payments-unread"}),
        ({"category": "", "read": ""}, {"payments-unread", "payments-read", "follows-unread"}),
        ({"unknown": "x"}, {"payments-unread", "payments-read", "follows-unread"}),
    ],
)
def test_filters(user_client, user, url, query, expected):
    NotificationFactory(user=user, category="payments", title="payments-unread")
    NotificationFactory(user=user, category="payments", title="payments-read", read=True)
    NotificationFactory(user=user, category="follows", title="follows-unread")

    data = assert_success(user_client.get(url, query))

    items = data["list"] if url == V2 else data
    assert {item["title"] for item in items} == expected


@pytest.mark.parametrize("url", [V1, V2])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"category": "news"},
            "category: Unknown value news; use one of: live_stream, payments, follows, "
            "messages, following_activity, announcement.",
        ),
        ({"type": "push"}, "type: Unknown value push; use one of: system."),
        ({"read": "maybe"}, "read: Use true or false."),
        ({"isRead": "2"}, "isRead: Use true or false."),
    ],
)
def test_bad_filter_values_are_a_400(user_client, user, url, query, message):
    NotificationFactory(user=user)

    assert_error(user_client.get(url, query), 400, [message])


@pytest.mark.parametrize("url", [V1, V2])
@pytest.mark.parametrize("limit", [5, 50])
def test_the_number_of_queries_does_not_grow_with_the_page(
    user_client, user, url, limit, django_assert_max_num_queries
):
    notifications_of(user, 60, category="payments")

    # the caller, the count, the page
    with django_assert_max_num_queries(3):
        data = assert_success(user_client.get(url, {"limit": limit, "category": "payments"}))

    assert len(data["list"] if url == V2 else data) == limit
