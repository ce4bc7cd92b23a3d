"""Joins between two housekeeping runs see a stream as the command would leave it.

A no-show past the grace is expired and an overrun past the grace is ended by the join
itself (which then answers 409 like any join of a finished stream); a scheduled stream whose
planned start has come counts as preparing.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from livestreams.models import (
    LiveStream,
    LiveStreamStatus,
    LiveStreamType,
    Participant,
    ParticipantRole,
    Participation,
)
from tests.helpers import assert_error, assert_success
from tests.livestreams.factories import (
    LiveStreamFactory,
    LiveStreamGuestFactory,
    ParticipantFactory,
    ParticipationFactory,
    in_audience,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("agora")]

NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=3)
JOIN_AS_CREATOR = "/api/v1/live-stream/join-as-creator"
JOIN_AS_GUEST = "/api/v1/live-stream/join-as-guest"
JOIN = "/api/v1/live-stream/join"
OVER = ["This live stream is over: it has ended, expired or been cancelled."]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def token_url(stream) -> str:
    return f"/api/v1/live-stream/{stream.pk}/token"


def not_started(creator, guest, *, minutes_ago: float, status=LiveStreamStatus.SCHEDULED):
    """A duo stream of `creator` with `guest` invited, planned to start `minutes_ago`."""
    start = NOW - timedelta(minutes=minutes_ago)
    with time_machine.travel(EARLIER, tick=False):
        stream = LiveStreamFactory(
            creator=creator,
            live_stream_type=LiveStreamType.DUOSELF,
            status=status,
            planned_start_date=start,
            planned_end_date=start + timedelta(minutes=60),
        )
        LiveStreamGuestFactory(live_stream=stream, user=guest)
    return stream


def live(creator, *, minutes_past_end: float):
    """An active stream of `creator` (in it) whose planned end was `minutes_past_end` ago."""
    end = NOW - timedelta(minutes=minutes_past_end)
    with time_machine.travel(EARLIER, tick=False):
        stream = LiveStreamFactory(
            creator=creator,
            status=LiveStreamStatus.ACTIVE,
            planned_start_date=end - timedelta(minutes=60),
            started_at=end - timedelta(minutes=60),
            planned_end_date=end,
        )
        host = ParticipantFactory(live_stream=stream, user=creator, role=ParticipantRole.HOST)
        ParticipationFactory(participant=host)
    return stream


def row(stream) -> tuple:
    found = LiveStream.objects.get(pk=stream.pk)
    return found.status, found.updated_at, found.started_at, found.ended_at


# --- no-shows past the grace are expired by the join -----------------------------------------


@pytest.mark.parametrize("status", [LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING])
@pytest.mark.parametrize("who", ["creator", "guest", "audience"])
def test_joining_a_no_show_past_the_grace_expires_it_and_is_409(
    client_for, user, guest, other_user, status, who
):
    stream = not_started(user, guest, minutes_ago=31, status=status)
    url, caller = {
        "creator": (JOIN_AS_CREATOR, user),
        "guest": (JOIN_AS_GUEST, guest),
        "audience": (JOIN, other_user),
    }[who]

    assert_error(client_for(caller).post(url, {"liveStreamId": stream.pk}), 409, OVER)

    assert row(stream) == (LiveStreamStatus.EXPIRED, NOW, None, None)
    assert not Participant.objects.exists()


def test_a_no_show_joined_at_the_end_of_the_grace_can_still_go_live(client_for, user, guest):
    stream = not_started(user, guest, minutes_ago=30, status=LiveStreamStatus.PREPARING)

    data = assert_success(client_for(user).post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))

    assert data["liveStream"]["status"] == "active"
    assert row(stream) == (LiveStreamStatus.ACTIVE, NOW, NOW, None)


def test_the_expiry_leaves_nobody_inside(client_for, user, guest):
    stream = not_started(user, guest, minutes_ago=45, status=LiveStreamStatus.PREPARING)
    with time_machine.travel(EARLIER, tick=False):
        stay = ParticipationFactory(
            participant=ParticipantFactory(
                live_stream=stream, user=guest, role=ParticipantRole.GUEST
            )
        )

    assert_error(client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": stream.pk}), 409, OVER)

    stay.refresh_from_db()
    assert stay.left_at == NOW
    assert row(stream)[0] == LiveStreamStatus.EXPIRED


def test_a_stranger_is_still_403_but_the_no_show_is_expired(client_for, user, guest, other_user):
    stream = not_started(user, guest, minutes_ago=31)

    assert_error(
        client_for(other_user).post(JOIN_AS_GUEST, {"liveStreamId": stream.pk}),
        403,
        ["You are not an invited guest of this live stream."],
    )

    assert row(stream)[0] == LiveStreamStatus.EXPIRED


@pytest.mark.parametrize("url", [JOIN_AS_CREATOR, JOIN_AS_GUEST, JOIN])
def test_a_deleted_no_show_is_404_and_left_as_it_is(client_for, user, guest, url):
    stream = not_started(user, guest, minutes_ago=31)
    LiveStream.objects.filter(pk=stream.pk).update(deleted_at=EARLIER)
    before = row(stream)

    assert_error(client_for(user).post(url, {"liveStreamId": stream.pk}), 404)

    assert row(stream) == before


# --- overruns past the grace are ended by the join -------------------------------------------


def test_joining_an_overrun_past_the_grace_ends_it_and_is_409(client_for, user, other_user):
    stream = live(user, minutes_past_end=31)

    assert_error(client_for(other_user).post(JOIN, {"liveStreamId": stream.pk}), 409, OVER)

    assert row(stream) == (LiveStreamStatus.ENDED, NOW, stream.started_at, NOW)
    assert Participation.objects.get().left_at == NOW  # the host's stay, closed
    assert not Participant.objects.filter(user=other_user).exists()


@pytest.mark.parametrize("who", ["host", "audience"])
def test_a_token_for_an_overrun_past_the_grace_is_409(client_for, user, other_user, who):
    stream = live(user, minutes_past_end=31)
    caller = user
    if who == "audience":
        with time_machine.travel(EARLIER, tick=False):
            in_audience(stream, user=other_user)
        caller = other_user

    assert_error(client_for(caller).post(token_url(stream)), 409, OVER)

    assert row(stream) == (LiveStreamStatus.ENDED, NOW, stream.started_at, NOW)
    assert not Participation.objects.filter(left_at__isnull=True).exists()


def test_an_overrun_within_the_grace_is_still_live(client_for, user, other_user):
    stream = live(user, minutes_past_end=30)

    assert_success(client_for(other_user).post(JOIN, {"liveStreamId": stream.pk}))
    assert_success(client_for(user).post(token_url(stream)))

    assert row(stream)[0] == LiveStreamStatus.ACTIVE


def test_the_grace_comes_from_the_settings(client_for, user, other_user, settings):
    settings.LIVE_STREAM_GRACE_MINUTES = 5
    stream = live(user, minutes_past_end=6)

    assert_error(client_for(other_user).post(JOIN, {"liveStreamId": stream.pk}), 409, OVER)

    assert row(stream)[0] == LiveStreamStatus.ENDED


# --- a scheduled stream whose start has come is preparing ------------------------------------


@pytest.mark.parametrize("minutes_ago", [0, 10, 30])
def test_the_guest_joins_a_scheduled_stream_once_its_start_has_come(
    client_for, user, guest, minutes_ago
):
    stream = not_started(user, guest, minutes_ago=minutes_ago)

    data = assert_success(client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": stream.pk}))

    assert data["role"] == "guest"
    assert data["liveStream"]["status"] == "preparing"
    assert row(stream) == (LiveStreamStatus.PREPARING, NOW, None, None)
    assert Participation.objects.get().participant.user == guest


def test_the_guest_still_waits_for_a_start_to_come(client_for, user, guest):
    stream = not_started(user, guest, minutes_ago=-1)
    before = row(stream)

    assert_error(
        client_for(guest).post(JOIN_AS_GUEST, {"liveStreamId": stream.pk}),
        409,
        ["Guests can join once the live stream is preparing or active."],
    )

    assert row(stream) == before


def test_the_creator_takes_a_scheduled_stream_whose_start_has_come_live(client_for, user, guest):
    stream = not_started(user, guest, minutes_ago=10)

    data = assert_success(client_for(user).post(JOIN_AS_CREATOR, {"liveStreamId": stream.pk}))

    assert data["liveStream"]["status"] == "active"
    assert row(stream) == (LiveStreamStatus.ACTIVE, NOW, NOW, None)


def test_the_audience_waits_for_a_prepared_stream_to_go_live(client_for, user, guest, other_user):
    stream = not_started(user, guest, minutes_ago=10)

    assert_error(
        client_for(other_user).post(JOIN, {"liveStreamId": stream.pk}),
        409,
        ["This live stream is not live yet."],
    )

    # The audience was refused, but the stream is preparing now, as the command would make it.
    assert row(stream) == (LiveStreamStatus.PREPARING, NOW, None, None)
    assert not Participant.objects.exists()
