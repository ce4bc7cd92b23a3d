"""Live-stream benchmark: list, detail and join-as-audience beside a trivial endpoint.

Not a test. It (1) recreates a PostgreSQL database (`yayin_bench` by default), migrates it and
seeds 10,000 streams with creators, guests and audiences, (2) serves the app with gunicorn
(2 sync workers) on loopback, with production settings, (3) drives each endpoint with wrk
and (4) prints requests per second and p50/p99 latency per endpoint.

    .venv/bin/python bench/run.py [--duration 20] [--connections 8] [--streams 10000]

With `--servers wsgi,asgi,asgi-threads` it does (2) and (3) for each way of serving the app
in turn (bench/load.py, SERVERS), the same worker count each, and prints the ratios to the
first: the ASGI and WSGI figures of bench/README.md.

Needs PostgreSQL and Redis on localhost and `wrk` (Debian: `apt-get install wrk`).
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from load import (  # bench/load.py, beside this script
    SERVERS,
    cpu_seconds,
    run_wrk,
    start_gunicorn,
    use_production_settings,
)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--database", default="yayin_bench")
parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
parser.add_argument("--port", type=int, default=0, help="default: a free port")
parser.add_argument("--streams", type=int, default=10_000)
parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint")
parser.add_argument("--connections", type=int, default=8)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--workers", type=int, default=2)
parser.add_argument(
    "--servers",
    default="wsgi",
    help="comma list of " + ", ".join(SERVERS) + " (default wsgi); the first is the reference",
)
parser.add_argument(
    "--endpoints", default="health,list,detail,join", help="comma list (default: all four)"
)
parser.add_argument(
    "--rounds", type=int, default=1, help="repeat the servers in turn this many times"
)
parser.add_argument(
    "--request-threads", type=int, default=4, help="the threads per worker of asgi-threads"
)
args = parser.parse_args()
REQUESTED_PORT = args.port  # args.port becomes the port of the server being measured
args.servers = args.servers.split(",")
args.endpoints = args.endpoints.split(",")
if unknown := set(args.servers) - set(SERVERS):
    parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")

use_production_settings(
    database_url=f"{args.postgres}/{args.database}",
    redis_url=args.redis,
    AGORA_APP_ID="970CA35de60c44645bbae8a215061b33",
    AGORA_APP_CERTIFICATE="5CFd2fd1755d40ecb72977518be15d3b",
)


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{args.database}"')
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        # As a deploy would: production settings serve hashed static files from a manifest.
        subprocess.run([PYTHON, "manage.py", *command, "-v0"], cwd=ROOT, check=True, env=os.environ)


def seed() -> dict:
    """10,000 streams in every status; the active ones with a host and an audience."""
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from livestreams import agora
    from livestreams.models import (
        AccessType,
        LiveStream,
        LiveStreamGuest,
        LiveStreamStatus,
        LiveStreamType,
        Participant,
        ParticipantRole,
        Participation,
    )
    from livestreams.services import channel_name_for
    from users.models import User
    from users.sessions import tokens_for_user

    random.seed(7)
    now = timezone.now()
    creators = [
        User(username=f"bench_creator_{i:04d}", name="Bench", surname=f"Creator {i}")
        for i in range(1000)
    ]
    viewers = [
        User(username=f"bench_viewer_{i:04d}", name="Bench", surname=f"Viewer {i}")
        for i in range(300)
    ]
    with transaction.atomic():
        User.objects.bulk_create(creators + viewers, batch_size=1000)
        streams, guests, participants, stays = [], [], [], []
        statuses = [
            LiveStreamStatus.SCHEDULED,
            LiveStreamStatus.PREPARING,
            LiveStreamStatus.ENDED,
            LiveStreamStatus.EXPIRED,
            LiveStreamStatus.CANCELLED_BY_HOST,
            LiveStreamStatus.CANCELLED_BY_GUEST,
        ]
        for index in range(args.streams):
            creator = creators[index % len(creators)]
            # The first stream of each of 600 creators is live (one live stream per creator).
            active = index < 600
            status = LiveStreamStatus.ACTIVE if active else random.choice(statuses)
            kind = random.choice(list(LiveStreamType.values))
            paid = not active and random.random() < 0.3
            start = now - timedelta(minutes=random.randint(-5000, 5000))
            if active:
                # Live within its planned hour: a join applies housekeeping, which would end a
                # stream long past its planned end (a 409, not the join being measured).
                start = now - timedelta(minutes=random.randint(1, 20))
            stream = LiveStream(
                title=f"Bench yayını {index} — müzik ve sohbet",
                live_stream_type=kind,
                channel_name=channel_name_for(f"bench {index}"),
                creator=creator,
                status=status,
                access_type=AccessType.PAID if paid else AccessType.FREE,
                price=Decimal("9.99") if paid else None,
                interest=random.choice(["music", "sports", "gaming", "food"]),
                duration_goal=60,
                motivation="Benchmark",
                thumbnail="live-streams/bench/thumbnail.webp" if index % 2 else "",
                planned_start_date=start,
                planned_end_date=start + timedelta(minutes=60),
                started_at=start if active else None,
                created_at=now - timedelta(seconds=index),
            )
            streams.append(stream)
            if kind != LiveStreamType.SOLO:
                guest = creators[(index + 1) % len(creators)]
                guests.append(LiveStreamGuest(live_stream=stream, user=guest))
            if active:
                host = Participant(
                    live_stream=stream,
                    user=creator,
                    role=ParticipantRole.HOST,
                    uid=agora.candidate_uid(live_stream_id=stream.pk, user_id=creator.pk),
                )
                participants.append(host)
                stays.append(
                    Participation(
                        participant=host, live_stream=stream, role=host.role, joined_at=start
                    )
                )
                for viewer in random.sample(viewers[150:], 5):
                    seat = Participant(
                        live_stream=stream,
                        user=viewer,
                        role=ParticipantRole.AUDIENCE,
                        uid=agora.candidate_uid(live_stream_id=stream.pk, user_id=viewer.pk),
                    )
                    participants.append(seat)
                    stays.append(
                        Participation(
                            participant=seat, live_stream=stream, role=seat.role, joined_at=start
                        )
                    )
        LiveStream.objects.bulk_create(streams, batch_size=1000)
        LiveStreamGuest.objects.bulk_create(guests, batch_size=1000)
        Participant.objects.bulk_create(participants, batch_size=1000)
        Participation.objects.bulk_create(stays, batch_size=1000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    live_ids = [stream.pk for stream in streams[:600]]
    # Joiners are viewers 0-149, who sit in no stream yet: their first join opens a stay,
    # later ones find it open (the idempotent path a reconnecting app takes).
    return {
        "tokens": [tokens_for_user(user=user)["access_token"] for user in viewers[:150]],
        "live_ids": live_ids,
        "counts": {
            "streams": LiveStream.objects.count(),
            "guests": LiveStreamGuest.objects.count(),
            "participations": Participation.objects.count(),
            "users": User.objects.count(),
        },
    }


LUA_COMMON = """
local tokens = {%(tokens)s}
local ids = {%(ids)s}
local counter = 0
math.randomseed(os.time())
local function pick(list) return list[math.random(#list)] end
"""
LUA = {
    "health": None,
    "list": LUA_COMMON
    + """
request = function()
  return wrk.format("GET", "/api/v1/live-stream?limit=20",
    {["Authorization"] = "Bearer " .. pick(tokens)})
end
""",
    "detail": LUA_COMMON
    + """
request = function()
  return wrk.format("GET", "/api/v1/live-stream/" .. pick(ids),
    {["Authorization"] = "Bearer " .. pick(tokens)})
end
""",
    "join": LUA_COMMON
    + """
request = function()
  return wrk.format("POST", "/api/v1/live-stream/join",
    {["Authorization"] = "Bearer " .. pick(tokens), ["Content-Type"] = "application/json"},
    '{"liveStreamId": "' .. pick(ids) .. '", "role": "audience", "deviceType": "bench"}')
end
""",
}
PATHS = {"health": "/health/", "list": "/", "detail": "/", "join": "/"}


def wrk(name: str, path: str, script: str | None, workdir: Path) -> dict:
    return run_wrk(
        name=name,
        url=f"http://127.0.0.1:{args.port}{path}",
        script=script,
        workdir=workdir,
        threads=args.threads,
        connections=args.connections,
        duration=args.duration,
    )


LABELS = {
    "health": "GET /health/ (trivial)",
    "list": "GET /api/v1/live-stream?limit=20",
    "detail": "GET /api/v1/live-stream/{id}",
    "join": "POST /api/v1/live-stream/join (audience)",
}


def measure(server_name: str, scripts: dict[str, str | None], workdir: Path) -> dict:
    """Each endpoint on one way of serving the app; with the server's CPU per request."""
    server, args.port = start_gunicorn(
        workers=args.workers,
        port=REQUESTED_PORT,
        server=server_name,
        threads=args.request_threads,
    )
    results = {}
    try:
        for name in args.endpoints:
            print(f"wrk {server_name} {name}...", flush=True)
            before = cpu_seconds(server.pid)
            result = wrk(f"{server_name}-{name}", PATHS[name], scripts[name], workdir)
            result["cpu_ms"] = 1000 * (cpu_seconds(server.pid) - before) / result["requests"]
            results[name] = result
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return results


def main() -> None:
    print(f"Recreating {args.database} and seeding {args.streams} streams...", flush=True)
    recreate_database()
    data = seed()
    print("Seeded:", ", ".join(f"{key} {value}" for key, value in data["counts"].items()))
    quoted_tokens = ", ".join(f'"{token}"' for token in data["tokens"])
    quoted_ids = ", ".join(f'"{live_id}"' for live_id in data["live_ids"])
    scripts = {
        name: template % {"tokens": quoted_tokens, "ids": quoted_ids} if template else None
        for name, template in LUA.items()
    }
    runs = []  # (round, server, results), in the order they ran
    with tempfile.TemporaryDirectory(prefix="yayin-bench-") as workdir:
        for round_number in range(1, args.rounds + 1):
            for server_name in args.servers:
                runs.append(
                    (round_number, server_name, measure(server_name, scripts, Path(workdir)))
                )
    print()
    print(
        f"gunicorn {args.workers} workers, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s, {os.cpu_count()} CPUs, PostgreSQL + Redis on loopback"
    )
    print(
        f"{'endpoint':<44}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}"
        f"{'cpu ms/req':>12}"
    )
    for round_number, server_name, results in runs:
        print(f"{server_name} ({SERVERS[server_name][1]}), round {round_number}")
        for name, result in results.items():
            print(
                f"{LABELS[name]:<44}{result['rps']:>10.1f}{result['p50']:>10.2f}"
                f"{result['p99']:>10.2f}{result['non_2xx']:>10}{result['cpu_ms']:>12.2f}"
            )
    if len(args.servers) > 1:
        reference = args.servers[0]
        measured = {(round_number, name): results for round_number, name, results in runs}
        print()
        print(
            f"ratios to {reference} (mean of {args.rounds} round(s))      req/s       p50   cpu/req"
        )
        for server_name in args.servers[1:]:
            for name in args.endpoints:
                ratios = [
                    [
                        measured[(round_number, server_name)][name][key]
                        / measured[(round_number, reference)][name][key]
                        for key in ("rps", "p50", "cpu_ms")
                    ]
                    for round_number in range(1, args.rounds + 1)
                ]
                rps, p50, cpu = (sum(column) / args.rounds for column in zip(*ratios, strict=True))
                label = f"{server_name}: {LABELS[name]}"
                print(f"{label:<44}{rps:>10.2f}{p50:>10.2f}{cpu:>10.2f}")
    if any(result["non_2xx"] for _r, _s, results in runs for result in results.values()):
        raise SystemExit("some requests failed (non-2xx); see the table")


if __name__ == "__main__":
    main()
