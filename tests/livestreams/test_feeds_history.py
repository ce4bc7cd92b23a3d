"""Invitations and history (contract section 8): guest-streams, past streams (the caller's
and a user's), my-broadcasted-streams and my-watched-streams."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from livestreams.models import LiveStreamStatus, LiveStreamType, ParticipantRole
from tests.factories import StaffFactory, UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import (
    LiveStreamFactory,
    LiveStreamGuestFactory,
    ParticipantFactory,
    ParticipationFactory,
)
from tests.livestreams.helpers import assert_live_stream_shape

pytestmark = pytest.mark.django_db

BASE = "/api/v1/live-stream"
GUEST_STREAMS = f"{BASE}/guest-streams"
MY_PAST = f"{BASE}/my-past-streams"
BROADCASTED = f"{BASE}/my-broadcasted-streams"
WATCHED = f"{BASE}/my-watched-streams"
NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
STATUSES = ", ".join(LiveStreamStatus.values)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def ids(items) -> list[str]:
    return [item["id"] for item in items]


def ended(creator=None, *, hours_ago: float = 1, **kwargs):
    """A stream that ended `hours_ago`, after an hour live."""
    end = NOW - timedelta(hours=hours_ago)
    return LiveStreamFactory(
        creator=creator or UserFactory(),
        status=LiveStreamStatus.ENDED,
        planned_start_date=end - timedelta(hours=1),
        started_at=end - timedelta(hours=1),
        ended_at=end,
        **kwargs,
    )


def joined(stream, user, role: str, *, at: datetime | None = None, times: int = 1):
    """`user` joined `stream` in `role` `times` times, the last stay beginning at `at`."""
    participant = ParticipantFactory(live_stream=stream, user=user, role=role)
    last = at or stream.started_at or NOW
    for index in range(times):
        ParticipationFactory(
            participant=participant,
            joined_at=last - timedelta(minutes=times - 1 - index),
            left_at=last + timedelta(seconds=30),
        )
    return participant


# --- guest-streams ---------------------------------------------------------------------------


def invited(user, **kwargs):
    stream = LiveStreamFactory(**{"live_stream_type": LiveStreamType.DUOSELF, **kwargs})
    LiveStreamGuestFactory(live_stream=stream, user=user)
    return stream


def test_guest_streams_lists_the_callers_invitations_newest_first(client_for, user):
    older = invited(user, created_at=NOW - timedelta(days=2))
    newer = invited(user, created_at=NOW - timedelta(days=1), status=LiveStreamStatus.ENDED)
    invited(user, deleted_at=NOW)
    invited(UserFactory())
    LiveStreamFactory(creator=user)  # one's own stream is not an invitation

    response = client_for(user).get(GUEST_STREAMS)

    data = assert_success(response)
    assert ids(data) == [newer.pk, older.pk]
    assert response["X-Total-Count"] == "2"
    for item in data:
        assert_live_stream_shape(item)
        assert item["role"] == "guest"


SORTS = {
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "startedAt": "started_at",
    "plannedStartDate": "planned_start_date",
    "endedAt": "ended_at",
    "durationGoal": "duration_goal",
    "fundingGoal": "funding_goal",
}


@pytest.mark.parametrize("sort_by", sorted(SORTS))
@pytest.mark.parametrize("sort_order", ["asc", "desc"])
def test_guest_streams_sort_by_each_field_with_missing_values_last(
    client_for, user, sort_by, sort_order
):
    streams = []
    for index in range(3):
        stream = invited(
            user,
            live_stream_type=LiveStreamType.DUOCROWD,
            created_at=NOW - timedelta(days=3 - index),
            planned_start_date=NOW + timedelta(hours=[5, 1, 3][index]),
            duration_goal=[30, 90, 60][index],
            funding_goal=Decimal(["50", "10", "30"][index]),
            started_at=NOW - timedelta(hours=[3, 1, 2][index]),
            ended_at=NOW - timedelta(minutes=[20, 40, 10][index]),
        )
        streams.append(stream)
    # updated_at is set on save: make it an order of its own.
    for index, stream in enumerate(streams):
        type(stream).objects.filter(pk=stream.pk).update(
            updated_at=NOW - timedelta(minutes=[2, 9, 5][index])
        )
    # Never started, no goal; its other values unlike the others'.
    blank = invited(
        user,
        created_at=NOW - timedelta(days=9),
        planned_start_date=NOW + timedelta(hours=7),
        duration_goal=15,
    )
    column = SORTS[sort_by]
    refreshed = [type(stream).objects.get(pk=stream.pk) for stream in [*streams, blank]]
    with_value = [stream for stream in refreshed if getattr(stream, column) is not None]
    without = [stream for stream in refreshed if getattr(stream, column) is None]
    expected = sorted(
        with_value, key=lambda stream: getattr(stream, column), reverse=sort_order == "desc"
    ) + sorted(without, key=lambda stream: stream.pk, reverse=sort_order == "desc")

    data = assert_success(
        client_for(user).get(GUEST_STREAMS, {"sortBy": sort_by, "sortOrder": sort_order})
    )

    assert ids(data) == [stream.pk for stream in expected]


def test_guest_streams_filter_by_status(client_for, user):
    scheduled = invited(user)
    ended_one = invited(user, status=LiveStreamStatus.ENDED)
    invited(user, status=LiveStreamStatus.CANCELLED_BY_GUEST)

    only_scheduled = assert_success(client_for(user).get(GUEST_STREAMS, {"status": "scheduled"}))
    two = assert_success(
        client_for(user).get(GUEST_STREAMS, {"status": "scheduled,ended", "sortOrder": "asc"})
    )

    assert ids(only_scheduled) == [scheduled.pk]
    assert ids(two) == [scheduled.pk, ended_one.pk]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"sortBy": "title"}, ['sortBy: "title" is not a valid choice.']),
        ({"sortBy": "created_at"}, ['sortBy: "created_at" is not a valid choice.']),
        ({"sortOrder": "up"}, ['sortOrder: "up" is not a valid choice.']),
        ({"sortOrder": "DESC"}, ['sortOrder: "DESC" is not a valid choice.']),
        ({"status": "live"}, [f"status: Unknown status live; use one of {STATUSES}."]),
        (
            {"sortBy": "x", "sortOrder": "y"},
            ['sortBy: "x" is not a valid choice.', 'sortOrder: "y" is not a valid choice.'],
        ),
    ],
)
def test_guest_streams_refuse_bad_sorts_and_statuses(client_for, user, query, errors):
    invited(user)

    assert_error(client_for(user).get(GUEST_STREAMS, query), 400, errors)


def test_guest_streams_need_a_signed_in_caller(api_client):
    assert_error(api_client.get(GUEST_STREAMS), 401)


# --- past streams ----------------------------------------------------------------------------


def test_my_past_streams_are_my_ended_streams_latest_end_first(client_for, user):
    last_week = ended(user, hours_ago=24 * 7)
    yesterday = ended(user, hours_ago=24)
    ended(user, hours_ago=2, deleted_at=NOW)
    for status in set(LiveStreamStatus.values) - {LiveStreamStatus.ENDED}:
        LiveStreamFactory(creator=user, status=status)
    as_guest = ended()
    LiveStreamGuestFactory(live_stream=as_guest, user=user)

    response = client_for(user).get(MY_PAST)

    assert ids(assert_success(response)) == [yesterday.pk, last_week.pk]
    assert response["X-Total-Count"] == "2"


def test_my_past_streams_page_twenty_by_default_up_to_100(client_for, user):
    for hours in range(22):
        ended(user, hours_ago=hours + 1)

    assert len(assert_success(client_for(user).get(MY_PAST))) == 20
    assert len(assert_success(client_for(user).get(MY_PAST, {"limit": 500}))) == 22
    assert len(assert_success(client_for(user).get(MY_PAST, {"page": 2}))) == 2


def test_a_users_past_streams_are_served_to_anyone(api_client, client_for, user, other_user):
    stream = ended(other_user)
    ended(user)

    anonymous = assert_success(api_client.get(f"{BASE}/user/{other_user.pk}/past-streams"))
    mine = assert_success(client_for(user).get(f"{BASE}/user/{other_user.pk}/past-streams"))

    assert ids(anonymous) == ids(mine) == [stream.pk]
    assert (anonymous[0]["isReminderActive"], mine[0]["isReminderActive"]) == (None, False)


def test_past_streams_of_unknown_staff_or_inactive_users_are_404(api_client):
    for person in (UserFactory.build(), StaffFactory(), UserFactory(is_active=False)):
        assert_error(api_client.get(f"{BASE}/user/{person.pk}/past-streams"), 404)


# --- my-broadcasted-streams ------------------------------------------------------------------


def test_broadcasted_streams_are_ended_streams_i_hosted_or_joined_as_guest(client_for, user):
    hosted = ended(user, hours_ago=5)
    joined(hosted, user, ParticipantRole.HOST, times=3)  # rejoined: still one item
    guested = ended(hours_ago=1)
    LiveStreamGuestFactory(live_stream=guested, user=user)
    joined(guested, user, ParticipantRole.GUEST)
    # Not listed: invited but never joined, watched, live now, deleted.
    invited_only = ended(hours_ago=2)
    LiveStreamGuestFactory(live_stream=invited_only, user=user)
    joined(ended(hours_ago=3), user, ParticipantRole.AUDIENCE)
    joined(LiveStreamFactory(creator=user, active=True), user, ParticipantRole.HOST)
    joined(ended(user, hours_ago=4, deleted_at=NOW), user, ParticipantRole.HOST)

    data = assert_success(client_for(user).get(BROADCASTED))

    assert ids(data["list"]) == [guested.pk, hosted.pk]
    assert [item["role"] for item in data["list"]] == ["guest", "host"]
    assert data["pagination"]["totalItems"] == 2


def test_broadcasted_streams_page_by_ten(client_for, user):
    for hours in range(11):
        joined(ended(user, hours_ago=hours + 1), user, ParticipantRole.HOST)

    data = assert_success(client_for(user).get(BROADCASTED))

    assert len(data["list"]) == 10
    assert data["pagination"] == {
        "currentPage": 1,
        "totalPages": 2,
        "totalItems": 11,
        "itemsPerPage": 10,
        "hasNextPage": True,
        "hasPrevPage": False,
    }


# --- my-watched-streams ----------------------------------------------------------------------


def test_watched_streams_are_ended_streams_i_joined_by_my_latest_join(client_for, user):
    # Ended in one order, watched in another: the caller's latest join decides.
    first_ended = ended(hours_ago=10)
    joined(first_ended, user, ParticipantRole.AUDIENCE, at=NOW - timedelta(hours=10.5))
    rewatched = ended(hours_ago=20)
    joined(rewatched, user, ParticipantRole.AUDIENCE, at=NOW - timedelta(hours=20.5), times=4)
    last_ended = ended(hours_ago=1)
    joined(last_ended, user, ParticipantRole.AUDIENCE, at=NOW - timedelta(hours=30))
    # Not listed: live now, hosted, someone else's watching, deleted.
    joined(LiveStreamFactory(active=True), user, ParticipantRole.AUDIENCE)
    joined(ended(user), user, ParticipantRole.HOST)
    joined(ended(), UserFactory(), ParticipantRole.AUDIENCE)
    joined(ended(deleted_at=NOW), user, ParticipantRole.AUDIENCE)

    data = assert_success(client_for(user).get(WATCHED))

    assert ids(data["list"]) == [first_ended.pk, rewatched.pk, last_ended.pk]
    assert {item["role"] for item in data["list"]} == {"audience"}
    assert data["pagination"]["totalItems"] == 3


def test_watched_streams_page_with_limit(client_for, user):
    streams = [ended(hours_ago=hours + 1) for hours in range(3)]
    for hours, stream in enumerate(streams):
        joined(stream, user, ParticipantRole.AUDIENCE, at=NOW - timedelta(hours=hours + 1.5))

    second = assert_success(client_for(user).get(WATCHED, {"limit": 2, "page": 2}))

    assert ids(second["list"]) == [streams[2].pk]
    assert second["pagination"]["hasPrevPage"] is True


@pytest.mark.parametrize("url", [MY_PAST, BROADCASTED, WATCHED])
def test_history_needs_a_signed_in_caller(api_client, url):
    assert_error(api_client.get(url), 401, ["Authentication required"])
