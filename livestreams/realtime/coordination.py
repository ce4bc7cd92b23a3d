"""What the server processes share: who is still in a stream, and whose viewerCount is due.

Two stores with the same methods: `RedisCoordination` when `REDIS_URL` is set (every process
sees the same keys), `LocalCoordination` for a single process without Redis.

Presence. A person's audience stay closes when their LAST socket on `/live-stream` leaves
that stream, so two devices (or a reconnect that arrives before the old socket's disconnect)
do not end each other's stay. Each socket in a stream is a member of the sorted set
`presence:{stream}:{user}`, named `{process}:{sid}`, scored with an expiry time that the
process renews (`refresh`) while the socket lives. A process that dies leaves members that
expire within `PRESENCE_TTL_SECONDS`, so they stop counting; the stay they held stays open
until the person's next socket leaves or the stream ends (nothing else knows it should close).

viewerCount. `events.viewer_count_changed` marks a stream in the set `viewer-count:dirty`.
Each process's ticker pops a batch (`SPOP`: no two processes take the same stream), claims
each stream (`SET sent:{stream} NX PX interval`; a stream another process claimed goes back
into the set for a later tick), counts the claimed ones in one query, sends one count per
stream and holds the claims one more interval from the sending. So a stream's count goes out
at most once per interval across all processes, and a change is never lost: it stays in the
set until some tick sends a count read after it.
A count equal to the last one sent for the stream is not sent again (`viewerCount` goes out
when the count changes): a change marked just after a tick had already counted it would
otherwise repeat that count.
"""

import time

from django.conf import settings

from livestreams.realtime import events

PRESENCE_TTL_SECONDS = 60
# How long the last count sent for a stream is remembered (a stream is rarely live longer
# without a single change; forgetting only costs one repeated count).
LAST_COUNT_TTL_SECONDS = 6 * 3600
# Renewal well inside the TTL, so a slow tick never lets a live socket expire.
PRESENCE_REFRESH_SECONDS = 20
VIEWER_COUNT_BATCH = 500


def _presence_key(live_stream_id: str, user_id: str) -> str:
    return events.redis_key(f"presence:{live_stream_id}:{user_id}")


def _sent_key(live_stream_id: str) -> str:
    return events.redis_key(f"viewer-count:sent:{live_stream_id}")


def _last_key(live_stream_id: str) -> str:
    return events.redis_key(f"viewer-count:last:{live_stream_id}")


def _now_ms() -> int:
    return int(time.time() * 1000)


class LocalCoordination:
    """One process, no Redis: plain sets (the event loop is the only writer)."""

    def __init__(self):
        self._presence: dict[tuple[str, str], set[str]] = {}
        self._last_counts: dict[str, int] = {}

    async def presence_add(self, *, live_stream_id: str, user_id: str, sid: str) -> None:
        self._presence.setdefault((live_stream_id, user_id), set()).add(sid)

    async def presence_remove(self, *, live_stream_id: str, user_id: str, sid: str) -> int:
        """Take `sid` out; the number of this person's sockets left in the stream."""
        key = (live_stream_id, user_id)
        sockets = self._presence.get(key, set())
        sockets.discard(sid)
        if not sockets:
            self._presence.pop(key, None)
        return len(sockets)

    async def presence_count(self, *, live_stream_id: str, user_id: str) -> int:
        return len(self._presence.get((live_stream_id, user_id), ()))

    async def presence_refresh(self, members) -> None:
        """Nothing expires in one process."""

    async def viewer_counts_due(self) -> list[str]:
        # One ticker in one process: one count per stream per tick is once per interval.
        return sorted(events.take_local_viewer_counts())

    async def viewer_counts_retry(self, live_stream_ids) -> None:
        """Counts taken but not sent (the database failed): due again at the next tick."""
        for live_stream_id in live_stream_ids:
            events.mark_local_viewer_count(live_stream_id)

    async def viewer_counts_sent(self, live_stream_ids) -> None:
        """The ticker sleeps a whole interval after sending: nothing to hold."""

    async def viewer_counts_changed(self, counts: dict[str, int]) -> dict[str, int]:
        """Of `counts`, those that differ from the last count sent (now remembered)."""
        changed = {
            key: count for key, count in counts.items() if self._last_counts.get(key) != count
        }
        self._last_counts.update(changed)
        return changed

    async def close(self) -> None:
        self._presence.clear()
        self._last_counts.clear()


