"""What a stream's life tells people (contract section 10), through the API that changes it:
the guest invited at creation, going live, a cancellation (or the delete of a stream that
never ran), ticket and replay income grouped per stream and hour, contributions and guest
fees refunded or paid out at settlement. Each recipient hears an event once, in their own
language, never the one who acted; a refused request tells nobody."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from livestreams import services
from livestreams.models import LiveStreamStatus, LiveStreamType
from tests.factories import FollowFactory, UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import (
    LiveStreamFactory,
    LiveStreamGuestFactory,
    LiveStreamReminderFactory,
)
from tests.livestreams.helpers import give_credits
from users.notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("agora")]

D = Decimal
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
CREATE = "/api/v1/live-stream/create"
JOIN = "/api/v1/live-stream/join"
JOIN_AS_CREATOR = "/api/v1/live-stream/join-as-creator"
JOIN_AS_GUEST = "/api/v1/live-stream/join-as-guest"
RECORDING = "https://cdn.example.com/recordings/replay.m3u8"

INVITED = (
    "live_stream",
    "You are invited as a guest",
    "Deniz Kaya invited you as a guest to “Duo”.",
)
GUEST_CANCELLED = (
    "live_stream",
    "A stream was cancelled",
    "“Duo” by Deniz Kaya, where you were invited as a guest, was cancelled.",
)
OWN_CANCELLED = ("live_stream", "Your stream was cancelled", "“Duo” was cancelled.")


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.CREATOR_SHARE_PERCENT = 80
    settings.LIVE_STREAM_GRACE_MINUTES = 30
    settings.REPLAY_RENTAL_HOURS = 48
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the block enqueued after its commit (the fan-out and
    push tasks run eagerly under pytest), as a real request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def received(**filters) -> dict[str, tuple]:
    """Each recipient's (category, title, message); a recipient told twice fails."""
    found = {}
    rows = Notification.objects.filter(**filters).values_list(
        "user_id", "category", "title", "message"
    )
    for user_id, *notification in rows:
        assert user_id not in found, f"{user_id} was told twice"
        found[user_id] = tuple(notification)
    return found


def snapshot() -> list[tuple]:
    return sorted(Notification.objects.values_list("user_id", "key", "message", "metadata"))


def url(stream, action: str) -> str:
    return f"/api/v1/live-stream/{stream.pk}/{action}"


@pytest.fixture
def creator(user):
    user.name, user.surname = "Deniz", "Kaya"
    user.save()
    return user


def duo(creator, *, kind=LiveStreamType.DUOCROWD, guest=None, **kwargs):
    stream = LiveStreamFactory(creator=creator, title="Duo", live_stream_type=kind, **kwargs)
    guest = guest or UserFactory()
    LiveStreamGuestFactory(live_stream=stream, user=guest)
    return stream, guest


# --- Created with a guest ----------------------------------------------------------------------


def test_a_guest_hears_of_their_invitation_once_and_the_creator_nothing(
    client_for, creator, committed, turkish
):
    turkish(
        {
            "You are invited as a guest": "Konuk olarak davet edildin",
            "%(creator)s invited you as a guest to “%(title)s”.": (
                "%(creator)s seni “%(title)s” yayınına konuk olarak davet etti."
            ),
        }
    )
    guest, turkish_guest = UserFactory(language="en"), UserFactory(language="tr")

    with committed():
        first = assert_success(
            client_for(creator).post(
                CREATE,
                {"title": "Duo", "liveStreamType": "duocrowd", "guests": [guest.pk]},
                format="json",
            ),
            201,
        )
        second = assert_success(
            client_for(creator).post(
                CREATE,
                {"title": "Duo", "liveStreamType": "duocrowd", "guests": [turkish_guest.pk]},
                format="json",
            ),
            201,
        )

    assert received() == {
        guest.pk: INVITED,
        turkish_guest.pk: (
            "live_stream",
            "Konuk olarak davet edildin",
            "Deniz Kaya seni “Duo” yayınına konuk olarak davet etti.",
        ),
    }
    assert Notification.objects.get(user=guest).metadata == {
        "live_stream_id": first["id"],
        "creator_id": creator.pk,
    }
    assert Notification.objects.get(user=turkish_guest).key == f"guest_invited:{second['id']}"


