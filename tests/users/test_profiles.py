import pytest

from tests.factories import FollowFactory, UserFactory
from tests.helpers import PUBLIC_PROFILE_KEYS, assert_error, assert_success

pytestmark = pytest.mark.django_db


def by_id(user):
    return f"/api/v1/users/profile/{user.id}"


def by_username(user):
    return f"/api/v1/users/profile/username/{user.username}"


LOOKUPS = [by_id, by_username]


@pytest.fixture
def target(db):
    return UserFactory(
        username="target.user",
        bio="Hi",
        interests=["music"],
        expertise="chef",
        birth_date="1990-01-01",
        instagram="target",
    )


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_anonymous_callers_see_the_public_profile_with_null_is_following(
    api_client, target, lookup
):
    data = assert_success(api_client.get(lookup(target)))

    assert set(data) == PUBLIC_PROFILE_KEYS
    assert data["_id"] == target.id
    assert data["username"] == "target.user"
    assert data["interests"] == ["music"]
    assert data["expertise"] == "chef"
    assert isinstance(data["age"], int)
    assert data["minutePriceInLiveStream"] == 0
    assert data["isFollowing"] is None
    assert "email" not in data
    assert "phoneNumber" not in data


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_a_signed_in_caller_sees_whether_they_follow(user_client, user, target, lookup):
    assert assert_success(user_client.get(lookup(target)))["isFollowing"] is False
    FollowFactory(follower=user, followee=target)
    assert assert_success(user_client.get(lookup(target)))["isFollowing"] is True


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_your_own_profile_has_null_is_following(user_client, user, lookup):
    data = assert_success(user_client.get(lookup(user)))
    assert data["_id"] == user.id
    assert data["isFollowing"] is None


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_staff_see_profiles_like_anyone(staff_client, target, lookup):
    assert assert_success(staff_client.get(lookup(target)))["isFollowing"] is False


def test_a_username_is_matched_ignoring_case(api_client, target):
    assert assert_success(api_client.get("/api/v1/users/profile/username/TARGET.User"))["_id"] == (
        target.id
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users/profile/64d15f9e2e6c8f4d5a123456",
        "/api/v1/users/profile/not-an-id",
        "/api/v1/users/profile/64D15F9E2E6C8F4D5A123456",
        "/api/v1/users/profile/%00",
        "/api/v1/users/profile/username/nobody.here",
        "/api/v1/users/profile/username/no",
        "/api/v1/users/profile/username/bad%00name",
        "/api/v1/users/profile/username/" + "a" * 300,
        "/api/v1/users/profile/username/%27%3B--",
    ],
)
def test_unknown_or_malformed_ids_and_usernames_are_404(api_client, path):
    assert_error(api_client.get(path), 404, ["Resource not found"])


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_an_inactive_user_is_404(api_client, lookup):
    inactive = UserFactory(is_active=False)
    assert_error(api_client.get(lookup(inactive)), 404)


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_an_invalid_token_is_still_a_401(api_client, target, lookup):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    assert_error(api_client.get(lookup(target)), 401)


@pytest.mark.parametrize("method", ["post", "patch", "delete", "put"])
def test_other_methods_are_405(user_client, target, method):
    assert_error(getattr(user_client, method)(by_id(target)), 405)


def test_a_profile_read_is_a_fixed_number_of_queries(
    user_client, user, target, django_assert_num_queries
):
    # The token's user, then the profile with its photo and isFollowing in one query.
    with django_assert_num_queries(2):
        assert_success(user_client.get(by_id(target)))


# --- Staff accounts are not app users: no public profile --------------------------------------


@pytest.mark.parametrize("lookup", LOOKUPS)
@pytest.mark.parametrize("viewer", ["anonymous", "user", "staff"])
def test_a_staff_account_has_no_public_profile(
    api_client, user_client, staff_client, staff_user, lookup, viewer
):
    client = {"anonymous": api_client, "user": user_client, "staff": staff_client}[viewer]
    assert_error(client.get(lookup(staff_user)), 404, ["Resource not found"])


def test_the_operator_username_is_not_found_ignoring_case(api_client):
    from tests.factories import StaffFactory

    StaffFactory(username="admin")
    for name in ("admin", "ADMIN"):
        assert_error(
            api_client.get(f"/api/v1/users/profile/username/{name}"), 404, ["Resource not found"]
        )
