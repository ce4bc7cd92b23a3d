"""Django's sync code under ASGI on a fixed set of threads, as under gunicorn's thread pools.

Django's ASGI handler runs the sync code of each HTTP request (middleware, views, the ORM)
in a thread made for that request and shut down after it (asgiref's
`ThreadSensitiveContext`). Database connections belong to a thread, and the cache handler
keeps its cache objects per request context, so under uvicorn (bench/README.md, "ASGI and
WSGI"):

- every request opened a new PostgreSQL connection, and with `CONN_MAX_AGE` each stayed open
  after its thread was gone: a few hundred requests used up PostgreSQL's `max_connections`
  and `/health/` answered 503;
- every request built the cache again: a new Redis connection pool and connection each time.

`RequestThreads` wraps the ASGI application: each HTTP request runs its sync code on one of
`size` long-lived threads (the next free one; when all are busy a request waits for one), so
a connection lasts as `CONN_MAX_AGE` says, at most `size` of them per process, and the cache
objects are built once, where every request finds them. Websockets and the lifespan pass
through untouched (the Socket.IO handlers have their own pool, SOCKETIO_DB_THREADS).
"""

import asyncio
import contextvars

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.cache import caches
from django.db import connections


class RequestThreads:
    def __init__(self, app, *, size: int):
        if size < 1:
            raise ValueError("RequestThreads needs at least one thread.")
        self.app = app
        self.size = size
        self._free: asyncio.Queue | None = None
        # Built here, in the process's root context (the module is imported before the
        # server's event loop starts): every request's context is a copy of it, and finds
        # these instead of building its own.
        caches.all()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._free is None:  # made on the server's own event loop
            self._free = asyncio.Queue()
            for _ in range(self.size):
                self._free.put_nowait(ThreadSensitiveContext())
        thread = await self._free.get()
        try:
            # A ThreadSensitiveContext is the key of its thread in asgiref: the sync code of
            # every request that enters this one runs on the same thread, one request after
            # another. It is never left: leaving would shut the thread down. Django's own
            # context, inside, finds this one and adds none.
            await thread.__aenter__()
            await self.app(scope, receive, send)
        finally:
            self._free.put_nowait(thread)

    async def close_connections(self) -> None:
        """Close the database connections each thread holds (at shutdown, and in tests),
        once every thread is free."""
        if self._free is None:
            return
        threads = [await self._free.get() for _ in range(self.size)]
        try:
            for thread in threads:
                # A context of its own, where no other thread's context is entered yet.
                await asyncio.create_task(_close_in(thread), context=contextvars.Context())
        finally:
            for thread in threads:
                self._free.put_nowait(thread)


async def _close_in(thread: ThreadSensitiveContext) -> None:
    await thread.__aenter__()
    await sync_to_async(connections.close_all)()
