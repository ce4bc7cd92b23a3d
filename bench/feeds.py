"""Feed benchmark: the discovery feeds at 100,000 streams and 1,000,000 stays, beside /health/.

Not a test. It (1) recreates a PostgreSQL database (`yayin_bench_feeds` by default) and
migrates it, (2) seeds 100,000 streams in every status from 10,000 creators, 100,000 viewers
and 1,000,000 stays (participations) with PostgreSQL's COPY, then VACUUM ANALYZE, (3) prints
the EXPLAIN (ANALYZE, BUFFERS) plan of every query each feed runs and flags a sequential scan
of streams, participants, stays or users, (4) serves the app with gunicorn (2 sync workers,
production settings) and drives each feed with wrk, and (5) prints requests per second and
p50/p99 latency of each feed next to /health/, measured in the same run.

    .venv/bin/python bench/feeds.py [--duration 20] [--connections 8] [--reuse]

Needs PostgreSQL and Redis on localhost and `wrk` (Debian: `apt-get install wrk`).
"""

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from load import (  # bench/load.py, beside this script
    RESULTS,
    run_wrk,
    start_gunicorn,
    use_production_settings,
)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--database", default="yayin_bench_feeds")
parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
parser.add_argument("--port", type=int, default=0, help="default: a free port")
parser.add_argument("--streams", type=int, default=100_000)
parser.add_argument("--stays", type=int, default=1_000_000)
parser.add_argument("--creators", type=int, default=10_000)
parser.add_argument("--viewers", type=int, default=100_000)
parser.add_argument("--live", type=int, default=1_000, help="active streams (one per creator)")
parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint")
parser.add_argument("--connections", type=int, default=8)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--workers", type=int, default=2)
parser.add_argument(
    "--reuse", action="store_true", help="keep (and migrate) the database an earlier run seeded"
)
args = parser.parse_args()
if args.live > args.creators or args.live > args.streams:
    parser.error("--live needs as many creators and streams (one live stream per creator)")

use_production_settings(database_url=f"{args.postgres}/{args.database}", redis_url=args.redis)

# The feeds measured, by the name the table prints. Each is read with the default page size.
FEEDS = {
    "for-you/live": "/api/v1/live-stream/for-you/live",
    "whats-live-now": "/api/v1/live-stream/whats-live-now",
    "featured": "/api/v1/live-stream/featured",
    "most-watched-creators": "/api/v1/live-stream/most-watched-creators",
}
CALLERS = 150  # signed-in viewers whose tokens the load rotates
INTERESTS = [
    "music", "sports", "gaming", "education", "technology", "art", "lifestyle", "travel",
    "food", "fitness", "business", "entertainment", "other",
]  # fmt: skip
# The tables whose sequential scan at this size would be a missing index.
BIG_TABLES = (
    "livestreams_livestream",
    "livestreams_participant",
    "livestreams_participation",
    "livestreams_livestreamguest",
    "livestreams_livestreamreminder",
    "users_user",
)


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{args.database}"')
    migrate()


def migrate() -> None:
    """As a deploy would: production settings serve hashed static files from a manifest."""
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run([PYTHON, "manage.py", *command, "-v0"], cwd=ROOT, check=True, env=os.environ)


# --- Seeding -----------------------------------------------------------------------------------
#
# Ids are made from the row's number (24 hex digits, as ObjectIds are), so the two passes over
# the audience below (participants, then their stays) name the same rows without keeping a
# million of them in memory.


def object_id(kind: int, number: int, sub: int = 0) -> str:
    return f"{kind:02x}{number:08x}{sub:014x}"


CREATOR, VIEWER, STREAM, GUEST, PARTICIPANT, STAY, REMINDER = range(0xA0, 0xA7)


def creator_id(index: int) -> str:
    return object_id(CREATOR, index)


def viewer_id(index: int) -> str:
    return object_id(VIEWER, index)


def copy_into(cursor, model, columns: list[str], rows) -> int:
    """COPY `rows` (tuples in the order of `columns`, attribute names) into `model`'s table;
    every other column gets its field's default. Returns the number of rows."""
    from django.db import connection

    fields = {field.attname: field for field in model._meta.concrete_fields}
    rest = [field for field in model._meta.concrete_fields if field.attname not in columns]
    constants = tuple(field.get_db_prep_save(field.get_default(), connection) for field in rest)
    names = ", ".join(
        connection.ops.quote_name(field.column) for field in [*map(fields.get, columns), *rest]
    )
    count = 0
    with cursor.cursor.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, *constants))
            count += 1
    return count


