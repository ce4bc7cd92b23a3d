"""Live now (contract section 8): featured, whats-live-now, for-you/live, catch-streamers and
most-watched-creators."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from livestreams.models import LiveStreamStatus, ParticipantRole
from tests.factories import FollowFactory, StaffFactory, UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import (
    LiveStreamFactory,
    LiveStreamReminderFactory,
    ParticipantFactory,
    ParticipationFactory,
    in_audience,
)
from tests.livestreams.helpers import (
    USER_SUMMARY_KEYS,
    assert_live_stream_shape,
    assert_user_summary,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/live-stream"
FEATURED = f"{BASE}/featured"
LIVE_NOW = f"{BASE}/whats-live-now"
FOR_YOU_LIVE = f"{BASE}/for-you/live"
CATCH = f"{BASE}/catch-streamers"
MOST_WATCHED = f"{BASE}/most-watched-creators"
PAGINATION_KEYS = {
    "currentPage",
    "totalPages",
    "totalItems",
    "itemsPerPage",
    "hasNextPage",
    "hasPrevPage",
}


def live(audience: int = 0, *, started_minutes_ago: int = 10, **kwargs):
    """An active stream that started `started_minutes_ago`, with `audience` people in it."""
    stream = LiveStreamFactory(
        active=True, started_at=timezone.now() - timedelta(minutes=started_minutes_ago), **kwargs
    )
    for _ in range(audience):
        in_audience(stream)
    return stream


def ids(items) -> list[str]:
    return [item["id"] for item in items]


def not_live_streams():
    """One visible stream in every other status, and a deleted live one: never listed."""
    for status in set(LiveStreamStatus.values) - {LiveStreamStatus.ACTIVE}:
        LiveStreamFactory(status=status)
    live(audience=3, deleted_at=timezone.now())


# --- featured --------------------------------------------------------------------------------


def test_featured_is_the_ten_live_streams_with_most_viewers_ties_by_latest_start(api_client):
    not_live_streams()
    # Eleven live streams: audiences 5, 4, 3, 3 (the later start first), 2, then six at 0.
    top = live(audience=5)
    second = live(audience=4)
    tie_earlier = live(audience=3, started_minutes_ago=30)
    tie_later = live(audience=3, started_minutes_ago=5)
    fifth = live(audience=2)
    quiet = [live(started_minutes_ago=minutes) for minutes in (1, 2, 3, 4, 6, 7)]

    data = assert_success(api_client.get(FEATURED))

    assert ids(data) == [
        top.pk,
        second.pk,
        tie_later.pk,
        tie_earlier.pk,
        fifth.pk,
        *[stream.pk for stream in quiet[:5]],
    ]
    assert [item["viewerCount"] for item in data] == [5, 4, 3, 3, 2, 0, 0, 0, 0, 0]
    for item in data:
        assert_live_stream_shape(item)
        assert item["role"] is None
        assert item["isReminderActive"] is None


def test_featured_ignores_paging_parameters(api_client):
    for _ in range(11):
        live()

    response = api_client.get(FEATURED, {"limit": 50, "page": 2})

    assert len(assert_success(response)) == 10
    assert "X-Total-Count" not in response


def test_featured_gives_a_signed_in_caller_their_role_and_reminders(client_for, user):
    mine = live(audience=2, creator=user)
    watched = live(audience=1)
    in_audience(watched, user)  # the caller sits in its audience: 2 viewers now
    other = live()

    data = assert_success(client_for(user).get(FEATURED))

    by_id = {item["id"]: item for item in data}
    assert by_id[mine.pk]["role"] == "host"
    assert by_id[watched.pk]["role"] == "audience"
    assert by_id[other.pk]["role"] is None
    assert {item["isReminderActive"] for item in data} == {False}


def test_featured_refuses_an_invalid_token(api_client):
    live()
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert_error(api_client.get(FEATURED), 401)


def test_an_empty_featured_list_is_an_empty_array(api_client):
    not_live_streams()

    assert assert_success(api_client.get(FEATURED)) == []


# --- whats-live-now --------------------------------------------------------------------------


def test_whats_live_now_pages_the_live_streams_most_viewers_first(user_client):
    not_live_streams()
    streams = [live(audience=count) for count in (0, 3, 1, 2)]

    first = assert_success(user_client.get(LIVE_NOW, {"limit": 3}))
    second = assert_success(user_client.get(LIVE_NOW, {"limit": 3, "page": 2}))

    assert set(first) == {"list", "pagination"}
    assert ids(first["list"]) == [streams[1].pk, streams[3].pk, streams[2].pk]
    assert ids(second["list"]) == [streams[0].pk]
    assert first["pagination"] == {
        "currentPage": 1,
        "totalPages": 2,
        "totalItems": 4,
        "itemsPerPage": 3,
        "hasNextPage": True,
        "hasPrevPage": False,
    }
    assert second["pagination"]["hasPrevPage"] is True


@pytest.mark.parametrize(
    ("query", "page", "limit"),
    [({}, 1, 10), ({"limit": 0}, 1, 10), ({"limit": "abc"}, 1, 10), ({"limit": 500}, 1, 100),
     ({"page": 0}, 1, 10), ({"page": "x"}, 1, 10), ({"page": -4, "limit": 5}, 1, 5)],
)  # fmt: skip
def test_whats_live_now_normalises_page_and_limit(user_client, query, page, limit):
    live()

    pagination = assert_success(user_client.get(LIVE_NOW, query))["pagination"]

    assert (pagination["currentPage"], pagination["itemsPerPage"]) == (page, limit)


def test_whats_live_now_needs_a_signed_in_caller(api_client):
    assert_error(api_client.get(LIVE_NOW), 401, ["Authentication required"])


# --- for-you/live ----------------------------------------------------------------------------


def test_for_you_live_keeps_the_callers_interests_most_viewers_first(client_for):
    caller = UserFactory(interests=["music", "sports"])
    music = live(audience=1, interest="music")
    sports = live(audience=2, interest="sports")
    live(audience=5, interest="gaming")
    live(audience=5, interest=None)
    LiveStreamFactory(interest="music")  # scheduled, not live
    live(audience=9, interest="music", deleted_at=timezone.now())

    data = assert_success(client_for(caller).get(FOR_YOU_LIVE))

    assert ids(data["list"]) == [sports.pk, music.pk]
    assert data["pagination"]["totalItems"] == 2


@pytest.mark.parametrize("interests", [[], ["not-an-interest"]])
def test_for_you_live_is_an_empty_page_without_interests(client_for, interests):
    live(interest="music")

    data = assert_success(client_for(UserFactory(interests=interests)).get(FOR_YOU_LIVE))

    assert data == {
        "list": [],
        "pagination": {
            "currentPage": 1,
            "totalPages": 0,
            "totalItems": 0,
            "itemsPerPage": 10,
            "hasNextPage": False,
            "hasPrevPage": False,
        },
    }


def test_for_you_live_needs_a_signed_in_caller(api_client):
    assert_error(api_client.get(FOR_YOU_LIVE), 401)


# --- catch-streamers -------------------------------------------------------------------------


def test_catch_streamers_lists_creators_of_the_latest_started_live_streams(api_client):
    not_live_streams()
    older = live(started_minutes_ago=30)
    newest = live(started_minutes_ago=1)
    middle = live(started_minutes_ago=10)
    # The newest creator has other streams, none live: still one entry.
    LiveStreamFactory(creator=newest.creator)
    LiveStreamFactory(creator=newest.creator, ended=True)

    data = assert_success(api_client.get(CATCH))

    assert [list(item) for item in data] == [["creator", "activeLiveStream"]] * 3
    assert [item["activeLiveStream"]["id"] for item in data] == [newest.pk, middle.pk, older.pk]
    for item, stream in zip(data, [newest, middle, older], strict=True):
        assert_user_summary(item["creator"], stream.creator)
        assert_live_stream_shape(item["activeLiveStream"])
        assert item["activeLiveStream"]["creator"] == item["creator"]
    assert len({item["creator"]["_id"] for item in data}) == 3


@pytest.mark.parametrize(("limit", "expected"), [(None, 10), (2, 2), (0, 10), ("x", 10), (99, 12)])
def test_catch_streamers_takes_a_limit_of_at_most_50(api_client, limit, expected):
    for minutes in range(12):
        live(started_minutes_ago=minutes + 1)

    data = assert_success(api_client.get(CATCH, {} if limit is None else {"limit": limit}))

    assert len(data) == expected


def test_catch_streamers_caps_the_limit_at_50(api_client):
    for minutes in range(52):
        live(started_minutes_ago=minutes + 1)

    assert len(assert_success(api_client.get(CATCH, {"limit": 60}))) == 50


def test_catch_streamers_shows_a_signed_in_caller_their_reminder_state(user_client, user):
    live()

    (item,) = assert_success(user_client.get(CATCH))

    assert item["activeLiveStream"]["isReminderActive"] is False


# --- most-watched-creators -------------------------------------------------------------------

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def watched(stream, *people, times: int = 1):
    """Each of `people` joined `stream`'s audience `times` times (one participant, many
    stays), the stays closed."""
    for person in people:
        participant = ParticipantFactory(
            live_stream=stream, user=person, role=ParticipantRole.AUDIENCE
        )
        for _ in range(times):
            ParticipationFactory(participant=participant, left_at=timezone.now())


def streamed(creator, *, days_ago: float, **kwargs):
    started = timezone.now() - timedelta(days=days_ago)
    return LiveStreamFactory(
        creator=creator,
        status=LiveStreamStatus.ENDED,
        planned_start_date=started,
        started_at=started,
        ended_at=started + timedelta(hours=1),
        **kwargs,
    )


@time_machine.travel(NOW, tick=False)
def test_most_watched_creators_rank_by_distinct_viewers_over_30_days(api_client):
    popular, steady, newcomer, forgotten = (UserFactory() for _ in range(4))
    viewers = [UserFactory() for _ in range(5)]
    # popular: 3 distinct people over two streams (one of them twice, and in both streams).
    watched(streamed(popular, days_ago=2), viewers[0], viewers[1], times=3)
    watched(streamed(popular, days_ago=20), viewers[0], viewers[2])
    # steady: 2 distinct people, one stream still live.
    watched(live(creator=steady), viewers[3], viewers[4])
    # newcomer: 1 person, in a stream that went live just inside the window.
    watched(streamed(newcomer, days_ago=29.99), viewers[0])
    # forgotten: 5 people, but 31 days ago; and a deleted recent stream counts for nobody.
    watched(streamed(forgotten, days_ago=31), *viewers)
    watched(streamed(forgotten, days_ago=1, deleted_at=timezone.now()), *viewers)
    # Hosts and guests are not audience.
    host_stream = streamed(UserFactory(), days_ago=1)
    ParticipantFactory(live_stream=host_stream, user=host_stream.creator, role=ParticipantRole.HOST)

    data = assert_success(api_client.get(MOST_WATCHED))

    assert [item["_id"] for item in data] == [popular.pk, steady.pk, newcomer.pk]
    for item, creator in zip(data, [popular, steady, newcomer], strict=True):
        assert list(item) == [*USER_SUMMARY_KEYS, "expertise", "isFollowing"]
        assert_user_summary({key: item[key] for key in USER_SUMMARY_KEYS}, creator)
        assert item["expertise"] == creator.expertise
        assert item["isFollowing"] is None


@time_machine.travel(NOW, tick=False)
def test_most_watched_creators_break_ties_by_id_and_take_a_limit(api_client):
    creators = sorted((UserFactory() for _ in range(3)), key=lambda creator: creator.pk)
    for creator in creators:
        watched(streamed(creator, days_ago=1), UserFactory())

    assert [item["_id"] for item in assert_success(api_client.get(MOST_WATCHED))] == [
        creator.pk for creator in creators
    ]
    assert [item["_id"] for item in assert_success(api_client.get(MOST_WATCHED, {"limit": 2}))] == [
        creator.pk for creator in creators[:2]
    ]


@time_machine.travel(NOW, tick=False)
def test_most_watched_creators_say_whom_the_caller_follows(client_for):
    caller = UserFactory()
    followed, not_followed = UserFactory(), UserFactory()
    FollowFactory(follower=caller, followee=followed)
    watched(streamed(followed, days_ago=1), UserFactory(), UserFactory(), UserFactory())
    watched(streamed(not_followed, days_ago=1), UserFactory(), UserFactory())
    watched(streamed(caller, days_ago=1), UserFactory())

    data = assert_success(client_for(caller).get(MOST_WATCHED))

    assert [(item["_id"], item["isFollowing"]) for item in data] == [
        (followed.pk, True),
        (not_followed.pk, False),
        (caller.pk, None),  # one's own row, as on a profile
    ]


@time_machine.travel(NOW, tick=False)
def test_most_watched_creators_leave_out_staff_and_inactive_accounts(api_client):
    staff, inactive, creator = StaffFactory(), UserFactory(is_active=False), UserFactory()
    for person in (staff, inactive, creator):
        watched(streamed(person, days_ago=1), UserFactory())

    assert [item["_id"] for item in assert_success(api_client.get(MOST_WATCHED))] == [creator.pk]


def test_most_watched_creators_is_empty_without_audiences(api_client):
    LiveStreamFactory(ended=True)

    assert assert_success(api_client.get(MOST_WATCHED)) == []


def test_most_watched_creators_refuse_an_invalid_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert_error(api_client.get(MOST_WATCHED), 401)


def test_reminders_show_on_live_feeds_for_their_owner_only(client_for, user, other_user):
    stream = live()
    LiveStreamReminderFactory(live_stream=stream, user=user)

    mine = assert_success(client_for(user).get(LIVE_NOW))["list"]
    theirs = assert_success(client_for(other_user).get(LIVE_NOW))["list"]

    assert [item["isReminderActive"] for item in mine] == [True]
    assert [item["isReminderActive"] for item in theirs] == [False]
