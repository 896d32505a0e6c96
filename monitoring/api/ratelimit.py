"""Per-API-key rate limiting: a token bucket in Redis (shared by all web processes), or in
process memory in the embedded mode.

The rate is the setting `LLMSCOPE_API_RATE_LIMIT` requests per second with a burst of
`LLMSCOPE_API_RATE_BURST` (both read from the environment once, in settings), unless the key
has an `ApiKeyRateLimit` row. A Redis outage lets requests through (logged): losing the
limiter must never lose events.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from monitoring.models import ApiKeyRateLimit
from tenants.models import ApiKey

log = logging.getLogger(__name__)

OVERRIDE_CACHE_SECONDS = 30.0

# Returns 0 when a token was taken, else the milliseconds until one is available.
BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


def default_limits() -> tuple[float, int]:
    """(requests per second, burst) for keys without their own limit (from settings)."""
    return float(settings.LLMSCOPE_API_RATE_LIMIT), settings.LLMSCOPE_API_RATE_BURST


class _LocalBuckets:
    def __init__(self) -> None:
        self._state: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: int, rate: float, burst: int) -> float:
        now = time.monotonic()
        with self._lock:
            tokens, at = self._state.get(key_id, (float(burst), now))
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens >= 1:
                self._state[key_id] = (tokens - 1, now)
                return 0.0
            self._state[key_id] = (tokens, now)
            return (1 - tokens) / rate

    def reset(self) -> None:
        with self._lock:
            self._state.clear()


class RateLimiter:
    """Token buckets keyed by API key id."""

    def __init__(self) -> None:
        self.local = _LocalBuckets()
        self._redis = None
        self._script = None
        self._overrides: dict[int, tuple[float, tuple[float, int] | None]] = {}
        self.prefix = settings.LLMSCOPE_CACHE_PREFIX + ":ratelimit:"

    def _redis_script(self):
        if self._script is None:
            import redis

            self._redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5)
            self._script = self._redis.register_script(BUCKET_SCRIPT)
        return self._script

    def limits_for(self, key: ApiKey) -> tuple[float, int]:
        now = time.monotonic()
        cached = self._overrides.get(key.pk)
        if cached is None or now - cached[0] > OVERRIDE_CACHE_SECONDS:
            row = ApiKeyRateLimit.objects.filter(api_key_id=key.pk).first()
            value = (row.requests_per_second, row.burst) if row else None
            cached = self._overrides[key.pk] = (now, value)
        return cached[1] or default_limits()

    def wait_seconds(self, key: ApiKey) -> float:
        """0 if the request may proceed, else seconds until the key may send again."""
        rate, burst = self.limits_for(key)
        if not settings.REDIS_URL:
            return self.local.take(key.pk, rate, burst)
        try:
            wait_ms = self._redis_script()(keys=[f"{self.prefix}{key.pk}"], args=[rate, burst])
        except Exception:  # Redis down: do not refuse (or lose) traffic over the limiter
            log.warning("rate limiter unavailable; letting the request through", exc_info=True)
            return 0.0
        return int(wait_ms) / 1000.0

    def forget_overrides(self) -> None:
        self._overrides.clear()

    def reset(self) -> None:
        """Forget every bucket and override (tests; an operator lifting a block)."""
        self.local.reset()
        self.forget_overrides()
        if settings.REDIS_URL:
            self._redis_script()
            try:
                for name in self._redis.scan_iter(match=f"{self.prefix}*"):
                    self._redis.delete(name)
            except Exception:  # Redis down: buckets there will expire by themselves
                log.warning("could not reset rate-limit buckets in Redis", exc_info=True)


limiter = RateLimiter()


class ApiKeyRateThrottle(BaseThrottle):
    """DRF throttle: 429 `rate_limited` with Retry-After when the key's bucket is empty."""

    def allow_request(self, request: Request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        self._wait = limiter.wait_seconds(key)
        return self._wait <= 0

    def wait(self) -> float:
        return max(1, math.ceil(getattr(self, "_wait", 1)))
