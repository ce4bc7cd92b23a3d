"""Notifications and device tokens in the admin: operators read them; "Send an
announcement" reaches one user or every active app user through the service, as a task;
device tokens are read-only."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client

from tests.factories import StaffFactory, UserFactory
from tests.users.notifications.factories import DeviceTokenFactory, NotificationFactory
from users.notifications.models import Notification

pytestmark = pytest.mark.django_db

NOTIFICATIONS = "/admin/users/notification/"
DEVICES = "/admin/users/devicetoken/"
ADD = f"{NOTIFICATIONS}add/"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(staff_user):
    return client_of(staff_user)


def notices(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_pages_open(admin_client, user):
    notification = NotificationFactory(user=user)
    device = DeviceTokenFactory(user=user)

    for url in (
        NOTIFICATIONS,
        f"{NOTIFICATIONS}?q={user.username}",
        f"{NOTIFICATIONS}?category__exact=follows&read__exact=0",
        f"{NOTIFICATIONS}{notification.pk}/change/",
        ADD,
        DEVICES,
        f"{DEVICES}?q={device.device_id}",
        f"{DEVICES}{device.pk}/change/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert "Send an announcement" in admin_client.get(ADD).content.decode()


def test_an_announcement_to_one_user(admin_client, user, other_user, after_commit):
    with after_commit():
        response = admin_client.post(
            ADD, {"user": user.pk, "title": "Bakım", "message": "Bu gece bakım var."}
        )

    assert response.status_code == 302
    assert response["Location"] == NOTIFICATIONS
    assert notices(response) == [f"The announcement is on its way to {user.username}."]
    assert list(Notification.objects.values_list("user_id", "category", "title", "message")) == [
        (user.pk, "announcement", "Bakım", "Bu gece bakım var.")
    ]


def test_an_announcement_to_everyone_reaches_every_active_app_user(
    admin_client, staff_user, settings, after_commit
):
    settings.NOTIFICATION_FAN_OUT_BATCH = 2
    users = UserFactory.create_batch(5)
    UserFactory(is_active=False)

    with after_commit():
        response = admin_client.post(
            ADD, {"everyone": "on", "title": "Yeni", "message": "Yenilikler var."}
        )

    assert response.status_code == 302
    assert notices(response) == ["The announcement is on its way to every active user."]
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted(
        user.pk for user in users
    )
    assert Notification.objects.values("key").distinct().count() == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"title": "T", "message": "M"}, "Choose a user, or tick “To every user”."),
        ({"everyone": "on", "title": "T", "message": ""}, "This field is required."),
    ],
)
def test_an_incomplete_announcement_is_sent_to_nobody(admin_client, data, error, after_commit):
    UserFactory()

    with after_commit():
        response = admin_client.post(ADD, data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Notification.objects.exists()


def test_one_user_and_everyone_at_once_is_refused(admin_client, user, after_commit):
    with after_commit():
        response = admin_client.post(
            ADD, {"user": user.pk, "everyone": "on", "title": "T", "message": "M"}
        )

    assert response.status_code == 200
    assert "not both" in response.content.decode()
    assert not Notification.objects.exists()


def test_nothing_is_changed_here_and_device_tokens_are_read_only(admin_client, user):
    notification = NotificationFactory(user=user, title="Original")
    device = DeviceTokenFactory(user=user, token="kept")

    response = admin_client.post(f"{NOTIFICATIONS}{notification.pk}/change/", {"title": "X"})
    assert response.status_code == 403
    assert admin_client.post(f"{DEVICES}{device.pk}/change/", {"token": "x"}).status_code == 403
    assert admin_client.post(f"{DEVICES}{device.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get(f"{DEVICES}add/").status_code == 403

    notification.refresh_from_db()
    device.refresh_from_db()
    assert (notification.title, device.token) == ("Original", "kept")


def test_a_view_only_operator_sends_nothing(user, after_commit):
    operator = StaffFactory(is_superuser=False)
    operator.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client = client_of(operator)

    assert client.get(NOTIFICATIONS).status_code == 200
    with after_commit():
        response = client.post(ADD, {"user": user.pk, "title": "T", "message": "M"})

    assert response.status_code == 403
    assert not Notification.objects.exists()