def test_a_solo_stream_and_a_refused_create_tell_nobody(client_for, creator, committed):
    guest = UserFactory(minute_price_in_live_stream=D("2.50"))

    with committed():
        assert_success(client_for(creator).post(CREATE, {"title": "Solo"}, format="json"), 201)
        assert_error(
            client_for(creator).post(
                CREATE,
                {"title": "Duo", "liveStreamType": "duoself", "guests": [guest.pk]},
                format="json",
            ),
            402,
        )

    assert not Notification.objects.exists()


# --- Going live ----------------------------------------------------------------------------------


def test_going_live_tells_the_guest_the_reminders_and_the_followers_once(
    client_for, creator, committed
):
    stream, guest = duo(creator, preparing=True)
    reminded = LiveStreamReminderFactory(live_stream=stream).user
    follower = FollowFactory(followee=creator).follower
    FollowFactory(followee=creator, follower=guest)  # a guest who follows hears it as guest
    LiveStreamReminderFactory(live_stream=stream, user=creator)

    with committed():
        assert_success(client_for(creator).post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))
    told = snapshot()
    with committed():
        # A second join (a crashed app coming back) and the guest's join tell nobody again.
        assert_success(client_for(creator).post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))
        assert_success(client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": stream.pk}))

    assert received() == {
        guest.pk: (
            "live_stream",
            "Your guest stream is live",
            "Deniz Kaya started “Duo”. Join as their guest.",
        ),
        reminded.pk: ("live_stream", "Live now", "“Duo” by Deniz Kaya has started."),
        follower.pk: (
            "following_activity",
            "Deniz Kaya is live",
            "“Duo” has started. Tap to watch.",
        ),
    }
    assert set(Notification.objects.values_list("key", flat=True)) == {f"live:{stream.pk}"}
    assert snapshot() == told


def test_a_refused_join_as_creator_tells_nobody(client_for, creator, committed):
    stream, _guest = duo(creator, preparing=True)
    FollowFactory(followee=creator)
    LiveStreamFactory(creator=creator, active=True)  # already live elsewhere

    with committed():
        assert_error(client_for(creator).post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}), 409)
        assert_error(
            client_for(UserFactory()).post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}), 403
        )

    assert not Notification.objects.exists()


# --- Cancelled, or deleted before it ran ------------------------------------------------------


def test_a_cancel_by_the_creator_tells_the_guest_only(client_for, creator, committed):
    stream, guest = duo(creator)
    LiveStreamReminderFactory(live_stream=stream)  # reminders hear of going live only

    with committed():
        assert_success(client_for(creator).post(url(stream, "cancel")))

    assert received() == {guest.pk: GUEST_CANCELLED}
    assert Notification.objects.get().key == f"cancelled:{stream.pk}"


def test_a_cancel_by_the_guest_tells_the_creator_in_their_language(
    client_for, creator, committed, turkish
):
    turkish(
        {
            "Your stream was cancelled": "Yayının iptal edildi",
            "“%(title)s” was cancelled.": "“%(title)s” iptal edildi.",
        }
    )
    creator.language = "tr"
    creator.save()
    stream, guest = duo(creator)

    with committed():
        assert_success(client_for(guest).post(url(stream, "cancel")))

    assert received() == {
        creator.pk: ("live_stream", "Yayının iptal edildi", "“Duo” iptal edildi.")
    }


