"""Every feed of contract section 8 is served by indexes on PostgreSQL: after a realistic seed
(a year of streams, a few thousand of them, most ended, a few live, stays and participants
for each) and ANALYZE, no query an endpoint runs reads `livestreams_livestream`,
`livestreams_participant` or `livestreams_participation` by a sequential scan.

The check runs each endpoint through the API, captures every query it makes and EXPLAINs
it, so a feed that grows a new query is checked too. The same check at 100,000 streams and
1,000,000 stays is `bench/` (a script, not a test).
"""

import random
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from livestreams.models import (
    LiveStream,
    LiveStreamGuest,
    LiveStreamReminder,
    LiveStreamStatus,
    LiveStreamType,
    Participant,
    ParticipantRole,
    Participation,
)
from tests.helpers import assert_success
from users.models import Follow, Interest, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

USERS = 800
ENDED = 3600
ACTIVE = 120
SCHEDULED = 400
OTHER = 200  # preparing, cancelled, expired
AUDIENCE_PER_STREAM = 5
TABLES = ("livestreams_livestream", "livestreams_participant", "livestreams_participation")
_TABLE_NAMES = "|".join(TABLES)
SEQ_SCAN = re.compile(rf"Seq Scan on ({_TABLE_NAMES})\b")
# A plan line that reads one of those tables through an index (a bitmap index scan names the
# index only: ours are live_stream_* and ls_*).
LIVESTREAM_INDEX = re.compile(
    rf"Index (Only )?Scan (Backward )?using \w+ on ({_TABLE_NAMES})\b"
    r"|Bitmap Index Scan on (live_stream_|ls_)\w+"
)


def _stream(index: int, creator: User, status: str, start, **fields) -> LiveStream:
    return LiveStream(
        title=f"Plan {index}",
        channel_name=f"plan-{index}",
        creator=creator,
        status=status,
        interest=random.choice(Interest.values),
        duration_goal=60,
        planned_start_date=start,
        planned_end_date=start + timedelta(minutes=60),
        created_at=start - timedelta(days=1),
        **fields,
    )


