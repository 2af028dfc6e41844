"""Django's Redis cache, surviving Redis being down.

The cache holds nothing that must not be lost: API throttle counters and allauth's
log-in rate limits. When Redis is unreachable a read is a miss and a write is dropped
(with a warning), so pages and the API keep answering instead of failing with a 500.
Effects while Redis is down: API throttling lets requests through (fails open);
allauth cannot take its per-key lock, so log-ins answer 429 until Redis is back (fails
closed, keeping guessing impossible).
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from django_prometheus.cache import metrics as cache_metrics
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


def _surviving(name: str, fallback):
    """RedisCache's method `name`, answering `fallback(*args, **kwargs)` when Redis is down."""
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except DOWN as exc:
            log.warning("Cache %s skipped, Redis unreachable: %s", name, exc)
            return fallback(*args, **kwargs)

    return wrapper


def _get_default(key, default=None, version=None):
    return default


def _keys_not_set(data, *args, **kwargs):
    return list(data)


_MISSING = object()


def _counted_get(self, key, default=None, version=None):
    """`get`, counted as django-prometheus counts its own caches' reads (hits, misses)."""
    cache_metrics.django_cache_get_total.labels(backend="redis").inc()
    value = _surviving_get(self, key, _MISSING, version)
    if value is _MISSING:
        cache_metrics.django_cache_misses_total.labels(backend="redis").inc()
        return default
    cache_metrics.django_cache_hits_total.labels(backend="redis").inc()
    return value


_surviving_get = _surviving("get", _get_default)


class ResilientRedisCache(RedisCache):
    get = _counted_get  # Redis down: a miss, the caller's default
    get_many = _surviving("get_many", lambda *a, **k: {})
    has_key = _surviving("has_key", lambda *a, **k: False)
    add = _surviving("add", lambda *a, **k: False)  # not added: nobody gets the lock
    set = _surviving("set", lambda *a, **k: None)
    set_many = _surviving("set_many", _keys_not_set)  # every key failed
    touch = _surviving("touch", lambda *a, **k: False)
    incr = _surviving("incr", lambda *a, **k: 0)  # uncounted: rate limits let it through
    delete = _surviving("delete", lambda *a, **k: False)
    delete_many = _surviving("delete_many", lambda *a, **k: None)
