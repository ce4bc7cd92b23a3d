"""GET /api/v1/live-stream/{id}/viewers: the audience in the stream now."""

from datetime import timedelta

import pytest
from django.utils import timezone

from livestreams import selectors
from tests.factories import FollowFactory, UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import LiveStreamFactory, ParticipationFactory, in_audience

pytestmark = pytest.mark.django_db

VIEWER_KEYS = [
    "_id",
    "username",
    "name",
    "surname",
    "profilePhoto",
    "availabilityStatus",
    "followersCount",
    "followingCount",
    "expertise",
    "isFollowing",
    "joinedAt",
]


def url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/viewers"


@pytest.fixture
def live():
    return LiveStreamFactory(active=True)


def seat(stream, minutes_ago: int, **user_fields):
    return in_audience(
        stream,
        UserFactory(**user_fields),
        joined_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_viewers_are_the_open_audience_newest_first(user_client, user, live):
    older = seat(live, 10)
    newer = seat(live, 1)
    in_audience(live, left_at=timezone.now())  # left: not listed
    FollowFactory(follower=user, followee=newer.participant.user)

    data = assert_success(user_client.get(url(live)))

    assert list(data) == ["list", "pagination", "participantAudienceTotal"]
    assert [item["_id"] for item in data["list"]] == [
        newer.participant.user_id,
        older.participant.user_id,
    ]
    first = data["list"][0]
    assert list(first) == VIEWER_KEYS
    assert first["isFollowing"] is True
    assert data["list"][1]["isFollowing"] is False
    assert first["joinedAt"].endswith("Z")
    assert data["participantAudienceTotal"] == 2
    assert data["pagination"] == {
        "currentPage": 1,
        "totalPages": 1,
        "totalItems": 2,
        "itemsPerPage": 20,
        "hasNextPage": False,
        "hasPrevPage": False,
    }


def test_the_caller_in_the_list_has_no_follow_state(client_for, live):
    stay = seat(live, 1)

    data = assert_success(client_for(stay.participant.user).get(url(live)))

    assert data["list"][0]["isFollowing"] is None


def test_search_filters_the_page_but_not_the_total(user_client, live):
    seat(live, 3, username="deniz_k", name="Deniz")
    seat(live, 2, username="mert", surname="Denizci")
    seat(live, 1, username="ayse")

    data = assert_success(user_client.get(url(live), {"search": "deniz"}))

    assert len(data["list"]) == 2
    assert data["pagination"]["totalItems"] == 2
    assert data["participantAudienceTotal"] == 3


def test_viewers_page_with_page_and_limit(user_client, live):
    for minutes in range(5):
        seat(live, minutes)

    data = assert_success(user_client.get(url(live), {"page": 2, "limit": 2}))

    assert len(data["list"]) == 2
    assert data["pagination"]["currentPage"] == 2
    assert data["pagination"]["totalPages"] == 3
    assert data["pagination"]["hasNextPage"] is True
    assert data["pagination"]["hasPrevPage"] is True


def test_broadcasters_are_not_viewers(user_client, duo_stream, guest):
    from livestreams.models import ParticipantRole
    from tests.livestreams.factories import ParticipantFactory, ParticipationFactory

    host = ParticipantFactory(
        live_stream=duo_stream, user=duo_stream.creator, role=ParticipantRole.HOST
    )
    ParticipationFactory(participant=host)

    data = assert_success(user_client.get(url(duo_stream)))

    assert data["list"] == []
    assert data["participantAudienceTotal"] == 0


def test_a_stream_with_nobody_in_has_an_empty_page(user_client, stream):
    data = assert_success(user_client.get(url(stream), {"search": "x" * 500, "page": "abc"}))

    assert data["list"] == []
    assert data["pagination"]["totalItems"] == 0


def test_viewers_need_a_signed_in_caller(api_client, live):
    assert_error(api_client.get(url(live)), 401, ["Authentication required"])


def test_the_staff_see_viewers_like_anyone(staff_client, live):
    seat(live, 1)

    assert len(assert_success(staff_client.get(url(live)))["list"]) == 1


@pytest.mark.parametrize("live_stream_id", ["64d15f9e2e6c8f4d5a123456", "zzz"])
def test_unknown_streams_are_404(user_client, live_stream_id):
    response = user_client.get(f"/api/v1/live-stream/{live_stream_id}/viewers")

    assert_error(response, 404, ["Resource not found"])


def test_a_deleted_stream_is_404(user_client):
    stream = LiveStreamFactory(active=True, deleted_at=timezone.now())

    assert_error(user_client.get(url(stream)), 404, ["Resource not found"])


def test_someone_who_left_and_came_back_is_listed_once_with_the_new_stay(user_client, live):
    viewer = UserFactory()
    participation = seat(live, 30)
    participation.participant.user = viewer
    participation.participant.save()
    participation.left_at = timezone.now() - timedelta(minutes=20)
    participation.save()
    back = ParticipationFactory(
        participant=participation.participant, joined_at=timezone.now() - timedelta(minutes=5)
    )

    data = assert_success(user_client.get(url(live)))

    assert [item["_id"] for item in data["list"]] == [viewer.pk]
    assert data["list"][0]["joinedAt"] == back.joined_at.isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )
    assert data["participantAudienceTotal"] == 1


def test_the_selector_gives_users_with_their_arrival_and_follow_state(user, live):
    followed = seat(live, 2)
    mine = in_audience(live, user, joined_at=timezone.now() - timedelta(minutes=1))
    FollowFactory(follower=user, followee=followed.participant.user)

    users = list(selectors.live_stream_viewers(live_stream=live, viewer=user))

    assert users == [user, followed.participant.user]
    assert [item.joined_at for item in users] == [mine.joined_at, followed.joined_at]
    assert [item.is_following for item in users] == [None, True]


# Session user, the stream, count, page; the page's count is the audience total.
VIEWERS_QUERIES = 4


@pytest.mark.parametrize("audience", [2, 30])
def test_viewers_run_a_fixed_number_of_queries(
    user_client, live, django_assert_num_queries, audience
):
    for minutes in range(audience):
        seat(live, minutes)

    with django_assert_num_queries(VIEWERS_QUERIES):
        data = assert_success(user_client.get(url(live), {"limit": 100}))

    assert len(data["list"]) == audience
    assert data["participantAudienceTotal"] == audience


@pytest.mark.parametrize("audience", [2, 30])
def test_a_search_counts_the_whole_audience_in_one_more_query(
    user_client, live, django_assert_num_queries, audience
):
    for minutes in range(audience):
        seat(live, minutes, name=f"Deniz {minutes}")
    seat(live, 100, name="Ayşe")

    with django_assert_num_queries(VIEWERS_QUERIES + 1):
        data = assert_success(user_client.get(url(live), {"limit": 100, "search": "deniz"}))

    assert len(data["list"]) == audience
    assert data["participantAudienceTotal"] == audience + 1