def seed(now) -> dict:
    """A year of a small platform. Returns the people the checks call as."""
    random.seed(9)
    users = User.objects.bulk_create(
        User(
            username=f"plan{index:04d}",
            name="Plan",
            surname=f"{index}",
            registration_completed=True,
            interests=random.sample(Interest.values, 3),
        )
        for index in range(USERS)
    )
    creators, viewers = users[:300], users[300:]
    streams, counter = [], iter(range(10**6))
    for _ in range(ENDED):
        start = now - timedelta(days=random.uniform(1, 365))
        streams.append(
            _stream(
                next(counter),
                random.choice(creators),
                LiveStreamStatus.ENDED,
                start,
                started_at=start,
                ended_at=start + timedelta(hours=1),
                deleted_at=now if random.random() < 0.02 else None,
            )
        )
    for creator in creators[:ACTIVE]:
        start = now - timedelta(minutes=random.uniform(1, 120))
        streams.append(
            _stream(next(counter), creator, LiveStreamStatus.ACTIVE, start, started_at=start)
        )
    for _ in range(SCHEDULED):
        start = now + timedelta(hours=random.uniform(1, 24 * 60))
        crowd = random.random() < 0.25
        streams.append(
            _stream(
                next(counter),
                random.choice(creators),
                LiveStreamStatus.SCHEDULED,
                start,
                live_stream_type=LiveStreamType.DUOCROWD if crowd else LiveStreamType.SOLO,
                funding_goal=Decimal("100") if crowd else None,
            )
        )
    others = [
        LiveStreamStatus.PREPARING,
        LiveStreamStatus.EXPIRED,
        LiveStreamStatus.CANCELLED_BY_HOST,
        LiveStreamStatus.CANCELLED_BY_GUEST,
    ]
    for _ in range(OTHER):
        start = now - timedelta(days=random.uniform(0, 365))
        streams.append(
            _stream(next(counter), random.choice(creators), random.choice(others), start)
        )
    LiveStream.objects.bulk_create(streams)

    went_live = [stream for stream in streams if stream.started_at]
    participants, stays, uid = [], [], iter(range(1, 10**7))
    for stream in went_live:
        joined = stream.started_at + timedelta(minutes=1)
        participants.append(
            Participant(
                live_stream=stream,
                user=stream.creator,
                role=ParticipantRole.HOST,
                uid=next(uid),
                created_at=stream.started_at,
            )
        )
        for person in random.sample(viewers, AUDIENCE_PER_STREAM):
            participants.append(
                Participant(
                    live_stream=stream,
                    user=person,
                    role=ParticipantRole.AUDIENCE,
                    uid=next(uid),
                    created_at=joined,
                )
            )
    Participant.objects.bulk_create(participants)
    for participant in participants:
        stream = participant.live_stream
        left = stream.ended_at  # open stays in live streams
        stays.append(
            Participation(
                participant=participant,
                live_stream=stream,
                role=participant.role,
                joined_at=participant.created_at,
                left_at=left,
            )
        )
    Participation.objects.bulk_create(stays)

    caller, target = viewers[0], creators[0]
    # Guests are a few hundred people with a handful of invitations each; the caller has 10.
    invitations = [
        LiveStreamGuest(live_stream=stream, user=random.choice(viewers[1:100]))
        for stream in random.sample(streams, 600)
    ]
    invitations += [LiveStreamGuest(live_stream=stream, user=caller) for stream in streams[-10:]]
    LiveStreamGuest.objects.bulk_create(invitations, ignore_conflicts=True)
    LiveStreamReminder.objects.bulk_create(
        [
            LiveStreamReminder(live_stream=stream, user=random.choice(viewers))
            for stream in streams
            if stream.status == LiveStreamStatus.SCHEDULED
        ]
        + [LiveStreamReminder(live_stream=stream, user=caller) for stream in streams[-400:-380]],
        ignore_conflicts=True,
    )
    Follow.objects.bulk_create(
        [Follow(follower=caller, followee=creator) for creator in creators[:40]]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"caller": caller, "target": target}


def endpoints(target) -> list[str]:
    base = "/api/v1/live-stream"
    return [
        f"{base}/featured",
        f"{base}/catch-streamers",
        f"{base}/most-watched-creators",
        f"{base}/whats-live-now",
        f"{base}/for-you/live",
        f"{base}/for-you/scheduled",
        f"{base}/for-you/crowdfunding",
        f"{base}/guest-streams",
        f"{base}/my-past-streams",
        f"{base}/user/{target.pk}/past-streams",
        f"{base}/my-upcoming-streams?hoursAfter=240",
        f"{base}/user/{target.pk}/upcoming-live-streams",
        f"/api/v2/live-stream/user/{target.pk}/upcoming-live-streams",
        f"{base}/my-broadcasted-streams",
        f"{base}/my-watched-streams",
        f"{base}/my-active-stream",
        f"{base}/user/{target.pk}/active-stream",
    ]


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_every_feed_query_uses_indexes_not_sequential_scans(client_for):
    people = seed(timezone.now())
    client = client_for(people["caller"])
    offenders, unindexed = {}, []

    for url in endpoints(people["target"]):
        with CaptureQueriesContext(connection) as captured:
            assert_success(client.get(url))
        plans = [
            plan_of(query["sql"])
            for query in captured.captured_queries
            if query["sql"].startswith("SELECT") and any(table in query["sql"] for table in TABLES)
        ]
        assert plans, url
        for plan in plans:
            if SEQ_SCAN.search(plan):
                offenders.setdefault(url, []).append(plan)
        if not any(LIVESTREAM_INDEX.search(plan) for plan in plans):
            unindexed.append(url)

    assert offenders == {}, "\n\n".join(
        f"{url}\n{plan}" for url, plans in offenders.items() for plan in plans
    )
    assert unindexed == []
