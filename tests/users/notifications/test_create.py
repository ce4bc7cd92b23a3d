"""POST /api/v1/notifications: staff send one user a notification (contract section 10)."""

import pytest

from tests.factories import StaffFactory, UserFactory
from tests.helpers import OBJECT_ID_RE, assert_error, assert_success
from tests.users.notifications.conftest import NOTIFICATION_KEYS
from tests.users.notifications.factories import DeviceTokenFactory
from users.notifications import push
from users.notifications.models import Notification

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications"


@pytest.fixture
def body(user):
    return {
        "userId": user.pk,
        "type": "system",
        "category": "announcement",
        "title": "Bakım",
        "message": "Bu gece 02:00'de kısa bir bakım var.",
        "metadata": {"deepLink": "yayin://announcements/1"},
    }


def test_staff_send_one_user_a_notification_which_is_pushed(staff_client, user, body, after_commit):
    DeviceTokenFactory(user=user, token="ios-token", platform="ios")

    with after_commit():
        data = assert_success(staff_client.post(URL, body, format="json"), 201)

    assert list(data) == NOTIFICATION_KEYS
    assert OBJECT_ID_RE.match(data["id"])
    assert data | {"id": None, "createdAt": None, "updatedAt": None} == {
        "id": None,
        "userId": user.pk,
        "type": "system",
        "category": "announcement",
        "title": "Bakım",
        "message": "Bu gece 02:00'de kısa bir bakım var.",
        "metadata": {"deepLink": "yayin://announcements/1"},
        "read": False,
        "createdAt": None,
        "updatedAt": None,
    }
    row = Notification.objects.get()
    assert (row.pk, row.user_id, row.title) == (data["id"], user.pk, "Bakım")
    assert row.pushed_at is not None
    assert push.outbox == [
        {
            "tokens": ["ios-token"],
            "platform": "ios",
            "title": "Bakım",
            "body": "Bu gece 02:00'de kısa bir bakım var.",
            "data": {"category": "announcement", "deepLink": "yayin://announcements/1"},
        }
    ]


def test_type_category_and_metadata_have_defaults(staff_client, user):
    data = assert_success(
        staff_client.post(URL, {"userId": user.pk, "title": "T", "message": "M"}, format="json"),
        201,
    )

    assert (data["type"], data["category"], data["metadata"]) == ("system", "announcement", {})


def test_anonymous_callers_get_401_and_nothing_is_sent(api_client, body):
    assert_error(api_client.post(URL, body, format="json"), 401)

    assert not Notification.objects.exists()


@pytest.mark.parametrize("who", ["recipient", "other"])
def test_app_users_get_403_and_nothing_is_sent(user_client, other_client, body, who):
    client = user_client if who == "recipient" else other_client

    assert_error(client.post(URL, body, format="json"), 403, ["Insufficient permissions"])

    assert not Notification.objects.exists()
    assert push.outbox == []


@pytest.mark.parametrize("target", ["unknown", "inactive", "staff"])
def test_an_unknown_recipient_is_a_404(staff_client, body, target):
    if target == "unknown":
        body["userId"] = "f" * 24
    elif target == "inactive":
        body["userId"] = UserFactory(is_active=False).pk
    else:
        body["userId"] = StaffFactory().pk

    assert_error(staff_client.post(URL, body, format="json"), 404, ["Resource not found"])

    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"userId": "nope"}, "userId: Must be a 24-character hexadecimal id."),
        ({"userId": 12}, "userId: Must be a 24-character hexadecimal id."),
        ({"userId": None}, "userId: This field may not be null."),
        ({"title": None}, "title: This field may not be null."),
        ({"title": ""}, "title: This field may not be blank."),
        ({"title": 5}, "title: Not a valid string."),
        ({"title": "x" * 256}, "title: Ensure this field has no more than 255 characters."),
        ({"message": ["a"]}, "message: Not a valid string."),
        ({"message": "x" * 1001}, "message: Ensure this field has no more than 1000 characters."),
        ({"category": "news"}, 'category: "news" is not a valid choice.'),
        ({"type": "push"}, 'type: "push" is not a valid choice.'),
        ({"metadata": ["a"]}, 'metadata: Expected a dictionary of items but got type "list".'),
        ({"metadata": "x"}, 'metadata: Expected a dictionary of items but got type "str".'),
    ],
)
def test_bad_input_is_a_400_and_nothing_is_sent(staff_client, body, change, message):
    body.update(change)

    assert_error(staff_client.post(URL, body, format="json"), 400, [message])

    assert not Notification.objects.exists()


@pytest.mark.parametrize("field", ["userId", "title", "message"])
def test_missing_fields_are_a_400(staff_client, body, field):
    del body[field]

    assert_error(
        staff_client.post(URL, body, format="json"), 400, [f"{field}: This field is required."]
    )

    assert not Notification.objects.exists()
