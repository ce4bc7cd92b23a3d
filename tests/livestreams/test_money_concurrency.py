"""Money races through the API that only PostgreSQL can show (contract section 5, "Safety"):
50 concurrent spends by one person whose balance covers one leave exactly one charge, and a
cancel racing contributions refunds or refuses each of them, never loses one. The ledger
audit is clean after each."""

from decimal import Decimal
from functools import partial

import pytest

from livestreams import services
from livestreams.models import LiveStream, LiveStreamStatus, LiveStreamType, Participant
from tests.factories import UserFactory
from tests.helpers import run_together
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory
from tests.livestreams.helpers import balance_of, give_credits
from users.credits.models import CreditTransaction
from users.credits.selectors import ledger_audit

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("agora"),
]

D = Decimal
SPENDS = 50
ROUNDS = 5
JOIN = "/api/v1/live-stream/join"


def statuses(responses) -> list[int]:
    return sorted(response.status_code for response in responses)


def ended_replay(price: str) -> LiveStream:
    stream = LiveStreamFactory(
        status=LiveStreamStatus.ENDED,
        is_active_replay_on_creator_profile=True,
        replay_credit_price=D(price),
    )
    return services.live_stream_recording_attach(
        live_stream=stream, url="https://cdn.example.com/replay.mp4"
    )


def test_fifty_paid_joins_of_different_streams_charge_once_and_join_once(client_for):
    viewer = give_credits(UserFactory(), "9.99")
    streams = [LiveStreamFactory(active=True, paid=True, price=D("9.99")) for _ in range(SPENDS)]
    client = client_for(viewer)

    responses = run_together(
        *(partial(client.post, JOIN, {"liveStreamId": stream.pk}) for stream in streams)
    )

    assert statuses(responses) == [200] + [402] * (SPENDS - 1)
    assert balance_of(viewer) == D("0.00")
    assert CreditTransaction.objects.filter(user=viewer, type="ticket").count() == 1
    # Whoever was refused is in no stream.
    assert Participant.objects.filter(user=viewer).count() == 1
    assert ledger_audit() == []


def test_fifty_joins_of_one_paid_stream_charge_one_ticket(client_for):
    viewer = give_credits(UserFactory(), "9.99")
    stream = LiveStreamFactory(active=True, paid=True, price=D("9.99"))
    client = client_for(viewer)

    responses = run_together(
        *(partial(client.post, JOIN, {"liveStreamId": stream.pk}) for _ in range(SPENDS))
    )

    assert statuses(responses) == [200] * SPENDS
    assert sorted(response.json()["data"]["charged"] for response in responses) == [0] * (
        SPENDS - 1
    ) + [9.99]
    assert balance_of(viewer) == D("0.00")
    assert CreditTransaction.objects.filter(type="ticket").count() == 1
    assert ledger_audit() == []


def test_fifty_contributions_of_a_balance_that_covers_one_charge_once(client_for):
    viewer = give_credits(UserFactory(), "10.00")
    stream = LiveStreamFactory(live_stream_type=LiveStreamType.DUOCROWD, funding_goal=D("1000"))
    LiveStreamGuestFactory(live_stream=stream)
    client = client_for(viewer)

    responses = run_together(
        *(
            partial(client.post, f"/api/v1/live-stream/{stream.pk}/fund", {"amount": 10})
            for _ in range(SPENDS)
        )
    )

    assert statuses(responses) == [200] + [402] * (SPENDS - 1)
    assert balance_of(viewer) == D("0.00")
    assert CreditTransaction.objects.filter(type="funding").count() == 1
    assert ledger_audit() == []


def test_concurrent_contributions_never_overshoot_the_goal(client_for):
    stream = LiveStreamFactory(live_stream_type=LiveStreamType.DUOCROWD, funding_goal=D("30"))
    LiveStreamGuestFactory(live_stream=stream)
    clients = [client_for(give_credits(UserFactory(), "10.00")) for _ in range(10)]

    responses = run_together(
        *(
            partial(client.post, f"/api/v1/live-stream/{stream.pk}/fund", {"amount": 10})
            for client in clients
        )
    )

    assert statuses(responses) == [200] * 3 + [409] * 7
    assert CreditTransaction.objects.filter(type="funding").count() == 3
    assert ledger_audit() == []


