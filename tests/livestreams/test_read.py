"""GET /api/v1/live-stream and GET /api/v1/live-stream/{id}: the LiveStream object."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from livestreams.api import serializers
from livestreams.models import LiveStreamStatus, LiveStreamType, ParticipantRole
from tests.factories import UserFactory, image_upload
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import (
    LiveStreamFactory,
    LiveStreamGuestFactory,
    ParticipantFactory,
    ParticipationFactory,
    in_audience,
)
from tests.livestreams.helpers import assert_live_stream_shape
from users import services as user_services
from users.models import User

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/live-stream"


def detail_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}"


def busy_stream(creator=None, *, guests: int = 1, audience: int = 2):
    """An active duo stream with broadcasters in and an audience."""
    stream = LiveStreamFactory(
        creator=creator or UserFactory(), active=True, live_stream_type=LiveStreamType.DUOSELF
    )
    host = ParticipantFactory(live_stream=stream, user=stream.creator, role=ParticipantRole.HOST)
    ParticipationFactory(participant=host)
    for _ in range(guests):
        invitation = LiveStreamGuestFactory(live_stream=stream)
        guest = ParticipantFactory(
            live_stream=stream, user=invitation.user, role=ParticipantRole.GUEST
        )
        ParticipationFactory(participant=guest)
    for _ in range(audience):
        in_audience(stream)
    return stream


# --- Detail ----------------------------------------------------------------------------------


def test_detail_shows_every_field_to_any_signed_in_user(other_client, stream):
    data = assert_success(other_client.get(detail_url(stream)))

    assert_live_stream_shape(data)
    assert data["id"] == stream.pk
    assert data["role"] is None
    assert data["replayAccess"]["status"] == "unavailable"


@pytest.mark.parametrize(
    ("who", "role"),
    [("creator", "host"), ("guest", "guest"), ("viewer", "audience"), ("stranger", None)],
)
def test_role_is_the_callers_relation_to_the_stream(client_for, who, role):
    stream = busy_stream(guests=1, audience=0)
    people = {
        "creator": stream.creator,
        "guest": stream.guest_invitations.get().user,
        "viewer": in_audience(stream).participant.user,
        "stranger": UserFactory(),
    }

    data = assert_success(client_for(people[who]).get(detail_url(stream)))

    assert data["role"] == role


def test_audience_who_left_keeps_the_audience_role(client_for):
    stream = busy_stream(audience=0)
    viewer = in_audience(stream, left_at=timezone.now()).participant.user

    data = assert_success(client_for(viewer).get(detail_url(stream)))

    assert data["role"] == "audience"
    assert data["viewerCount"] == 0


def test_broadcasters_and_viewer_count_describe_who_is_in(client_for):
    stream = busy_stream(guests=1, audience=3)
    in_audience(stream, left_at=timezone.now())
    host = stream.participants.get(role="host")
    guest = stream.participants.get(role="guest")
    guest.participations.update(left_at=timezone.now())

    data = assert_success(client_for(UserFactory()).get(detail_url(stream)))

    assert data["viewerCount"] == 3
    assert [
        (item["user"]["_id"], item["role"], item["uid"], item["hasJoined"])
        for item in data["broadcasters"]
    ] == [
        (host.user_id, "host", host.uid, True),
        (guest.user_id, "guest", guest.uid, False),
    ]
    assert [item["_id"] for item in data["guests"]] == [guest.user_id]


def test_the_staff_see_a_stream_like_anyone(staff_client, stream):
    data = assert_success(staff_client.get(detail_url(stream)))

    assert data["role"] is None


def test_detail_needs_a_signed_in_caller(api_client, stream):
    assert_error(api_client.get(detail_url(stream)), 401, ["Authentication required"])


@pytest.mark.parametrize(
    "live_stream_id",
    ["64d15f9e2e6c8f4d5a123456", "nope", "64D15F9E2E6C8F4D5A123456", "1" * 25, "%00"],
)
def test_unknown_or_malformed_ids_are_404(user_client, live_stream_id):
    errors = assert_error(user_client.get(f"/api/v1/live-stream/{live_stream_id}"), 404)

    assert errors == ["Resource not found"]


def test_a_deleted_stream_is_404_even_to_its_creator(user_client, user):
    stream = LiveStreamFactory(creator=user, deleted_at=timezone.now())

    assert_error(user_client.get(detail_url(stream)), 404, ["Resource not found"])


# --- Replay access and the recording URL ------------------------------------------------------


def recorded_stream(**kwargs):
    defaults = {
        "status": LiveStreamStatus.ENDED,
        "recording": True,
        "recording_url": "https://cdn.example.com/recordings/abc.m3u8",
        "is_active_replay_on_creator_profile": True,
        "replay_credit_price": Decimal("4.50"),
    }
    return LiveStreamFactory(**{**defaults, **kwargs})


def test_the_creator_owns_the_replay_and_sees_the_recording(client_for):
    stream = recorded_stream()

    data = assert_success(client_for(stream.creator).get(detail_url(stream)))

    assert data["recordingUrl"] == "https://cdn.example.com/recordings/abc.m3u8"
    assert data["replayAccess"] == {
        "status": "owner",
        "canRent": False,
        "canViewRecording": True,
        "price": 4.5,
        "rentedAt": None,
        "expiresAt": None,
        "remainingSeconds": None,
    }


def test_others_may_rent_an_activated_priced_replay_but_not_see_the_url(other_client):
    stream = recorded_stream()

    data = assert_success(other_client.get(detail_url(stream)))

    assert data["recording"] is True
    assert data["recordingUrl"] is None
    assert data["replayCreditPrice"] == 4.5
    assert data["replayAccess"] == {
        "status": "available",
        "canRent": True,
        "canViewRecording": False,
        "price": 4.5,
        "rentedAt": None,
        "expiresAt": None,
        "remainingSeconds": None,
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"recording": False},
        {"is_active_replay_on_creator_profile": None},
        {"is_active_replay_on_creator_profile": False},
        {"replay_credit_price": None},
    ],
)
def test_a_replay_missing_any_condition_is_unavailable(other_client, changes):
    stream = recorded_stream(**changes)

    data = assert_success(other_client.get(detail_url(stream)))

    assert data["recordingUrl"] is None
    assert data["replayAccess"]["status"] == "unavailable"
    assert data["replayAccess"]["canRent"] is False
    assert data["replayAccess"]["canViewRecording"] is False


# --- List ------------------------------------------------------------------------------------


def test_replay_access_is_worked_out_once_per_stream(user_client, monkeypatch):
    recorded_stream()
    LiveStreamFactory.create_batch(2)
    seen = []
    original = serializers.replay_access

    def counted(**kwargs):
        seen.append(kwargs["live_stream"].pk)
        return original(**kwargs)

    monkeypatch.setattr(serializers, "replay_access", counted)

    data = assert_success(user_client.get(LIST_URL))

    assert sorted(seen) == sorted(item["id"] for item in data)


def test_the_list_is_a_plain_array_of_visible_streams_newest_first(user_client):
    now = timezone.now()
    older = LiveStreamFactory(created_at=now - timedelta(hours=2))
    newer = LiveStreamFactory(created_at=now - timedelta(hours=1), status=LiveStreamStatus.ENDED)
    LiveStreamFactory(created_at=now, deleted_at=now)

    response = user_client.get(LIST_URL)
    data = assert_success(response)

    assert [item["id"] for item in data] == [newer.pk, older.pk]
    for item in data:
        assert_live_stream_shape(item)
    assert response["X-Total-Count"] == "2"
    assert "Link" not in response


def test_the_list_pages_with_page_and_limit(user_client):
    now = timezone.now()
    streams = [LiveStreamFactory(created_at=now - timedelta(minutes=i)) for i in range(5)]

    response = user_client.get(LIST_URL, {"page": 2, "limit": 2})
    data = assert_success(response)

    assert [item["id"] for item in data] == [streams[2].pk, streams[3].pk]
    assert response["X-Total-Count"] == "5"
    assert 'rel="next"' in response["Link"]
    assert 'rel="prev"' in response["Link"]


@pytest.mark.parametrize(("page", "limit"), [("0", "-3"), ("x", "y"), ("-1", "1000")])
def test_odd_paging_values_fall_back_to_defaults(user_client, page, limit):
    LiveStreamFactory.create_batch(3)

    data = assert_success(user_client.get(LIST_URL, {"page": page, "limit": limit}))

    assert len(data) == 3


def test_the_list_filters_by_status(user_client):
    active = LiveStreamFactory(active=True)
    scheduled = LiveStreamFactory()
    LiveStreamFactory(status=LiveStreamStatus.ENDED)

    only_active = assert_success(user_client.get(LIST_URL, {"status": "active"}))
    several = assert_success(user_client.get(LIST_URL, {"status": "active, scheduled"}))

    assert [item["id"] for item in only_active] == [active.pk]
    assert {item["id"] for item in several} == {active.pk, scheduled.pk}


def test_an_unknown_status_filter_is_a_400(user_client):
    errors = assert_error(user_client.get(LIST_URL, {"status": "live"}), 400)

    assert errors == [
        "status: Unknown status live; use one of scheduled, preparing, active, ended, expired, "
        "cancelled_by_host, cancelled_by_guest."
    ]


def test_unknown_query_parameters_are_ignored(user_client, stream):
    data = assert_success(user_client.get(LIST_URL, {"sort": "nope", "creator": "x"}))

    assert [item["id"] for item in data] == [stream.pk]


def test_the_list_needs_a_signed_in_caller(api_client):
    assert_error(api_client.get(LIST_URL), 401, ["Authentication required"])


def test_the_list_gives_each_caller_their_own_role(client_for):
    stream = busy_stream(audience=0)
    viewer = in_audience(stream).participant.user

    host_view = assert_success(client_for(stream.creator).get(LIST_URL))
    viewer_view = assert_success(client_for(viewer).get(LIST_URL))

    assert host_view[0]["role"] == "host"
    assert viewer_view[0]["role"] == "audience"
    assert host_view[0]["viewerCount"] == viewer_view[0]["viewerCount"] == 1


# --- Query counts ----------------------------------------------------------------------------

# Session user, count, page, guest prefetch, broadcaster prefetch.
LIST_QUERIES = 5
# Session user, the stream, guest prefetch, broadcaster prefetch.
DETAIL_QUERIES = 4


@pytest.mark.parametrize(("streams", "guests", "audience"), [(2, 1, 1), (15, 1, 6)])
def test_the_list_runs_a_fixed_number_of_queries(
    user_client, django_assert_num_queries, streams, guests, audience
):
    for _ in range(streams):
        busy_stream(guests=guests, audience=audience)

    with django_assert_num_queries(LIST_QUERIES):
        data = assert_success(user_client.get(LIST_URL, {"limit": 100}))

    assert len(data) == streams


@pytest.mark.parametrize(("guests", "audience"), [(1, 1), (3, 25)])
def test_the_detail_runs_a_fixed_number_of_queries(
    user_client, django_assert_num_queries, guests, audience
):
    stream = busy_stream(guests=guests, audience=audience)

    with django_assert_num_queries(DETAIL_QUERIES):
        data = assert_success(user_client.get(detail_url(stream)))

    assert data["viewerCount"] == audience
    assert len(data["broadcasters"]) == 1 + guests


def test_people_with_photos_are_whole_user_summaries_in_a_fixed_number_of_queries(
    user_client, django_assert_num_queries
):
    # The selectors load only the columns a UserSummary shows; a photo must still come whole
    # (every variant, both dates) and without a query per person.
    stream = busy_stream(guests=1, audience=1)
    guest = stream.guest_invitations.get().user
    for person in (stream.creator, guest):
        user_services.profile_photo_set(user=person, upload=image_upload(size=(120, 120)))
    person_photos = {
        person.pk: person.profile_photo for person in User.objects.select_related("profile_photo")
    }

    with django_assert_num_queries(LIST_QUERIES):
        listed = assert_success(user_client.get(LIST_URL))[0]
    with django_assert_num_queries(DETAIL_QUERIES):
        detail = assert_success(user_client.get(detail_url(stream)))

    assert listed == detail
    people = [detail["creator"], *detail["guests"]]
    people += [broadcaster["user"] for broadcaster in detail["broadcasters"]]
    assert {person["_id"] for person in people} == {stream.creator.pk, guest.pk}
    for person in people:
        photo = person_photos[person["_id"]]
        assert person["profilePhoto"] == {
            "_id": photo.pk,
            "url": f"http://testserver{photo.original.url}",
            "type": "image",
            "variants": {
                size: f"http://testserver{getattr(photo, f'variant_{size}').url}"
                for size in ("40", "76", "96")
            },
            "createdAt": photo.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "updatedAt": photo.updated_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        db_user = User.objects.get(pk=person["_id"])
        assert (person["username"], person["name"], person["surname"]) == (
            db_user.username,
            db_user.name,
            db_user.surname,
        )
        assert person["availabilityStatus"] == db_user.availability_status