class Plan:
    """What each stream is: status, times, type, and how many people were in it. Drawn once
    from a fixed seed, with audience sizes adjusted so the stays add up to `--stays`."""

    def __init__(self, now):
        rng = random.Random(7)
        self.now = now
        self.streams = []
        statuses = (
            ["preparing"] * 5 + ["scheduled"] * 150 + ["ended"] * 700 + ["expired"] * 65
            + ["cancelled_by_host"] * 50 + ["cancelled_by_guest"] * 20
        )  # fmt: skip
        kinds = ["solo"] * 60 + ["duocrowd"] * 25 + ["duoself"] * 15
        for index in range(args.streams):
            live = index < args.live
            status = "active" if live else rng.choice(statuses)
            kind = rng.choice(kinds)
            if status == "cancelled_by_guest" and kind == "solo":
                kind = "duoself"
            if live:
                start = now - timedelta(minutes=rng.uniform(1, 180))
                audience = 1 + int(300 * rng.random() ** 3)
            elif status == "ended":
                start = now - timedelta(hours=rng.uniform(1, 120 * 24))
                audience = 1 + int(33 * rng.random() ** 2)
            elif status == "scheduled":
                soon = rng.random() < 0.05
                start = now + timedelta(hours=rng.uniform(0.2, 24 if soon else 30 * 24))
                audience = 0
            elif status == "preparing":
                start = now - timedelta(minutes=rng.uniform(0, 10))
                audience = 0
            else:
                start = now - timedelta(hours=rng.uniform(1, 120 * 24))
                audience = 0
            started = status in ("active", "ended")
            guest_joined = started and kind != "solo" and rng.random() < 0.5
            self.streams.append(
                {
                    "status": status,
                    "kind": kind,
                    "start": start,
                    "audience": audience,
                    # A tenth of the audience came back once: a second, closed stay.
                    "rejoins": audience // 10,
                    "publishers": (1 + guest_joined) if started else 0,
                    "guest_joined": guest_joined,
                    "deleted": status != "active" and rng.random() < 0.01,
                }
            )
        self._fit_stays()

    def _fit_stays(self) -> None:
        def stays(stream):
            return stream["audience"] + stream["rejoins"] + stream["publishers"]

        missing = args.stays - sum(map(stays, self.streams))
        ended = [stream for stream in self.streams if stream["status"] == "ended"]
        step = 1 if missing > 0 else -1
        while missing and ended:
            for stream in ended:
                if not missing:
                    break
                if step < 0 and stream["audience"] <= 1:
                    continue
                if step > 0 and stream["audience"] >= min(args.viewers, 2000):
                    continue
                stream["audience"] += step
                missing -= step

    def creator_of(self, index: int) -> int:
        # The live streams have creators 0..live-1, one each; the rest any creator.
        return index if index < args.live else (index * 7919) % args.creators


