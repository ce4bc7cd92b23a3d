"""Socket soak: many Socket.IO clients in one stream's chat, a steady flow of messages.

Not a test. It (1) recreates a PostgreSQL database (`yayin_bench_sockets` by default) and
migrates it, or with `--url` uses the server there and the database it runs on, (2) creates
an active stream and `--clients` users with access tokens directly in the database, (3)
serves `config.asgi` with gunicorn and `--workers` uvicorn workers on loopback, production
settings, Redis for the cache, the throttles and the socket message queue (unless `--url`),
(4) connects every client over a websocket (python-socketio's AsyncClient, one asyncio
process) to `/live-stream` and `/stream-chat` and joins the stream on both (an audience stay
each, as the apps do), (5) sends `--rate` messages a second for `--seconds` seconds with
`sendMessage` over the socket, each carrying its sequence number and send time, and (6)
prints, for every delivery of `newMessage` to every client, the latency (receive time minus
send time) at p50, p99 and max, and how many deliveries were lost.

    .venv/bin/python bench/socket_soak.py                     # 500 clients, 20/s, 60 s
    .venv/bin/python bench/socket_soak.py --clients 50 --seconds 5   # a quick try

Messages go over the socket rather than REST because that is what the apps do in a chat,
and it adds no HTTP request per message on top of the path being measured. The chat allows
one message a second per person and stream (the `chat` throttle), so the messages come from
a pool of senders taking turns: `--senders` of them (default: twice the rate), each sending
once every senders/rate seconds. Every sender is also a receiver.

Needs PostgreSQL and Redis on localhost (see `design.md`, "The machine").
"""

import argparse
import asyncio
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from load import cpu_seconds, start_gunicorn, use_production_settings

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CONNECT_AT_ONCE = 50  # connections being opened at the same time
NAMESPACES = ["/live-stream", "/stream-chat"]

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--clients", type=int, default=500)
parser.add_argument("--rate", type=float, default=20, help="messages per second")
parser.add_argument("--seconds", type=float, default=60, help="how long messages are sent")
parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the server")
parser.add_argument("--senders", type=int, default=0, help="default: twice the rate")
parser.add_argument("--drain", type=float, default=15, help="seconds to wait for late ones")
parser.add_argument("--url", help="a server already running (on the database given)")
parser.add_argument("--server", default="asgi-threads", help="bench/load.py SERVERS")
parser.add_argument("--database", default="yayin_bench_sockets")
parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
args = parser.parse_args()
args.senders = args.senders or max(1, round(2 * args.rate))
if args.senders > args.clients:
    parser.error("--senders cannot be more than --clients")
if args.senders / args.rate < 1.05:
    parser.error("each sender would send more than once a second (the chat's limit)")

use_production_settings(
    database_url=f"{args.postgres}/{args.database}",
    redis_url=args.redis,
    AGORA_APP_ID="970CA35de60c44645bbae8a215061b33",
    AGORA_APP_CERTIFICATE="5CFd2fd1755d40ecb72977518be15d3b",
    # The soak's own run: its socket events stay off any other server's channel.
    SOCKETIO_CHANNEL=f"yayin-soak-{os.getpid()}",
)