def test_the_operators_cancel_tells_the_creator_and_the_guest(creator, committed):
    stream, guest = duo(creator)

    with committed():
        services.live_stream_cancel(live_stream=stream, actor=None)

    assert received() == {guest.pk: GUEST_CANCELLED, creator.pk: OWN_CANCELLED}


def test_a_refused_cancel_tells_nobody(client_for, creator, committed):
    stream, _guest = duo(creator)
    active, _other_guest = duo(creator, active=True)

    with committed():
        assert_error(client_for(UserFactory()).post(url(stream, "cancel")), 403)
        assert_error(client_for(creator).post(url(active, "cancel")), 409)
        assert_error(client_for(creator).post(url(stream, "nothing")), 404)

    assert not Notification.objects.exists()
    stream.refresh_from_db()
    assert stream.status == LiveStreamStatus.SCHEDULED


def test_deleting_a_stream_that_never_ran_tells_its_guest_it_is_cancelled(
    client_for, creator, committed
):
    stream, guest = duo(creator)

    with committed():
        assert_success(client_for(creator).delete(f"/api/v1/live-stream/{stream.pk}"))

    assert received() == {guest.pk: GUEST_CANCELLED}


def test_deleting_a_cancelled_or_ended_stream_tells_nobody_again(client_for, creator, committed):
    cancelled, guest = duo(creator)
    ended, _other_guest = duo(creator, ended=True)
    with committed():
        assert_success(client_for(creator).post(url(cancelled, "cancel")))
    told = snapshot()

    with committed():
        assert_success(client_for(creator).delete(f"/api/v1/live-stream/{cancelled.pk}"))
        assert_success(client_for(creator).delete(f"/api/v1/live-stream/{ended.pk}"))

    assert snapshot() == told
    assert received() == {guest.pk: GUEST_CANCELLED}


# --- Ticket income -------------------------------------------------------------------------------


def test_two_tickets_within_an_hour_are_one_income_notification(client_for, creator, committed):
    stream = LiveStreamFactory(
        creator=creator, title="Duo", active=True, paid=True, price=D("9.99")
    )
    first, second = (give_credits(UserFactory(), "20.00") for _ in range(2))

    with committed():
        joined = assert_success(client_for(first).post(JOIN, {"liveStreamId": stream.pk}))
    with time_machine.travel(NOW + timedelta(minutes=59), tick=False), committed():
        assert_success(client_for(second).post(JOIN, {"liveStreamId": stream.pk}))
        # A ticket holder's second join charges nothing and tells nothing.
        again = assert_success(client_for(first).post(JOIN, {"liveStreamId": stream.pk}))

    assert (joined["charged"], again["charged"]) == (9.99, 0)
    # 80 % of 9.99 is 7.99, twice.
    assert received() == {
        creator.pk: ("payments", "Income from your stream", "“Duo” earned you 15.98 credits.")
    }
    notification = Notification.objects.get()
    assert notification.key == f"income:{stream.pk}:2027010112"
    assert notification.metadata == {"live_stream_id": stream.pk, "amount": 15.98}


def test_a_ticket_in_the_next_hour_is_a_new_income_notification(client_for, creator, committed):
    stream = LiveStreamFactory(
        creator=creator, title="Duo", active=True, paid=True, price=D("9.99")
    )
    first, second = (give_credits(UserFactory(), "20.00") for _ in range(2))

    with committed():
        assert_success(client_for(first).post(JOIN, {"liveStreamId": stream.pk}))
    with time_machine.travel(NOW + timedelta(hours=1), tick=False), committed():
        assert_success(client_for(second).post(JOIN, {"liveStreamId": stream.pk}))

    assert sorted(Notification.objects.values_list("key", "message")) == [
        (f"income:{stream.pk}:2027010112", "“Duo” earned you 7.99 credits."),
        (f"income:{stream.pk}:2027010113", "“Duo” earned you 7.99 credits."),
    ]


