"""The guest fee of a duoself stream, charged at creation, and the settlement of what a stream
holds on every path that ends it (contract section 5): paid out to the guest when the stream
ends with them having broadcast, refunded otherwise, exactly once, in the same transaction as
the status change."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from livestreams import services
from livestreams.models import LiveStream, LiveStreamGuest, LiveStreamStatus, LiveStreamType
from tests.factories import UserFactory, image_upload
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory
from tests.livestreams.helpers import balance_of, give_credits, ledger_of, money_snapshot
from users.credits.models import CreditTransaction
from users.credits.selectors import ledger_audit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("agora")]

D = Decimal
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
CREATE = "/api/v1/live-stream/create"
JOIN = "/api/v1/live-stream/join"
JOIN_AS_CREATOR = "/api/v1/live-stream/join-as-creator"
JOIN_AS_GUEST = "/api/v1/live-stream/join-as-guest"


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.CREATOR_SHARE_PERCENT = 80
    settings.LIVE_STREAM_GRACE_MINUTES = 30
    with time_machine.travel(NOW, tick=False):
        yield


def url(stream, action: str) -> str:
    return f"/api/v1/live-stream/{stream.pk}/{action}"


def priced_guest(price="2.50"):
    return UserFactory(minute_price_in_live_stream=D(price))


def held_statuses(stream) -> list[str]:
    return sorted(
        CreditTransaction.objects.filter(
            live_stream=stream, type__in=["funding", "guest_fee"]
        ).values_list("status", flat=True)
    )


# --- The guest fee at creation -----------------------------------------------------------------


def test_a_duoself_creator_is_charged_the_guests_fee_at_creation(user_client, user):
    give_credits(user, "200.00")
    guest = priced_guest("2.50")

    data = assert_success(
        user_client.post(
            CREATE,
            {"title": "Duo", "liveStreamType": "duoself", "guests": [guest.pk],
             "durationGoal": 60},
            format="json",
        ),
        201,
    )  # fmt: skip

    assert ledger_of(user) == [("guest_fee", "debit", D("150.00"), D("50.00"), "pending")]
    row = CreditTransaction.objects.get(type="guest_fee")
    assert row.live_stream_id == data["id"]
    assert ledger_of(guest) == []  # held, not paid
    assert data["fundingGoal"] is None
    assert ledger_audit() == []


def test_a_balance_below_the_fee_is_a_402_that_creates_nothing(user_client, user, settings):
    give_credits(user, "149.99")
    guest = priced_guest("2.50")
    before = money_snapshot()

    assert_error(
        user_client.post(
            CREATE,
            {"title": "Duo", "liveStreamType": "duoself", "guests": [guest.pk],
             "thumbnail": image_upload()},
            format="multipart",
        ),
        402,
        ["Insufficient credits: this costs 150.00 credits and your balance is 149.99."],
    )  # fmt: skip

    assert money_snapshot() == before
    assert not LiveStream.objects.exists()
    assert not LiveStreamGuest.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


@pytest.mark.parametrize(("kind", "price"), [("duoself", "0"), ("duocrowd", "2.50")])
def test_no_fee_without_a_minute_price_or_for_crowdfunded_streams(user_client, kind, price):
    guest = priced_guest(price)

    assert_success(
        user_client.post(
            CREATE, {"title": "Duo", "liveStreamType": kind, "guests": [guest.pk]}, format="json"
        ),
        201,
    )

    assert not CreditTransaction.objects.exists()


# --- Settlement ------------------------------------------------------------------------------


@pytest.fixture
def crowd(user, guest):
    """A preparing duocrowd stream of `user` with `guest`, funded 30 + 20 by two viewers."""
    stream = LiveStreamFactory(
        creator=user,
        live_stream_type=LiveStreamType.DUOCROWD,
        funding_goal=D("150.00"),
        preparing=True,
    )
    LiveStreamGuestFactory(live_stream=stream, user=guest)
    stream.funders = [give_credits(UserFactory(), "100.00") for _ in range(2)]
    for funder, amount in zip(stream.funders, (30, 20), strict=True):
        services.live_stream_fund(live_stream=stream, user=funder, amount=D(amount))
    return stream


@pytest.fixture
def duoself(user, guest):
    """A preparing duoself stream of `user` with `guest`, whose 150.00 fee `user` paid."""
    give_credits(user, "150.00")
    guest.minute_price_in_live_stream = D("2.50")
    guest.save()
    return services.live_stream_create(
        creator=user, title="Duo", live_stream_type=LiveStreamType.DUOSELF, guest_ids=[guest.pk]
    )


def assert_refunded(stream):
    assert set(held_statuses(stream)) == {"refunded"}
    for funder in getattr(stream, "funders", []):
        assert balance_of(funder) == D("100.00")
    assert not CreditTransaction.objects.filter(type__endswith="_payout").exists()
    assert ledger_audit() == []


def go_live(client_for, stream, *, with_guest: bool):
    assert_success(client_for(stream.creator).post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))
    if with_guest:
        guest = stream.guest_invitations.get().user
        assert_success(client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": stream.pk}))


def test_an_end_with_the_guest_pays_the_contributions_out_to_the_guest(client_for, crowd, guest):
    go_live(client_for, crowd, with_guest=True)

    data = assert_success(client_for(crowd.creator).post(url(crowd, "end")))

    # 80 % of the 50.00 collected; the platform keeps 10.00.
    assert ledger_of(guest) == [("funding_payout", "credit", D("40.00"), D("40.00"), "completed")]
    payout = CreditTransaction.objects.get(type="funding_payout")
    assert (payout.gross_amount, payout.platform_amount) == (D("50.00"), D("10.00"))
    assert held_statuses(crowd) == ["completed", "completed"]
    assert [balance_of(funder) for funder in crowd.funders] == [D("70.00"), D("80.00")]
    # Paid-out contributions still count as collected.
    assert (data["collectedFunding"], data["fundingPercentage"]) == (50, 33.33)
    assert ledger_audit() == []


def test_an_end_without_the_guest_refunds_every_contribution(client_for, crowd):
    go_live(client_for, crowd, with_guest=False)

    data = assert_success(client_for(crowd.creator).post(url(crowd, "end")))

    assert_refunded(crowd)
    assert [row[0] for row in ledger_of(crowd.funders[0])] == ["funding", "funding_refund"]
    refund = CreditTransaction.objects.filter(type="funding_refund").first()
    assert refund.reverses.type == "funding"
    assert (data["collectedFunding"], data["fundingPercentage"]) == (0, 0)


@pytest.mark.parametrize("who", ["creator", "guest"])
def test_a_cancel_by_the_host_or_the_guest_refunds(client_for, crowd, guest, who):
    caller = {"creator": crowd.creator, "guest": guest}[who]

    data = assert_success(client_for(caller).post(url(crowd, "cancel")))

    assert data["status"] == f"cancelled_by_{'host' if who == 'creator' else 'guest'}"
    assert_refunded(crowd)


def test_soft_deleting_a_stream_that_never_went_live_refunds(client_for, crowd):
    # A deleted stream can never run (housekeeping leaves deleted streams alone), so its
    # money goes back at once.
    assert_success(client_for(crowd.creator).delete(f"/api/v1/live-stream/{crowd.pk}"))

    assert_refunded(crowd)


def test_housekeeping_refunds_a_no_show_it_expires(crowd):
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        call_command("live_stream_housekeeping", stdout=io.StringIO())

    crowd.refresh_from_db()
    assert crowd.status == LiveStreamStatus.EXPIRED
    assert_refunded(crowd)


def test_a_join_that_expires_a_no_show_refunds_it(client_for, crowd):
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        assert_error(client_for(UserFactory()).post(JOIN, {"liveStreamId": crowd.pk}), 409)

    crowd.refresh_from_db()
    assert crowd.status == LiveStreamStatus.EXPIRED
    assert_refunded(crowd)


@pytest.mark.parametrize("with_guest", [True, False])
def test_housekeeping_settles_an_overrun_it_ends(client_for, crowd, guest, with_guest):
    go_live(client_for, crowd, with_guest=with_guest)

    with time_machine.travel(NOW + timedelta(minutes=60 + 31), tick=False):
        call_command("live_stream_housekeeping", stdout=io.StringIO())

    crowd.refresh_from_db()
    assert crowd.status == LiveStreamStatus.ENDED
    if with_guest:
        assert balance_of(guest) == D("40.00")
        assert held_statuses(crowd) == ["completed", "completed"]
    else:
        assert_refunded(crowd)
    assert ledger_audit() == []


def test_a_join_that_ends_an_overrun_pays_the_guest_who_broadcast(client_for, crowd, guest):
    go_live(client_for, crowd, with_guest=True)

    with time_machine.travel(NOW + timedelta(minutes=60 + 31), tick=False):
        assert_error(client_for(UserFactory()).post(JOIN, {"liveStreamId": crowd.pk}), 409)

    assert balance_of(guest) == D("40.00")


@pytest.mark.parametrize("action", ["end", "cancel", "delete"])
def test_the_operators_actions_settle_through_the_same_services(client_for, crowd, action):
    # The admin calls these services with actor=None (livestreams/admin.py).
    if action == "end":
        go_live(client_for, crowd, with_guest=False)
    service = {
        "end": services.live_stream_end,
        "cancel": services.live_stream_cancel,
        "delete": services.live_stream_delete,
    }[action]

    service(live_stream=crowd, actor=None)

    assert_refunded(crowd)


def test_settlement_happens_once_whatever_runs_after(client_for, crowd):
    assert_success(client_for(crowd.creator).post(url(crowd, "cancel")))
    rows = money_snapshot()

    crowd.refresh_from_db()
    services.settle([crowd])
    call_command("live_stream_housekeeping", stdout=io.StringIO())
    assert_error(client_for(crowd.creator).post(url(crowd, "cancel")), 409)

    assert money_snapshot() == rows
    assert CreditTransaction.objects.filter(type="funding_refund").count() == 2


def test_a_refused_end_settles_nothing(client_for, crowd):
    # Not live yet: the end is refused, and the money stays held.
    assert_error(client_for(crowd.creator).post(url(crowd, "end")), 409)

    assert held_statuses(crowd) == ["pending", "pending"]


def test_the_guest_fee_is_paid_to_the_guest_who_broadcast(client_for, duoself, user, guest):
    go_live(client_for, duoself, with_guest=True)

    assert_success(client_for(user).post(url(duoself, "end")))

    assert ledger_of(guest) == [
        ("guest_fee_payout", "credit", D("120.00"), D("120.00"), "completed")
    ]
    assert held_statuses(duoself) == ["completed"]
    assert balance_of(user) == D("0.00")
    assert ledger_audit() == []


@pytest.mark.parametrize("path", ["end_without_guest", "cancel_by_guest", "expire"])
def test_the_guest_fee_is_refunded_otherwise(client_for, duoself, user, guest, path):
    if path == "end_without_guest":
        go_live(client_for, duoself, with_guest=False)
        assert_success(client_for(user).post(url(duoself, "end")))
    elif path == "cancel_by_guest":
        assert_success(client_for(guest).post(url(duoself, "cancel")))
    else:
        with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
            call_command("live_stream_housekeeping", stdout=io.StringIO())

    assert ledger_of(user) == [
        ("guest_fee", "debit", D("150.00"), D("0.00"), "refunded"),
        ("guest_fee_refund", "credit", D("150.00"), D("150.00"), "completed"),
    ]
    assert ledger_of(guest) == []
    assert ledger_audit() == []


def test_housekeeping_settles_many_streams_in_one_run(client_for):
    funders = [give_credits(UserFactory(), "10.00") for _ in range(3)]
    streams = []
    for _ in range(4):
        stream = LiveStreamFactory(
            live_stream_type=LiveStreamType.DUOCROWD, funding_goal=D("100"), preparing=True
        )
        LiveStreamGuestFactory(live_stream=stream)
        for funder in funders:
            services.live_stream_fund(live_stream=stream, user=funder, amount=D("1.25"))
        streams.append(stream)

    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        call_command("live_stream_housekeeping", stdout=io.StringIO())

    assert {balance_of(funder) for funder in funders} == {D("10.00")}
    assert CreditTransaction.objects.filter(type="funding_refund").count() == 12
    assert ledger_audit() == []


def test_restoring_a_deleted_duoself_stream_holds_the_guest_fee_again(user, duoself):
    services.live_stream_delete(live_stream=duoself, actor=user)
    assert held_statuses(duoself) == ["refunded"]
    assert balance_of(user) == D("150.00")

    services.live_stream_restore(live_stream=duoself)

    assert held_statuses(duoself) == ["pending", "refunded"]
    assert balance_of(user) == D("0.00")
    assert ledger_audit() == []


def test_a_restore_the_creator_cannot_pay_for_restores_nothing(user, duoself):
    from config.api.errors import PaymentRequired
    from users.credits import services as credits

    services.live_stream_delete(live_stream=duoself, actor=user)
    credits.balance_adjust(user=user, amount=D("-100"), reason="spent", staff=UserFactory())
    with pytest.raises(PaymentRequired):
        services.live_stream_restore(live_stream=duoself)
    duoself.refresh_from_db()
    assert duoself.deleted_at is not None
    assert held_statuses(duoself) == ["refunded"]
    assert balance_of(user) == D("50.00")
    assert ledger_audit() == []
