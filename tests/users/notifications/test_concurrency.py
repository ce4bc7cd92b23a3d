"""Races only PostgreSQL can show: each event still makes one notification, incomes of one
hour lose no amount, and one device registered at once is one row."""

from decimal import Decimal

import pytest
from celery._state import _set_task_join_will_block
from django.db import transaction

from tests.factories import UserFactory
from tests.helpers import failures_of, run_together
from tests.livestreams.factories import LiveStreamFactory
from users import services as user_services
from users.models import Follow, User
from users.notifications import services
from users.notifications.models import DeviceToken, Notification

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Eager tasks that run in several threads at once (the push after each commit) can
    leave Celery's process-wide "inside a task" flag set (`Task.apply` saves and restores
    it without a lock), and a later test's `result.get()` would then refuse to block."""
    yield
    _set_task_join_will_block(False)


def test_the_same_follow_at_once_tells_the_followee_once():
    follower, followee = UserFactory(), UserFactory()

    def follow():
        user_services.follow_create(follower=follower, followee=followee)

    assert failures_of(run_together(*[follow] * 8)) == []

    assert Notification.objects.filter(user=followee, category="follows").count() == 1


def test_incomes_of_one_hour_at_once_add_up_in_one_notification():
    creator = UserFactory()
    stream = LiveStreamFactory(creator=creator, title="Konser")

    def income():
        with transaction.atomic():
            services.payment_income(live_stream=stream, user=creator, amount=Decimal("1.25"))

    assert failures_of(run_together(*[income] * 8)) == []

    (notification,) = Notification.objects.filter(user=creator)
    assert notification.metadata["amount"] == 10.0
    assert notification.message == "“Konser” earned you 10.00 credits."


def test_one_device_registered_at_once_is_one_row():
    user = UserFactory()

    def register(index):
        return lambda: services.device_token_register(
            user=user, device_id="phone", platform="ios", token=f"t{index}"
        )

    assert failures_of(run_together(*[register(index) for index in range(8)])) == []

    assert DeviceToken.objects.filter(user=user).count() == 1


def test_a_fan_out_batch_run_twice_at_once_tells_each_follower_once():
    creator = UserFactory()
    followers = User.objects.bulk_create(
        [User(username=f"race{index:03d}") for index in range(300)]
    )
    Follow.objects.bulk_create([Follow(follower=user, followee=creator) for user in followers])
    spec = {
        "key": "live:race",
        "actor_id": creator.pk,
        "params": {"title": "T", "creator": "C"},
        "metadata": {},
        "stages": [
            {
                "audience": "followers",
                "of": creator.pk,
                "category": "following_activity",
                "text": "following_stream_live",
            }
        ],
    }

    def batch():
        return services.fan_out_batch(spec=spec, size=1000)

    assert failures_of(run_together(batch, batch)) == []

    assert Notification.objects.count() == 300
    assert Notification.objects.values("user_id").distinct().count() == 300
