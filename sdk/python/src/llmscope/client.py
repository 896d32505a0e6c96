"""The process's LLMscope client: configuration, the event queue, and `init()`.

Instrumented code looks the client up at call time, so `instrument_openai()` may run before
or after `init()`, and without `init()` (no API key) every instrumented call is simply not
recorded.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from contextvars import ContextVar
from typing import Any

from .config import Config
from .delivery import Delivery

__version__ = "0.1.0"
USER_AGENT = f"llmscope-python/{__version__}"

log = logging.getLogger("llmscope")

# The API's limits on what an event may carry (longer values are cut, not refused).
MAX_TAGS = 32
MAX_TAG_KEY = 64
MAX_TAG_VALUE = 256
FIELD_LIMITS = {"model": 128, "provider": 64, "environment": 64, "error_type": 128}

# Tags of the enclosing `llmscope.span()`s, applied to every event recorded inside them.
current_tags: ContextVar[dict[str, str] | None] = ContextVar("llmscope_tags", default=None)


def prepare_event(event: dict[str, Any]) -> None:
    """Give an event its id and keep it within the API's limits (on the delivery thread)."""
    event.setdefault("id", str(uuid.uuid4()))
    for field, limit in FIELD_LIMITS.items():
        value = event.get(field)
        if isinstance(value, str) and len(value) > limit:
            event[field] = value[:limit]
    if not event.get("model"):
        event["model"] = "unknown"
    completion = event.get("completion")
    if isinstance(completion, list):  # a stream's text, gathered piece by piece
        event["completion"] = "".join(completion)
    tags = event.get("tags")
    if tags:
        clean: dict[str, str] = {}
        for key, value in tags.items():
            key = str(key)[:MAX_TAG_KEY]
            if key and len(clean) < MAX_TAGS:
                clean[key] = str(value)[:MAX_TAG_VALUE]
        event["tags"] = clean
    else:
        event.pop("tags", None)


class LLMscope:
    """Holds the configuration and the delivery queue of events."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.events = Delivery(
            config,
            "/api/v1/events",
            lambda events: {"events": events},
            user_agent=USER_AGENT,
            prepare=prepare_event,
        )

    def sampled(self) -> bool:
        rate = self.config.sample_rate
        return rate >= 1.0 or random.random() < rate

    def record(self, event: dict[str, Any]) -> None:
        """Queue one event (a dict in the API's shape; `timestamp` may be epoch seconds)."""
        if "environment" not in event:
            event["environment"] = self.config.environment
        tags = current_tags.get()
        if tags:
            event["tags"] = {**tags, **event["tags"]} if event.get("tags") else tags
        self.events.submit(event)

    def flush(self, timeout: float | None = None) -> bool:
        return self.events.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        return self.events.close(timeout)


_client: LLMscope | None = None


def get_client() -> LLMscope | None:
    """The client set up by `init()`, or None."""
    return _client


def init(
    api_key: str | None = None,
    base_url: str | None = None,
    environment: str | None = None,
    sample_rate: float | None = None,
    *,
    capture_content: bool | None = None,
    **options: Any,
) -> LLMscope | None:
    """Start sending events to LLMscope.

    Arguments default to LLMSCOPE_API_KEY, LLMSCOPE_URL, LLMSCOPE_ENVIRONMENT,
    LLMSCOPE_SAMPLE_RATE and LLMSCOPE_CAPTURE_CONTENT. Without an API key nothing is sent (a
    warning is logged) and None is returned. Invalid settings raise ValueError here, the one
    place the SDK raises: at start-up, where a typo should be seen.
    """
    global _client
    config = Config.resolve(
        api_key, base_url, environment, sample_rate, capture_content=capture_content, **options
    )
    previous, _client = _client, None
    if previous is not None:
        previous.shutdown()
    if not config.api_key:
        log.warning("llmscope: no API key (LLMSCOPE_API_KEY); LLM calls will not be recorded")
        return None
    _client = LLMscope(config)
    return _client


def flush(timeout: float | None = None) -> bool:
    """Send every queued event now; True when all were delivered within `timeout` seconds."""
    client = _client
    return client.flush(timeout) if client is not None else True


def shutdown(timeout: float | None = None) -> bool:
    """Flush and stop sending (done for you at interpreter exit)."""
    global _client
    client, _client = _client, None
    return client.shutdown(timeout) if client is not None else True


def now() -> tuple[float, float]:
    """(wall clock for the event's timestamp, monotonic clock for its durations)."""
    return time.time(), time.perf_counter()
