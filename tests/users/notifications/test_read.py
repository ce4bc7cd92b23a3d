"""Marking notifications read: PATCH /notifications/{id}/read, POST /notifications/read-all,
and GET /notifications/unread-count (contract section 10)."""

import pytest

from tests.helpers import assert_error, assert_success
from tests.users.notifications.conftest import NOTIFICATION_KEYS
from tests.users.notifications.factories import NotificationFactory
from users.notifications.models import Notification

pytestmark = pytest.mark.django_db

READ_ALL = "/api/v1/notifications/read-all"
UNREAD_COUNT = "/api/v1/notifications/unread-count"


def read_url(notification_or_id) -> str:
    notification_id = getattr(notification_or_id, "pk", notification_or_id)
    return f"/api/v1/notifications/{notification_id}/read"


def state(notification) -> tuple:
    notification.refresh_from_db()
    return notification.read, notification.updated_at


# --- PATCH /notifications/{id}/read ------------------------------------------------------


def test_the_owner_marks_one_read_and_unread_again(user_client, user):
    notification = NotificationFactory(user=user)
    untouched = NotificationFactory(user=user)

    data = assert_success(user_client.patch(read_url(notification), {"isRead": True}))

    assert list(data) == NOTIFICATION_KEYS
    assert data["id"] == notification.pk
    assert data["read"] is True
    notification.refresh_from_db()
    assert notification.read is True
    assert notification.updated_at > notification.created_at
    assert state(untouched)[0] is False

    data = assert_success(user_client.patch(read_url(notification), {"isRead": False}))
    assert data["read"] is False
    assert state(notification)[0] is False


def test_marking_it_as_it_already_is_writes_nothing(
    user_client, user, django_assert_max_num_queries
):
    notification = NotificationFactory(user=user, read=True)
    before = state(notification)

    # the caller, the notification
    with django_assert_max_num_queries(2):
        data = assert_success(user_client.patch(read_url(notification), {"isRead": True}))

    assert data["read"] is True
    assert state(notification) == before


@pytest.mark.parametrize("who", ["other", "staff"])
def test_someone_elses_notification_is_a_404_and_stays_unread(
    other_client, staff_client, user, who
):
    notification = NotificationFactory(user=user)
    before = state(notification)
    client = other_client if who == "other" else staff_client

    assert_error(
        client.patch(read_url(notification), {"isRead": True}), 404, ["Resource not found"]
    )

    assert state(notification) == before


@pytest.mark.parametrize("notification_id", ["f" * 24, "nope", "F" * 24, "1" * 25])
def test_unknown_and_malformed_ids_are_a_404(user_client, notification_id):
    assert_error(user_client.patch(read_url(notification_id), {"isRead": True}), 404)


def test_anonymous_callers_get_401(api_client, user):
    notification = NotificationFactory(user=user)

    assert_error(api_client.patch(read_url(notification), {"isRead": True}), 401)

    assert state(notification)[0] is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "isRead: This field is required."),
        ({"isRead": "true"}, "isRead: Must be a valid boolean."),
        ({"isRead": 1}, "isRead: Must be a valid boolean."),
        ({"isRead": None}, "isRead: This field may not be null."),
    ],
)
def test_a_bad_body_is_a_400_and_changes_nothing(user_client, user, body, message):
    notification = NotificationFactory(user=user)
    before = state(notification)

    assert_error(user_client.patch(read_url(notification), body, format="json"), 400, [message])

    assert state(notification) == before


def test_a_body_that_is_not_json_is_a_400(user_client, user):
    notification = NotificationFactory(user=user)

    assert_error(
        user_client.generic(
            "PATCH", read_url(notification), "{nope", content_type="application/json"
        ),
        400,
    )

    assert state(notification)[0] is False


# --- POST /notifications/read-all and GET /notifications/unread-count --------------------


def test_read_all_marks_only_the_callers_unread_ones(user_client, user, other_user):
    unread = NotificationFactory.create_batch(3, user=user)
    already = NotificationFactory(user=user, read=True)
    already_before = state(already)
    others = NotificationFactory(user=other_user)

    data = assert_success(user_client.post(READ_ALL))

    assert data == {"updated": 3}
    assert all(state(row)[0] for row in unread)
    assert state(already) == already_before
    assert state(others)[0] is False
    assert assert_success(user_client.post(READ_ALL)) == {"updated": 0}


def test_read_all_needs_a_caller(api_client, user):
    notification = NotificationFactory(user=user)

    assert_error(api_client.post(READ_ALL), 401)

    assert state(notification)[0] is False


def test_the_unread_count_is_the_callers_unread_ones(user_client, user, other_user):
    NotificationFactory.create_batch(2, user=user)
    NotificationFactory(user=user, read=True)
    NotificationFactory(user=other_user)

    assert assert_success(user_client.get(UNREAD_COUNT)) == {"unreadCount": 2}

    user_client.post(READ_ALL)
    assert assert_success(user_client.get(UNREAD_COUNT)) == {"unreadCount": 0}
    assert Notification.objects.filter(user=other_user, read=False).count() == 1