def seed_rows(plan: Plan) -> dict:
    import django

    django.setup()
    from django.db import connection, transaction

    from livestreams.models import (
        LiveStream,
        LiveStreamGuest,
        LiveStreamReminder,
        Participant,
        Participation,
    )
    from users.models import User

    now = plan.now
    counts = {}
    started = time.monotonic()

    def timed(name, model, columns, rows):
        with connection.cursor() as cursor:
            counts[name] = copy_into(cursor, model, columns, rows)
        print(f"  {name}: {counts[name]:,} rows ({time.monotonic() - started:.0f} s)", flush=True)

    def users():
        rng = random.Random(11)
        for index in range(args.creators):
            yield (
                creator_id(index), "!", f"bench_creator_{index:05d}", "Bench", f"Creator {index}",
                json.dumps(rng.sample(INTERESTS, 2)), "creator", True, now, now,
            )  # fmt: skip
        for index in range(args.viewers):
            yield (
                viewer_id(index), "!", f"bench_viewer_{index:06d}", "Bench", f"Viewer {index}",
                json.dumps(rng.sample(INTERESTS, 3)), None, True, now, now,
            )  # fmt: skip

    def streams():
        rng = random.Random(13)
        for index, stream in enumerate(plan.streams):
            start, status, kind = stream["start"], stream["status"], stream["kind"]
            duration = 240 if status == "active" else rng.choice([30, 60, 90, 120])
            end = start + timedelta(minutes=duration)
            paid = status != "active" and rng.random() < 0.2
            goal = "90.00" if kind == "duocrowd" and rng.random() < 0.7 else None
            yield (
                object_id(STREAM, index), f"Bench yayını {index}", kind, f"bench-feed-{index}",
                creator_id(plan.creator_of(index)),
                "live-streams/bench/thumbnail.webp" if index % 2 else "", status,
                "paid" if paid else "free", "9.99" if paid else None, rng.choice(INTERESTS),
                duration, goal, start, end,
                start if status in ("active", "ended") else None,
                end if status == "ended" else None,
                min(start, now) - timedelta(days=rng.uniform(0, 7)), now,
                now if stream["deleted"] else None,
            )  # fmt: skip

    def guests():
        for index, stream in enumerate(plan.streams):
            if stream["kind"] != "solo":
                guest = (plan.creator_of(index) + 1 + index % 97) % args.creators
                yield object_id(GUEST, index), object_id(STREAM, index), creator_id(guest), now

    def audience(index: int, stream: dict):
        """(participant id, user id, role, [(joined, left)]) of everyone in one stream; the
        same every time it is asked (participants first, then their stays)."""
        rng = random.Random(1000 + index)
        live = stream["status"] == "active"
        start = stream["start"]
        end = None if live else start + timedelta(minutes=60)
        people = [(creator_id(plan.creator_of(index)), "host")]
        if stream["guest_joined"]:
            guest = (plan.creator_of(index) + 1 + index % 97) % args.creators
            people.append((creator_id(guest), "guest"))
        viewers = rng.sample(range(args.viewers), stream["audience"])
        people += [(viewer_id(viewer), "audience") for viewer in viewers]
        for number, (user, role) in enumerate(people):
            joined = start + timedelta(minutes=rng.uniform(0, 50))
            stays = [(joined, end)]
            if role == "audience" and number - stream["publishers"] < stream["rejoins"]:
                # Came back: an earlier stay, closed, and the current one.
                earlier = joined - timedelta(minutes=rng.uniform(5, 30))
                stays.insert(0, (earlier, earlier + timedelta(minutes=rng.uniform(1, 5))))
            yield object_id(PARTICIPANT, index, number), user, role, number + 1, stays

    def participants():
        for index, stream in enumerate(plan.streams):
            if stream["publishers"]:
                for participant, user, role, uid, _stays in audience(index, stream):
                    yield participant, object_id(STREAM, index), user, role, uid, stream["start"]

    def stays():
        for index, stream in enumerate(plan.streams):
            if stream["publishers"]:
                for participant, _user, role, uid, visits in audience(index, stream):
                    for visit, (joined, left) in enumerate(visits):
                        yield (
                            object_id(STAY, index, uid * 4 + visit), participant,
                            object_id(STREAM, index), role, joined, left, "bench",
                        )  # fmt: skip

    def reminders():
        rng = random.Random(17)
        for index, stream in enumerate(plan.streams):
            if stream["status"] == "scheduled":
                for number, viewer in enumerate(rng.sample(range(args.viewers), 7)):
                    yield (
                        object_id(REMINDER, index, number), viewer_id(viewer),
                        object_id(STREAM, index), now,
                    )  # fmt: skip

    with transaction.atomic(), connection.cursor() as cursor:
        # The rows are made consistent here; checking each foreign key row by row (or
        # queueing millions of deferred checks) would be most of the time. Needs a superuser.
        cursor.execute("SET LOCAL session_replication_role = replica")
        timed("users", User, [
            "id", "password", "username", "name", "surname", "interests", "expertise",
            "registration_completed", "created_at", "updated_at",
        ], users())  # fmt: skip
        timed("streams", LiveStream, [
            "id", "title", "live_stream_type", "channel_name", "creator_id", "thumbnail",
            "status", "access_type", "price", "interest", "duration_goal", "funding_goal",
            "planned_start_date", "planned_end_date", "started_at", "ended_at", "created_at",
            "updated_at", "deleted_at",
        ], streams())  # fmt: skip
        timed(
            "guests", LiveStreamGuest, ["id", "live_stream_id", "user_id", "created_at"], guests()
        )
        timed("participants", Participant, [
            "id", "live_stream_id", "user_id", "role", "uid", "created_at",
        ], participants())  # fmt: skip
        timed("stays", Participation, [
            "id", "participant_id", "live_stream_id", "role", "joined_at", "left_at",
            "device_type",
        ], stays())  # fmt: skip
        timed("reminders", LiveStreamReminder, [
            "id", "user_id", "live_stream_id", "created_at",
        ], reminders())  # fmt: skip
    return counts


