"""`livestreams.demo.seed`: streams across interests and states, with their money."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from livestreams import demo
from livestreams.models import (
    AccessType,
    LiveStream,
    LiveStreamGuest,
    LiveStreamReminder,
    LiveStreamStatus,
    Participant,
    ParticipantRole,
    Participation,
    ReplayRental,
)
from livestreams.selectors import replay_is_rentable
from tests.helpers import assert_success
from users.credits.models import CreditTransaction, TransactionStatus, TransactionType
from users.credits.selectors import ledger_audit
from users.models import User

pytestmark = pytest.mark.django_db

OPEN_AUDIENCE = Q(
    participations__role=ParticipantRole.AUDIENCE, participations__left_at__isnull=True
)


def everything() -> dict:
    """What a re-run must leave as it was: every row the demo writes, and every balance."""
    counts = {
        model.__name__: model.objects.count()
        for model in (
            User,
            LiveStream,
            LiveStreamGuest,
            Participant,
            Participation,
            ReplayRental,
            CreditTransaction,
            LiveStreamReminder,
        )
    }
    balances = dict(User.objects.values_list("username", "credit_balance"))
    return {"counts": counts, "balances": balances}


@pytest.fixture
def seeded():
    out = io.StringIO()
    demo.seed(out)
    return out.getvalue()


def test_the_demo_makes_every_stream_in_every_state_with_thumbnails(seeded):
    streams = LiveStream.objects.all()
    assert streams.count() == len(demo.DEMO_STREAMS)
    assert set(streams.values_list("status", flat=True)) == {
        LiveStreamStatus.ACTIVE,
        LiveStreamStatus.SCHEDULED,
        LiveStreamStatus.PREPARING,
        LiveStreamStatus.ENDED,
        LiveStreamStatus.CANCELLED_BY_HOST,
        LiveStreamStatus.EXPIRED,
    }
    assert all(stream.thumbnail for stream in streams)
    assert f"Live streams: {len(demo.DEMO_STREAMS)} made, 0 already there." in seeded


def test_every_live_stream_has_its_host_and_an_audience_in_it_now(seeded):
    live = LiveStream.objects.filter(status=LiveStreamStatus.ACTIVE).annotate(
        audience=Count("participations", filter=OPEN_AUDIENCE)
    )
    assert live.count() == 6
    assert len({stream.creator_id for stream in live}) == 6
    assert all(stream.audience >= 1 for stream in live)
    # Different sizes, so "featured" and "what's live now" have an order to show.
    assert len({stream.audience for stream in live}) >= 3
    for stream in live:
        assert stream.participants.filter(role=ParticipantRole.HOST).exists()


def test_each_demo_user_has_a_live_and_an_upcoming_stream_in_their_interests():
    call_command("seed_demo", "--force", stdout=io.StringIO())
    now = timezone.now()

    for user in User.objects.filter(username__startswith="demo_"):
        in_interests = LiveStream.objects.filter(interest__in=user.interests)
        assert in_interests.filter(status=LiveStreamStatus.ACTIVE).exists(), user.username
        assert in_interests.filter(
            status=LiveStreamStatus.SCHEDULED,
            planned_start_date__gt=now,
            planned_start_date__lt=now + timedelta(hours=24),
        ).exists(), user.username


def test_the_ended_streams_have_broadcasters_and_watchers(seeded):
    ayse = User.objects.get(username="demo_ayse")
    ended = LiveStream.objects.filter(status=LiveStreamStatus.ENDED)

    assert ended.count() == 6
    assert all(stream.ended_at and stream.ended_at < timezone.now() for stream in ended)
    assert not Participation.objects.filter(live_stream__in=ended, left_at__isnull=True).exists()
    # demo_ayse broadcast as host and as a guest who joined, and watched one.
    assert ended.filter(creator=ayse).exists()
    assert Participant.objects.filter(
        live_stream__in=ended, user=ayse, role=ParticipantRole.GUEST
    ).exists()
    assert Participant.objects.filter(
        live_stream__in=ended, user=ayse, role=ParticipantRole.AUDIENCE
    ).exists()


def test_the_money_cases_are_there_and_the_ledger_audits_clean():
    call_command("seed_demo", "--force", stdout=io.StringIO())
    ayse = User.objects.get(username="demo_ayse")

    # A paid stream live now, whose audience holds tickets (and its creator the income).
    paid = LiveStream.objects.get(access_type=AccessType.PAID, status=LiveStreamStatus.ACTIVE)
    audience = set(
        paid.participants.filter(role=ParticipantRole.AUDIENCE).values_list("user", flat=True)
    )
    tickets = CreditTransaction.objects.filter(live_stream=paid, type=TransactionType.TICKET)
    assert set(tickets.values_list("user", flat=True)) == audience
    assert all(row.amount == paid.price for row in tickets)
    assert CreditTransaction.objects.filter(
        live_stream=paid, type=TransactionType.TICKET_INCOME, user=paid.creator
    ).count() == len(audience)

    # Crowdfunded streams partly funded: their guests ask a minute price.
    crowds = LiveStream.objects.filter(funding_goal__isnull=False)
    assert crowds.count() == 5
    for crowd in crowds:
        guest = crowd.guests.get()
        assert guest.minute_price_in_live_stream == demo.CROWD_GUEST_MINUTE_PRICES[guest.username]
        assert crowd.funding_goal == guest.minute_price_in_live_stream * crowd.duration_goal
        held = CreditTransaction.objects.filter(
            live_stream=crowd, type=TransactionType.FUNDING, status=TransactionStatus.PENDING
        )
        assert 0 < sum(row.amount for row in held) < crowd.funding_goal

    # An ended stream whose replay is for rent, rented once already.
    replay = LiveStream.objects.get(recording=True)
    assert replay.recording_url == demo.RECORDING_URL
    assert replay_is_rentable(replay)
    assert ReplayRental.objects.filter(live_stream=replay).count() == 1

    # demo_ayse keeps the credits users.demo gave her, to try all of it herself.
    assert ayse.credit_balance == Decimal("250")
    assert (
        not CreditTransaction.objects.filter(user=ayse)
        .exclude(type=TransactionType.ADJUSTMENT)
        .exists()
    )
    # Whoever pays got "Demo credits" once, and nobody is charged a fee the demo cannot see.
    adjustments = CreditTransaction.objects.filter(type=TransactionType.ADJUSTMENT)
    assert set(adjustments.values_list("user__username", flat=True)) == {
        "demo_ayse",
        *demo.DEMO_SPENDERS,
    }
    assert all(row.reason == demo.DEMO_CREDITS_REASON for row in adjustments)
    assert ledger_audit() == []


def test_re_running_the_demo_adds_nothing_and_changes_no_balance():
    call_command("seed_demo", "--force", stdout=io.StringIO())
    before = everything()
    out = io.StringIO()

    call_command("seed_demo", "--force", stdout=out)

    assert everything() == before
    assert f"Live streams: 0 made, {len(demo.DEMO_STREAMS)} already there." in out.getvalue()
    assert ledger_audit() == []


def test_a_minute_price_a_crowd_guest_set_is_kept():
    guest = User.objects.create(
        username="demo_can", name="Can", minute_price_in_live_stream=Decimal("3")
    )

    demo.seed(io.StringIO())

    guest.refresh_from_db()
    assert guest.minute_price_in_live_stream == Decimal("3")
    crowd = LiveStream.objects.get(funding_goal__isnull=False, guests=guest)
    assert crowd.funding_goal == 3 * crowd.duration_goal
    assert ledger_audit() == []


def test_a_demo_user_already_live_keeps_their_stream(seeded):
    emre = User.objects.get(username="demo_emre")
    own = LiveStream.objects.get(creator=emre, status=LiveStreamStatus.ACTIVE)
    own.title = "Kendi yayınım"
    own.save(update_fields=["title"])
    count = LiveStream.objects.count()
    out = io.StringIO()

    demo.seed(out)

    assert LiveStream.objects.count() == count
    assert "Skipped 'Django ile canlı kodlama': demo_emre is live already." in out.getvalue()
    assert LiveStream.objects.get(creator=emre, status=LiveStreamStatus.ACTIVE) == own


def test_the_demo_uses_the_users_demo_people_when_they_exist():
    ayse = User.objects.create(username="demo_ayse", name="Ayşe", surname="Yılmaz")

    demo.seed(io.StringIO())

    assert LiveStream.objects.get(title=demo.DEMO_STREAMS[0].title).creator == ayse


# Every discovery feed of contract section 8, as each demo user sees it.
FEEDS = [
    "featured",
    "catch-streamers",
    "most-watched-creators",
    "whats-live-now",
    "for-you/live",
    "for-you/scheduled",
    "for-you/crowdfunding",
    "guest-streams",
    "my-past-streams",
    "my-upcoming-streams",
    "my-broadcasted-streams",
    "my-watched-streams",
    "my-active-stream",
]
USER_FEEDS = [
    "/api/v1/live-stream/user/{id}/past-streams",
    "/api/v1/live-stream/user/{id}/upcoming-live-streams",
    "/api/v1/live-stream/user/{id}/active-stream",
    "/api/v2/live-stream/user/{id}/upcoming-live-streams",
]


def _items(data) -> list:
    if isinstance(data, dict) and "list" in data:
        return data["list"]
    return data if isinstance(data, list) else [data] if data else []


def test_every_feed_shows_something_to_every_demo_user(client_for):
    call_command("seed_demo", "--force", stdout=io.StringIO())

    for user in User.objects.filter(username__startswith="demo_"):
        client = client_for(user)
        paths = [f"/api/v1/live-stream/{feed}" for feed in FEEDS]
        paths += [path.format(id=user.pk) for path in USER_FEEDS]
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (user.username, path, response.content)
            assert _items(response.json()["data"]), (user.username, path)


def test_demo_ayse_has_reminders_set_on_streams_in_her_feeds(client_for):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    ayse = User.objects.get(username="demo_ayse")

    data = assert_success(client_for(ayse).get("/api/v1/live-stream/for-you/scheduled"))

    reminded = {item["title"] for item in data["list"] if item["isReminderActive"]}
    assert reminded == {"Elektronik müzik atölyesi"}
    assert LiveStreamReminder.objects.filter(user=ayse).count() == 2


def test_the_demo_streams_read_well_through_the_api(client_for, seeded):
    viewer = User.objects.get(username="demo_emre")

    response = client_for(viewer).get("/api/v1/live-stream", {"limit": 100})

    assert response.status_code == 200
    assert len(response.json()["data"]) == len(demo.DEMO_STREAMS)
    crowd = next(item for item in response.json()["data"] if item["fundingGoal"] is not None)
    assert 0 < crowd["fundingPercentage"] < 100
