"""Races that only a real database can show (PostgreSQL: row locks, concurrent inserts).

Each test starts its requests together from threads, each thread on its own connection. The
guarantees come from constraints and locks, so they hold whichever request wins.
"""

import threading
from datetime import timedelta
from functools import partial

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from livestreams import services
from livestreams.models import (
    LiveStream,
    LiveStreamGuest,
    LiveStreamStatus,
    Participant,
    Participation,
)
from tests.factories import UserFactory
from tests.helpers import run_together
from tests.livestreams.factories import LiveStreamFactory
from users.models import User

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("agora"),
]
ROUNDS = 5
JOIN = "/api/v1/live-stream/join"
JOIN_AS_CREATOR = "/api/v1/live-stream/join-as-creator"
CREATE = "/api/v1/live-stream/create"


def test_two_streams_of_one_creator_cannot_both_go_live(client_for):
    for _ in range(ROUNDS):
        creator = UserFactory()
        first, second = LiveStreamFactory(creator=creator), LiveStreamFactory(creator=creator)
        clients = [client_for(creator), client_for(creator)]

        responses = run_together(
            partial(clients[0].post, JOIN_AS_CREATOR, {"liveStreamId": first.pk}),
            partial(clients[1].post, JOIN_AS_CREATOR, {"liveStreamId": second.pk}),
        )

        assert sorted(response.status_code for response in responses) == [200, 409]
        refused = next(response for response in responses if response.status_code == 409)
        assert refused.json()["errors"] == ["You already have an active live stream; end it first."]
        statuses = sorted(
            LiveStream.objects.filter(creator=creator).values_list("status", flat=True)
        )
        assert statuses == [LiveStreamStatus.ACTIVE, LiveStreamStatus.SCHEDULED]
        assert Participant.objects.filter(user=creator).count() == 1


def test_two_audience_joins_by_one_person_leave_one_open_stay(client_for):
    for _ in range(ROUNDS):
        stream = LiveStreamFactory(active=True)
        viewer = UserFactory()
        clients = [client_for(viewer), client_for(viewer)]

        responses = run_together(
            *[partial(client.post, JOIN, {"liveStreamId": stream.pk}) for client in clients]
        )

        assert [response.status_code for response in responses] == [200, 200]
        uids = {response.json()["data"]["uid"] for response in responses}
        assert len(uids) == 1
        assert Participant.objects.filter(live_stream=stream, user=viewer).count() == 1
        assert (
            Participation.objects.filter(
                live_stream=stream, participant__user=viewer, left_at__isnull=True
            ).count()
            == 1
        )


def test_a_join_racing_the_end_leaves_nobody_in_an_ended_stream(client_for):
    for _ in range(ROUNDS):
        stream = LiveStreamFactory(active=True)
        host, viewer = client_for(stream.creator), client_for(UserFactory())

        end, join = run_together(
            partial(host.post, f"/api/v1/live-stream/{stream.pk}/end"),
            partial(viewer.post, JOIN, {"liveStreamId": stream.pk}),
        )

        assert end.status_code == 200
        assert join.status_code in (200, 409)
        stream.refresh_from_db()
        assert stream.status == LiveStreamStatus.ENDED
        assert not Participation.objects.filter(live_stream=stream, left_at__isnull=True).exists()


def test_a_guest_deleted_while_the_stream_is_stored_waits_for_it(client_for, monkeypatch):
    creator, guest = UserFactory(), UserFactory()
    insert = services.create._insert_with_unique_channel_name
    deleted = []

    def delete_guest(user_id):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '300ms'")
                deleted.append(User.objects.filter(pk=user_id).delete()[0])
        except OperationalError:
            deleted.append(0)  # held by the create's lock on the guest row
        finally:
            connection.close()

    def insert_while_the_guest_is_deleted(live_stream):
        insert(live_stream)
        # Another connection deletes the guest in the middle of the create. Unlocked, the
        # delete went through and the create failed its foreign key at commit (a 500).
        thread = threading.Thread(target=delete_guest, args=[guest.pk])
        thread.start()
        thread.join()

    monkeypatch.setattr(
        services.create, "_insert_with_unique_channel_name", insert_while_the_guest_is_deleted
    )

    response = client_for(creator).post(
        CREATE, {"title": "Duo", "liveStreamType": "duoself", "guests": [guest.pk]}, format="json"
    )

    assert response.status_code == 201, response.content
    assert deleted == [0]
    assert LiveStreamGuest.objects.filter(user=guest).count() == 1


def test_joins_and_the_command_racing_on_an_overrun_end_it_once(client_for):
    # Between housekeeping runs each join ends the overrun itself: however the joins, the
    # command and each other interleave, the stream is ended once and nobody is left inside.
    for _ in range(ROUNDS):
        now = timezone.now()
        stream = LiveStreamFactory(
            status=LiveStreamStatus.ACTIVE,
            planned_start_date=now - timedelta(hours=3),
            started_at=now - timedelta(hours=3),
            planned_end_date=now - timedelta(hours=2),
        )
        viewers = [client_for(UserFactory()) for _ in range(3)]

        *joins, result = run_together(
            *[partial(viewer.post, JOIN, {"liveStreamId": stream.pk}) for viewer in viewers],
            services.live_stream_housekeeping,
        )

        assert [join.status_code for join in joins] == [409, 409, 409]
        assert result.ended in (0, 1)
        stream.refresh_from_db()
        assert stream.status == LiveStreamStatus.ENDED
        assert stream.ended_at is not None
        assert not Participation.objects.filter(live_stream=stream).exists()
