"""Atomic rate counting: one counter per key and window, incremented where it is stored.

A read-then-write count lets parallel requests all read the same number and all pass (700
requests from one token in parallel went through a 600/min limit). Here each hit is one
atomic increment: on Redis `SET NX EX` then `INCR` (Django's cache `add` and `incr`), so
every request gets its own number; on the embedded database cache the two run in one
IMMEDIATE transaction, which SQLite serialises.

Windows are fixed (the minute, for a per-minute rate). With Redis down the count is 0 and
requests pass (the cache survives the outage, core.cache), as documented.
"""

import time
from contextlib import nullcontext

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import transaction


def _now() -> float:
    return time.time()  # one function, so tests can hold the clock inside a window


def hit(key: str, *, window: int, now: float | None = None) -> tuple[int, float]:
    """Count one hit on `key`; returns (hits in this window so far, seconds left in it)."""
    now = _now() if now is None else now
    start = int(now // window) * window
    return count(f"rate:{key}:{start}", ttl=window + 1), start + window - now


def count(key: str, *, ttl: int) -> int:
    """Count one more on `key`, which lives `ttl` seconds from its first count; returns the
    count so far. One atomic increment: parallel callers each get their own number (the
    tries at a two-factor set-up code use it, so twenty at once cannot all be checked)."""
    cache = caches["default"]
    # The database cache's incr is a read and a write: one transaction keeps them together.
    with transaction.atomic() if isinstance(cache, DatabaseCache) else nullcontext():
        cache.add(key, 0, timeout=ttl)
        try:
            value = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 0, timeout=ttl)
            value = cache.incr(key)
    return int(value or 0)
