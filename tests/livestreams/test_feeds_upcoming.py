"""Coming up (contract section 8): for-you/scheduled, for-you/crowdfunding, the upcoming
streams of the caller and of a user (v1 in hours, v2 in minutes), and the active stream."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from livestreams import services
from livestreams.models import LiveStreamStatus, LiveStreamType
from tests.factories import StaffFactory, UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import (
    LiveStreamFactory,
    LiveStreamGuestFactory,
    LiveStreamReminderFactory,
)
from tests.livestreams.helpers import assert_live_stream_shape, give_credits

pytestmark = pytest.mark.django_db

BASE = "/api/v1/live-stream"
FOR_YOU_SCHEDULED = f"{BASE}/for-you/scheduled"
FOR_YOU_CROWDFUNDING = f"{BASE}/for-you/crowdfunding"
MY_UPCOMING = f"{BASE}/my-upcoming-streams"
MY_ACTIVE = f"{BASE}/my-active-stream"
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def user_upcoming(user, version: int = 1) -> str:
    return f"/api/v{version}/live-stream/user/{user.pk}/upcoming-live-streams"


def user_active(user) -> str:
    return f"{BASE}/user/{user.pk}/active-stream"


def ids(items) -> list[str]:
    return [item["id"] for item in items]


def at(delta: timedelta, **kwargs):
    """A scheduled stream planned to start at NOW + `delta`."""
    return LiveStreamFactory(planned_start_date=NOW + delta, **kwargs)


# --- for-you/scheduled -----------------------------------------------------------------------


def test_for_you_scheduled_lists_scheduled_streams_in_interests_soonest_first(client_for):
    caller = UserFactory(interests=["music", "art"])
    later = at(timedelta(days=3), interest="art")
    soonest = at(timedelta(hours=1), interest="music")
    overdue = at(-timedelta(minutes=10), interest="music")  # not expired yet: still listed
    at(timedelta(hours=2), interest="gaming")
    at(timedelta(hours=2), interest="music", deleted_at=NOW)
    LiveStreamFactory(preparing=True, interest="music")
    LiveStreamFactory(active=True, interest="music")
    LiveStreamFactory(ended=True, interest="music")

    data = assert_success(client_for(caller).get(FOR_YOU_SCHEDULED))

    assert ids(data["list"]) == [overdue.pk, soonest.pk, later.pk]
    assert data["pagination"]["totalItems"] == 3
    for item in data["list"]:
        assert_live_stream_shape(item)
        assert item["status"] == "scheduled"


def test_for_you_scheduled_is_an_empty_page_without_interests(client_for):
    at(timedelta(hours=1), interest="music")

    data = assert_success(client_for(UserFactory(interests=[])).get(FOR_YOU_SCHEDULED))

    assert data["list"] == []
    assert data["pagination"]["totalItems"] == 0


def test_for_you_scheduled_pages_by_ten(client_for):
    caller = UserFactory(interests=["music"])
    streams = [at(timedelta(hours=hours + 1), interest="music") for hours in range(12)]

    first = assert_success(client_for(caller).get(FOR_YOU_SCHEDULED))
    second = assert_success(client_for(caller).get(FOR_YOU_SCHEDULED, {"page": 2}))

    assert ids(first["list"]) == [stream.pk for stream in streams[:10]]
    assert ids(second["list"]) == [stream.pk for stream in streams[10:]]
    assert first["pagination"]["totalPages"] == 2


# --- for-you/crowdfunding --------------------------------------------------------------------


def crowdfunded(delta: timedelta, *, goal: str = "100", **kwargs):
    stream = at(
        delta, live_stream_type=LiveStreamType.DUOCROWD, funding_goal=Decimal(goal), **kwargs
    )
    LiveStreamGuestFactory(live_stream=stream)
    return stream


def fund(stream, amount: str):
    funder = give_credits(UserFactory(), amount)
    services.live_stream_fund(live_stream=stream, user=funder, amount=Decimal(amount))


def test_for_you_crowdfunding_lists_open_goals_in_interests_soonest_first(client_for):
    caller = UserFactory(interests=["music"])
    partly = crowdfunded(timedelta(hours=5), interest="music")
    fund(partly, "99.99")
    untouched = crowdfunded(timedelta(hours=2), interest="music")
    preparing = crowdfunded(timedelta(minutes=1), interest="music")
    preparing.status = LiveStreamStatus.PREPARING
    preparing.save()
    reached = crowdfunded(timedelta(hours=1), interest="music")
    fund(reached, "100")
    crowdfunded(timedelta(hours=1), interest="sports")
    crowdfunded(timedelta(hours=1), interest="music", deleted_at=NOW)
    crowdfunded(timedelta(hours=1), interest="music", status=LiveStreamStatus.ACTIVE)
    crowdfunded(timedelta(hours=1), interest="music", status=LiveStreamStatus.CANCELLED_BY_HOST)
    at(timedelta(hours=1), interest="music", live_stream_type=LiveStreamType.DUOCROWD)  # no goal
    at(timedelta(hours=1), interest="music", live_stream_type=LiveStreamType.DUOSELF)

    data = assert_success(client_for(caller).get(FOR_YOU_CROWDFUNDING))

    assert ids(data["list"]) == [preparing.pk, untouched.pk, partly.pk]
    funding = {
        item["id"]: (item["collectedFunding"], item["fundingPercentage"]) for item in data["list"]
    }
    assert funding[partly.pk] == (99.99, 99.99)
    assert funding[untouched.pk] == (0, 0)


def test_for_you_crowdfunding_is_an_empty_page_without_interests(client_for):
    crowdfunded(timedelta(hours=1), interest="music")

    data = assert_success(client_for(UserFactory(interests=[])).get(FOR_YOU_CROWDFUNDING))

    assert data["list"] == []


# --- my-upcoming-streams and user/{id}/upcoming-live-streams ----------------------------------


def test_upcoming_lists_live_first_then_soonest_as_creator_or_guest(client_for, user):
    guest_of_scheduled = at(timedelta(hours=3))
    LiveStreamGuestFactory(live_stream=guest_of_scheduled, user=user)
    mine_soon = at(timedelta(hours=1), creator=user)
    mine_preparing = LiveStreamFactory(
        creator=user, status=LiveStreamStatus.PREPARING, planned_start_date=NOW - timedelta(days=2)
    )
    guest_of_live = LiveStreamFactory(active=True)
    LiveStreamGuestFactory(live_stream=guest_of_live, user=user)
    # Not listed: over, deleted, someone else's, outside the window.
    for status in (
        LiveStreamStatus.ENDED,
        LiveStreamStatus.EXPIRED,
        LiveStreamStatus.CANCELLED_BY_HOST,
        LiveStreamStatus.CANCELLED_BY_GUEST,
    ):
        LiveStreamFactory(creator=user, status=status, planned_start_date=NOW)
    at(timedelta(hours=1), creator=user, deleted_at=NOW)
    at(timedelta(hours=1))
    at(timedelta(days=2), creator=user)

    data = assert_success(client_for(user).get(MY_UPCOMING))

    assert ids(data) == [guest_of_live.pk, mine_preparing.pk, mine_soon.pk, guest_of_scheduled.pk]
    assert [item["role"] for item in data] == ["guest", "host", "host", "guest"]


WINDOW_CASES = [
    # (query, offsets from now that are listed, offsets that are not)
    ({}, [-timedelta(hours=24), timedelta(hours=24)], [-timedelta(hours=24) - SECOND,
                                                      timedelta(hours=24) + SECOND]),
    ({"hoursBefore": 0, "hoursAfter": 1}, [timedelta(0), timedelta(hours=1)],
     [-SECOND, timedelta(hours=1) + SECOND]),
    ({"hoursBefore": 48, "hoursAfter": 0}, [-timedelta(hours=48), timedelta(0)],
     [-timedelta(hours=48) - SECOND, SECOND]),
    ({"hoursBefore": "", "hoursAfter": ""}, [-timedelta(hours=24), timedelta(hours=24)],
     [timedelta(hours=24) + SECOND]),
]  # fmt: skip


@pytest.mark.parametrize(("query", "inside", "outside"), WINDOW_CASES)
def test_the_hours_window_includes_its_edges(client_for, user, query, inside, outside):
    listed = [at(delta, creator=user) for delta in inside]
    for delta in outside:
        at(delta, creator=user)

    data = assert_success(client_for(user).get(MY_UPCOMING, query))

    assert set(ids(data)) == {stream.pk for stream in listed}


V2_WINDOW_CASES = [
    ({}, [-timedelta(minutes=1440), timedelta(minutes=1440)],
     [-timedelta(minutes=1440) - SECOND, timedelta(minutes=1440) + SECOND]),
    ({"minutesBefore": 30, "minutesAfter": 5}, [-timedelta(minutes=30), timedelta(minutes=5)],
     [-timedelta(minutes=30) - SECOND, timedelta(minutes=5) + SECOND]),
    ({"minutesBefore": 0, "minutesAfter": 0}, [timedelta(0)], [-SECOND, SECOND]),
]  # fmt: skip


@pytest.mark.parametrize(("query", "inside", "outside"), V2_WINDOW_CASES)
def test_the_v2_minutes_window_includes_its_edges(api_client, user, query, inside, outside):
    listed = [at(delta, creator=user) for delta in inside]
    for delta in outside:
        at(delta, creator=user)

    data = assert_success(api_client.get(user_upcoming(user, version=2), query))

    assert set(ids(data)) == {stream.pk for stream in listed}


def test_v2_ignores_the_v1_hours_and_v1_ignores_the_v2_minutes(api_client, user):
    in_an_hour = at(timedelta(hours=1), creator=user)

    v2 = assert_success(api_client.get(user_upcoming(user, 2), {"hoursAfter": 0}))
    v1 = assert_success(api_client.get(user_upcoming(user, 1), {"minutesAfter": 0}))

    assert ids(v2) == ids(v1) == [in_an_hour.pk]


BAD_WINDOWS = [
    ({"hoursBefore": -1}, ["hoursBefore: Ensure this value is greater than or equal to 0."]),
    ({"hoursAfter": "abc"}, ["hoursAfter: A valid integer is required."]),
    ({"hoursAfter": "1.5"}, ["hoursAfter: A valid integer is required."]),
    ({"hoursBefore": 8761}, ["hoursBefore: Ensure this value is less than or equal to 8760."]),
    ({"hoursBefore": "-3", "hoursAfter": "x"},
     ["hoursBefore: Ensure this value is greater than or equal to 0.",
      "hoursAfter: A valid integer is required."]),
]  # fmt: skip


@pytest.mark.parametrize(("query", "errors"), BAD_WINDOWS)
def test_bad_hours_are_a_400(client_for, user, query, errors):
    at(timedelta(hours=1), creator=user)

    assert_error(client_for(user).get(MY_UPCOMING, query), 400, errors)
    assert_error(client_for(user).get(user_upcoming(user), query), 400, errors)


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"minutesBefore": -5},
            ["minutesBefore: Ensure this value is greater than or equal to 0."],
        ),
        ({"minutesAfter": "soon"}, ["minutesAfter: A valid integer is required."]),
        (
            {"minutesAfter": 525601},
            ["minutesAfter: Ensure this value is less than or equal to 525600."],
        ),
    ],
)
def test_bad_minutes_are_a_400(api_client, user, query, errors):
    assert_error(api_client.get(user_upcoming(user, 2), query), 400, errors)


def test_upcoming_is_a_plain_array_of_ten_by_default(client_for, user):
    for minutes in range(12):
        at(timedelta(minutes=minutes + 1), creator=user)

    response = client_for(user).get(MY_UPCOMING)

    assert len(assert_success(response)) == 10
    assert response["X-Total-Count"] == "12"
    assert 'rel="next"' in response["Link"]


def test_a_users_upcoming_streams_show_the_callers_own_role_and_reminder(
    api_client, client_for, user
):
    creator = UserFactory()
    stream = at(timedelta(hours=1), creator=creator)
    LiveStreamReminderFactory(live_stream=stream, user=user)

    (mine,) = assert_success(client_for(user).get(user_upcoming(creator)))
    (anonymous,) = assert_success(api_client.get(user_upcoming(creator)))
    (creators,) = assert_success(client_for(creator).get(user_upcoming(creator)))

    assert (mine["role"], mine["isReminderActive"]) == (None, True)
    assert (anonymous["role"], anonymous["isReminderActive"]) == (None, None)
    assert (creators["role"], creators["isReminderActive"]) == ("host", False)


@pytest.mark.parametrize("version", [1, 2])
def test_upcoming_of_an_unknown_staff_or_inactive_user_is_404(api_client, version):
    people = [UserFactory.build(), StaffFactory(), UserFactory(is_active=False)]
    for person in people:
        assert_error(api_client.get(user_upcoming(person, version)), 404)
    assert_error(
        api_client.get(f"/api/v{version}/live-stream/user/nope/upcoming-live-streams"), 404
    )


# --- my-active-stream and user/{id}/active-stream --------------------------------------------


def test_my_active_stream_is_the_callers_live_stream_as_creator(client_for, user):
    LiveStreamFactory(creator=user, preparing=True)
    LiveStreamFactory(creator=user, ended=True)
    as_guest = LiveStreamFactory(active=True)
    LiveStreamGuestFactory(live_stream=as_guest, user=user)
    mine = LiveStreamFactory(creator=user, active=True)

    data = assert_success(client_for(user).get(MY_ACTIVE))

    assert_live_stream_shape(data)
    assert (data["id"], data["role"]) == (mine.pk, "host")


def test_my_active_stream_is_null_when_not_live(client_for, user):
    LiveStreamFactory(creator=user, preparing=True)

    assert assert_success(client_for(user).get(MY_ACTIVE)) is None


def test_a_users_active_stream_is_served_to_anyone(api_client, client_for, user, other_user):
    stream = LiveStreamFactory(creator=other_user, active=True)

    anonymous = assert_success(api_client.get(user_active(other_user)))
    signed_in = assert_success(client_for(user).get(user_active(other_user)))

    assert anonymous["id"] == signed_in["id"] == stream.pk
    assert (anonymous["isReminderActive"], signed_in["isReminderActive"]) == (None, False)
    assert assert_success(api_client.get(user_active(user))) is None


def test_a_deleted_active_stream_is_not_shown(api_client, user):
    LiveStreamFactory(creator=user, active=True, deleted_at=NOW)

    assert assert_success(api_client.get(user_active(user))) is None


def test_the_active_stream_of_an_unknown_user_is_404(api_client):
    assert_error(api_client.get(user_active(UserFactory.build())), 404)
    assert_error(api_client.get(f"{BASE}/user/xyz/active-stream"), 404)


def test_the_active_stream_endpoints_refuse_invalid_tokens(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert_error(api_client.get(user_active(user)), 401)
    assert_error(api_client.get(MY_ACTIVE), 401)
