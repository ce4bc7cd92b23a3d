"""`live_stream_watch` (the socket's `joinStream`: the audience join without an Agora token),
and the viewer-count events that opening and closing an audience stay raise."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from config.api.errors import Conflict, PaymentRequired
from livestreams import services
from livestreams.models import LiveStreamStatus, Participant, ParticipantRole, Participation
from tests.factories import UserFactory
from tests.helpers import assert_success
from tests.livestreams.chat_helpers import tap_events
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory, in_audience
from tests.livestreams.helpers import balance_of, give_credits, ledger_of, money_snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_agora")]

NOW = datetime(2027, 1, 1, 12, 0, 0, tzinfo=UTC)
JOIN = "/api/v1/live-stream/join"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def stays() -> list:
    return list(Participation.objects.values_list("participant__user_id", "role", "left_at"))


def test_watching_opens_an_audience_stay_without_agora(other_user):
    stream = LiveStreamFactory(active=True)

    stay = services.live_stream_watch(live_stream=stream, user=other_user)

    assert (stay.live_stream_id, stay.role, stay.joined_at, stay.left_at) == (
        stream.pk,
        ParticipantRole.AUDIENCE,
        NOW,
        None,
    )
    participant = Participant.objects.get(live_stream=stream, user=other_user)
    assert participant.role == ParticipantRole.AUDIENCE
    assert participant.uid >= 1


def test_watching_again_keeps_the_one_open_stay(other_user):
    stream = LiveStreamFactory(active=True)
    first = services.live_stream_watch(live_stream=stream, user=other_user)

    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        second = services.live_stream_watch(live_stream=stream, user=other_user)

    assert second.pk == first.pk
    assert Participation.objects.count() == 1


def test_watching_a_paid_stream_charges_the_ticket_once():
    stream = LiveStreamFactory(active=True, paid=True, price=Decimal("9.99"))
    person = give_credits(UserFactory(), "20.00")

    services.live_stream_watch(live_stream=stream, user=person)
    services.live_stream_leave(live_stream=stream, user=person)
    services.live_stream_watch(live_stream=stream, user=person)

    assert balance_of(person) == Decimal("10.01")
    assert ledger_of(person) == [
        ("ticket", "debit", Decimal("9.99"), Decimal("10.01"), "completed")
    ]


def test_a_short_balance_watches_nothing_and_pays_nothing():
    stream = LiveStreamFactory(active=True, paid=True, price=Decimal("9.99"))
    person = give_credits(UserFactory(), "5.00")
    before = money_snapshot(), stays()

    with pytest.raises(PaymentRequired):
        services.live_stream_watch(live_stream=stream, user=person)

    assert (money_snapshot(), stays()) == before


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (LiveStreamStatus.SCHEDULED, services.AUDIENCE_TOO_EARLY),
        (LiveStreamStatus.PREPARING, services.AUDIENCE_TOO_EARLY),
        (LiveStreamStatus.ENDED, services.STREAM_IS_OVER),
        (LiveStreamStatus.CANCELLED_BY_HOST, services.STREAM_IS_OVER),
    ],
)
def test_watching_needs_an_active_stream(other_user, status, message):
    stream = LiveStreamFactory(status=status, planned_start_date=NOW + timedelta(hours=1))

    with pytest.raises(Conflict) as refused:
        services.live_stream_watch(live_stream=stream, user=other_user)

    assert refused.value.message == message
    assert stays() == []


def test_the_creator_and_guests_do_not_watch_their_own_stream(guest):
    stream = LiveStreamFactory(active=True)
    LiveStreamGuestFactory(live_stream=stream, user=guest)

    with pytest.raises(Conflict) as as_creator:
        services.live_stream_watch(live_stream=stream, user=stream.creator)
    with pytest.raises(Conflict) as as_guest:
        services.live_stream_watch(live_stream=stream, user=guest)

    assert as_creator.value.message == services.HOST_JOINS_AS_CREATOR
    assert as_guest.value.message == services.GUEST_JOINS_AS_GUEST
    assert stays() == []


def test_watching_a_stream_past_its_end_ends_it_first(other_user):
    stream = LiveStreamFactory(
        active=True,
        planned_start_date=NOW - timedelta(hours=3),
        planned_end_date=NOW - timedelta(hours=2),
    )

    with pytest.raises(Conflict):
        services.live_stream_watch(live_stream=stream, user=other_user)

    stream.refresh_from_db()
    assert stream.status == LiveStreamStatus.ENDED


# --- viewerCount ---------------------------------------------------------------------------


def test_an_audience_stay_that_opens_or_closes_marks_the_viewer_count(other_user):
    stream = LiveStreamFactory(active=True)

    with tap_events() as opened:
        services.live_stream_watch(live_stream=stream, user=other_user)
    with tap_events() as again:
        services.live_stream_watch(live_stream=stream, user=other_user)
    with tap_events() as closed:
        services.live_stream_leave(live_stream=stream, user=other_user)
    with tap_events() as closed_again:
        services.live_stream_leave(live_stream=stream, user=other_user)

    assert [len(tap.callbacks) for tap in (opened, again, closed, closed_again)] == [1, 0, 1, 0]
    opened.require_redis()
    assert opened.viewer_counts == closed.viewer_counts == {stream.pk}


def test_a_rest_join_marks_the_viewer_count(agora, client_for, other_user):
    stream = LiveStreamFactory(active=True)

    with tap_events() as tap:
        assert_success(client_for(other_user).post(JOIN, {"liveStreamId": stream.pk}))

    assert len(tap.callbacks) == 1
    tap.require_redis()
    assert tap.viewer_counts == {stream.pk}


def test_the_hosts_stay_changes_no_viewer_count(agora, client_for, user):
    stream = LiveStreamFactory(active=True, creator=user)
    in_audience(stream)

    with tap_events() as joined:
        assert_success(
            client_for(user).post(
                "/api/v1/live-stream/join-as-creator", {"liveStreamId": stream.pk}
            )
        )
    with tap_events() as left:
        services.live_stream_leave(live_stream=stream, user=user)

    assert joined.callbacks == left.callbacks == []
