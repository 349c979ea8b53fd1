"""A small fixed-window rate limiter on Django's cache (shared by every process when the cache is;
the default local-memory cache counts per process)."""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one request under `key`; False once more than `limit` came in the current window of
    `window` seconds (the refused ones count too, so hammering does not help)."""
    bucket = int(time.time() // window)
    cache_key = f"ratelimit:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window)
        count = 1
    return count <= limit
