"""Crowdfunding of duocrowd streams (contract section 5): the goal fixed at creation,
POST /live-stream/{id}/fund with its refusals in the contract's order, the funding fields of
every LiveStream, and GET /live-stream/funded."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from livestreams.models import LiveStream, LiveStreamStatus, LiveStreamType
from tests.factories import UserFactory
from tests.helpers import OBJECT_ID_RE, assert_error, assert_success
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory
from tests.livestreams.helpers import (
    assert_live_stream_shape,
    balance_of,
    give_credits,
    ledger_of,
    money_snapshot,
)
from users.credits.models import CreditTransaction
from users.credits.selectors import ledger_audit

pytestmark = pytest.mark.django_db

D = Decimal
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
CREATE = "/api/v1/live-stream/create"
FUNDED = "/api/v1/live-stream/funded"
LIST = "/api/v1/live-stream"
STREAM_IS_OVER = "This live stream is over: it has ended, expired or been cancelled."
NO_FUNDING = "This live stream takes no funding."
GOAL_REACHED = "This live stream has already reached its funding goal."
CLOSED = "Funding closes when the live stream goes live."
OWN_STREAM = "The creator and the guest of a live stream cannot fund it."


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def fund_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/fund"


def crowd_stream(*, goal="150.00", creator=None, guest=None, **kwargs) -> LiveStream:
    """A scheduled duocrowd stream with its guest invited and `goal` to collect."""
    stream = LiveStreamFactory(
        live_stream_type=LiveStreamType.DUOCROWD,
        funding_goal=D(goal) if goal is not None else None,
        **({"creator": creator} if creator else {}),
        **kwargs,
    )
    LiveStreamGuestFactory(live_stream=stream, user=guest or UserFactory())
    return stream


def funder(amount="100.00"):
    return give_credits(UserFactory(), amount)


# --- The goal is fixed at creation ----------------------------------------------------------


def test_a_duocrowd_goal_is_the_guests_minute_price_times_the_duration(user_client):
    guest = UserFactory(minute_price_in_live_stream=D("2.50"))

    data = assert_success(
        user_client.post(
            CREATE,
            {"title": "Crowd", "liveStreamType": "duocrowd", "guests": [guest.pk],
             "durationGoal": 45},
            format="json",
        ),
        201,
    )  # fmt: skip

    assert_live_stream_shape(data)
    assert (data["fundingGoal"], data["collectedFunding"], data["fundingPercentage"]) == (
        112.5, 0, 0,
    )  # fmt: skip
    assert LiveStream.objects.get().funding_goal == D("112.50")
    assert not CreditTransaction.objects.exists()  # nobody pays at creation
    # A later change of the guest's price leaves the goal as it was set.
    guest.minute_price_in_live_stream = D("9")
    guest.save()
    assert LiveStream.objects.get().funding_goal == D("112.50")


@pytest.mark.parametrize(
    ("kind", "minute_price"), [("duocrowd", "0"), ("duoself", "2.50"), ("duoself", "0")]
)
def test_other_streams_take_no_funding(user_client, user, kind, minute_price):
    give_credits(user, "1000")
    guest = UserFactory(minute_price_in_live_stream=D(minute_price))

    data = assert_success(
        user_client.post(
            CREATE, {"title": "Duo", "liveStreamType": kind, "guests": [guest.pk]}, format="json"
        ),
        201,
    )

    assert (data["fundingGoal"], data["collectedFunding"], data["fundingPercentage"]) == (
        None, 0, 0,
    )  # fmt: skip
    assert LiveStream.objects.get().funding_goal is None


# --- A contribution -------------------------------------------------------------------------


def test_a_contribution_is_held_and_shown_on_the_stream(client_for):
    stream, viewer = crowd_stream(), funder()

    data = assert_success(client_for(viewer).post(fund_url(stream), {"amount": 30}))

    assert_live_stream_shape(data)
    assert data["id"] == stream.pk
    assert (data["fundingGoal"], data["collectedFunding"], data["fundingPercentage"]) == (
        150, 30, 20,
    )  # fmt: skip
    assert ledger_of(viewer) == [("funding", "debit", D("30.00"), D("70.00"), "pending")]
    row = CreditTransaction.objects.get(type="funding")
    assert row.live_stream == stream
    # Held, not earned: nobody is credited until the stream settles.
    assert (
        not CreditTransaction.objects.filter(direction="credit")
        .exclude(reason="test credits")
        .exists()
    )
    assert ledger_audit() == []


def test_contributions_add_up_and_the_percentage_has_two_decimals(client_for):
    stream = crowd_stream()
    first, second = funder(), funder()

    assert_success(client_for(first).post(fund_url(stream), {"amount": "10"}))
    assert_success(client_for(second).post(fund_url(stream), {"amount": 0.01}))
    data = assert_success(client_for(first).post(fund_url(stream), {"amount": 5.5}))

    assert data["collectedFunding"] == 15.51
    assert data["fundingPercentage"] == 10.34  # 15.51 / 150 = 10.34 %
    listed = assert_success(client_for(second).get(LIST))[0]
    assert (listed["collectedFunding"], listed["fundingPercentage"]) == (15.51, 10.34)


def test_the_last_contribution_may_take_exactly_what_remains_and_then_the_goal_is_reached(
    client_for,
):
    stream = crowd_stream(goal="20.00")
    viewer = funder()
    assert_success(client_for(viewer).post(fund_url(stream), {"amount": 12.5}))

    data = assert_success(client_for(viewer).post(fund_url(stream), {"amount": 7.5}))
    assert (data["collectedFunding"], data["fundingPercentage"]) == (20, 100)
    before = money_snapshot()
    assert_error(client_for(viewer).post(fund_url(stream), {"amount": 1}), 409, [GOAL_REACHED])
    assert money_snapshot() == before


@pytest.mark.parametrize("status", [LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING])
def test_anyone_else_may_fund_while_the_stream_has_not_started(client_for, staff_user, status):
    stream = crowd_stream(status=status, planned_start_date=NOW + timedelta(minutes=10))
    give_credits(staff_user, "5")

    for caller in (funder(), staff_user):
        assert_success(client_for(caller).post(fund_url(stream), {"amount": 5}))

    assert CreditTransaction.objects.filter(type="funding").count() == 2


# --- Refusals, in the contract's order --------------------------------------------------------


def test_anonymous_callers_are_401(api_client):
    stream = crowd_stream()
    before = money_snapshot()

    assert_error(api_client.post(fund_url(stream), {"amount": 5}), 401)
    assert money_snapshot() == before


@pytest.mark.parametrize("who", ["creator", "guest"])
def test_the_creator_and_the_guest_cannot_fund_whatever_they_send(client_for, who):
    creator, guest = give_credits(UserFactory(), "100"), give_credits(UserFactory(), "100")
    stream = crowd_stream(creator=creator, guest=guest)
    caller = {"creator": creator, "guest": guest}[who]
    before = money_snapshot()

    for body in ({"amount": 5}, {"amount": "lots"}, {}):
        assert_error(client_for(caller).post(fund_url(stream), body), 403, [OWN_STREAM])
    assert money_snapshot() == before


@pytest.mark.parametrize(
    "make",
    [
        lambda: LiveStreamFactory(),  # solo
        lambda: LiveStreamFactory(live_stream_type=LiveStreamType.DUOSELF),
        lambda: crowd_stream(goal=None),  # the guest had no minute price
        lambda: LiveStreamFactory(status=LiveStreamStatus.ENDED),  # checked before the state
    ],
)
def test_a_stream_that_takes_no_funding_is_a_409_checked_first(client_for, make):
    stream, viewer = make(), funder()
    before = money_snapshot()

    for body in ({"amount": 5}, {"amount": "lots"}):
        assert_error(client_for(viewer).post(fund_url(stream), body), 409, [NO_FUNDING])
    assert money_snapshot() == before


def test_a_reached_goal_is_checked_before_the_state(client_for):
    stream = crowd_stream(goal="10.00")
    assert_success(client_for(funder()).post(fund_url(stream), {"amount": 10}))
    LiveStream.objects.filter(pk=stream.pk).update(status=LiveStreamStatus.ACTIVE)

    assert_error(client_for(funder()).post(fund_url(stream), {"amount": 1}), 409, [GOAL_REACHED])


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (LiveStreamStatus.ACTIVE, CLOSED),
        (LiveStreamStatus.ENDED, STREAM_IS_OVER),
        (LiveStreamStatus.EXPIRED, STREAM_IS_OVER),
        (LiveStreamStatus.CANCELLED_BY_HOST, STREAM_IS_OVER),
        (LiveStreamStatus.CANCELLED_BY_GUEST, STREAM_IS_OVER),
    ],
)
def test_funding_is_open_only_before_the_stream_goes_live(client_for, status, message):
    stream = crowd_stream(status=status, planned_start_date=NOW - timedelta(minutes=5))
    viewer = funder()
    before = money_snapshot()

    for body in ({"amount": 5}, {"amount": "lots"}):
        assert_error(client_for(viewer).post(fund_url(stream), body), 409, [message])
    assert money_snapshot() == before


def test_a_no_show_is_expired_by_the_contribution_and_refused(client_for):
    # Housekeeping would expire it: the contribution applies the rule first, as joins do.
    stream = crowd_stream(planned_start_date=NOW - timedelta(minutes=31))
    viewer = funder()

    assert_error(client_for(viewer).post(fund_url(stream), {"amount": 5}), 409, [STREAM_IS_OVER])

    stream.refresh_from_db()
    assert stream.status == LiveStreamStatus.EXPIRED
    assert balance_of(viewer) == D("100.00")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "amount: This field is required."),
        ({"amount": None}, "amount: This field may not be null."),
        ({"amount": "lots"}, "amount: A valid number is required."),
        ({"amount": True}, "amount: A valid number is required."),
        ({"amount": [5]}, "amount: A valid number is required."),
        ({"amount": 0}, "amount: Must be greater than 0."),
        ({"amount": -5}, "amount: Must be greater than 0."),
        ({"amount": 1.005}, "amount: Ensure that there are no more than 2 decimal places."),
        ({"amount": 120.01}, "amount: At most 120.00 credits remain to the funding goal."),
        ({"amount": 1e30}, "amount: Ensure that there are no more than 12 digits in total."),
    ],
)
def test_a_bad_amount_is_a_400_and_charges_nothing(client_for, body, message):
    stream = crowd_stream()
    viewer = funder()
    assert_success(client_for(funder()).post(fund_url(stream), {"amount": 30}))
    before = money_snapshot()

    assert_error(client_for(viewer).post(fund_url(stream), body, format="json"), 400, [message])
    assert money_snapshot() == before


def test_a_balance_below_the_amount_is_a_402(client_for):
    stream, viewer = crowd_stream(), funder("4.99")
    before = money_snapshot()

    assert_error(
        client_for(viewer).post(fund_url(stream), {"amount": 5}),
        402,
        ["Insufficient credits: this costs 5.00 credits and your balance is 4.99."],
    )
    assert money_snapshot() == before


@pytest.mark.parametrize("stream_id", ["0" * 24, "not-an-id"])
def test_an_unknown_stream_is_a_404(user_client, stream_id):
    assert_error(user_client.post(f"/api/v1/live-stream/{stream_id}/fund", {"amount": 5}), 404)


def test_a_deleted_stream_is_a_404(client_for):
    stream = crowd_stream()
    LiveStream.objects.filter(pk=stream.pk).update(deleted_at=NOW)

    assert_error(client_for(funder()).post(fund_url(stream), {"amount": 5}), 404)


# --- Idempotency-Key ------------------------------------------------------------------------


def test_a_repeat_with_the_same_key_is_the_first_answer_and_one_contribution(client_for):
    stream, viewer = crowd_stream(), funder()
    client = client_for(viewer)

    first = client.post(fund_url(stream), {"amount": 5}, HTTP_IDEMPOTENCY_KEY="f-1")
    again = client.post(fund_url(stream), {"amount": 5}, HTTP_IDEMPOTENCY_KEY="f-1")
    other = client.post(fund_url(stream), {"amount": 6}, HTTP_IDEMPOTENCY_KEY="f-1")

    assert assert_success(again) == assert_success(first)
    assert again["Idempotent-Replayed"] == "true"
    assert_error(other, 422, ["This Idempotency-Key was used with a different request."])
    assert balance_of(viewer) == D("95.00")


# --- GET /live-stream/funded ------------------------------------------------------------------


def test_funded_lists_the_callers_not_started_funded_streams_soonest_first(client_for):
    viewer = funder()
    later = crowd_stream(planned_start_date=NOW + timedelta(days=2))
    sooner = crowd_stream(
        status=LiveStreamStatus.PREPARING, planned_start_date=NOW + timedelta(minutes=1)
    )
    soonest = crowd_stream(planned_start_date=NOW + timedelta(seconds=10))
    went_live = crowd_stream(planned_start_date=NOW + timedelta(hours=1))
    cancelled = crowd_stream(planned_start_date=NOW + timedelta(hours=1))
    funded_by_someone_else = crowd_stream()
    crowd_stream()  # funded by nobody
    for stream in (later, sooner, soonest, went_live, cancelled):
        assert_success(client_for(viewer).post(fund_url(stream), {"amount": 1}))
    assert_success(client_for(funder()).post(fund_url(funded_by_someone_else), {"amount": 1}))
    LiveStream.objects.filter(pk=went_live.pk).update(status=LiveStreamStatus.ACTIVE)
    assert_success(client_for(cancelled.creator).post(f"/api/v1/live-stream/{cancelled.pk}/cancel"))

    response = client_for(viewer).get(FUNDED)
    data = assert_success(response)

    assert [item["id"] for item in data] == [soonest.pk, sooner.pk, later.pk]
    assert response["X-Total-Count"] == "3"
    for item in data:
        assert_live_stream_shape(item)
        assert item["collectedFunding"] == 1
        assert OBJECT_ID_RE.match(item["id"])


def test_funded_is_bounded_and_paged(client_for):
    viewer = funder()
    streams = [crowd_stream(planned_start_date=NOW + timedelta(hours=n + 1)) for n in range(3)]
    for stream in streams:
        assert_success(client_for(viewer).post(fund_url(stream), {"amount": 1}))

    response = client_for(viewer).get(FUNDED, {"limit": 2, "page": 2})

    assert [item["id"] for item in assert_success(response)] == [streams[2].pk]
    assert response["X-Total-Count"] == "3"
    assert 'rel="prev"' in response["Link"]


def test_funded_is_empty_for_someone_who_funded_nothing(user_client):
    crowd_stream()

    assert assert_success(user_client.get(FUNDED)) == []


def test_funded_needs_a_signed_in_caller(api_client):
    assert_error(api_client.get(FUNDED), 401)


# Session user, count, page, guest prefetch, broadcaster prefetch (as the stream list).
FUNDED_QUERIES = 5


@pytest.mark.parametrize("streams", [1, 8])
def test_funded_and_the_list_run_a_fixed_number_of_queries(
    client_for, django_assert_num_queries, streams
):
    viewer = funder()
    for n in range(streams):
        stream = crowd_stream(planned_start_date=NOW + timedelta(hours=n + 1))
        for contributor in (viewer, funder()):
            assert_success(client_for(contributor).post(fund_url(stream), {"amount": 1}))
    client = client_for(viewer)

    with django_assert_num_queries(FUNDED_QUERIES):
        funded = assert_success(client.get(FUNDED, {"limit": 100}))
    with django_assert_num_queries(FUNDED_QUERIES):
        listed = assert_success(client.get(LIST, {"limit": 100}))

    assert len(funded) == len(listed) == streams
    assert {item["collectedFunding"] for item in funded + listed} == {2}
