"""What creates a notification, from live streams (contract section 10): going live (to the
guests, to reminders, to followers), a guest invitation, a cancellation, income grouped per
stream and hour, contributions refunded or paid out. The stream app calls these functions
of `users.notifications.services`; here they are called as it will, on streams made by its
factories."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from tests.factories import FollowFactory, StaffFactory, UserFactory
from tests.livestreams.factories import (
    LiveStreamFactory,
    LiveStreamGuestFactory,
    LiveStreamReminderFactory,
)
from tests.users.notifications.factories import DeviceTokenFactory
from users.credits import services as credits
from users.credits.models import TransactionType
from users.notifications import push, services
from users.notifications.models import Notification

pytestmark = pytest.mark.django_db

D = Decimal


def received(**filters) -> dict[str, tuple]:
    """Each recipient's (category, title, message) of the notifications matching `filters`."""
    rows = Notification.objects.filter(**filters).values_list(
        "user_id", "category", "title", "message"
    )
    found = {}
    for user_id, *notification in rows:
        assert user_id not in found, f"{user_id} was told twice"
        found[user_id] = tuple(notification)
    return found


@pytest.fixture
def creator(db):
    return UserFactory(name="Deniz", surname="Kaya")


@pytest.fixture
def stream(creator):
    return LiveStreamFactory(creator=creator, title="Akşam sohbeti")


# --- going live ------------------------------------------------------------------------------


def test_going_live_tells_guests_reminders_and_followers_each_once(stream, creator, after_commit):
    guest = LiveStreamGuestFactory(live_stream=stream).user
    reminded = LiveStreamReminderFactory(live_stream=stream).user
    reminded_follower = LiveStreamReminderFactory(live_stream=stream).user
    FollowFactory(follower=reminded_follower, followee=creator)
    FollowFactory(follower=guest, followee=creator)
    follower = FollowFactory(followee=creator).follower
    FollowFactory(followee=creator, follower=UserFactory(is_active=False))
    FollowFactory(followee=UserFactory(), follower=UserFactory())  # someone else's follower
    LiveStreamReminderFactory(live_stream=LiveStreamFactory())  # another stream's reminder

    with after_commit():
        services.stream_went_live(stream)

    live = (
        "live_stream",
        "Live now",
        "“Akşam sohbeti” by Deniz Kaya has started.",
    )
    assert received() == {
        guest.pk: (
            "live_stream",
            "Your guest stream is live",
            "Deniz Kaya started “Akşam sohbeti”. Join as their guest.",
        ),
        reminded.pk: live,
        reminded_follower.pk: live,
        follower.pk: (
            "following_activity",
            "Deniz Kaya is live",
            "“Akşam sohbeti” has started. Tap to watch.",
        ),
    }
    assert list(Notification.objects.values_list("metadata", flat=True)) == 4 * [
        {"live_stream_id": stream.pk, "creator_id": creator.pk}
    ]


def test_going_live_twice_tells_nobody_again(stream, creator, after_commit):
    FollowFactory(followee=creator)
    LiveStreamReminderFactory(live_stream=stream)

    with after_commit():
        services.stream_went_live(stream)
    with after_commit():
        services.stream_went_live(stream)

    assert Notification.objects.count() == 2


def test_the_creator_hears_nothing_of_their_own_stream(stream, creator, after_commit):
    LiveStreamReminderFactory(live_stream=stream, user=creator)

    with after_commit():
        services.stream_went_live(stream)

    assert not Notification.objects.exists()


def test_going_live_costs_the_request_no_query_whatever_the_audience(
    stream, creator, after_commit, django_assert_num_queries
):
    for _ in range(30):
        FollowFactory(followee=creator)

    with after_commit():
        with django_assert_num_queries(0):
            services.stream_went_live(stream)
        assert not Notification.objects.exists()  # the task runs after the commit

    assert Notification.objects.count() == 30


