"""One measured call: its clocks and the fields of the event it becomes."""

from __future__ import annotations

import logging
import time
from typing import Any

from . import client as _client

log = logging.getLogger("llmscope")


class Measurement:
    """Started when the call starts; `finish()` turns it into an event, once.

    Durations use the monotonic clock; the event's timestamp is the wall-clock start.
    """

    __slots__ = ("_done", "client", "fields", "first", "start", "wall")

    def __init__(self, client: _client.LLMscope, fields: dict[str, Any]) -> None:
        self.client = client
        self.fields = fields
        self.first: float | None = None
        self._done = False
        self.wall = time.time()
        self.start = time.perf_counter()

    def first_token(self) -> None:
        if self.first is None:
            self.first = time.perf_counter()

    def finish(self, error: BaseException | None = None, end: float | None = None) -> None:
        """Record the event, ended now or at `end` (a perf_counter time); never raises."""
        if end is None:
            end = time.perf_counter()
        if self._done:
            return
        self._done = True
        try:
            event = self.fields
            latency = max(0.0, (end - self.start) * 1000.0)
            event["timestamp"] = self.wall
            event["latency_ms"] = round(latency, 3)
            if self.first is not None and self.first <= end:
                event["ttft_ms"] = round(min(latency, (self.first - self.start) * 1000.0), 3)
            if error is not None:
                event["status"] = "error"
                event["error_type"] = type(error).__name__
                status = getattr(error, "status_code", None)
                if isinstance(status, int) and 100 <= status <= 599:
                    event["http_status"] = status
            self.client.record(event)
        except Exception:  # the application must never see our mistakes
            log.debug("llmscope: could not record an event", exc_info=True)


def start(fields: dict[str, Any]) -> Measurement | None:
    """A measurement if the SDK is set up and this call is sampled, else None."""
    client = _client.get_client()
    if client is None or not client.sampled():
        return None
    return Measurement(client, fields)


def safely(function: Any, *args: Any) -> None:
    """Run a field extractor; a response of an unexpected shape costs fields, not the call."""
    try:
        function(*args)
    except Exception:
        log.debug("llmscope: could not read a response", exc_info=True)
