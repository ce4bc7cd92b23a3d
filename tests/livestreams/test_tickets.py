"""Paid streams (contract section 5, "Paid streams"): the audience join charges a ticket once
per person and stream, in the same transaction as the join; join responses say `charged`."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from livestreams.models import LiveStreamStatus, LiveStreamType, Participant, Participation
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory, in_audience
from tests.livestreams.helpers import (
    JOIN_KEYS,
    balance_of,
    give_credits,
    ledger_of,
    money_snapshot,
)
from users.credits.models import CreditTransaction
from users.credits.selectors import ledger_audit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("agora")]

D = Decimal
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
JOIN = "/api/v1/live-stream/join"
JOIN_AS_CREATOR = "/api/v1/live-stream/join-as-creator"
JOIN_AS_GUEST = "/api/v1/live-stream/join-as-guest"
SHORT = "Insufficient credits: this costs 9.99 credits and your balance is 5.00."


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.CREATOR_SHARE_PERCENT = 80
    with time_machine.travel(NOW, tick=False):
        yield


def token_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/token"


def leave_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/leave"


def paid_stream(**kwargs):
    return LiveStreamFactory(active=True, paid=True, price=D("9.99"), **kwargs)


def stays_of(user) -> int:
    return Participation.objects.filter(participant__user=user).count()


# --- The first join charges, later ones are free ----------------------------------------------


def test_the_first_audience_join_charges_the_ticket_and_the_creator_earns_the_share(
    other_client, other_user
):
    give_credits(other_user, "20.00")
    stream = paid_stream()

    data = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))

    assert list(data) == JOIN_KEYS
    assert data["charged"] == 9.99
    assert data["role"] == "audience"
    assert data["liveStream"]["role"] == "audience"
    assert ledger_of(other_user) == [("ticket", "debit", D("9.99"), D("10.01"), "completed")]
    # 80 % of 9.99 is 7.992, rounded down; the platform keeps 2.00.
    assert ledger_of(stream.creator) == [
        ("ticket_income", "credit", D("7.99"), D("7.99"), "completed")
    ]
    income = CreditTransaction.objects.get(user=stream.creator)
    assert (income.gross_amount, income.platform_amount, income.live_stream) == (
        D("9.99"), D("2.00"), stream,
    )  # fmt: skip
    assert stays_of(other_user) == 1
    assert ledger_audit() == []


def test_later_joins_and_token_renewals_of_a_ticket_holder_are_free(other_client, other_user):
    give_credits(other_user, "20.00")
    stream = paid_stream()
    assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))

    renewed = assert_success(other_client.post(token_url(stream)))
    again = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))
    assert_success(other_client.post(leave_url(stream)))
    back = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))

    assert [renewed["charged"], again["charged"], back["charged"]] == [0, 0, 0]
    assert balance_of(other_user) == D("10.01")
    assert CreditTransaction.objects.filter(type="ticket").count() == 1
    assert stays_of(other_user) == 2
    assert ledger_audit() == []


def test_a_ticket_is_per_stream(other_client, other_user):
    give_credits(other_user, "20.00")
    first, second = paid_stream(), paid_stream()

    charged = [
        assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))["charged"]
        for stream in (first, second)
    ]

    assert charged == [9.99, 9.99]
    assert balance_of(other_user) == D("0.02")


def test_free_streams_charge_nothing_on_every_join(client_for, user, guest, other_client):
    stream = LiveStreamFactory(creator=user, live_stream_type=LiveStreamType.DUOSELF)
    LiveStreamGuestFactory(live_stream=stream, user=guest)

    host = assert_success(client_for(user).post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))
    invited = assert_success(client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": stream.pk}))
    viewer = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))
    renewed = assert_success(other_client.post(token_url(stream)))

    assert [host["charged"], invited["charged"], viewer["charged"], renewed["charged"]] == [0] * 4
    assert not CreditTransaction.objects.exists()


def test_the_creator_and_the_invited_guest_never_pay(client_for, user, guest):
    stream = LiveStreamFactory(
        creator=user, paid=True, price=D("9.99"), live_stream_type=LiveStreamType.DUOSELF
    )
    LiveStreamGuestFactory(live_stream=stream, user=guest)

    host = assert_success(client_for(user).post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))
    invited = assert_success(client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": stream.pk}))
    renewals = [
        assert_success(client_for(person).post(token_url(stream)))["charged"]
        for person in (user, guest)
    ]

    assert (host["charged"], invited["charged"], renewals) == (0, 0, [0, 0])
    assert not CreditTransaction.objects.exists()
    # Their audience join is refused as before, and charges nothing either.
    for person in (user, guest):
        assert_error(client_for(person).post(JOIN, {"liveStreamId": stream.pk}), 409)
    assert not CreditTransaction.objects.exists()


def test_the_staff_pay_like_anyone(staff_client, staff_user):
    give_credits(staff_user, "10.00")
    stream = paid_stream()

    data = assert_success(staff_client.post(JOIN, {"liveStreamId": stream.pk}))

    assert data["charged"] == 9.99
    assert balance_of(staff_user) == D("0.01")


# --- Refusals charge nothing and join nothing ---------------------------------------------------


def test_a_short_balance_is_a_402_that_says_price_and_balance_and_joins_nothing(
    other_client, other_user
):
    give_credits(other_user, "5.00")
    stream = paid_stream()
    before = money_snapshot()

    assert_error(other_client.post(JOIN, {"liveStreamId": stream.pk}), 402, [SHORT])

    assert money_snapshot() == before
    assert not Participant.objects.filter(user=other_user).exists()
    assert stays_of(other_user) == 0


@pytest.mark.parametrize(
    "status", [LiveStreamStatus.SCHEDULED, LiveStreamStatus.ENDED, LiveStreamStatus.EXPIRED]
)
def test_a_join_refused_for_the_streams_state_charges_nothing(other_client, other_user, status):
    give_credits(other_user, "20.00")
    stream = LiveStreamFactory(paid=True, status=status)
    before = money_snapshot()

    assert_error(other_client.post(JOIN, {"liveStreamId": stream.pk}), 409)

    assert money_snapshot() == before


def test_without_agora_nothing_is_charged(other_client, other_user, no_agora):
    give_credits(other_user, "20.00")
    stream = paid_stream()
    before = money_snapshot()

    assert_error(
        other_client.post(JOIN, {"liveStreamId": stream.pk}), 503, ["Live video is not configured"]
    )

    assert money_snapshot() == before


def test_anonymous_callers_are_401_and_charge_nothing(api_client):
    stream = paid_stream()
    before = money_snapshot()

    assert_error(api_client.post(JOIN, {"liveStreamId": stream.pk}), 401)

    assert money_snapshot() == before


def test_a_renewal_without_a_ticket_charges_it_or_is_a_402(other_client, other_user):
    # Only possible for a stream that became paid after the viewer came in: the renewal
    # re-checks the join's rules, ticket included.
    stream = LiveStreamFactory(active=True)
    in_audience(stream, other_user)
    type(stream).objects.filter(pk=stream.pk).update(access_type="paid", price=D("9.99"))
    give_credits(other_user, "5.00")
    before = money_snapshot()

    assert_error(other_client.post(token_url(stream)), 402, [SHORT])
    assert money_snapshot() == before

    give_credits(other_user, "5.00")
    assert assert_success(other_client.post(token_url(stream)))["charged"] == 9.99
    assert balance_of(other_user) == D("0.01")


# --- Idempotency-Key ------------------------------------------------------------------------


def test_a_repeat_with_the_same_key_replays_the_first_answer_and_charges_once(
    other_client, other_user
):
    give_credits(other_user, "20.00")
    stream = paid_stream()

    first = other_client.post(JOIN, {"liveStreamId": stream.pk}, HTTP_IDEMPOTENCY_KEY="join-1")
    again = other_client.post(JOIN, {"liveStreamId": stream.pk}, HTTP_IDEMPOTENCY_KEY="join-1")

    assert assert_success(first)["charged"] == 9.99
    assert assert_success(again) == assert_success(first)
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert balance_of(other_user) == D("10.01")


def test_the_same_key_for_another_stream_is_a_422(other_client, other_user):
    give_credits(other_user, "20.00")
    first, second = paid_stream(), paid_stream()
    other_client.post(JOIN, {"liveStreamId": first.pk}, HTTP_IDEMPOTENCY_KEY="k")
    before = money_snapshot()

    assert_error(
        other_client.post(JOIN, {"liveStreamId": second.pk}, HTTP_IDEMPOTENCY_KEY="k"),
        422,
        ["This Idempotency-Key was used with a different request."],
    )
    assert money_snapshot() == before


def test_a_402_frees_the_key_for_a_retry_once_credits_are_bought(other_client, other_user):
    give_credits(other_user, "5.00")
    stream = paid_stream()
    assert_error(
        other_client.post(JOIN, {"liveStreamId": stream.pk}, HTTP_IDEMPOTENCY_KEY="k"), 402
    )

    give_credits(other_user, "5.00")
    data = assert_success(
        other_client.post(JOIN, {"liveStreamId": stream.pk}, HTTP_IDEMPOTENCY_KEY="k")
    )

    assert data["charged"] == 9.99


def test_a_new_viewer_with_credits_joins_a_stream_someone_else_paid_for(client_for):
    # One person's ticket is theirs alone.
    stream = paid_stream()
    first, second = give_credits(UserFactory(), "9.99"), give_credits(UserFactory(), "9.99")

    for viewer in (first, second):
        data = assert_success(client_for(viewer).post(JOIN, {"liveStreamId": stream.pk}))
        assert data["charged"] == 9.99

    assert balance_of(stream.creator) == D("15.98")
    assert ledger_audit() == []