class RedisCoordination:
    """Every process on one Redis (see the module docstring for the keys)."""

    def __init__(self, *, url: str, host_id: str):
        from redis import asyncio as aioredis

        # A bounded pool that waits for a free connection rather than failing: 500 sockets
        # disconnecting at once each release their presence, and a pool that raises
        # MaxConnectionsError there would leave their stays open.
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=64, timeout=30)
        self.redis = aioredis.Redis(connection_pool=pool)
        self.host_id = host_id

    def _member(self, sid: str) -> str:
        return f"{self.host_id}:{sid}"

    async def presence_add(self, *, live_stream_id: str, user_id: str, sid: str) -> None:
        key = _presence_key(live_stream_id, user_id)
        expires = _now_ms() + PRESENCE_TTL_SECONDS * 1000
        async with self.redis.pipeline(transaction=True) as pipeline:
            pipeline.zadd(key, {self._member(sid): expires})
            pipeline.pexpire(key, PRESENCE_TTL_SECONDS * 1000)
            await pipeline.execute()

    async def presence_remove(self, *, live_stream_id: str, user_id: str, sid: str) -> int:
        """Take `sid` out; the number of this person's live sockets left in the stream, read
        in the same MULTI so two last sockets leaving together cannot both see 1."""
        key = _presence_key(live_stream_id, user_id)
        async with self.redis.pipeline(transaction=True) as pipeline:
            pipeline.zrem(key, self._member(sid))
            pipeline.zremrangebyscore(key, "-inf", _now_ms())
            pipeline.zcard(key)
            *_changes, remaining = await pipeline.execute()
        return int(remaining)

    async def presence_count(self, *, live_stream_id: str, user_id: str) -> int:
        key = _presence_key(live_stream_id, user_id)
        async with self.redis.pipeline(transaction=True) as pipeline:
            pipeline.zremrangebyscore(key, "-inf", _now_ms())
            pipeline.zcard(key)
            _removed, count = await pipeline.execute()
        return int(count)

    async def presence_refresh(self, members) -> None:
        """Renew the expiry of this process's sockets: `members` is (stream, user, sid)."""
        members = list(members)
        if not members:
            return
        expires = _now_ms() + PRESENCE_TTL_SECONDS * 1000
        async with self.redis.pipeline(transaction=False) as pipeline:
            for live_stream_id, user_id, sid in members:
                key = _presence_key(live_stream_id, user_id)
                pipeline.zadd(key, {self._member(sid): expires})
                pipeline.pexpire(key, PRESENCE_TTL_SECONDS * 1000)
            await pipeline.execute()

    async def viewer_counts_due(self) -> list[str]:
        dirty = await self.redis.spop(events.viewer_count_dirty_key(), VIEWER_COUNT_BATCH)
        if not dirty:
            return []
        ids = sorted({value.decode() for value in dirty})
        interval = settings.SOCKETIO_VIEWER_COUNT_INTERVAL_MS
        async with self.redis.pipeline(transaction=False) as pipeline:
            for live_stream_id in ids:
                pipeline.set(_sent_key(live_stream_id), self.host_id, nx=True, px=interval)
            claimed = await pipeline.execute()
        due = [live_stream_id for live_stream_id, ok in zip(ids, claimed, strict=True) if ok]
        if later := [live_stream_id for live_stream_id in ids if live_stream_id not in due]:
            await self.redis.sadd(events.viewer_count_dirty_key(), *later)
        return due

    async def viewer_counts_retry(self, live_stream_ids) -> None:
        """Counts taken but not sent (the database failed): due again at a later tick."""
        if live_stream_ids := list(live_stream_ids):
            await self.redis.sadd(events.viewer_count_dirty_key(), *live_stream_ids)

    async def viewer_counts_sent(self, live_stream_ids) -> None:
        """Hold the claims for a whole interval from the sending, not from the claiming: a
        slow count query must not bring the next count of another process closer."""
        interval = settings.SOCKETIO_VIEWER_COUNT_INTERVAL_MS
        async with self.redis.pipeline(transaction=False) as pipeline:
            for live_stream_id in live_stream_ids:
                pipeline.set(_sent_key(live_stream_id), self.host_id, px=interval)
            await pipeline.execute()

    async def viewer_counts_changed(self, counts: dict[str, int]) -> dict[str, int]:
        """Of `counts`, those that differ from the last count sent by any process (now
        remembered). Only the process that claimed a stream writes its last count."""
        ids = list(counts)
        last = await self.redis.mget([_last_key(live_stream_id) for live_stream_id in ids])
        changed = {
            live_stream_id: counts[live_stream_id]
            for live_stream_id, sent in zip(ids, last, strict=True)
            if sent is None or int(sent) != counts[live_stream_id]
        }
        if changed:
            async with self.redis.pipeline(transaction=False) as pipeline:
                for live_stream_id, count in changed.items():
                    pipeline.set(_last_key(live_stream_id), count, ex=LAST_COUNT_TTL_SECONDS)
                await pipeline.execute()
        return changed

    async def close(self) -> None:
        await self.redis.aclose()