def vacuum_analyze() -> None:
    import psycopg

    with psycopg.connect(f"{args.postgres}/{args.database}", autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def caller_tokens() -> list[str]:
    import django

    django.setup()
    from users.models import User
    from users.sessions import tokens_for_user

    callers = User.objects.filter(username__startswith="bench_viewer_").order_by("username")
    return [tokens_for_user(user=user)["access_token"] for user in callers[:CALLERS]]


# --- EXPLAIN -----------------------------------------------------------------------------------


def explain_feeds(token: str) -> list[str]:
    """Each feed's queries as one caller runs them, with their plans; returns warnings."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    warnings, report = [], []
    for name, path in FEEDS.items():
        client.get(path)  # warm the caches a real worker would have
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]}")
        report.append(f"\n=== {name} ({path}): {len(captured.captured_queries)} queries ===")
        for number, query in enumerate(captured.captured_queries, start=1):
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                report.append(f"\n--- {name} query {number}: not a SELECT\n{sql}")
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            scans = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)) & set(BIG_TABLES))
            total = re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)
            verdict = f"SEQUENTIAL SCAN of {', '.join(scans)}" if scans else "indexes only"
            report.append(f"\n--- {name} query {number}: {total} ms, {verdict}\n{sql}\n{plan}")
            if scans:
                warnings.append(f"{name} query {number}: sequential scan of {', '.join(scans)}")
    text = "\n".join(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "feeds-explain.txt").write_text(text)
    print(text)
    return warnings


# --- Load --------------------------------------------------------------------------------------


LUA = """
local tokens = {%(tokens)s}
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "%(path)s",
    {["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]})
end
"""


def wrk(name: str, path: str, script: str | None, workdir: Path) -> dict:
    return run_wrk(
        name=f"feeds-{name}",
        url=f"http://127.0.0.1:{args.port}{path}",
        script=script,
        workdir=workdir,
        threads=args.threads,
        connections=args.connections,
        duration=args.duration,
    )


def main() -> None:
    if args.reuse:
        print(f"Reusing {args.database} as an earlier run seeded it (migrating it).", flush=True)
        migrate()
        vacuum_analyze()
    else:
        print(f"Recreating {args.database}...", flush=True)
        recreate_database()
        import django

        django.setup()
        from django.utils import timezone

        seeding = time.monotonic()
        plan = Plan(timezone.now())
        print(f"Seeding {args.streams:,} streams and {args.stays:,} stays with COPY:", flush=True)
        counts = seed_rows(plan)
        vacuum_analyze()
        print(
            f"Seeded in {time.monotonic() - seeding:.0f} s (VACUUM ANALYZE included): "
            + ", ".join(f"{key} {value:,}" for key, value in counts.items())
        )
    tokens = caller_tokens()
    warnings = explain_feeds(tokens[0])
    server, args.port = start_gunicorn(workers=args.workers, port=args.port)
    results = {}
    quoted = ", ".join(f'"{token}"' for token in tokens)
    try:
        with tempfile.TemporaryDirectory(prefix="yayin-bench-") as workdir:
            targets = {"health": ("/health/", None)}
            targets.update(
                {
                    name: (path, LUA % {"tokens": quoted, "path": path})
                    for name, path in FEEDS.items()
                }
            )
            for name, (path, script) in targets.items():
                print(f"wrk {name}...", flush=True)
                results[name] = wrk(name, path, script, Path(workdir))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print()
    print(
        f"gunicorn {args.workers} sync workers, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s, {os.cpu_count()} CPUs, PostgreSQL + Redis on loopback, "
        f"{args.streams:,} streams, {args.stays:,} stays, {args.live:,} live"
    )
    print(
        f"{'endpoint':<48}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}{'timeouts':>10}"
    )
    for name, result in results.items():
        label = "GET /health/ (trivial)" if name == "health" else f"GET {FEEDS[name]}"
        print(
            f"{label:<48}{result['rps']:>10.1f}{result['p50']:>10.2f}"
            f"{result['p99']:>10.2f}{result['non_2xx']:>10}{result['timeouts']:>10}"
        )
    print("\nPlans: bench/results/feeds-explain.txt")
    for warning in warnings:
        print(f"WARNING: {warning}")
    if any(result["non_2xx"] or result["timeouts"] for result in results.values()):
        raise SystemExit("some requests failed (non-2xx or timed out); see the table")


if __name__ == "__main__":
    main()