def test_a_free_stream_and_a_refused_ticket_tell_nobody(client_for, creator, committed):
    free = LiveStreamFactory(active=True)
    paid = LiveStreamFactory(creator=creator, active=True, paid=True, price=D("9.99"))
    poor = give_credits(UserFactory(), "5.00")

    with committed():
        assert_success(client_for(UserFactory()).post(JOIN, {"liveStreamId": free.pk}))
        assert_error(client_for(poor).post(JOIN, {"liveStreamId": paid.pk}), 402)

    assert not Notification.objects.exists()


# --- Replay income -------------------------------------------------------------------------------


def test_a_replay_rental_tells_the_creator_of_their_share(client_for, creator, committed):
    stream = LiveStreamFactory(
        creator=creator,
        title="Duo",
        ended=True,
        is_active_replay_on_creator_profile=True,
        replay_credit_price=D("4.50"),
    )
    services.live_stream_recording_attach(live_stream=stream, url=RECORDING)
    renter, poor = give_credits(UserFactory(), "10.00"), give_credits(UserFactory(), "1.00")

    with committed():
        assert_success(client_for(renter).post(url(stream, "replay-rentals")), 201)
        assert_error(client_for(renter).post(url(stream, "replay-rentals")), 409)  # rented
        assert_error(client_for(poor).post(url(stream, "replay-rentals")), 402)

    assert received() == {
        creator.pk: ("payments", "Income from your stream", "“Duo” earned you 3.60 credits.")
    }
    assert Notification.objects.get().metadata == {"live_stream_id": stream.pk, "amount": 3.6}


# --- Settlement: refunds and payouts ---------------------------------------------------------


@pytest.fixture
def crowd(creator):
    """A preparing duocrowd stream of `creator`, funded 30 + 5 + 15 through the API by two
    funders (the first twice)."""
    stream, guest = duo(creator, funding_goal=D("150.00"), preparing=True)
    stream.guest = guest
    stream.funders = [give_credits(UserFactory(), "100.00") for _ in range(2)]
    return stream


def fund(client_for, stream):
    first, second = stream.funders
    for funder, amount in ((first, 30), (second, 5), (first, 15)):
        assert_success(client_for(funder).post(url(stream, "fund"), {"amount": amount}))


def test_a_cancel_refunds_each_funder_once_with_their_sum(client_for, crowd, committed, turkish):
    turkish(
        {
            "Contribution refunded": "Katkın iade edildi",
            "Your contribution of %(amount)s credits to “%(title)s” was refunded.": (
                "“%(title)s” yayınına %(amount)s kredilik katkın iade edildi."
            ),
        }
    )
    first, second = crowd.funders
    second.language = "tr"
    second.save()

    with committed():
        fund(client_for, crowd)
        assert_success(client_for(crowd.creator).post(url(crowd, "cancel")))
    told = snapshot()
    with committed():
        assert_error(client_for(crowd.creator).post(url(crowd, "cancel")), 409)
        crowd.refresh_from_db()
        services.settle([crowd])
        call_command("live_stream_housekeeping", stdout=io.StringIO())

    assert snapshot() == told
    assert received(category="payments") == {
        first.pk: (
            "payments",
            "Contribution refunded",
            "Your contribution of 45.00 credits to “Duo” was refunded.",
        ),
        second.pk: (
            "payments",
            "Katkın iade edildi",
            "“Duo” yayınına 5.00 kredilik katkın iade edildi.",
        ),
    }
    assert Notification.objects.get(user=first).metadata == {
        "live_stream_id": crowd.pk,
        "amount": 45.0,
    }
    assert received(category="live_stream") == {crowd.guest.pk: GUEST_CANCELLED}


def test_an_expiry_refunds_the_funders(client_for, crowd, committed):
    with committed():
        fund(client_for, crowd)
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False), committed():
        call_command("live_stream_housekeeping", stdout=io.StringIO())

    crowd.refresh_from_db()
    assert crowd.status == LiveStreamStatus.EXPIRED
    assert set(received()) == {funder.pk for funder in crowd.funders}


