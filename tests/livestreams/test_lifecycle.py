"""DELETE /{id}, POST /{id}/cancel, POST /{id}/end: the state machine through the API."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import timezone

from livestreams import services
from livestreams.models import (
    TRANSITIONS,
    LiveStream,
    LiveStreamStatus,
    Participation,
    can_transition,
)
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import LiveStreamFactory, in_audience
from tests.livestreams.helpers import assert_live_stream_shape

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
OVER = [
    LiveStreamStatus.ENDED,
    LiveStreamStatus.EXPIRED,
    LiveStreamStatus.CANCELLED_BY_HOST,
    LiveStreamStatus.CANCELLED_BY_GUEST,
]
IS_OVER = "This live stream is over: it has ended, expired or been cancelled."


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def url(stream, action: str = "") -> str:
    return f"/api/v1/live-stream/{stream.pk}" + (f"/{action}" if action else "")


def row(stream) -> tuple:
    stream.refresh_from_db()
    return stream.status, stream.deleted_at, stream.ended_at, stream.updated_at


def test_the_state_machine_allows_only_forward_moves():
    assert can_transition("scheduled", "active")
    assert can_transition("preparing", "cancelled_by_guest")
    assert can_transition("active", "ended")
    assert not can_transition("active", "cancelled_by_host")
    assert not can_transition("scheduled", "ended")
    for status in OVER:
        assert status not in TRANSITIONS
        assert not any(can_transition(status, target) for target in LiveStreamStatus.values)


# --- DELETE ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [LiveStreamStatus.SCHEDULED, LiveStreamStatus.ENDED])
def test_the_creator_soft_deletes_a_stream_and_gets_the_record(user_client, user, status):
    stream = LiveStreamFactory(creator=user, status=status)

    data = assert_success(user_client.delete(url(stream)))

    assert_live_stream_shape(data)
    assert "deletedAt" not in data
    assert data["id"] == stream.pk
    assert data["status"] == status
    stream.refresh_from_db()
    assert stream.deleted_at == NOW
    assert_error(user_client.get(url(stream)), 404, ["Resource not found"])
    assert assert_success(user_client.get("/api/v1/live-stream")) == []


def test_deleting_closes_any_open_stays(user_client, user):
    stream = LiveStreamFactory(creator=user, preparing=True)
    stay = in_audience(stream)

    assert_success(user_client.delete(url(stream)))

    stay.refresh_from_db()
    assert stay.left_at == NOW


def test_an_active_stream_cannot_be_deleted(user_client, user):
    stream = LiveStreamFactory(creator=user, active=True)
    before = row(stream)

    errors = assert_error(user_client.delete(url(stream)), 409)

    assert errors == ["An active live stream cannot be deleted; end it first."]
    assert row(stream) == before


def test_deleting_twice_is_a_404(user_client, user):
    stream = LiveStreamFactory(creator=user)
    assert_success(user_client.delete(url(stream)))

    assert_error(user_client.delete(url(stream)), 404, ["Resource not found"])


@pytest.mark.parametrize("who", ["other", "guest", "staff"])
def test_only_the_creator_deletes(client_for, duo_stream, guest, staff_user, who):
    caller = {"other": UserFactory(), "guest": guest, "staff": staff_user}[who]
    before = row(duo_stream)

    errors = assert_error(client_for(caller).delete(url(duo_stream)), 403)

    assert errors == ["Only the creator of this live stream can do this."]
    assert row(duo_stream) == before


@pytest.mark.parametrize("action", ["", "cancel", "end"])
def test_anonymous_callers_change_nothing(api_client, stream, action):
    before = row(stream)
    method = api_client.delete if action == "" else api_client.post

    assert_error(method(url(stream, action)), 401, ["Authentication required"])
    assert row(stream) == before


@pytest.mark.parametrize("action", ["", "cancel", "end"])
@pytest.mark.parametrize("live_stream_id", ["64d15f9e2e6c8f4d5a123456", "bad-id"])
def test_unknown_streams_are_404(user_client, action, live_stream_id):
    path = f"/api/v1/live-stream/{live_stream_id}" + (f"/{action}" if action else "")
    method = user_client.delete if action == "" else user_client.post

    assert_error(method(path), 404, ["Resource not found"])


# --- cancel ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING])
def test_the_creator_cancels_a_stream_that_has_not_started(user_client, user, status):
    stream = LiveStreamFactory(creator=user, status=status)

    data = assert_success(user_client.post(url(stream, "cancel")))

    assert_live_stream_shape(data)
    assert data["status"] == "cancelled_by_host"
    assert data["role"] == "host"
    assert row(stream)[0] == LiveStreamStatus.CANCELLED_BY_HOST


def test_an_invited_guest_cancels_as_guest(client_for, duo_stream, guest):
    data = assert_success(client_for(guest).post(url(duo_stream, "cancel")))

    assert data["status"] == "cancelled_by_guest"
    assert data["role"] == "guest"
    assert row(duo_stream)[0] == LiveStreamStatus.CANCELLED_BY_GUEST


def test_cancelling_closes_the_stays_of_guests_already_in(client_for, duo_stream, guest, user):
    LiveStream.objects.filter(pk=duo_stream.pk).update(status=LiveStreamStatus.PREPARING)
    stay = in_audience(duo_stream, guest)

    assert_success(client_for(user).post(url(duo_stream, "cancel")))

    stay.refresh_from_db()
    assert stay.left_at == NOW


@pytest.mark.parametrize("who", ["other", "staff"])
def test_strangers_cannot_cancel(client_for, duo_stream, staff_user, who):
    caller = UserFactory() if who == "other" else staff_user
    before = row(duo_stream)

    errors = assert_error(client_for(caller).post(url(duo_stream, "cancel")), 403)

    assert errors == ["Only the creator or an invited guest can cancel this live stream."]
    assert row(duo_stream) == before


def test_an_active_stream_cannot_be_cancelled(user_client, user):
    stream = LiveStreamFactory(creator=user, active=True)
    before = row(stream)

    errors = assert_error(user_client.post(url(stream, "cancel")), 409)

    assert errors == ["An active live stream cannot be cancelled; end it instead."]
    assert row(stream) == before


@pytest.mark.parametrize("status", OVER)
def test_a_stream_that_is_over_cannot_be_cancelled(user_client, user, status):
    stream = LiveStreamFactory(creator=user, status=status)
    before = row(stream)

    assert_error(user_client.post(url(stream, "cancel")), 409, [IS_OVER])
    assert row(stream) == before


def test_cancel_ignores_a_body(user_client, user):
    stream = LiveStreamFactory(creator=user)

    data = assert_success(
        user_client.post(url(stream, "cancel"), {"status": "active"}, format="json")
    )

    assert data["status"] == "cancelled_by_host"


# --- end -------------------------------------------------------------------------------------


def test_the_creator_ends_an_active_stream_and_everyone_leaves(user_client, user):
    stream = LiveStreamFactory(creator=user, active=True)
    stays = [in_audience(stream), in_audience(stream)]

    data = assert_success(user_client.post(url(stream, "end")))

    assert_live_stream_shape(data)
    assert data["status"] == "ended"
    assert data["endedAt"] == "2027-01-01T12:00:00.000Z"
    assert data["viewerCount"] == 0
    assert row(stream)[2] == NOW
    assert not Participation.objects.filter(left_at__isnull=True).exists()
    for stay in stays:
        stay.refresh_from_db()
        assert stay.left_at == NOW


@pytest.mark.parametrize("status", [LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING])
def test_a_stream_that_has_not_started_cannot_end(user_client, user, status):
    stream = LiveStreamFactory(creator=user, status=status)
    before = row(stream)

    errors = assert_error(user_client.post(url(stream, "end")), 409)

    assert errors == ["This live stream has not started; cancel it instead."]
    assert row(stream) == before


@pytest.mark.parametrize("status", OVER)
def test_a_stream_that_is_over_cannot_end_again(user_client, user, status):
    stream = LiveStreamFactory(creator=user, status=status, ended_at=timezone.now())
    before = row(stream)

    assert_error(user_client.post(url(stream, "end")), 409, [IS_OVER])
    assert row(stream) == before


@pytest.mark.parametrize("who", ["other", "guest", "staff"])
def test_only_the_creator_ends(client_for, duo_stream, guest, staff_user, who):
    LiveStream.objects.filter(pk=duo_stream.pk).update(status=LiveStreamStatus.ACTIVE)
    caller = {"other": UserFactory(), "guest": guest, "staff": staff_user}[who]
    before = row(duo_stream)

    errors = assert_error(client_for(caller).post(url(duo_stream, "end")), 403)

    assert errors == ["Only the creator of this live stream can do this."]
    assert row(duo_stream) == before


@pytest.mark.parametrize(
    ("action", "service"),
    [("cancel", "live_stream_cancel"), ("leave", "live_stream_leave")],
)
def test_a_stream_deleted_before_the_answer_is_read_is_a_404(
    user_client, user, stream, monkeypatch, action, service
):
    in_audience(stream, user)
    original = getattr(services, service)

    def then_deleted_by_an_operator(**kwargs):
        result = original(**kwargs)
        LiveStream.objects.filter(pk=stream.pk).update(deleted_at=timezone.now())
        return result

    monkeypatch.setattr(services, service, then_deleted_by_an_operator)

    response = user_client.post(url(stream, action))

    assert_error(response, 404, ["Resource not found"])


def test_wrong_methods_are_405(user_client, stream):
    assert_error(user_client.get(url(stream, "end")), 405, ['Method "GET" not allowed.'])
    assert_error(user_client.put(url(stream)), 405, ['Method "PUT" not allowed.'])
    assert_error(user_client.get("/api/v1/live-stream/create"), 405, ['Method "GET" not allowed.'])
    assert_error(user_client.post("/api/v1/live-stream"), 405, ['Method "POST" not allowed.'])


def test_messages_follow_the_language_header(user_client, user):
    stream = LiveStreamFactory(creator=user, active=True)

    errors = assert_error(user_client.delete(url(stream), HTTP_X_LANGUAGE="tr"), 409)

    assert errors == ["Aktif bir canlı yayın silinemez; önce yayını bitirin."]