def test_fifty_rentals_of_different_replays_charge_once(client_for):
    viewer = give_credits(UserFactory(), "4.50")
    replays = [ended_replay("4.50") for _ in range(SPENDS)]
    client = client_for(viewer)

    responses = run_together(
        *(
            partial(client.post, f"/api/v1/live-stream/{stream.pk}/replay-rentals")
            for stream in replays
        )
    )

    assert statuses(responses) == [201] + [402] * (SPENDS - 1)
    assert balance_of(viewer) == D("0.00")
    assert CreditTransaction.objects.filter(user=viewer, type="replay_rental").count() == 1
    assert ledger_audit() == []


def test_fifty_rentals_of_one_replay_by_someone_who_could_pay_twice_charge_once(client_for):
    # The balance would cover a second rental: only the rental rule (an unexpired rental is
    # a 409) stands in the way, and it must hold under the race.
    viewer = give_credits(UserFactory(), "9.00")
    stream = ended_replay("4.50")
    client = client_for(viewer)

    responses = run_together(
        *(
            partial(client.post, f"/api/v1/live-stream/{stream.pk}/replay-rentals")
            for _ in range(SPENDS)
        )
    )

    assert statuses(responses) == [201] + [409] * (SPENDS - 1)
    assert balance_of(viewer) == D("4.50")
    assert stream.replay_rentals.count() == 1
    assert ledger_audit() == []


def test_a_cancel_racing_contributions_refunds_or_refuses_each_never_loses_one(client_for):
    for _ in range(ROUNDS):
        creator = UserFactory()
        stream = LiveStreamFactory(
            creator=creator, live_stream_type=LiveStreamType.DUOCROWD, funding_goal=D("1000")
        )
        LiveStreamGuestFactory(live_stream=stream)
        funders = [give_credits(UserFactory(), "10.00") for _ in range(8)]
        fund_url = f"/api/v1/live-stream/{stream.pk}/fund"

        *funds, cancel = run_together(
            *(partial(client_for(funder).post, fund_url, {"amount": 7.25}) for funder in funders),
            partial(client_for(creator).post, f"/api/v1/live-stream/{stream.pk}/cancel"),
        )

        assert cancel.status_code == 200
        assert {response.status_code for response in funds} <= {200, 409}
        stream.refresh_from_db()
        assert stream.status == LiveStreamStatus.CANCELLED_BY_HOST
        # Every contribution that landed was refunded once; nobody is out of pocket.
        contributions = CreditTransaction.objects.filter(live_stream=stream, type="funding")
        assert contributions.count() == sum(response.status_code == 200 for response in funds)
        assert set(contributions.values_list("status", flat=True)) <= {"refunded"}
        assert (
            CreditTransaction.objects.filter(live_stream=stream, type="funding_refund").count()
            == contributions.count()
        )
        assert {balance_of(funder) for funder in funders} == {D("10.00")}
    assert ledger_audit() == []


def test_an_end_racing_paid_joins_charges_only_those_who_got_in(client_for):
    for _ in range(ROUNDS):
        stream = LiveStreamFactory(active=True, paid=True, price=D("2.00"))
        viewers = [give_credits(UserFactory(), "2.00") for _ in range(6)]

        *joins, end = run_together(
            *(partial(client_for(viewer).post, JOIN, {"liveStreamId": stream.pk}) for viewer in viewers),
            partial(client_for(stream.creator).post, f"/api/v1/live-stream/{stream.pk}/end"),
        )  # fmt: skip

        assert end.status_code == 200
        assert {response.status_code for response in joins} <= {200, 409}
        admitted = [
            viewer
            for viewer, response in zip(viewers, joins, strict=True)
            if response.status_code == 200
        ]
        for viewer in viewers:
            expected = D("0.00") if viewer in admitted else D("2.00")
            assert balance_of(viewer) == expected
        assert Participant.objects.filter(live_stream=stream).count() == len(admitted)
    assert ledger_audit() == []
