"""GET /api/v1/participant/stream/{streamId}/statistics (contract section 9): exact figures for
crafted stays, who may read them, and a fixed number of queries."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from livestreams.models import LiveStreamStatus, ParticipantRole
from livestreams.selectors.statistics import NOT_ALLOWED_TO_SEE_STATISTICS
from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import (
    LiveStreamFactory,
    LiveStreamGuestFactory,
    ParticipantFactory,
    ParticipationFactory,
)

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
NOW = START + timedelta(minutes=100)


def url(stream_id: str) -> str:
    return f"/api/v1/participant/stream/{stream_id}/statistics"


def at(minutes: float):
    return START + timedelta(minutes=minutes)


def stay(live_stream, user, joined: float, left: float | None, role=ParticipantRole.AUDIENCE):
    """A stay of `user` from minute `joined` to minute `left` (None: still open)."""
    participant = live_stream.participants.filter(user=user).first() or ParticipantFactory(
        live_stream=live_stream, user=user, role=role
    )
    return ParticipationFactory(
        participant=participant,
        joined_at=at(joined),
        left_at=None if left is None else at(left),
    )


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def live(user, guest):
    """An active stream of `user`, started at START, with `guest` invited; the host and the
    guest have stays of their own, which never count."""
    live_stream = LiveStreamFactory(
        creator=user, status=LiveStreamStatus.ACTIVE, planned_start_date=START, started_at=START
    )
    LiveStreamGuestFactory(live_stream=live_stream, user=guest)
    stay(live_stream, user, 0, None, role=ParticipantRole.HOST)
    stay(live_stream, guest, 5, None, role=ParticipantRole.GUEST)
    return live_stream


def test_the_figures_of_overlapping_back_to_back_reopened_and_open_stays(user_client, live):
    alice, bob, cem, deniz = UserFactory.create_batch(4)
    stay(live, alice, 0, 30)  # overlaps bob's
    stay(live, bob, 10, 40)
    # cem joins the instant alice leaves: back to back, not overlapping (else the peak is 3).
    stay(live, cem, 30, 50.3)  # 20 min 18 s
    stay(live, alice, 60, 70)  # alice again: one viewer, two stays
    stay(live, deniz, 65, None)  # still in: counts until now (minute 100), 35 minutes

    data = assert_success(user_client.get(url(live.pk)))

    # 30 + 30 + 20.3 + 10 + 35 = 125.3 minutes over 4 people = 31.325, half up 31.33.
    assert data == {
        "streamId": live.pk,
        "totalViewers": 4,
        "peakConcurrentViewers": 2,
        "averageWatchTimeMinutes": 31.33,
        "totalWatchTimeMinutes": 125.3,
    }


def test_the_peak_counts_every_stay_open_at_one_moment(user_client, live):
    for joined, left in [(0, 50), (10, 20), (15, 25), (19, None), (20, 30)]:
        stay(live, UserFactory(), joined, left)

    data = assert_success(user_client.get(url(live.pk)))

    # At minute 19: the stays from 0, 10, 15 and 19. At 20 one leaves as one joins: still 4.
    assert data["peakConcurrentViewers"] == 4
    assert data["totalViewers"] == 5


def test_a_stay_that_left_the_instant_it_joined_counts_as_a_viewer_but_never_as_open(
    user_client, live
):
    stay(live, UserFactory(), 10, 10)

    data = assert_success(user_client.get(url(live.pk)))

    assert data == {
        "streamId": live.pk,
        "totalViewers": 1,
        "peakConcurrentViewers": 0,
        "averageWatchTimeMinutes": 0,
        "totalWatchTimeMinutes": 0,
    }


def test_an_open_stay_of_an_ended_stream_counts_until_the_end(user_client, live):
    stay(live, UserFactory(), 0, 20)
    stay(live, UserFactory(), 30, None)  # never closed: counts until minute 60, not 100
    live.status = LiveStreamStatus.ENDED
    live.ended_at = at(60)
    live.save()

    data = assert_success(user_client.get(url(live.pk)))

    assert data == {
        "streamId": live.pk,
        "totalViewers": 2,
        "peakConcurrentViewers": 1,
        "averageWatchTimeMinutes": 25,
        "totalWatchTimeMinutes": 50,
    }


def test_watch_time_is_rounded_half_up_from_the_exact_seconds(user_client, live):
    # 10 s + 10 s + 10 s = 0.5 minutes in total, 0.1666... per viewer.
    for joined in (0, 1, 2):
        stay(live, UserFactory(), joined, joined + 10 / 60)

    data = assert_success(user_client.get(url(live.pk)))

    assert data["totalWatchTimeMinutes"] == 0.5
    assert data["averageWatchTimeMinutes"] == 0.17


def test_a_stream_with_no_audience_has_zeros(user_client, live):
    data = assert_success(user_client.get(url(live.pk)))

    assert data == {
        "streamId": live.pk,
        "totalViewers": 0,
        "peakConcurrentViewers": 0,
        "averageWatchTimeMinutes": 0,
        "totalWatchTimeMinutes": 0,
    }


# --- Who may read them -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["creator", "guest", "staff"])
def test_the_creator_the_guests_and_staff_may_read_them(
    who, live, user_client, guest, client_for, staff_client
):
    stay(live, UserFactory(), 0, 30)
    client = {"creator": user_client, "guest": client_for(guest), "staff": staff_client}[who]

    data = assert_success(client.get(url(live.pk)))

    assert data["totalViewers"] == 1
    assert data["totalWatchTimeMinutes"] == 30


def test_anyone_else_is_refused_even_an_audience_member(live, other_user, other_client):
    stay(live, other_user, 0, None)

    assert_error(other_client.get(url(live.pk)), 403, [str(NOT_ALLOWED_TO_SEE_STATISTICS)])


def test_an_anonymous_caller_is_401(live):
    assert_error(APIClient().get(url(live.pk)), 401, ["Authentication required"])


@pytest.mark.parametrize(
    "stream_id",
    ["64d15f9e2e6c8f4d5a123456", "not-an-id", "64D15F9E2E6C8F4D5A123456", "%00", "1" * 25],
)
def test_unknown_and_ill_shaped_ids_are_404(user_client, stream_id):
    assert_error(user_client.get(url(stream_id)), 404, ["Resource not found"])


def test_a_deleted_stream_is_404_even_to_its_creator_and_staff(live, user_client, staff_client):
    live.deleted_at = NOW
    live.save()

    assert_error(user_client.get(url(live.pk)), 404, ["Resource not found"])
    assert_error(staff_client.get(url(live.pk)), 404, ["Resource not found"])


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405(user_client, live, method):
    response = getattr(user_client, method)(url(live.pk))

    assert_error(response, 405)


# --- Cost --------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewers", [1, 40])
def test_the_number_of_queries_does_not_grow_with_the_audience(
    viewers, live, user_client, client_for, guest, django_assert_num_queries
):
    for number in range(viewers):
        stay(live, UserFactory(), number, number + 5)

    guest_client = client_for(guest)

    # The token's user, the stream, the stays.
    with django_assert_num_queries(3):
        assert_success(user_client.get(url(live.pk)))
    # A guest: the invitation too.
    with django_assert_num_queries(4):
        assert_success(guest_client.get(url(live.pk)))


def test_the_statistics_are_documented_as_they_answer():
    response = APIClient().get("/api/schema/?format=json")
    operation = response.json()["paths"]["/api/v1/participant/stream/{streamId}/statistics"]["get"]

    assert operation["security"] == [{"JWT-auth": []}]
    assert set(operation["responses"]) == {"200", "401", "403", "404", "429"}
    component = response.json()["components"]["schemas"]["LiveStreamStatistics"]
    assert component["properties"]["totalWatchTimeMinutes"]["type"] == "number"
    assert set(component["properties"]) == {
        "streamId",
        "totalViewers",
        "peakConcurrentViewers",
        "averageWatchTimeMinutes",
        "totalWatchTimeMinutes",
    }