def test_an_end_with_the_guest_pays_out_to_the_guest_once(client_for, crowd, committed):
    with committed():
        fund(client_for, crowd)
        assert_success(client_for(crowd.creator).post(JOIN_AS_CREATOR, {"liveStreamId": crowd.pk}))
        assert_success(client_for(crowd.guest).post(JOIN_AS_GUEST, {"liveStreamId": crowd.pk}))
    Notification.objects.all().delete()  # going live told the guest; not this test's
    with committed():
        assert_success(client_for(crowd.creator).post(url(crowd, "end")))
    told = snapshot()
    with committed():
        crowd.refresh_from_db()
        services.settle([crowd])
        assert_error(client_for(crowd.creator).post(url(crowd, "end")), 409)

    assert snapshot() == told
    # 80 % of the 50.00 collected.
    assert received() == {
        crowd.guest.pk: (
            "payments",
            "Crowdfunding paid out",
            "You received 40.00 credits from the crowdfunding of “Duo”.",
        )
    }
    payout = Notification.objects.get()
    assert payout.metadata["amount"] == 40.0
    assert payout.metadata["live_stream_id"] == crowd.pk


def test_an_end_without_the_guest_refunds_the_funders(client_for, crowd, committed):
    with committed():
        fund(client_for, crowd)
        assert_success(client_for(crowd.creator).post(JOIN_AS_CREATOR, {"liveStreamId": crowd.pk}))
    Notification.objects.all().delete()
    with committed():
        assert_success(client_for(crowd.creator).post(url(crowd, "end")))

    assert {user_id: told[1] for user_id, told in received().items()} == {
        funder.pk: "Contribution refunded" for funder in crowd.funders
    }


@pytest.fixture
def duoself(creator):
    """A preparing duoself stream of `creator`, whose 150.00 guest fee they paid."""
    give_credits(creator, "150.00")
    guest = UserFactory(minute_price_in_live_stream=D("2.50"))
    stream = services.live_stream_create(
        creator=creator, title="Duo", live_stream_type=LiveStreamType.DUOSELF, guest_ids=[guest.pk]
    )
    stream.guest = guest
    return stream


def test_a_guest_who_cancels_a_duoself_stream_refunds_the_creator_and_tells_them(
    client_for, duoself, committed
):
    with committed():
        assert_success(client_for(duoself.guest).post(url(duoself, "cancel")))

    told = Notification.objects.filter(user=duoself.creator)
    assert sorted(told.values_list("category", "title", "message")) == [
        ("live_stream", *OWN_CANCELLED[1:]),
        (
            "payments",
            "Guest fee refunded",
            "Your guest fee of 150.00 credits for “Duo” was refunded.",
        ),
    ]
    assert not Notification.objects.filter(user=duoself.guest).exists()


def test_the_creator_who_cancels_is_not_told_of_their_own_refund(client_for, duoself, committed):
    with committed():
        assert_success(client_for(duoself.creator).post(url(duoself, "cancel")))

    assert received() == {duoself.guest.pk: GUEST_CANCELLED}


def test_a_duoself_end_with_the_guest_pays_the_fee_out(client_for, duoself, committed):
    with committed():
        assert_success(
            client_for(duoself.creator).post(JOIN_AS_CREATOR, {"liveStreamId": duoself.pk})
        )
        assert_success(client_for(duoself.guest).post(JOIN_AS_GUEST, {"liveStreamId": duoself.pk}))
    Notification.objects.all().delete()
    with committed():
        assert_success(client_for(duoself.creator).post(url(duoself, "end")))

    # 80 % of the 150.00 fee.
    assert received() == {
        duoself.guest.pk: (
            "payments",
            "Guest fee paid out",
            "You received 120.00 credits in guest fees for “Duo”.",
        )
    }
