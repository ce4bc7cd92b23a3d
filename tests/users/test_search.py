import datetime

import pytest
from django.utils import timezone

from tests.factories import UserFactory, image_upload
from tests.helpers import assert_error, assert_success
from users import services

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/search"
ITEM_KEYS = {
    "_id",
    "username",
    "name",
    "surname",
    "profilePhoto",
    "availabilityStatus",
    "expertise",
}


def make_users(count: int, **fields):
    start = timezone.now() - datetime.timedelta(days=1)
    return [
        UserFactory(created_at=start + datetime.timedelta(minutes=index), **fields)
        for index in range(count)
    ]


def test_it_requires_authentication(api_client):
    assert_error(api_client.get(URL), 401, ["Authentication required"])


def test_an_empty_query_lists_users_newest_first_five_per_page(user_client, user):
    others = make_users(6)

    data = assert_success(user_client.get(URL))

    listed = [item["_id"] for item in data["list"]]
    assert listed == [u.id for u in [user, *reversed(others)]][:5]
    assert data["pagination"] == {
        "currentPage": 1,
        "totalPages": 2,
        "totalItems": 7,
        "itemsPerPage": 5,
        "hasNextPage": True,
        "hasPrevPage": False,
    }
    assert set(data["list"][0]) == ITEM_KEYS


@pytest.mark.parametrize("field", ["username", "name", "surname"])
def test_q_matches_username_name_or_surname_ignoring_case(user_client, field):
    match = UserFactory(**{field: "zeliha.qq" if field == "username" else "Zeliha"})
    UserFactory(username="someone.else", name="Ali", surname="Veli")

    data = assert_success(user_client.get(URL, {"q": "ZELI"}))

    assert [item["_id"] for item in data["list"]] == [match.id]


def test_expertise_filters(user_client):
    chef = UserFactory(expertise="chef")
    UserFactory(expertise="gamer")

    data = assert_success(user_client.get(URL, {"expertise": "chef"}))

    assert [item["_id"] for item in data["list"]] == [chef.id]
    assert data["list"][0]["expertise"] == "chef"


def test_an_unknown_expertise_is_a_400(user_client):
    assert_error(
        user_client.get(URL, {"expertise": "wizard"}),
        400,
        ['expertise: "wizard" is not a valid choice.'],
    )


def test_staff_inactive_and_unfinished_accounts_are_left_out(user_client, user, staff_user):
    UserFactory(is_active=False)
    UserFactory(registration_completed=False)

    data = assert_success(user_client.get(URL))

    assert [item["_id"] for item in data["list"]] == [user.id]


def test_staff_may_search(staff_client, user):
    data = assert_success(staff_client.get(URL))
    assert [item["_id"] for item in data["list"]] == [user.id]


@pytest.mark.parametrize(
    ("params", "page", "limit"),
    [
        ({"page": "2", "limit": "2"}, 2, 2),
        ({"page": "0"}, 1, 5),
        ({"page": "abc", "limit": "x"}, 1, 5),
        ({"limit": "-3"}, 1, 5),
        ({"limit": "1000"}, 1, 100),
        ({"unknown": "ignored"}, 1, 5),
    ],
)
def test_paging_is_lenient(user_client, params, page, limit):
    make_users(3)
    pagination = assert_success(user_client.get(URL, params))["pagination"]
    assert (pagination["currentPage"], pagination["itemsPerPage"]) == (page, limit)


def test_hostile_queries_are_just_text(user_client):
    for query in ["%", "_", "' OR 1=1 --", "a" * 5000, "🙂", "\\", " "]:
        data = assert_success(user_client.get(URL, {"q": query}))
        assert isinstance(data["list"], list)


def test_a_null_character_is_a_400(user_client):
    assert_error(
        user_client.get(URL, {"q": "a\x00b"}), 400, ["q: Null characters are not allowed."]
    )


def test_the_percent_sign_is_not_a_wildcard(user_client):
    UserFactory(username="plain.name")
    assert assert_success(user_client.get(URL, {"q": "%"}))["list"] == []


@pytest.mark.parametrize("page_size", [2, 20])
def test_the_query_count_does_not_grow_with_the_page(
    user_client, user, settings, page_size, django_assert_max_num_queries
):
    for other in make_users(20, expertise="chef"):
        services.profile_photo_set(user=other, upload=image_upload())

    # The token's user, the count, the page (photos joined).
    with django_assert_max_num_queries(3):
        data = assert_success(user_client.get(URL, {"limit": page_size, "expertise": "chef"}))
    assert len(data["list"]) == page_size
    assert all(item["profilePhoto"]["variants"]["40"] for item in data["list"])
