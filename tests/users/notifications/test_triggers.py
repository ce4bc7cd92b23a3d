"""What creates a notification, from users and money (contract section 10): a follow, credits
bought, a store refund. Each event once, to the right person, in their language, never to
the person who acted; then pushed."""

from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.helpers import assert_success
from tests.users.notifications.factories import DeviceTokenFactory
from users.credits.models import CreditPackage, CreditTransaction
from users.models import User
from users.notifications import push
from users.notifications.models import Notification

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent.parent / "revenuecat"
SAMPLE_USER_ID = "64d15f9e2e6c8f4d5a123456"
REVENUECAT_SECRET = "Bearer rc-webhook-secret-0123456789"


def follow_url(user) -> str:
    return f"/api/v1/follow/{user.pk}"


def notifications() -> list[tuple]:
    return list(
        Notification.objects.order_by("created_at", "id").values_list(
            "user_id", "category", "title", "message", "metadata"
        )
    )


@pytest.fixture
def package(db):
    return CreditPackage.objects.create(
        product_id="yayin.credits.100",
        name="100 credits",
        credits=Decimal("100"),
        price=Decimal("4.99"),
        currency="USD",
    )


# --- follows ---------------------------------------------------------------------------------


def test_a_follow_tells_the_followed_user_once_and_pushes_it(
    other_client, user, other_user, after_commit
):
    other_user.name, other_user.surname = "Ayşe", "Yılmaz"
    other_user.save(update_fields=["name", "surname"])
    DeviceTokenFactory(user=user, token="phone", platform="android")

    with after_commit():
        assert_success(other_client.post(follow_url(user)))

    assert notifications() == [
        (
            user.pk,
            "follows",
            "New follower",
            "Ayşe Yılmaz started following you.",
            {"follower_id": other_user.pk, "follower_username": other_user.username},
        )
    ]
    assert push.outbox == [
        {
            "tokens": ["phone"],
            "platform": "android",
            "title": "New follower",
            "body": "Ayşe Yılmaz started following you.",
            "data": {
                "category": "follows",
                "followerId": other_user.pk,
                "followerUsername": other_user.username,
            },
        }
    ]
    assert Notification.objects.get().pushed_at is not None


def test_following_again_or_after_an_unfollow_tells_nobody_again(other_client, user, after_commit):
    with after_commit():
        other_client.post(follow_url(user))
        other_client.post(follow_url(user))
        other_client.delete(follow_url(user))
        other_client.post(follow_url(user))

    assert Notification.objects.filter(user=user).count() == 1
    assert not Notification.objects.exclude(user=user).exists()


def test_the_follower_hears_nothing_and_a_refused_follow_tells_nobody(
    user_client, other_client, user, other_user
):
    other_client.post(follow_url(user))
    user_client.post(follow_url(user))  # following yourself: a 400
    user_client.post("/api/v1/follow/" + "f" * 24)  # nobody: a 404

    assert [row[0] for row in notifications()] == [user.pk]


def test_the_notification_is_in_the_language_the_recipient_last_used(
    client_for, user, other_user, turkish
):
    turkish(
        {
            "New follower": "Yeni takipçi",
            "%(name)s started following you.": "%(name)s seni takip etmeye başladı.",
        }
    )
    client_for(user).get("/api/v1/notifications/unread-count", HTTP_X_LANGUAGE="tr")
    assert User.objects.get(pk=user.pk).language == "tr"
    other_user.name, other_user.surname = "Ali", ""
    other_user.save(update_fields=["name", "surname"])

    # The follower's own language is not the recipient's.
    client_for(other_user).post(follow_url(user), HTTP_X_LANGUAGE="en")

    (notification,) = Notification.objects.filter(user=user)
    assert (notification.title, notification.message) == (
        "Yeni takipçi",
        "Ali seni takip etmeye başladı.",
    )


# --- payments: credits bought and refunded ----------------------------------------------------


def test_a_test_purchase_tells_the_buyer(user_client, user, package, settings, after_commit):
    settings.CREDIT_TEST_PURCHASES = True

    with after_commit():
        assert_success(
            user_client.post(
                "/api/v1/credit-packages/purchase", {"packageId": package.pk}, format="json"
            ),
            201,
        )

    purchase = CreditTransaction.objects.get(type="purchase")
    assert notifications() == [
        (
            user.pk,
            "payments",
            "Credits added",
            "100.00 credits were added to your balance.",
            {"transaction_id": purchase.pk, "amount": 100.0},
        )
    ]


def revenuecat(name: str) -> dict:
    return APIClient().post(
        "/api/v1/webhooks/revenuecat",
        (SAMPLES / f"{name}.json").read_text(),
        content_type="application/json",
        HTTP_AUTHORIZATION=REVENUECAT_SECRET,
    )


def test_a_store_purchase_and_its_refund_each_tell_the_buyer_once(package, settings, after_commit):
    settings.REVENUECAT_WEBHOOK_AUTH = REVENUECAT_SECRET
    settings.REVENUECAT_ALLOW_SANDBOX = False
    buyer = UserFactory(id=SAMPLE_USER_ID, language="tr")
    with after_commit():
        assert_success(revenuecat("initial_purchase"))
        assert_success(revenuecat("initial_purchase"))  # redelivered: credited once
        assert_success(revenuecat("cancellation_customer_support"))
        assert_success(revenuecat("cancellation_customer_support"))

    purchase = CreditTransaction.objects.get(type="purchase")
    refund = CreditTransaction.objects.get(type="purchase_refund")
    rows = list(
        Notification.objects.order_by("created_at", "id").values_list(
            "user_id", "category", "key", "metadata"
        )
    )
    assert rows == [
        (
            buyer.pk,
            "payments",
            f"purchase:{purchase.pk}",
            {"transaction_id": purchase.pk, "amount": 100.0},
        ),
        (
            buyer.pk,
            "payments",
            f"purchase_refund:{refund.pk}",
            {"transaction_id": refund.pk, "amount": 100.0},
        ),
    ]
