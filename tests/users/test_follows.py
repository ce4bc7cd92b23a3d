import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import FollowFactory, UserFactory
from tests.helpers import assert_error, assert_success
from users import services
from users.models import Follow, User

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "64d15f9e2e6c8f4d5a123456"


def follow_url(user_or_id) -> str:
    return f"/api/v1/follow/{getattr(user_or_id, 'id', user_or_id)}"


def status_url(user_or_id) -> str:
    return f"{follow_url(user_or_id)}/status"


def counters(user) -> tuple[int, int]:
    fresh = User.objects.get(pk=user.pk)
    return fresh.followers_count, fresh.following_count


# --- Follow ------------------------------------------------------------------------------------


def test_following_creates_the_row_and_moves_both_counters(user_client, user, other_user):
    # 200 for a new follow too (contract section 3: "200 whether or not it was new").
    data = assert_success(user_client.post(follow_url(other_user)), 200)

    assert data == {"isFollowing": True, "previouslyFollowing": False}
    assert Follow.objects.filter(follower=user, followee=other_user).count() == 1
    assert counters(user) == (0, 1)
    assert counters(other_user) == (1, 0)


def test_following_again_is_a_200_and_counts_once(user_client, user, other_user):
    assert_success(user_client.post(follow_url(other_user)), 200)
    data = assert_success(user_client.post(follow_url(other_user)), 200)

    assert data == {"isFollowing": True, "previouslyFollowing": True}
    assert Follow.objects.count() == 1
    assert counters(user) == (0, 1)
    assert counters(other_user) == (1, 0)


def test_following_yourself_is_a_400_and_changes_nothing(user_client, user):
    assert_error(user_client.post(follow_url(user)), 400, ["You cannot follow yourself."])
    assert not Follow.objects.exists()
    assert counters(user) == (0, 0)


def test_follow_messages_in_turkish(user_client, user):
    assert_error(
        user_client.post(follow_url(user), HTTP_X_LANGUAGE="tr"),
        400,
        ["Kendinizi takip edemezsiniz."],
    )


@pytest.mark.parametrize("method", ["post", "delete"])
@pytest.mark.parametrize("target", [UNKNOWN_ID, "nope", "64D15F9E2E6C8F4D5A123456", "%00"])
def test_unknown_or_malformed_ids_are_404(user_client, user, method, target):
    assert_error(getattr(user_client, method)(follow_url(target)), 404, ["Resource not found"])
    assert not Follow.objects.exists()
    assert counters(user) == (0, 0)


@pytest.mark.parametrize("method", ["post", "delete"])
def test_an_inactive_user_is_404(user_client, method):
    inactive = UserFactory(is_active=False)
    assert_error(getattr(user_client, method)(follow_url(inactive)), 404)
    assert not Follow.objects.exists()


@pytest.mark.parametrize("method", ["post", "delete"])
def test_it_requires_authentication(api_client, other_user, method):
    assert_error(getattr(api_client, method)(follow_url(other_user)), 401)
    assert not Follow.objects.exists()
    assert counters(other_user) == (0, 0)


def test_staff_follow_like_anyone(staff_client, staff_user, user):
    assert_success(staff_client.post(follow_url(user)), 200)
    assert counters(user) == (1, 0)
    assert counters(staff_user) == (0, 1)


def test_a_body_is_ignored(user_client, other_user):
    assert_success(
        user_client.post(follow_url(other_user), {"followerId": "x"}, format="json"), 200
    )


@pytest.mark.parametrize("method", ["put", "patch"])
def test_other_methods_are_405(user_client, other_user, method):
    assert_error(getattr(user_client, method)(follow_url(other_user)), 405)


# --- Unfollow ----------------------------------------------------------------------------------


def test_unfollowing_deletes_the_row_and_moves_both_counters(user_client, user, other_user):
    services.follow_create(follower=user, followee=other_user)

    data = assert_success(user_client.delete(follow_url(other_user)))

    assert data == {"isFollowing": False, "previouslyFollowing": True}
    assert not Follow.objects.exists()
    assert counters(user) == (0, 0)
    assert counters(other_user) == (0, 0)


def test_unfollowing_someone_you_do_not_follow_changes_nothing(user_client, user, other_user):
    services.follow_create(follower=other_user, followee=user)

    data = assert_success(user_client.delete(follow_url(other_user)))

    assert data == {"isFollowing": False, "previouslyFollowing": False}
    assert Follow.objects.count() == 1
    assert counters(user) == (1, 0)
    assert counters(other_user) == (0, 1)


def test_unfollowing_yourself_is_a_400_with_its_own_message(user_client, user, other_user):
    services.follow_create(follower=other_user, followee=user)

    assert_error(user_client.delete(follow_url(user)), 400, ["You cannot unfollow yourself."])
    assert Follow.objects.count() == 1
    assert counters(user) == (1, 0)
    assert counters(other_user) == (0, 1)