def test_each_recipient_reads_it_in_their_own_language_and_it_is_pushed(
    stream, creator, after_commit, turkish
):
    turkish(
        {
            "%(creator)s is live": "%(creator)s canlı yayında",
            "“%(title)s” has started. Tap to watch.": "“%(title)s” başladı. İzlemek için dokun.",
        }
    )
    english = FollowFactory(followee=creator, follower=UserFactory(language="en")).follower
    turkish_user = FollowFactory(followee=creator, follower=UserFactory(language="tr")).follower
    DeviceTokenFactory(user=english, token="en-1", platform="ios")
    DeviceTokenFactory(user=turkish_user, token="tr-1", platform="ios")
    DeviceTokenFactory(user=turkish_user, token="tr-2", platform="web")

    with after_commit():
        services.stream_went_live(stream)

    assert received()[turkish_user.pk] == (
        "following_activity",
        "Deniz Kaya canlı yayında",
        "“Akşam sohbeti” başladı. İzlemek için dokun.",
    )
    assert received()[english.pk][1] == "Deniz Kaya is live"
    data = {"category": "following_activity", "liveStreamId": stream.pk, "creatorId": creator.pk}
    assert sorted(push.outbox, key=lambda sent: sent["tokens"]) == [
        {
            "tokens": ["en-1"],
            "platform": "ios",
            "title": "Deniz Kaya is live",
            "body": "“Akşam sohbeti” has started. Tap to watch.",
            "data": data,
        },
        {
            "tokens": ["tr-1"],
            "platform": "ios",
            "title": "Deniz Kaya canlı yayında",
            "body": "“Akşam sohbeti” başladı. İzlemek için dokun.",
            "data": data,
        },
        {
            "tokens": ["tr-2"],
            "platform": "web",
            "title": "Deniz Kaya canlı yayında",
            "body": "“Akşam sohbeti” başladı. İzlemek için dokun.",
            "data": data,
        },
    ]


# --- guests: invited, cancelled ----------------------------------------------------------------


def test_guests_hear_of_their_invitation_once_and_a_later_guest_too(stream, creator, after_commit):
    first = LiveStreamGuestFactory(live_stream=stream).user

    with after_commit():
        services.guest_invited(stream)
    later = LiveStreamGuestFactory(live_stream=stream).user
    with after_commit():
        services.guest_invited(stream)

    invitation = (
        "live_stream",
        "You are invited as a guest",
        "Deniz Kaya invited you as a guest to “Akşam sohbeti”.",
    )
    assert received() == {first.pk: invitation, later.pk: invitation}


@pytest.mark.parametrize("cancelled_by", ["creator", "guest", "operator"])
def test_a_cancellation_tells_the_guests_and_the_creator_but_not_who_cancelled(
    stream, creator, after_commit, cancelled_by
):
    guest, other_guest = (LiveStreamGuestFactory(live_stream=stream).user for _ in range(2))
    LiveStreamReminderFactory(live_stream=stream)  # reminders hear of going live only
    actor = {"creator": creator, "guest": guest, "operator": None}[cancelled_by]

    with after_commit():
        services.stream_cancelled(stream, actor=actor)

    told = received()
    guest_message = (
        "live_stream",
        "A stream was cancelled",
        "“Akşam sohbeti” by Deniz Kaya, where you were invited as a guest, was cancelled.",
    )
    expected = {guest.pk: guest_message, other_guest.pk: guest_message}
    if cancelled_by != "creator":
        expected[creator.pk] = (
            "live_stream",
            "Your stream was cancelled",
            "“Akşam sohbeti” was cancelled.",
        )
    if cancelled_by == "guest":
        del expected[guest.pk]
    assert told == expected


# --- payments: income, contributions -----------------------------------------------------------


