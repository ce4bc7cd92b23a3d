"""The fan-out to a creator's followers (contract sections 10 and 13): batches of
NOTIFICATION_FAN_OUT_BATCH recipients, each one task of a fixed number of queries that
starts the next, so an audience of any size never runs in one request or one long task."""

import logging
import math

import pytest
from django.db import connection

from tests.factories import UserFactory
from tests.livestreams.factories import LiveStreamFactory
from tests.users.notifications.factories import DeviceTokenFactory
from users.models import Follow, User
from users.notifications import push, services
from users.notifications.models import Notification

pytestmark = pytest.mark.django_db

FOLLOWERS = 2_500
BATCH = 1_000


@pytest.fixture
def creator(db):
    return UserFactory()


@pytest.fixture
def followers(creator) -> list[str]:
    """FOLLOWERS followers of `creator`, made in bulk; their ids in order."""
    users = User.objects.bulk_create(
        [User(username=f"fan{index:05d}") for index in range(FOLLOWERS)]
    )
    Follow.objects.bulk_create([Follow(follower=user, followee=creator) for user in users])
    return sorted(user.pk for user in users)


def spec_for(creator) -> dict:
    return {
        "key": "live:test",
        "actor_id": creator.pk,
        "params": {"title": "Yayın", "creator": "Deniz"},
        "metadata": {"live_stream_id": "a" * 24},
        "stages": [
            {
                "audience": "followers",
                "of": creator.pk,
                "category": "following_activity",
                "text": "following_stream_live",
            }
        ],
    }


def inserts_for(rows: int) -> int:
    """How many INSERTs `bulk_create` needs for `rows` notifications on this database
    (PostgreSQL: one; SQLite caps the parameters of a statement)."""
    fields = list(Notification._meta.concrete_fields)
    per_statement = connection.ops.bulk_batch_size(fields, [None] * rows)
    return math.ceil(rows / per_statement)


def test_each_batch_is_a_fixed_number_of_queries(creator, followers, django_assert_num_queries):
    spec = spec_for(creator)
    after, stage, batches = "", 0, []
    while True:
        written = min(BATCH, FOLLOWERS - BATCH * len(batches))
        # the recipients, then the insert (the push is enqueued for after the commit)
        with django_assert_num_queries(1 + inserts_for(written)):
            batch = services.fan_out_batch(spec=spec, stage=stage, after=after, size=BATCH)
        batches.append(batch.written)
        if batch.next is None:
            break
        stage, after = batch.next

    assert batches == [1000, 1000, 500]
    assert Notification.objects.count() == FOLLOWERS
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == followers


def test_going_live_fans_out_in_batches_as_tasks_each_follower_once(
    creator, followers, settings, after_commit, caplog
):
    settings.NOTIFICATION_FAN_OUT_BATCH = BATCH
    caplog.set_level(logging.INFO, logger="users.notifications.tasks")
    stream = LiveStreamFactory(creator=creator)
    DeviceTokenFactory(user_id=followers[0], token="first")
    DeviceTokenFactory(user_id=followers[-1], token="last")

    with after_commit():
        services.stream_went_live(stream)

    fan_out_lines = [
        record.getMessage()
        for record in caplog.records
        if record.getMessage().startswith("fan-out")
    ]
    # guests and reminders (none), then the followers in three batches
    assert [line.split(": ", 1)[1] for line in fan_out_lines] == [
        "stage 0 after '': 0 recipient(s), more to come",
        "stage 1 after '': 0 recipient(s), more to come",
        "stage 2 after '': 1000 recipient(s), more to come",
        f"stage 2 after '{followers[999]}': 1000 recipient(s), more to come",
        f"stage 2 after '{followers[1999]}': 500 recipient(s)",
    ]
    assert Notification.objects.filter(category="following_activity").count() == FOLLOWERS
    assert sorted(push.outbox, key=lambda sent: sent["tokens"]) == [
        {
            "tokens": [token],
            "platform": "ios",
            "title": f"{services.display_name(creator)} is live",
            "body": f"“{stream.title}” has started. Tap to watch.",
            "data": {
                "category": "following_activity",
                "liveStreamId": stream.pk,
                "creatorId": creator.pk,
            },
        }
        for token in ("first", "last")
    ]


def test_a_batch_that_runs_again_writes_and_pushes_nothing_new(creator, followers, after_commit):
    DeviceTokenFactory(user_id=followers[0], token="first")
    spec = spec_for(creator)

    with after_commit():
        services.fan_out_batch(spec=spec, size=BATCH)
    first = set(Notification.objects.values_list("pk", flat=True))
    with after_commit():
        again = services.fan_out_batch(spec=spec, size=BATCH)

    assert again.written == BATCH
    assert set(Notification.objects.values_list("pk", flat=True)) == first
    assert len(push.outbox) == 1


def test_the_actor_and_inactive_followers_are_left_out(creator, followers):
    User.objects.filter(pk=followers[1]).update(is_active=False)
    spec = spec_for(creator) | {"actor_id": followers[0]}

    batch = services.fan_out_batch(spec=spec, size=FOLLOWERS)

    assert batch.written == FOLLOWERS - 2
    assert not Notification.objects.filter(user_id__in=followers[:2]).exists()
