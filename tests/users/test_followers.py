import base64
import datetime

import pytest
from django.utils import timezone

from tests.factories import FollowFactory, UserFactory, image_upload
from tests.helpers import assert_error, assert_success
from users import services

pytestmark = pytest.mark.django_db

URL = "/api/v1/follow/me/followers"
ITEM_KEYS = {
    "_id",
    "username",
    "name",
    "surname",
    "profilePhoto",
    "availabilityStatus",
    "followersCount",
    "followingCount",
    "isFollowing",
    "expertise",
}


def add_followers(user, count: int, *, start=None):
    """`count` followers of `user`, the last one the newest."""
    start = start or timezone.now() - datetime.timedelta(days=1)
    followers = []
    for index in range(count):
        follower = UserFactory()
        FollowFactory(
            follower=follower, followee=user, created_at=start + datetime.timedelta(minutes=index)
        )
        followers.append(follower)
    return followers


def test_it_requires_authentication(api_client):
    assert_error(api_client.get(URL), 401, ["Authentication required"])


def test_no_followers_is_an_empty_page(user_client):
    assert assert_success(user_client.get(URL)) == {
        "users": [],
        "pageInfo": {"nextCursor": None, "hasNextPage": False, "limit": 20},
    }


def test_it_lists_the_callers_followers_newest_first(user_client, user, other_user):
    followers = add_followers(user, 3)
    FollowFactory(follower=user, followee=other_user)  # someone the caller follows: not listed

    data = assert_success(user_client.get(URL))

    assert [item["_id"] for item in data["users"]] == [f.id for f in reversed(followers)]
    assert set(data["users"][0]) == ITEM_KEYS
    assert data["pageInfo"] == {"nextCursor": None, "hasNextPage": False, "limit": 20}


def test_is_following_says_whether_the_caller_follows_back(user_client, user):
    followed_back, not_followed_back = add_followers(user, 2)
    services.follow_create(follower=user, followee=followed_back)

    users = {item["_id"]: item for item in assert_success(user_client.get(URL))["users"]}

    assert users[followed_back.id]["isFollowing"] is True
    assert users[not_followed_back.id]["isFollowing"] is False
    assert users[followed_back.id]["followersCount"] == 1


def test_the_cursor_walks_every_follower_once(user_client, user):
    followers = add_followers(user, 7)
    # Two follows in the same millisecond: the id breaks the tie.
    same_time = timezone.now()
    twins = [UserFactory(), UserFactory()]
    for twin in twins:
        FollowFactory(follower=twin, followee=user, created_at=same_time)

    seen, after = [], None
    for _ in range(10):
        params = {"limit": 3, **({"after": after} if after else {})}
        data = assert_success(user_client.get(URL, params))
        seen += [item["_id"] for item in data["users"]]
        assert data["pageInfo"]["limit"] == 3
        after = data["pageInfo"]["nextCursor"]
        assert data["pageInfo"]["hasNextPage"] is (after is not None)
        if after is None:
            break

    assert sorted(seen) == sorted(f.id for f in [*followers, *twins])
    assert len(seen) == 9
    assert seen[-7:] == [f.id for f in reversed(followers)]


def test_only_the_callers_followers_are_listed(other_client, user):
    add_followers(user, 2)
    assert assert_success(other_client.get(URL))["users"] == []


def test_staff_see_their_own_followers(staff_client, staff_user, user):
    services.follow_create(follower=user, followee=staff_user)
    assert [item["_id"] for item in assert_success(staff_client.get(URL))["users"]] == [user.id]


def test_inactive_followers_are_left_out(user_client, user):
    active, inactive = add_followers(user, 2)
    inactive.is_active = False
    inactive.save()
    assert [item["_id"] for item in assert_success(user_client.get(URL))["users"]] == [active.id]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [("5", 5), ("50", 50), ("51", 50), ("1000", 50), ("0", 20), ("-1", 20), ("abc", 20)],
)
def test_the_limit_is_lenient(user_client, limit, expected):
    assert assert_success(user_client.get(URL, {"limit": limit}))["pageInfo"]["limit"] == expected


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        "%%%",
        _b64("no separator"),
        _b64("2026-01-01T00:00:00+00:00|not-an-id"),
        _b64("yesterday|64d15f9e2e6c8f4d5a123456"),
        _b64("2026-01-01T00:00:00|64d15f9e2e6c8f4d5a123456"),
        _b64("a|b|c"),
        base64.urlsafe_b64encode(b"\xff\xfe|x").decode(),
        "é",
    ],
)
def test_a_malformed_cursor_is_a_400(user_client, user, cursor):
    add_followers(user, 1)
    assert_error(user_client.get(URL, {"after": cursor}), 400, ["after: Invalid cursor."])


def test_an_empty_cursor_means_the_first_page(user_client, user):
    add_followers(user, 1)
    assert len(assert_success(user_client.get(URL, {"after": ""}))["users"]) == 1


@pytest.mark.parametrize("page_size", [2, 25])
def test_the_query_count_does_not_grow_with_the_page(
    user_client, user, page_size, django_assert_max_num_queries
):
    followers = add_followers(user, 30)
    for follower in followers[::2]:
        services.profile_photo_set(user=follower, upload=image_upload())
        services.follow_create(follower=user, followee=follower)

    # The token's user, then one query for the page with photos and follow-backs.
    with django_assert_max_num_queries(2):
        data = assert_success(user_client.get(URL, {"limit": page_size}))
    assert len(data["users"]) == page_size
    assert data["pageInfo"]["hasNextPage"] is True
    assert any(item["isFollowing"] for item in data["users"])
    assert any(item["profilePhoto"] for item in data["users"])
