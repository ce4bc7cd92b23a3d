"""Property-style: random sequences of purchases, tickets, contributions, guest fees, cancels,
deletes, ends, expiries and rentals, all through the API, keep every balance at or above 0,
the ledger audit clean, and money conserved: what people hold, plus what streams hold, plus
the platform's share, is exactly what was bought.

The sequences are drawn from fixed seeds (reproducible; a failure names its seed and step).
"""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from livestreams import services
from livestreams.models import FINAL_STATUSES, LiveStream, LiveStreamStatus
from tests.factories import UserFactory
from users.credits.models import CreditPackage, CreditTransaction, TransactionStatus
from users.credits.selectors import ledger_audit
from users.models import User
from users.sessions import tokens_for_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("agora")]

D = Decimal
START = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
SEEDS = range(12)
STEPS = 90
BASE = "/api/v1/live-stream"


def total(queryset, field: str = "amount") -> Decimal:
    return queryset.aggregate(total=Sum(field))["total"] or D("0")


def exact_audit() -> list[str]:
    """What `ledger_audit` checks, in Python with exact decimals: each balance is the sum of
    its rows, and each row's `balanceAfter` follows from the one before."""
    problems = []
    balances = dict(User.objects.values_list("pk", "credit_balance"))
    running: dict[str, Decimal] = {}
    for row in CreditTransaction.objects.order_by("user_id", "sequence"):
        running[row.user_id] = running.get(row.user_id, D("0")) + row.signed_amount
        if row.balance_after != running[row.user_id]:
            problems.append(f"row {row.pk} leaves {row.balance_after}")
    for pk, balance in balances.items():
        if balance != running.get(pk, D("0")):
            problems.append(f"user {pk}: balance {balance}, rows {running.get(pk)}")
    return problems


def assert_books_balance(where: str) -> None:
    assert exact_audit() == [], where
    if connection.vendor == "postgresql":
        # On SQLite ledger_audit compares float sums in SQL and can see 78.01 != 78.01.
        assert ledger_audit() == [], where
    assert not User.objects.filter(credit_balance__lt=0).exists(), where
    rows = CreditTransaction.objects.all()
    bought = total(rows.filter(type="purchase"))
    held = total(rows.filter(status=TransactionStatus.PENDING))
    platform = total(rows.exclude(platform_amount=None), "platform_amount")
    balances = total(User.objects.all(), "credit_balance")
    assert balances + held + platform == bought, where
    # A stream that is over, or deleted, holds nothing any more.
    settled = LiveStream.objects.filter(status__in=FINAL_STATUSES) | LiveStream.objects.deleted()
    assert not rows.filter(status=TransactionStatus.PENDING, live_stream__in=settled).exists(), (
        where
    )
    # Every refunded row was given back exactly once.
    for row in rows.filter(status=TransactionStatus.REFUNDED):
        assert CreditTransaction.objects.filter(reverses=row).count() == 1, where


