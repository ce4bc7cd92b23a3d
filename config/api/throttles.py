"""Rate limits on atomic counters in the Django cache (Redis in production).

A limit is a scope of `API_THROTTLE_RATES` (`"10/hour"`) counted in fixed windows: one cache key
per scope, identity and window, created with `cache.add` and counted with `cache.incr`, so
concurrent requests in any number of processes never lose a count (DRF's own throttles read
a list, append and write it back). Windows are aligned to the epoch: a `/day` window is a
UTC day. `RateLimit` counts events a service decides on (a wrong code, a code sent);
`WindowRateThrottle` is the same counter as a DRF throttle, counting requests.
"""

import contextlib
import hashlib
import math
import time

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from config.api.fields import client_ip

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_of(scope: str) -> tuple[int, int] | None:
    """`(limit, period in seconds)` of a scope, or None when its rate is None (unlimited).

    Read from the table DRF's throttles read too, so one setting (and one test override)
    covers both."""
    rates = SimpleRateThrottle.THROTTLE_RATES
    if scope not in rates:  # a misspelt scope must not silently mean "no limit"
        raise ImproperlyConfigured(f"API_THROTTLE_RATES has no rate for the scope {scope!r}.")
    rate = rates[scope]
    if rate is None:
        return None
    number, _slash, period = rate.partition("/")
    return int(number), PERIOD_SECONDS[period[0]]


class RateLimit:
    """Events of one scope for one identity (an address, a destination, a pair of them)."""

    def __init__(self, scope: str, identity: str):
        self.scope = scope
        rate = rate_of(scope)
        now = time.time()
        if rate is None:
            self.limit = None
            self.retry_after = 0
            return
        self.limit, period = rate
        window = int(now // period)
        window_end = (window + 1) * period
        # Identities may be email addresses: hashed, they are neither personal data in the
        # cache nor characters a cache key may not hold.
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        self.key = f"ratelimit:{scope}:{digest}:{window}"
        self.retry_after = max(math.ceil(window_end - now), 1)
        # The key outlives its window by a minute, so it never expires while it is counted.
        self._timeout = math.ceil(window_end - now) + 60

    def hit(self) -> bool:
        """Count one event; False (and nothing counted) when the limit is already reached."""
        if self.limit is None:
            return True
        cache.add(self.key, 0, self._timeout)
        try:
            count = cache.incr(self.key)
        except ValueError:  # evicted between add and incr
            cache.add(self.key, 0, self._timeout)
            count = cache.incr(self.key)
        if count > self.limit:
            self.undo()
            return False
        return True

    def undo(self) -> None:
        """Give back one counted event (it turned out not to be one, or was refused)."""
        if self.limit is None:
            return
        # A ValueError: the window's key is already gone, and with it what was to give back.
        with contextlib.suppress(ValueError):
            cache.decr(self.key)

    def reset(self) -> None:
        if self.limit is not None:
            cache.delete(self.key)


class SpacingLimit:
    """At most one event per `gap` seconds for one identity, measured between events, not in
    windows: used where "1 per second" must hold for any two events (chat messages), which
    fixed windows do not promise across a window's edge.

    Each event is stored (its time) under the key of its gap-long window, with `cache.add`,
    so two events in one window cannot both pass; an event also looks at the previous
    window's, and is refused when that one is less than `gap` seconds before it. (Two
    events sent within a few milliseconds of each other on both sides of a window's edge
    could both pass.)"""

    def __init__(self, scope: str, identity: str, *, gap: int):
        self.scope = scope
        self.gap = gap
        self.now = time.time()
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        window = int(self.now // gap)
        self.key = f"spacing:{scope}:{digest}:{window}"
        self._previous_key = f"spacing:{scope}:{digest}:{window - 1}"
        self.retry_after = gap

    def hit(self) -> bool:
        previous = cache.get(self._previous_key)
        if previous is not None and self.now - previous < self.gap:
            self.retry_after = max(math.ceil(previous + self.gap - self.now), 1)
            return False
        if cache.add(self.key, self.now, 2 * self.gap + 1):
            return True
        last = cache.get(self.key)
        if last is not None:
            self.retry_after = max(math.ceil(last + self.gap - self.now), 1)
        return False

    def undo(self) -> None:
        cache.delete(self.key)

    def reset(self) -> None:
        cache.delete_many([self.key, self._previous_key])


def spacing_or_window(scope: str, identity: str) -> "SpacingLimit | RateLimit":
    """A `SpacingLimit` when the scope's rate is one event per whole number of seconds
    (`1/second`, `1/minute`), else the windowed `RateLimit`."""
    rate = rate_of(scope)
    if rate is not None and rate[0] == 1:
        return SpacingLimit(scope, identity, gap=rate[1])
    return RateLimit(scope, identity)


def hit_all(limits: list[RateLimit]) -> RateLimit | None:
    """Count one event against every limit, or against none: returns the first limit that
    refused (after giving back what the others counted), None when all counted it."""
    counted = []
    for limit in limits:
        if not limit.hit():
            for other in counted:
                other.undo()
            return limit
        counted.append(limit)
    return None


class WindowRateThrottle(BaseThrottle):
    """A DRF throttle on a `RateLimit`: every request that reaches the view counts."""

    scope: str

    def get_identity(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view):
        identity = self.get_identity(request, view)
        if identity is None:
            return True
        self.rate_limit = RateLimit(self.scope, identity)
        return self.rate_limit.hit()

    def wait(self):
        return self.rate_limit.retry_after


class IPRateThrottle(WindowRateThrottle):
    """Per client address (`client_ip`: `DJANGO_NUM_PROXIES` decides whether
    `X-Forwarded-For` is read), whoever is signed in; subclasses set `scope`."""

    def get_identity(self, request, view) -> str | None:
        return client_ip(request) or "unknown"