def test_income_is_one_notification_per_stream_and_hour(stream, creator):
    other_stream = LiveStreamFactory(creator=creator, title="Sabah")
    ten = datetime(2026, 5, 22, 10, 5, tzinfo=UTC)

    with time_machine.travel(ten, tick=False):
        services.payment_income(live_stream=stream, user=creator, amount=D("7.99"))
    Notification.objects.update(read=True)
    with time_machine.travel(ten + timedelta(minutes=50), tick=False):
        services.payment_income(live_stream=stream, user=creator, amount=D("8.00"))
        services.payment_income(live_stream=other_stream, user=creator, amount=D("1.00"))
    with time_machine.travel(ten + timedelta(hours=1), tick=False):
        services.payment_income(live_stream=stream, user=creator, amount=D("0.01"))

    rows = list(
        Notification.objects.filter(user=creator)
        .order_by("created_at", "id")
        .values_list("key", "message", "metadata", "read")
    )
    assert rows == [
        (
            f"income:{stream.pk}:2026052210",
            "“Akşam sohbeti” earned you 15.99 credits.",
            {"live_stream_id": stream.pk, "amount": 15.99},
            False,
        ),
        (
            f"income:{other_stream.pk}:2026052210",
            "“Sabah” earned you 1.00 credits.",
            {"live_stream_id": other_stream.pk, "amount": 1.0},
            False,
        ),
        (
            f"income:{stream.pk}:2026052211",
            "“Akşam sohbeti” earned you 0.01 credits.",
            {"live_stream_id": stream.pk, "amount": 0.01},
            False,
        ),
    ]
    assert set(Notification.objects.values_list("category", "title")) == {
        ("payments", "Income from your stream")
    }


def fund(user, stream, *amounts, type_=TransactionType.FUNDING) -> None:
    credits.balance_adjust(user=user, amount=sum(amounts), reason="test", staff=StaffFactory())
    for amount in amounts:
        credits.funds_hold(user=user, live_stream=stream, amount=amount, type_=type_)


def test_refunded_contributions_are_one_notification_per_person_with_their_sum(stream, creator):
    twice, once = UserFactory(), UserFactory()
    fund(twice, stream, D("5.00"), D("2.50"))
    fund(once, stream, D("1.00"))
    fee_payer = UserFactory()
    fund(fee_payer, stream, D("30.00"), type_=TransactionType.GUEST_FEE)

    refunds = credits.held_funds_refund(live_stream=stream, type_=TransactionType.FUNDING)
    refunds += credits.held_funds_refund(live_stream=stream, type_=TransactionType.GUEST_FEE)
    services.contribution_refunded(live_stream=stream, refunds=refunds)
    services.contribution_refunded(live_stream=stream, refunds=refunds)  # again: nothing new

    assert received() == {
        twice.pk: (
            "payments",
            "Contribution refunded",
            "Your contribution of 7.50 credits to “Akşam sohbeti” was refunded.",
        ),
        once.pk: (
            "payments",
            "Contribution refunded",
            "Your contribution of 1.00 credits to “Akşam sohbeti” was refunded.",
        ),
        fee_payer.pk: (
            "payments",
            "Guest fee refunded",
            "Your guest fee of 30.00 credits for “Akşam sohbeti” was refunded.",
        ),
    }


def test_a_payout_tells_its_recipient_once(stream, settings):
    settings.CREATOR_SHARE_PERCENT = 80
    guest = LiveStreamGuestFactory(live_stream=stream).user
    fund(UserFactory(), stream, D("10.00"))

    payout = credits.held_funds_pay_out(
        live_stream=stream, recipient=guest, type_=TransactionType.FUNDING
    )
    services.contribution_paid_out(live_stream=stream, payout=payout)
    services.contribution_paid_out(live_stream=stream, payout=payout)
    services.contribution_paid_out(live_stream=stream, payout=None)  # nothing was held

    assert received() == {
        guest.pk: (
            "payments",
            "Crowdfunding paid out",
            "You received 8.00 credits from the crowdfunding of “Akşam sohbeti”.",
        )
    }
    assert Notification.objects.get().metadata == {
        "transaction_id": payout.pk,
        "amount": 8.0,
        "live_stream_id": stream.pk,
    }