class World:
    """The cast and what they can do, each action one API call (or the housekeeping run)."""

    def __init__(self, rng: random.Random, client_for, now: datetime):
        self.rng = rng
        self.now = now
        self.people = [UserFactory() for _ in range(5)]
        self.priced = [UserFactory(minute_price_in_live_stream=D("0.25")) for _ in range(2)]
        self._client_for = client_for
        self.package = CreditPackage.objects.create(
            product_id="seq.credits", name="40 credits", credits=D("40"), price=D("1"),
            currency="USD",
        )  # fmt: skip

    def client(self, user):
        # A fresh client each time: time moves on and tokens expire.
        client = self._client_for(user)
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access_token']}"
        )
        return client

    def anyone(self):
        return self.rng.choice(self.people + self.priced)

    def streams(self, *statuses):
        return list(LiveStream.objects.visible().filter(status__in=statuses).order_by("id"))

    def pick(self, *statuses, **filters):
        """A stream in one of `statuses`, most often one matching `filters` if any does."""
        streams = self.streams(*statuses)
        if filters and self.rng.random() < 0.8:
            streams = [s for s in streams if all(getattr(s, k) == v for k, v in filters.items())]
        return self.rng.choice(streams) if streams else None

    # --- the actions ---

    def purchase(self):
        self.client(self.anyone()).post(
            "/api/v1/credit-packages/purchase", {"packageId": self.package.pk}, format="json"
        )

    def create(self):
        creator = self.rng.choice(self.people)
        kind = self.rng.choice(["solo", "duocrowd", "duoself"])
        body = {
            "title": "Seq",
            "liveStreamType": kind,
            "durationGoal": self.rng.choice([10, 30, 60]),
            "plannedStartDate": (
                self.now + timedelta(minutes=self.rng.choice([1, 20]))
            ).isoformat(),
        }
        if kind != "solo":
            guests = [guest for guest in self.priced + self.people[-1:] if guest != creator]
            body["guests"] = [self.rng.choice(guests).pk]
        if self.rng.random() < 0.5:
            body["price"] = str(self.rng.choice([D("1.99"), D("5"), D("12.50")]))
        self.client(creator).post(f"{BASE}/create", body, format="json")

    def fund(self):
        stream = self.pick(
            LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING, live_stream_type="duocrowd"
        )
        if stream is not None:
            amount = self.rng.choice(["0.5", "1", "2.25", "7", "500"])
            self.client(self.anyone()).post(f"{BASE}/{stream.pk}/fund", {"amount": amount})

    def go_live(self):
        stream = self.pick(
            LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING, live_stream_type="duocrowd"
        )
        if stream is not None:
            self.client(stream.creator).post(f"{BASE}/join-as-creator", {"liveStreamId": stream.pk})

    def guest_joins(self):
        stream = self.pick(
            LiveStreamStatus.PREPARING, LiveStreamStatus.ACTIVE, live_stream_type="duocrowd"
        )
        guest = stream and stream.guests.first()
        if guest is not None:
            self.client(guest).post(f"{BASE}/join-as-guest", {"liveStreamId": stream.pk})

    def watch(self):
        stream = self.pick(LiveStreamStatus.ACTIVE, access_type="paid")
        if stream is not None:
            self.client(self.anyone()).post(f"{BASE}/join", {"liveStreamId": stream.pk})

    def cancel(self):
        stream = self.pick(LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING)
        if stream is not None:
            who = self.rng.choice([stream.creator, stream.guests.first() or stream.creator])
            self.client(who).post(f"{BASE}/{stream.pk}/cancel")

    def delete(self):
        stream = self.pick(LiveStreamStatus.SCHEDULED, LiveStreamStatus.PREPARING)
        if stream is not None:
            self.client(stream.creator).delete(f"{BASE}/{stream.pk}")

    def end(self):
        stream = self.pick(LiveStreamStatus.ACTIVE)
        if stream is not None:
            self.client(stream.creator).post(f"{BASE}/{stream.pk}/end")

    def offer_replay(self):
        stream = self.pick(LiveStreamStatus.ENDED)
        if stream is not None:
            services.live_stream_recording_attach(
                live_stream=stream, url="https://cdn.example.com/r.mp4"
            )
            self.client(stream.creator).patch(
                f"{BASE}/{stream.pk}/replay-settings",
                {"isActiveReplayOnCreatorProfile": True, "replayCreditPrice": "3.33"},
                format="json",
            )

    def rent(self):
        stream = self.pick(LiveStreamStatus.ENDED, recording=True)
        if stream is not None:
            self.client(self.anyone()).post(f"{BASE}/{stream.pk}/replay-rentals")

    def time_passes(self):
        self.now += timedelta(minutes=self.rng.choice([5, 31, 90, 60 * 49]))
        return self.now

    def housekeeping(self):
        call_command("live_stream_housekeeping", stdout=open("/dev/null", "w"))  # noqa: SIM115


ACTIONS = [
    ("purchase", 4), ("create", 3), ("fund", 5), ("go_live", 2), ("guest_joins", 2),
    ("watch", 4), ("cancel", 1), ("delete", 1), ("end", 2), ("offer_replay", 1), ("rent", 3),
    ("time_passes", 1), ("housekeeping", 1),
]  # fmt: skip


@pytest.mark.parametrize("seed", SEEDS)
def test_random_sequences_keep_the_books_balanced(client_for, seed):
    rng = random.Random(seed)
    names = [name for name, _weight in ACTIONS]
    weights = [weight for _name, weight in ACTIONS]
    traveller = time_machine.travel(START, tick=False)
    clock = traveller.start()
    try:
        world = World(rng, client_for, START)
        for step in range(STEPS):
            name = rng.choices(names, weights)[0]
            if name == "time_passes":
                clock.move_to(world.time_passes())
            else:
                getattr(world, name)()
            assert_books_balance(f"seed {seed}, step {step}: {name}")
    finally:
        traveller.stop()
    # The run did exercise the money paths.
    kinds = set(CreditTransaction.objects.values_list("type", flat=True))
    assert {"purchase"} <= kinds
