"""POST /notifications/device-token and DELETE /notifications/device-token/{deviceId}: one
row per user and device; a null token only updates the rest (contract section 10)."""

import pytest

from tests.helpers import assert_error, assert_success
from tests.users.notifications.factories import DeviceTokenFactory
from users.notifications.models import DeviceToken

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/device-token"


def forget_url(device_id: str) -> str:
    return f"{URL}/{device_id}"


def rows(user=None) -> list[tuple]:
    queryset = DeviceToken.objects.order_by("user_id", "device_id")
    if user is not None:
        queryset = queryset.filter(user=user)
    return list(
        queryset.values_list(
            "user_id",
            "device_id",
            "platform",
            "token",
            "timezone",
            "live_activity_push_to_start_token",
        )
    )


def test_a_device_is_registered(user_client, user):
    body = {
        "token": "apns-1",
        "platform": "ios",
        "deviceId": "iphone-1",
        "timezone": "UTC+03:00",
        "liveActivityPushToStartToken": "la-1",
    }

    assert assert_success(user_client.post(URL, body, format="json")) == {"success": True}

    assert rows() == [(user.pk, "iphone-1", "ios", "apns-1", "UTC+03:00", "la-1")]


def test_the_same_device_again_updates_its_one_row(user_client, user):
    user_client.post(URL, {"token": "old", "platform": "ios", "deviceId": "d"}, format="json")

    user_client.post(
        URL,
        {"token": "new", "platform": "ios", "deviceId": "d", "timezone": "Europe/Istanbul"},
        format="json",
    )

    assert rows() == [(user.pk, "d", "ios", "new", "Europe/Istanbul", None)]


@pytest.mark.parametrize("token", [None, "absent"])
def test_a_null_token_only_updates_the_timezone_and_live_activity_token(user_client, user, token):
    DeviceTokenFactory(user=user, device_id="d", token="kept", timezone="UTC+00:00")
    body = {"platform": "ios", "deviceId": "d", "timezone": "UTC+03:00"}
    if token != "absent":
        body["token"] = token
    body["liveActivityPushToStartToken"] = "la-2"

    assert_success(user_client.post(URL, body, format="json"))

    assert rows() == [(user.pk, "d", "ios", "kept", "UTC+03:00", "la-2")]


def test_a_device_first_seen_without_a_token_is_kept_for_later(user_client, user):
    assert_success(
        user_client.post(
            URL, {"token": None, "platform": "android", "deviceId": "pixel"}, format="json"
        )
    )

    assert rows() == [(user.pk, "pixel", "android", None, "", None)]


def test_devices_are_per_user(user_client, other_client, user, other_user):
    user_client.post(URL, {"token": "a", "platform": "ios", "deviceId": "d"}, format="json")
    other_client.post(URL, {"token": "b", "platform": "web", "deviceId": "d"}, format="json")

    assert rows(user) == [(user.pk, "d", "ios", "a", "", None)]
    assert rows(other_user) == [(other_user.pk, "d", "web", "b", "", None)]


def test_a_token_registered_by_a_new_account_leaves_the_old_one(user_client, other_user, user):
    DeviceTokenFactory(user=other_user, device_id="shared-phone", token="t-1")

    user_client.post(
        URL, {"token": "t-1", "platform": "ios", "deviceId": "shared-phone"}, format="json"
    )

    assert rows(other_user) == [(other_user.pk, "shared-phone", "ios", None, "", None)]
    assert rows(user) == [(user.pk, "shared-phone", "ios", "t-1", "", None)]


def test_anonymous_callers_get_401(api_client):
    body = {"token": "t", "platform": "ios", "deviceId": "d"}

    assert_error(api_client.post(URL, body, format="json"), 401)
    assert_error(api_client.delete(forget_url("d")), 401)

    assert rows() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"platform": "ios"}, "deviceId: This field is required."),
        ({"deviceId": "d"}, "platform: This field is required."),
        ({"platform": "windows", "deviceId": "d"}, 'platform: "windows" is not a valid choice.'),
        ({"platform": "ios", "deviceId": 7}, "deviceId: Not a valid string."),
        ({"platform": "ios", "deviceId": ""}, "deviceId: This field may not be blank."),
        (
            {"platform": "ios", "deviceId": "x" * 201},
            "deviceId: Ensure this field has no more than 200 characters.",
        ),
        ({"platform": "ios", "deviceId": "d", "token": 5}, "token: Not a valid string."),
        ({"platform": "ios", "deviceId": "d", "token": ""}, "token: This field may not be blank."),
        (
            {"platform": "ios", "deviceId": "d", "token": "x" * 1001},
            "token: Ensure this field has no more than 1000 characters.",
        ),
        ({"platform": "ios", "deviceId": "d", "timezone": 3}, "timezone: Not a valid string."),
        (
            {"platform": "ios", "deviceId": "d", "liveActivityPushToStartToken": []},
            "liveActivityPushToStartToken: Not a valid string.",
        ),
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(user_client, user, body, message):
    DeviceTokenFactory(user=user, device_id="d", token="kept")
    before = rows()

    assert_error(user_client.post(URL, body, format="json"), 400, [message])

    assert rows() == before


def test_forgetting_a_device_deletes_only_the_callers_row(user_client, user, other_user):
    DeviceTokenFactory(user=user, device_id="d")
    DeviceTokenFactory(user=user, device_id="e")
    theirs = DeviceTokenFactory(user=other_user, device_id="d")

    assert assert_success(user_client.delete(forget_url("d"))) == {"success": True}

    assert [row[1] for row in rows(user)] == ["e"]
    assert DeviceToken.objects.filter(pk=theirs.pk).exists()


def test_forgetting_an_unknown_device_still_succeeds(user_client, other_user):
    DeviceTokenFactory(user=other_user, device_id="theirs")

    assert assert_success(user_client.delete(forget_url("theirs"))) == {"success": True}
    assert assert_success(user_client.delete(forget_url("never-seen"))) == {"success": True}

    assert len(rows(other_user)) == 1