def raise_file_limit() -> int:
    """One descriptor per client here, and as many again in the server (same machine)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{args.database}"')
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True, env=os.environ
    )


def seed() -> tuple[str, list[str]]:
    """An active stream and `--clients` viewers: its id and their access tokens."""
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from livestreams.models import AccessType, LiveStream, LiveStreamStatus, LiveStreamType
    from livestreams.services import channel_name_for
    from users.models import User
    from users.sessions import tokens_for_user

    now = timezone.now()
    suffix = f"{os.getpid()}_{int(time.time())}"  # another run on the same database
    with transaction.atomic():
        creator = User.objects.create(username=f"soak_creator_{suffix}", name="Soak")
        viewers = User.objects.bulk_create(
            User(username=f"soak_{suffix}_{index:04d}", name="Soak", surname=str(index))
            for index in range(args.clients)
        )
        stream = LiveStream.objects.create(
            title="Soak",
            live_stream_type=LiveStreamType.SOLO,
            channel_name=channel_name_for(f"soak {suffix}"),
            creator=creator,
            status=LiveStreamStatus.ACTIVE,
            access_type=AccessType.FREE,
            interest="music",
            duration_goal=240,
            motivation="Soak",
            planned_start_date=now - timedelta(minutes=1),
            # Housekeeping ends a stream long past its planned end: this one outlasts the run.
            planned_end_date=now + timedelta(hours=4),
            started_at=now - timedelta(minutes=1),
        )
    return stream.pk, [tokens_for_user(user=user)["access_token"] for user in viewers]


class Client:
    """One app: a socket on both namespaces, and what it received."""

    def __init__(self, url: str, token: str):
        import socketio

        self.url, self.token = url, token
        self.socket = socketio.AsyncClient(reconnection=False)
        self.received: dict[int, float] = {}  # sequence -> latency (ms)
        self.duplicates = 0
        self.disconnected = False
        self.socket.on("newMessage", self.on_message, namespace="/stream-chat")
        self.socket.on("disconnect", self.on_disconnect, namespace="/stream-chat")

    async def on_message(self, message):
        now = time.time_ns()
        _tag, sequence, sent = message["content"].split()
        sequence = int(sequence)
        if sequence in self.received:
            self.duplicates += 1
        self.received[sequence] = (now - int(sent)) / 1e6

    async def on_disconnect(self, *reason):
        self.disconnected = True

    async def join(self, live_stream_id: str) -> None:
        await self.socket.connect(
            self.url,
            auth={"token": self.token},
            namespaces=NAMESPACES,
            transports=["websocket"],
            wait_timeout=60,
        )
        for namespace in NAMESPACES:
            ack = await self.socket.call(
                "joinStream", {"liveStreamId": live_stream_id}, namespace=namespace, timeout=60
            )
            if not ack.get("ok"):
                raise SystemExit(f"joinStream on {namespace} refused: {ack}")

    async def send(self, live_stream_id: str, sequence: int) -> dict:
        content = f"soak {sequence} {time.time_ns()}"
        return await self.socket.call(
            "sendMessage",
            {"liveStreamId": live_stream_id, "content": content},
            namespace="/stream-chat",
            timeout=60,
        )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def connect_all(url: str, live_stream_id: str, tokens: list[str]) -> list[Client]:
    clients = [Client(url, token) for token in tokens]
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def join(client):
        async with gate:
            await client.join(live_stream_id)

    await asyncio.gather(*(join(client) for client in clients))
    return clients


async def send_all(clients: list[Client], live_stream_id: str):
    """`--rate` messages a second on a fixed schedule, the senders taking turns: the
    acknowledgements by outcome, their latencies, and the sequences acknowledged ok."""
    total = int(args.rate * args.seconds)
    senders = clients[: args.senders]
    outcomes, ack_latencies, acknowledged = Counter(), [], set()
    pending = []

    async def send(sender, sequence):
        started = time.monotonic()
        try:
            ack = await sender.send(live_stream_id, sequence)
        except Exception as error:  # a timeout: counted, the run goes on
            outcomes[f"error {type(error).__name__}"] += 1
            return
        ack_latencies.append((time.monotonic() - started) * 1000)
        outcomes["ok" if ack.get("ok") else f"refused {ack.get('statusCode')}"] += 1
        if ack.get("ok"):
            acknowledged.add(sequence)

    start = time.monotonic()
    for sequence in range(total):
        delay = start + sequence / args.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sender = senders[sequence % len(senders)]
        pending.append(asyncio.create_task(send(sender, sequence)))
    await asyncio.gather(*pending)
    return outcomes, ack_latencies, acknowledged


async def soak(url: str, live_stream_id: str, tokens: list[str], server_group: int | None):
    started = time.monotonic()
    clients = await connect_all(url, live_stream_id, tokens)
    connected_in = time.monotonic() - started
    print(f"{len(clients)} clients connected and joined in {connected_in:.1f} s", flush=True)

    cpu_before = (time.process_time(), cpu_seconds(server_group) if server_group else 0.0)
    sending_started = time.monotonic()
    outcomes, ack_latencies, acknowledged = await send_all(clients, live_stream_id)
    sending_took = time.monotonic() - sending_started
    machine = subprocess.run(
        ["ps", "-eo", "pid,pcpu,pmem,rss,comm,args", "--sort=-pcpu"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()[:9]
    load = os.getloadavg()
    cpu_after = (time.process_time(), cpu_seconds(server_group) if server_group else 0.0)

    def posted() -> set[int]:
        """The messages the server posted: acknowledged ok, or delivered to anyone (an
        acknowledgement can time out after the message went out)."""
        return acknowledged | {sequence for client in clients for sequence in client.received}

    deadline = time.monotonic() + args.drain
    while time.monotonic() < deadline:
        if all(len(client.received) >= len(posted()) for client in clients):
            break
        await asyncio.sleep(0.2)
    drained_in = args.drain - max(0.0, deadline - time.monotonic())

    latencies = [value for client in clients for value in client.received.values()]
    expected = len(posted()) * len(clients)
    report(
        clients=clients,
        outcomes=outcomes,
        ack_latencies=ack_latencies,
        latencies=latencies,
        expected=expected,
        sending_took=sending_took,
        drained_in=drained_in,
        client_cpu=(cpu_after[0] - cpu_before[0]) / sending_took,
        server_cpu=(cpu_after[1] - cpu_before[1]) / sending_took,
        load=load,
        machine=machine,
        connected_in=connected_in,
    )
    await asyncio.gather(*(client.socket.disconnect() for client in clients))
    return expected - len(latencies)


def report(**figures) -> None:
    clients, latencies = figures["clients"], figures["latencies"]
    outcomes = figures["outcomes"]
    print()
    print(
        f"socket soak: {len(clients)} clients (websocket, one process), {args.senders} senders, "
        f"{args.rate:g} messages/s for {args.seconds:g} s, server {args.url or args.server} "
        f"with {args.workers} uvicorn worker(s), {os.cpu_count()} CPUs"
    )
    rows = [
        ("clients connected and joined (both namespaces)", f"{figures['connected_in']:.1f} s"),
        ("messages sent", str(sum(outcomes.values()))),
        ("  acknowledged ok", str(outcomes["ok"])),
        (
            "  refused or failed",
            ", ".join(f"{k} {v}" for k, v in outcomes.items() if k != "ok") or "0",
        ),
        ("sending took", f"{figures['sending_took']:.1f} s"),
        ("ack latency p50 / p99 / max", ms_triple(figures["ack_latencies"])),
        ("deliveries expected (posted messages x clients)", str(figures["expected"])),
        ("deliveries received", str(len(latencies))),
        ("deliveries lost", str(figures["expected"] - len(latencies))),
        ("duplicates", str(sum(client.duplicates for client in clients))),
        ("clients disconnected", str(sum(client.disconnected for client in clients))),
        ("delivery latency p50 / p99 / max", ms_triple(latencies)),
        ("delivery latency mean", f"{statistics.fmean(latencies):.1f} ms" if latencies else "-"),
        ("last delivery after sending ended", f"{figures['drained_in']:.1f} s"),
        ("CPU while sending: this client process", f"{100 * figures['client_cpu']:.0f} %"),
        ("CPU while sending: the server's processes", f"{100 * figures['server_cpu']:.0f} %"),
        ("load average (1, 5, 15 min)", " ".join(f"{value:.2f}" for value in figures["load"])),
    ]
    for label, value in rows:
        print(f"  {label:<48}{value}")
    print("  ps at the end of sending (top CPU):")
    for line in figures["machine"]:
        print(f"    {line[:150]}")
    if figures["client_cpu"] > 0.9:
        print(
            "  NOTE: this client process was busy most of the time: the latencies include "
            "its own queueing (fewer --clients, or a bigger machine, to measure the server)"
        )


def ms_triple(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{percentile(values, 0.5):.1f} / {percentile(values, 0.99):.1f} / {max(values):.1f} ms"


def main() -> None:
    limit = raise_file_limit()
    if limit < 2 * args.clients + 100:
        raise SystemExit(f"the file limit ({limit}) is too low for {args.clients} clients")
    server = None
    if args.url:
        url = args.url
    else:
        print(f"Recreating {args.database}...", flush=True)
        recreate_database()
    live_stream_id, tokens = seed()
    print(f"Stream {live_stream_id}, {len(tokens)} viewers with tokens", flush=True)
    if not args.url:
        server, port = start_gunicorn(workers=args.workers, server=args.server)
        url = f"http://127.0.0.1:{port}"
    try:
        lost = asyncio.run(soak(url, live_stream_id, tokens, server.pid if server else None))
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    if lost:
        raise SystemExit(f"{lost} deliveries lost")


if __name__ == "__main__":
    main()
