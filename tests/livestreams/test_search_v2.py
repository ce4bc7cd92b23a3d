"""GET /api/v2/users/search: v1's search, each hit with its minute price and active stream."""

import datetime
from decimal import Decimal

import pytest
from django.urls import Resolver404, path
from django.urls import resolve as resolve_url
from django.utils import timezone

import config.urls
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from livestreams.api import search_v2
from livestreams.models import LiveStreamStatus, ParticipantRole
from tests.factories import UserFactory, image_upload
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import LiveStreamFactory, ParticipationFactory
from users import services

URL = "/api/v2/users/search"


def _project_routes_it() -> bool:
    try:
        resolve_url(URL, urlconf=config.urls)
    except Resolver404:
        return False
    return True


# This module is the URLconf of its tests: the project's, plus the v2 route for as long as the
# project does not route it itself (livestreams/api/v2_urls.py).
urlpatterns = list(config.urls.urlpatterns)
if not _project_routes_it():
    urlpatterns.append(path(URL.lstrip("/"), search_v2.UserSearchV2View.as_view()))

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

ITEM_KEYS = {
    "_id",
    "username",
    "name",
    "surname",
    "profilePhoto",
    "availabilityStatus",
    "expertise",
    "minutePriceInLiveStream",
    "activeLiveStream",
}
ACTIVE_STREAM_KEYS = {"id", "title", "channelName", "thumbnailUrl", "viewerCount", "startedAt"}
STARTED = datetime.datetime(2026, 5, 22, 16, 11, 27, 22000, tzinfo=datetime.UTC)


def make_users(count: int, **fields):
    start = timezone.now() - datetime.timedelta(days=1)
    return [
        UserFactory(created_at=start + datetime.timedelta(minutes=index), **fields)
        for index in range(count)
    ]


def live(creator, *, audience: int = 0, **fields):
    """An active stream of `creator` with `audience` people in it now."""
    stream = LiveStreamFactory(creator=creator, active=True, started_at=STARTED, **fields)
    for _ in range(audience):
        ParticipationFactory(participant__live_stream=stream)
    return stream


def hit(data: dict, user) -> dict:
    return next(item for item in data["list"] if item["_id"] == user.pk)


def test_it_requires_authentication(api_client):
    assert_error(api_client.get(URL), 401, ["Authentication required"])


def test_each_hit_is_v1s_item_with_minute_price_and_no_active_stream(user_client, user):
    searched = UserFactory(
        username="zeliha.qq", expertise="chef", minute_price_in_live_stream=Decimal("2.50")
    )

    data = assert_success(user_client.get(URL, {"q": "zeliha"}))

    assert data == {
        "list": [
            {
                "_id": searched.pk,
                "username": "zeliha.qq",
                "name": searched.name,
                "surname": searched.surname,
                "profilePhoto": None,
                "availabilityStatus": "available",
                "expertise": "chef",
                "minutePriceInLiveStream": 2.5,
                "activeLiveStream": None,
            }
        ],
        "pagination": {
            "currentPage": 1,
            "totalPages": 1,
            "totalItems": 1,
            "itemsPerPage": 5,
            "hasNextPage": False,
            "hasPrevPage": False,
        },
    }


def test_a_user_broadcasting_now_comes_with_the_stream_and_its_audience_now(user_client):
    creator = UserFactory()
    stream = live(creator, audience=3, title="Akustik akşam")
    # Left stays and the broadcasters are not the audience now.
    ParticipationFactory(participant__live_stream=stream, left_at=timezone.now())
    ParticipationFactory(
        participant__live_stream=stream, participant__user=creator,
        participant__role=ParticipantRole.HOST,
    )  # fmt: skip

    data = assert_success(user_client.get(URL))

    assert hit(data, creator)["activeLiveStream"] == {
        "id": stream.pk,
        "title": "Akustik akşam",
        "channelName": stream.channel_name,
        "thumbnailUrl": "http://testserver/static/livestreams/default-thumbnail.webp",
        "viewerCount": 3,
        "startedAt": "2026-05-22T16:11:27.022Z",
    }