def test_an_unfollow_only_touches_the_callers_own_follow(other_client, user, other_user):
    third = UserFactory()
    services.follow_create(follower=user, followee=third)

    assert_success(other_client.delete(follow_url(third)))

    assert Follow.objects.filter(follower=user, followee=third).exists()
    assert counters(third) == (1, 0)


# --- Status ------------------------------------------------------------------------------------


def test_status_says_whether_the_caller_follows(user_client, user, other_user):
    assert assert_success(user_client.get(status_url(other_user))) == {"isFollowing": False}
    FollowFactory(follower=user, followee=other_user)
    assert assert_success(user_client.get(status_url(other_user))) == {"isFollowing": True}


def test_status_is_directional(user_client, user, other_user):
    FollowFactory(follower=other_user, followee=user)
    assert assert_success(user_client.get(status_url(other_user))) == {"isFollowing": False}


def test_status_of_yourself_is_false(user_client, user):
    assert assert_success(user_client.get(status_url(user))) == {"isFollowing": False}


@pytest.mark.parametrize("target", [UNKNOWN_ID, "nope"])
def test_status_of_unknown_or_malformed_ids_is_404(user_client, target):
    assert_error(user_client.get(status_url(target)), 404)


def test_status_requires_authentication(api_client, other_user):
    assert_error(api_client.get(status_url(other_user)), 401)


def test_staff_can_ask_status(staff_client, user):
    assert assert_success(staff_client.get(status_url(user))) == {"isFollowing": False}


# --- Services ----------------------------------------------------------------------------------


def test_the_profile_counters_follow_the_follows(user_client, api_client, user, other_user):
    assert_success(user_client.post(follow_url(other_user)), 200)
    data = assert_success(api_client.get(f"/api/v1/users/profile/{other_user.id}"))
    assert (data["followersCount"], data["followingCount"]) == (1, 0)


def test_deleting_a_user_fixes_the_counters_of_the_others(user, other_user):
    third = UserFactory()
    services.follow_create(follower=user, followee=other_user)
    services.follow_create(follower=third, followee=user)

    services.user_delete(user=user)

    assert counters(other_user) == (0, 0)
    assert counters(third) == (0, 0)
    assert not Follow.objects.exists()


def test_deleting_a_user_in_mutual_follows_moves_both_counters_once(user, other_user):
    bystander = UserFactory()
    services.follow_create(follower=user, followee=other_user)
    services.follow_create(follower=other_user, followee=user)
    services.follow_create(follower=other_user, followee=bystander)

    services.user_delete(user=user)

    assert counters(other_user) == (0, 1)
    assert counters(bystander) == (1, 0)
    assert list(Follow.objects.values_list("follower_id", "followee_id")) == [
        (other_user.pk, bystander.pk)
    ]


def test_deleting_a_user_that_is_already_gone_changes_nothing(user, other_user):
    services.follow_create(follower=other_user, followee=user)
    stale = User.objects.get(pk=user.pk)
    services.user_delete(user=user)

    services.user_delete(user=stale)

    assert counters(other_user) == (0, 0)


def test_deleting_a_user_takes_the_same_queries_whatever_its_follows():
    """The counter updates are one per kind, not one per account (the cascade to other
    apps' rows is what it is, and the same for both)."""

    def queries_to_delete(follows: int) -> int:
        account = UserFactory()
        for other in UserFactory.create_batch(follows):
            services.follow_create(follower=other, followee=account)
            services.follow_create(follower=account, followee=other)
        with CaptureQueriesContext(connection) as captured:
            services.user_delete(user=account)
        return len(captured)

    assert queries_to_delete(2) == queries_to_delete(20)


# --- Staff accounts are not app users: like an unknown user -----------------------------------


@pytest.mark.parametrize("method", ["post", "delete"])
def test_following_or_unfollowing_a_staff_account_is_404(user_client, user, staff_user, method):
    assert_error(getattr(user_client, method)(follow_url(staff_user)), 404, ["Resource not found"])
    assert not Follow.objects.exists()
    assert counters(user) == (0, 0)
    assert counters(staff_user) == (0, 0)


def test_the_status_of_a_staff_account_is_404(user_client, staff_user):
    assert_error(user_client.get(status_url(staff_user)), 404, ["Resource not found"])


def test_staff_cannot_follow_another_staff_account(staff_client, staff_user):
    from tests.factories import StaffFactory

    operator = StaffFactory()
    assert_error(staff_client.post(follow_url(operator)), 404, ["Resource not found"])
    assert not Follow.objects.exists()
    assert counters(operator) == (0, 0)
    assert counters(staff_user) == (0, 0)
