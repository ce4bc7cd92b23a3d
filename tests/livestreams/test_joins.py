"""Joining with Agora tokens: join-as-creator, join-as-guest, join, token, leave."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import timezone

from livestreams import services
from livestreams.models import (
    UID_MAX,
    LiveStream,
    LiveStreamStatus,
    Participant,
    ParticipantRole,
    Participation,
)
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.conftest import AGORA_APP_ID
from tests.livestreams.factories import LiveStreamFactory, in_audience
from tests.livestreams.helpers import (
    JOIN_KEYS,
    assert_live_stream_shape,
    assert_token,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("agora")]

NOW = datetime(2027, 1, 1, 12, 0, 0, tzinfo=UTC)
EXPIRES = int(NOW.timestamp()) + 3600
JOIN_AS_CREATOR = "/api/v1/live-stream/join-as-creator"
JOIN_AS_GUEST = "/api/v1/live-stream/join-as-guest"
JOIN = "/api/v1/live-stream/join"
OVER = [
    LiveStreamStatus.ENDED,
    LiveStreamStatus.EXPIRED,
    LiveStreamStatus.CANCELLED_BY_HOST,
    LiveStreamStatus.CANCELLED_BY_GUEST,
]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def token_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/token"


def leave_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/leave"


def snapshot(stream) -> tuple:
    """What a refused request must leave as it was."""
    stream.refresh_from_db()
    return (
        stream.status,
        stream.started_at,
        stream.updated_at,
        list(Participant.objects.values_list("user_id", "role", "uid")),
        list(Participation.objects.values_list("participant_id", "left_at")),
    )


def assert_join(data, stream, *, user, role: str, publisher: bool):
    assert list(data) == JOIN_KEYS
    assert_live_stream_shape(data["liveStream"])
    participant = Participant.objects.get(live_stream=stream, user=user)
    assert participant.role == role
    assert data["liveStream"]["id"] == stream.pk
    assert data["uid"] == participant.uid
    assert 1 <= data["uid"] <= UID_MAX
    assert data["channelName"] == stream.channel_name
    assert data["appId"] == AGORA_APP_ID
    assert data["role"] == role
    assert data["expiresAt"] == "2027-01-01T13:00:00.000Z"
    assert_token(
        data["token"],
        channel_name=stream.channel_name,
        uid=participant.uid,
        publisher=publisher,
        expires=EXPIRES,
    )


# --- join-as-creator -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING])
def test_the_creators_first_join_goes_live_with_a_publisher_token(user_client, user, status):
    stream = LiveStreamFactory(creator=user, status=status)

    data = assert_success(user_client.post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))

    assert_join(data, stream, user=user, role="host", publisher=True)
    stream.refresh_from_db()
    assert stream.status == LiveStreamStatus.ACTIVE
    assert stream.started_at == NOW
    assert data["liveStream"]["status"] == "active"
    assert data["liveStream"]["startedAt"] == "2027-01-01T12:00:00.000Z"
    assert data["liveStream"]["role"] == "host"
    broadcasters = data["liveStream"]["broadcasters"]
    assert [
        (item["user"]["_id"], item["role"], item["uid"], item["hasJoined"]) for item in broadcasters
    ] == [(user.pk, "host", data["uid"], True)]
    assert Participation.objects.get().role == ParticipantRole.HOST


def test_joining_again_keeps_the_uid_the_start_and_one_open_stay(user_client, user):
    stream = LiveStreamFactory(creator=user)
    first = assert_success(user_client.post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))

    with time_machine.travel(NOW.replace(minute=30), tick=False):
        second = assert_success(user_client.post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))

    assert second["uid"] == first["uid"]
    assert second["liveStream"]["startedAt"] == "2027-01-01T12:00:00.000Z"
    assert second["expiresAt"] == "2027-01-01T13:30:00.000Z"
    assert Participation.objects.filter(left_at__isnull=True).count() == 1


@pytest.mark.parametrize("who", ["other", "guest", "staff"])
def test_only_the_creator_may_join_as_creator(client_for, duo_stream, guest, staff_user, who):
    caller = {"other": UserFactory(), "guest": guest, "staff": staff_user}[who]
    before = snapshot(duo_stream)

    errors = assert_error(
        client_for(caller).post(JOIN_AS_CREATOR, {"liveStreamId": duo_stream.pk}), 403
    )

    assert errors == ["Only the creator of this live stream can do this."]
    assert snapshot(duo_stream) == before


def test_anonymous_callers_cannot_join(api_client, stream):
    before = snapshot(stream)

    for url in (JOIN_AS_CREATOR, JOIN_AS_GUEST, JOIN):
        assert_error(
            api_client.post(url, {"liveStreamId": stream.pk}), 401, ["Authentication required"]
        )
    assert_error(api_client.post(token_url(stream)), 401, ["Authentication required"])
    assert_error(api_client.post(leave_url(stream)), 401, ["Authentication required"])
    assert snapshot(stream) == before


@pytest.mark.parametrize("status", OVER)
def test_a_stream_that_is_over_cannot_be_joined_by_its_creator(user_client, user, status):
    stream = LiveStreamFactory(creator=user, status=status)
    before = snapshot(stream)

    errors = assert_error(user_client.post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}), 409)

    assert errors == ["This live stream is over: it has ended, expired or been cancelled."]
    assert snapshot(stream) == before


def test_a_creator_cannot_have_two_active_streams(user_client, user):
    LiveStreamFactory(creator=user, active=True)
    second = LiveStreamFactory(creator=user)
    before = snapshot(second)

    errors = assert_error(user_client.post(JOIN_AS_CREATOR, {"liveStreamId": second.pk}), 409)

    assert errors == ["You already have an active live stream; end it first."]
    assert snapshot(second) == before


def test_without_agora_joins_are_503_and_change_nothing(user_client, user, no_agora):
    stream = LiveStreamFactory(creator=user)
    before = snapshot(stream)

    errors = assert_error(user_client.post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}), 503)

    assert errors == ["Live video is not configured"]
    assert snapshot(stream) == before


@pytest.mark.parametrize("url", [JOIN_AS_CREATOR, JOIN_AS_GUEST, JOIN])
@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "liveStreamId: This field is required."),
        ({"liveStreamId": "nope"}, 400, "liveStreamId: Must be a 24-character hexadecimal id."),
        ({"liveStreamId": 12}, 400, "liveStreamId: Must be a 24-character hexadecimal id."),
        ({"liveStreamId": None}, 400, "liveStreamId: This field may not be null."),
        ({"liveStreamId": "64d15f9e2e6c8f4d5a123456"}, 404, "Resource not found"),
    ],
)
def test_bad_or_unknown_stream_ids_are_refused(user_client, url, body, status, message):
    errors = assert_error(user_client.post(url, body, format="json"), status)

    assert errors == [message]
    assert Participant.objects.count() == 0


@pytest.mark.parametrize("url", [JOIN_AS_CREATOR, JOIN_AS_GUEST, JOIN])
def test_a_deleted_stream_cannot_be_joined(client_for, user, guest, url):
    stream = LiveStreamFactory(creator=user, active=True, deleted_at=timezone.now())

    errors = assert_error(client_for(user).post(url, {"liveStreamId": stream.pk}), 404)

    assert errors == ["Resource not found"]
    assert Participant.objects.count() == 0


# --- join-as-guest ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [LiveStreamStatus.PREPARING, LiveStreamStatus.ACTIVE])
def test_an_invited_guest_joins_with_a_publisher_token(client_for, duo_stream, guest, status):
    LiveStream.objects.filter(pk=duo_stream.pk).update(status=status)

    data = assert_success(client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": duo_stream.pk}))

    assert_join(data, duo_stream, user=guest, role="guest", publisher=True)
    assert data["liveStream"]["role"] == "guest"
    assert data["liveStream"]["status"] == status
    assert [item["role"] for item in data["liveStream"]["broadcasters"]] == ["guest"]


def test_a_guest_cannot_join_a_scheduled_stream(client_for, duo_stream, guest):
    before = snapshot(duo_stream)

    errors = assert_error(
        client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": duo_stream.pk}), 409
    )

    assert errors == ["Guests can join once the live stream is preparing or active."]
    assert snapshot(duo_stream) == before


@pytest.mark.parametrize("status", OVER)
def test_a_guest_cannot_join_a_stream_that_is_over(client_for, duo_stream, guest, status):
    LiveStream.objects.filter(pk=duo_stream.pk).update(status=status)
    before = snapshot(duo_stream)

    errors = assert_error(
        client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": duo_stream.pk}), 409
    )

    assert errors == ["This live stream is over: it has ended, expired or been cancelled."]
    assert snapshot(duo_stream) == before


@pytest.mark.parametrize("who", ["creator", "other", "staff"])
def test_only_invited_guests_may_join_as_guest(client_for, duo_stream, user, staff_user, who):
    LiveStream.objects.filter(pk=duo_stream.pk).update(status=LiveStreamStatus.ACTIVE)
    caller = {"creator": user, "other": UserFactory(), "staff": staff_user}[who]
    before = snapshot(duo_stream)

    errors = assert_error(
        client_for(caller).post(JOIN_AS_GUEST, {"liveStreamId": duo_stream.pk}), 403
    )

    assert errors == ["You are not an invited guest of this live stream."]
    assert snapshot(duo_stream) == before


def test_a_guest_join_without_agora_is_503(client_for, duo_stream, guest, no_agora):
    LiveStream.objects.filter(pk=duo_stream.pk).update(status=LiveStreamStatus.ACTIVE)
    before = snapshot(duo_stream)

    errors = assert_error(
        client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": duo_stream.pk}), 503
    )

    assert errors == ["Live video is not configured"]
    assert snapshot(duo_stream) == before


# --- join (audience) -------------------------------------------------------------------------

DEVICE = {
    "role": "audience",
    "deviceType": "mobile_ios",
    "deviceModel": "iPhone 15",
    "osVersion": "17.4",
    "appVersion": "2.3.1",
    "country": "TR",
    "ipAddress": "203.0.113.9",
}


def test_anyone_joins_an_active_free_stream_with_a_subscriber_token(other_client, other_user):
    stream = LiveStreamFactory(active=True)

    data = assert_success(
        other_client.post(
            JOIN, {"liveStreamId": stream.pk, **DEVICE}, HTTP_USER_AGENT="yayin-ios/2.3.1"
        )
    )

    assert_join(data, stream, user=other_user, role="audience", publisher=False)
    assert data["liveStream"]["role"] == "audience"
    assert data["liveStream"]["viewerCount"] == 1
    assert data["liveStream"]["broadcasters"] == []
    stay = Participation.objects.get()
    assert stay.role == ParticipantRole.AUDIENCE
    assert stay.joined_at == NOW
    assert stay.left_at is None
    assert (stay.device_type, stay.device_model, stay.os_version) == (
        "mobile_ios",
        "iPhone 15",
        "17.4",
    )
    assert (stay.app_version, stay.country) == ("2.3.1", "TR")
    assert stay.ip_address == "127.0.0.1"  # the request's address; the body's is ignored
    assert stay.user_agent == "yayin-ios/2.3.1"


def test_the_stay_records_the_address_before_the_trusted_proxy(other_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    stream = LiveStreamFactory(active=True)

    assert_success(
        other_client.post(
            JOIN,
            {"liveStreamId": stream.pk},
            HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.20",
            REMOTE_ADDR="10.0.0.2",
        )
    )

    assert Participation.objects.get().ip_address == "203.0.113.20"


def test_without_trusted_proxies_x_forwarded_for_is_ignored(other_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": None}
    stream = LiveStreamFactory(active=True)

    assert_success(
        other_client.post(
            JOIN,
            {"liveStreamId": stream.pk},
            HTTP_X_FORWARDED_FOR="198.51.100.7",
            REMOTE_ADDR="10.0.0.2",
        )
    )

    assert Participation.objects.get().ip_address == "10.0.0.2"


def test_role_may_be_left_out(other_client):
    stream = LiveStreamFactory(active=True)

    data = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))

    assert data["role"] == "audience"


def test_the_staff_join_as_audience_like_anyone(staff_client, staff_user):
    stream = LiveStreamFactory(active=True)

    data = assert_success(staff_client.post(JOIN, {"liveStreamId": stream.pk}))

    assert_join(data, stream, user=staff_user, role="audience", publisher=False)


def test_joining_twice_keeps_one_open_stay_and_the_same_uid(other_client):
    stream = LiveStreamFactory(active=True)

    first = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))
    second = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))

    assert first["uid"] == second["uid"]
    assert Participation.objects.count() == 1
    assert second["liveStream"]["viewerCount"] == 1


def test_leaving_and_coming_back_opens_a_new_stay_with_the_same_uid(other_client):
    stream = LiveStreamFactory(active=True)
    first = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))
    assert_success(other_client.post(leave_url(stream)))

    second = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))

    assert second["uid"] == first["uid"]
    assert Participation.objects.count() == 2
    assert Participation.objects.filter(left_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (LiveStreamStatus.SCHEDULED, "This live stream is not live yet."),
        (LiveStreamStatus.PREPARING, "This live stream is not live yet."),
        *[
            (status, "This live stream is over: it has ended, expired or been cancelled.")
            for status in OVER
        ],
    ],
)
def test_the_audience_joins_only_active_streams(other_client, status, message):
    stream = LiveStreamFactory(status=status)
    before = snapshot(stream)

    assert_error(other_client.post(JOIN, {"liveStreamId": stream.pk}), 409, [message])
    assert snapshot(stream) == before


def test_the_creator_and_guests_use_their_own_joins(client_for, duo_stream, user, guest):
    LiveStream.objects.filter(pk=duo_stream.pk).update(status=LiveStreamStatus.ACTIVE)
    before = snapshot(duo_stream)

    host = assert_error(client_for(user).post(JOIN, {"liveStreamId": duo_stream.pk}), 409)
    invited = assert_error(client_for(guest).post(JOIN, {"liveStreamId": duo_stream.pk}), 409)

    assert host == ["You are the host of this live stream; use join-as-creator."]
    assert invited == ["You are an invited guest of this live stream; use join-as-guest."]
    assert snapshot(duo_stream) == before


def test_an_audience_join_without_agora_is_503(other_client, no_agora):
    stream = LiveStreamFactory(active=True)
    before = snapshot(stream)

    errors = assert_error(other_client.post(JOIN, {"liveStreamId": stream.pk}), 503)

    assert errors == ["Live video is not configured"]
    assert snapshot(stream) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "host"}, 'role: "host" is not a valid choice.'),
        ({"role": 1}, 'role: "1" is not a valid choice.'),
        ({"deviceType": 5}, "deviceType: Not a valid string."),
        (
            {"deviceModel": "x" * 101},
            "deviceModel: Ensure this field has no more than 100 characters.",
        ),
        ({"country": ["TR"]}, "country: Not a valid string."),
    ],
)
def test_bad_audience_join_fields_are_400s(other_client, changes, message):
    stream = LiveStreamFactory(active=True)

    errors = assert_error(
        other_client.post(JOIN, {"liveStreamId": stream.pk, **changes}, format="json"), 400
    )

    assert errors == [message]
    assert Participant.objects.count() == 0


# --- token -----------------------------------------------------------------------------------


def test_a_viewer_in_the_stream_gets_a_fresh_token(other_client, other_user):
    stream = LiveStreamFactory(active=True)
    first = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))

    with time_machine.travel(NOW.replace(minute=50), tick=False):
        data = assert_success(other_client.post(token_url(stream)))

    assert list(data) == JOIN_KEYS
    assert data["uid"] == first["uid"]
    assert data["role"] == "audience"
    assert data["expiresAt"] == "2027-01-01T13:50:00.000Z"
    assert_token(
        data["token"],
        channel_name=stream.channel_name,
        uid=first["uid"],
        publisher=False,
        expires=EXPIRES + 50 * 60,
    )
    assert Participation.objects.count() == 1


def test_the_host_refreshes_a_publisher_token(user_client, user):
    stream = LiveStreamFactory(creator=user)
    joined = assert_success(user_client.post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))

    data = assert_success(user_client.post(token_url(stream)))

    assert data["role"] == "host"
    assert_token(
        data["token"],
        channel_name=stream.channel_name,
        uid=joined["uid"],
        publisher=True,
        expires=EXPIRES,
    )


def test_someone_not_in_the_stream_gets_no_token(other_client, staff_client):
    stream = LiveStreamFactory(active=True)

    assert_error(
        other_client.post(token_url(stream)), 403, ["You have not joined this live stream."]
    )
    assert_error(
        staff_client.post(token_url(stream)), 403, ["You have not joined this live stream."]
    )


def test_a_viewer_who_left_gets_no_token(other_client, other_user):
    stream = LiveStreamFactory(active=True)
    in_audience(stream, other_user, left_at=timezone.now())

    assert_error(
        other_client.post(token_url(stream)), 403, ["You have not joined this live stream."]
    )


def test_a_token_refresh_rechecks_the_rules(other_client, other_user):
    # The stream became paid after the viewer joined: renewing needs the ticket the join
    # would have charged, and a viewer with no credits cannot pay it.
    stream = LiveStreamFactory(active=True)
    in_audience(stream, other_user)
    LiveStream.objects.filter(pk=stream.pk).update(access_type="paid", price=5)

    assert_error(
        other_client.post(token_url(stream)),
        402,
        ["Insufficient credits: this costs 5.00 credits and your balance is 0.00."],
    )


def test_the_host_gets_409_not_403_for_a_token_after_ending_the_stream(user_client, user):
    stream = LiveStreamFactory(creator=user)
    assert_success(user_client.post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))
    assert_success(user_client.post(f"/api/v1/live-stream/{stream.pk}/end"))
    before = snapshot(stream)

    response = user_client.post(token_url(stream))

    assert_error(
        response, 409, ["This live stream is over: it has ended, expired or been cancelled."]
    )
    assert snapshot(stream) == before


@pytest.mark.parametrize("status", OVER)
@pytest.mark.parametrize("who", ["audience", "stranger"])
def test_a_token_for_a_stream_that_is_over_is_409_before_anything_else(
    other_client, other_user, status, who
):
    # The state is checked first: whether the caller is in it comes second (403).
    stream = LiveStreamFactory(active=True)
    if who == "audience":
        in_audience(stream, other_user)
    LiveStream.objects.filter(pk=stream.pk).update(status=status)
    before = snapshot(stream)

    response = other_client.post(token_url(stream))

    assert_error(
        response, 409, ["This live stream is over: it has ended, expired or been cancelled."]
    )
    assert snapshot(stream) == before


def test_a_token_refresh_without_agora_is_503(other_client, other_user, no_agora):
    stream = LiveStreamFactory(active=True)
    in_audience(stream, other_user)

    assert_error(other_client.post(token_url(stream)), 503, ["Live video is not configured"])


@pytest.mark.parametrize("suffix", ["token", "leave"])
def test_token_and_leave_of_unknown_streams_are_404(user_client, suffix):
    for live_stream_id in ("64d15f9e2e6c8f4d5a123456", "nope"):
        response = user_client.post(f"/api/v1/live-stream/{live_stream_id}/{suffix}")
        assert_error(response, 404, ["Resource not found"])


# --- leave -----------------------------------------------------------------------------------


def test_leaving_closes_the_open_stay(other_client, other_user):
    stream = LiveStreamFactory(active=True)
    stay = in_audience(stream, other_user)

    data = assert_success(other_client.post(leave_url(stream)))

    assert_live_stream_shape(data)
    assert data["viewerCount"] == 0
    assert data["role"] == "audience"
    stay.refresh_from_db()
    assert stay.left_at == NOW


def test_leaving_twice_is_harmless(other_client, other_user):
    stream = LiveStreamFactory(active=True)
    stay = in_audience(stream, other_user, left_at=timezone.now())

    assert_success(other_client.post(leave_url(stream)))

    stay.refresh_from_db()
    assert stay.left_at == NOW
    assert Participation.objects.count() == 1


def test_the_host_leaving_keeps_the_stream_live(user_client, user):
    stream = LiveStreamFactory(creator=user)
    assert_success(user_client.post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))

    data = assert_success(user_client.post(leave_url(stream)))

    assert data["status"] == "active"
    assert data["broadcasters"][0]["hasJoined"] is False


def test_someone_who_never_joined_cannot_leave(other_client, staff_client):
    stream = LiveStreamFactory(active=True)

    assert_error(
        other_client.post(leave_url(stream)), 403, ["You have not joined this live stream."]
    )
    assert_error(
        staff_client.post(leave_url(stream)), 403, ["You have not joined this live stream."]
    )


def test_a_uid_clash_draws_the_next_candidate(other_client, other_user, monkeypatch):
    stream = LiveStreamFactory(active=True)
    taken = in_audience(stream).participant.uid
    candidates = iter([taken, taken, 4242])
    monkeypatch.setattr(services.joins.agora, "candidate_uid", lambda **kwargs: next(candidates))

    data = assert_success(other_client.post(JOIN, {"liveStreamId": stream.pk}))

    assert data["uid"] == 4242
    assert Participant.objects.get(user=other_user).uid == 4242