def test_an_uploaded_thumbnail_is_an_absolute_url(user_client, settings):
    creator = UserFactory()
    stream = live(creator)
    stream.thumbnail.save("thumbnail.webp", image_upload(), save=True)

    data = assert_success(user_client.get(URL))

    url = hit(data, creator)["activeLiveStream"]["thumbnailUrl"]
    assert url == f"http://testserver{settings.MEDIA_URL}{stream.thumbnail.name}"


@pytest.mark.parametrize(
    "fields",
    [
        {"status": LiveStreamStatus.SCHEDULED},
        {"status": LiveStreamStatus.PREPARING},
        {"status": LiveStreamStatus.ENDED, "ended_at": STARTED},
        {"status": LiveStreamStatus.CANCELLED_BY_HOST},
        {"status": LiveStreamStatus.EXPIRED},
        {"status": LiveStreamStatus.ACTIVE, "deleted_at": STARTED},
    ],
    ids=["scheduled", "preparing", "ended", "cancelled", "expired", "deleted"],
)
def test_only_a_visible_active_stream_counts(user_client, fields):
    creator = UserFactory()
    LiveStreamFactory(creator=creator, started_at=STARTED, **fields)

    data = assert_success(user_client.get(URL))

    assert hit(data, creator)["activeLiveStream"] is None


def test_a_guest_in_someone_elses_stream_has_no_active_stream_of_their_own(user_client):
    creator, guest = UserFactory(), UserFactory()
    stream = live(creator)
    ParticipationFactory(
        participant__live_stream=stream, participant__user=guest,
        participant__role=ParticipantRole.GUEST,
    )  # fmt: skip

    data = assert_success(user_client.get(URL))

    assert hit(data, guest)["activeLiveStream"] is None
    assert hit(data, creator)["activeLiveStream"]["id"] == stream.pk


def test_the_profile_photo_carries_its_96_variant(user_client):
    searched = UserFactory()
    services.profile_photo_set(user=searched, upload=image_upload(size=(300, 300)))
    searched.refresh_from_db()
    photo = searched.profile_photo

    data = assert_success(user_client.get(URL))

    shown = hit(data, searched)["profilePhoto"]
    assert set(shown) == {"_id", "url", "type", "variants", "createdAt", "updatedAt"}
    assert shown["_id"] == photo.pk
    assert shown["variants"] == {
        size: f"http://testserver{getattr(photo, f'variant_{size}').url}"
        for size in ("40", "76", "96")
    }


def test_an_empty_query_lists_users_newest_first_five_per_page(user_client, user):
    others = make_users(6)

    data = assert_success(user_client.get(URL))

    assert [item["_id"] for item in data["list"]] == [u.pk for u in [user, *reversed(others)]][:5]
    assert data["pagination"]["totalItems"] == 7
    assert all(set(item) == ITEM_KEYS for item in data["list"])


@pytest.mark.parametrize("field", ["username", "name", "surname"])
def test_q_matches_username_name_or_surname_ignoring_case(user_client, field):
    match = UserFactory(**{field: "zeliha.qq" if field == "username" else "Zeliha"})
    UserFactory(username="someone.else", name="Ali", surname="Veli")

    data = assert_success(user_client.get(URL, {"q": "ZELI"}))

    assert [item["_id"] for item in data["list"]] == [match.pk]


def test_expertise_filters(user_client):
    chef = UserFactory(expertise="chef")
    live(UserFactory(expertise="gamer"))

    data = assert_success(user_client.get(URL, {"expertise": "chef"}))

    assert [item["_id"] for item in data["list"]] == [chef.pk]


def test_an_empty_expertise_is_no_filter_as_in_v1(user_client, user):
    chef = UserFactory(expertise="chef")

    data = assert_success(user_client.get(URL, {"expertise": ""}))

    assert [item["_id"] for item in data["list"]] == [chef.pk, user.pk]


def test_staff_inactive_and_unfinished_accounts_are_left_out(user_client, user, staff_user):
    live(UserFactory(is_active=False))
    live(UserFactory(registration_completed=False))
    live(staff_user)

    data = assert_success(user_client.get(URL))

    assert [item["_id"] for item in data["list"]] == [user.pk]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"expertise": "wizard"}, 'expertise: "wizard" is not a valid choice.'),
        ({"q": "a\x00b"}, "q: Null characters are not allowed."),
    ],
)
def test_bad_parameters_are_400s_as_in_v1(user_client, params, message):
    v1 = user_client.get("/api/v1/users/search", params)

    assert_error(user_client.get(URL, params), 400, [message])
    assert_error(v1, 400, [message])


@pytest.mark.parametrize(
    ("params", "page", "limit"),
    [
        ({"page": "2", "limit": "2"}, 2, 2),
        ({"page": "0"}, 1, 5),
        ({"page": "abc", "limit": "x"}, 1, 5),
        ({"limit": "-3"}, 1, 5),
        ({"limit": "1000"}, 1, 100),
        ({"page": "99999999999999999999"}, 1_000_000, 5),
        ({"unknown": "ignored"}, 1, 5),
    ],
)
def test_paging_is_lenient_as_in_v1(user_client, params, page, limit):
    make_users(3)
    pagination = assert_success(user_client.get(URL, params))["pagination"]
    assert (pagination["currentPage"], pagination["itemsPerPage"]) == (page, limit)


def test_hostile_queries_are_just_text(user_client):
    UserFactory(username="plain.name")
    for query in ["%", "_", "' OR 1=1 --", "a" * 5000, "🙂", "\\"]:
        assert assert_success(user_client.get(URL, {"q": query}))["list"] == []


@pytest.mark.parametrize("page_size", [2, 20])
def test_the_query_count_does_not_grow_with_the_page(
    user_client, page_size, django_assert_max_num_queries
):
    for index, other in enumerate(make_users(20, expertise="chef")):
        services.profile_photo_set(user=other, upload=image_upload())
        if index % 2:
            live(other, audience=2)

    # The token's user, the count, the page (photos joined), the page's active streams.
    with django_assert_max_num_queries(4):
        data = assert_success(user_client.get(URL, {"limit": page_size, "expertise": "chef"}))

    assert len(data["list"]) == page_size
    assert all(item["profilePhoto"]["variants"]["96"] for item in data["list"])
    streams = [item["activeLiveStream"] for item in data["list"]]
    assert sum(stream is not None for stream in streams) == page_size // 2
    assert {stream["viewerCount"] for stream in streams if stream} == {2}


# --- The schema ------------------------------------------------------------------------------


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/?format=json").json()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_the_schema_groups_v2_with_v1_and_documents_the_hit(schema):
    v1 = schema["paths"]["/api/v1/users/search"]["get"]
    v2 = schema["paths"]["/api/v2/users/search"]["get"]
    assert v2["tags"] == v1["tags"] == ["users"]
    names = {param["name"] for param in v2["parameters"] if param["in"] == "query"}
    assert names == {param["name"] for param in v1["parameters"] if param["in"] == "query"}
    assert {"q", "expertise", "page", "limit"} <= names

    body = v2["responses"]["200"]["content"]["application/json"]["schema"]
    data = resolve(schema, resolve(schema, body)["properties"]["data"])
    item = resolve(schema, data["properties"]["list"]["items"])
    assert set(item["properties"]) == ITEM_KEYS
    stream = item["properties"]["activeLiveStream"]
    assert stream.get("nullable") is True
    (reference,) = stream["allOf"]  # OpenAPI 3.0's nullable reference
    assert set(resolve(schema, reference)["properties"]) == ACTIVE_STREAM_KEYS
    assert "401" in v2["responses"]
