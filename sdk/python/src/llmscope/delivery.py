"""Delivery of records to LLMscope on a background thread.

The application thread only appends to a bounded deque (and starts the thread once), so a
call never waits on the network. The thread sends a batch every `flush_interval` seconds or
as soon as `max_batch_size` records wait, gzip-compressed, and retries on network errors, 429
(after its Retry-After) and 5xx with capped exponential backoff. Each event carries an id
assigned before its first attempt, so a retry of a batch the server did store (the answer was
lost) is recognised as a duplicate and not stored twice. When the queue is full the oldest
record is dropped and counted: memory stays bounded however long LLMscope is unreachable.
"""

from __future__ import annotations

import atexit
import contextlib
import gzip
import json
import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .config import Config

log = logging.getLogger("llmscope")

MAX_BACKOFF_S = 30.0
_SLOT = "__llmscope_records__"  # where the encoded records go in the body
MAX_RETRY_AFTER_S = 300.0
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# Every delivery of this process, for the fork and exit hooks (weak: a replaced client goes).
_deliveries: weakref.WeakSet[Delivery] = weakref.WeakSet()


class Delivery:
    """A queue of JSON records and the thread that posts them to one ingest endpoint.

    `wrap` turns a list of records into the request body (`{"events": [...]}` for events).
    Counters: `sent`, `dropped` (oldest records pushed out of a full queue, or left unsent when
    the process exited), `rejected` (records the server refused as invalid).
    """

    def __init__(
        self,
        config: Config,
        path: str,
        wrap: Callable[[list[dict[str, Any]]], dict[str, Any]],
        *,
        user_agent: str,
        prepare: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.config = config
        self.url = config.base_url + path
        self.wrap = wrap
        self.prepare = prepare
        self.user_agent = user_agent
        self._reset()
        _deliveries.add(self)

    def _reset(self) -> None:
        self._queue: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._inflight = 0
        self._thread: threading.Thread | None = None
        self._http: httpx.Client | None = None
        self._closed = False
        self._failing = False
        self.sent = 0
        self.dropped = 0
        self.rejected = 0
        self.retries = 0

    # -- the application side: never blocks, never raises ----------------------------------
    def submit(self, record: dict[str, Any]) -> None:
        """Queue one record; drops the oldest when the queue is full."""
        if self._closed:
            return
        queue = self._queue
        if len(queue) >= self.config.max_queue_size:
            with self._lock:
                while len(queue) >= self.config.max_queue_size:
                    try:
                        queue.popleft()
                    except IndexError:
                        break
                    self.dropped += 1
        queue.append(record)
        if self._thread is None:
            self._start()
        elif len(queue) >= self.config.max_batch_size:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Records queued or being sent."""
        return len(self._queue) + self._inflight

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued; True when nothing is left, False after `timeout` seconds."""
        timeout = self.config.shutdown_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        thread = self._thread
        if thread is None or not thread.is_alive():
            # Never started, or the interpreter is exiting and cannot start threads: send here.
            return self._drain(deadline)
        with self._idle:
            while self._queue or self._inflight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.set()
                self._idle.wait(min(remaining, 0.05))
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Flush, then stop the thread; later records are ignored."""
        done = self.flush(timeout)
        self._closed = True
        self._stop.set()
        self._wake.set()
        if not done:
            with self._lock:
                self.dropped += len(self._queue)
                self._queue.clear()
        http = self._http
        if http is not None and self._thread is None:
            http.close()
        return done

    # -- the delivery thread ---------------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            thread = threading.Thread(target=self._run, name="llmscope-delivery", daemon=True)
            try:
                thread.start()
            except RuntimeError:
                return  # interpreter shutting down: the exit flush sends from its own thread
            self._thread = thread

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.wait(self.config.flush_interval)
                self._wake.clear()
                self._drain(deadline=None)
        finally:
            if self._http is not None:
                self._http.close()
                self._http = None

    def _drain(self, deadline: float | None) -> bool:
        """Send batches until the queue is empty; False if `deadline` passed first."""
        while True:
            with self._lock:
                if not self._queue:
                    self._idle.notify_all()
                    return True
                size = min(len(self._queue), self.config.max_batch_size)
                batch = [self._queue.popleft() for _ in range(size)]
                self._inflight = size
            try:
                delivered = self._deliver(batch, deadline)
            except Exception:
                log.exception("llmscope: dropping %d records after an unexpected error", size)
                delivered = True
                self.rejected += size
            finally:
                with self._lock:
                    self._inflight = 0
            if not delivered:
                with self._lock:
                    self.dropped += size
                return False

    def _deliver(self, batch: list[dict[str, Any]], deadline: float | None) -> bool:
        """Post one batch until it is stored or refused; False if stopped or out of time."""
        for record in batch:
            self._ready(record)
        parts = [batch]
        attempt = 0
        while parts:
            part = parts[0]
            status, response = self._post(part)
            if status is not None and 200 <= status < 300:
                parts.pop(0)
                self.sent += len(part)
                attempt = 0
                self._recovered()
                continue
            if status == 413 and len(part) > 1:
                half = len(part) // 2
                parts[0:1] = [part[:half], part[half:]]
                continue
            if status == 400 and response is not None:
                kept = _without_invalid(part, response)
                if kept is not None and 0 < len(kept) < len(part):
                    self.rejected += len(part) - len(kept)
                    parts[0] = kept
                    continue
            if status is not None and status not in RETRY_STATUSES:
                parts.pop(0)
                self.rejected += len(part)
                log.error(
                    "llmscope: %s refused %d records with HTTP %s: %s",
                    self.url,
                    len(part),
                    status,
                    _body_text(response),
                )
                continue
            delay = _retry_after(response) or _backoff(attempt)
            attempt += 1
            self.retries += 1
            self._failed(status)
            if deadline is not None and time.monotonic() + delay > deadline:
                return False
            if self._stop.wait(delay):
                return False
        return True

    def _ready(self, record: dict[str, Any]) -> None:
        """Put the record in its wire format (and give it its id), once, before the first
        attempt: every retry then sends the same ids."""
        if isinstance(record.get("timestamp"), float):
            record["timestamp"] = rfc3339(record["timestamp"])
        if self.prepare is not None:
            self.prepare(record)

    def _post(self, part: list[dict[str, Any]]) -> tuple[int | None, httpx.Response | None]:
        body = gzip.compress(self._encode(part), compresslevel=6)
        if self._http is None:
            self._http = httpx.Client(
                timeout=self.config.timeout,
                headers={
                    "Authorization": f"Bearer {self.config.api_key}",
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                    "User-Agent": self.user_agent,
                },
            )
        try:
            response = self._http.post(self.url, content=body)
        except httpx.HTTPError as exc:
            log.debug("llmscope: %s unreachable: %s", self.url, exc)
            return None, None
        return response.status_code, response

    def _encode(self, part: list[dict[str, Any]]) -> bytes:
        # One record at a time: a single json.dumps of a thousand records would hold the GIL
        # for milliseconds, a pause the application's threads would feel; between two small
        # calls the interpreter can switch to them.
        records = ",".join(json.dumps(r, separators=(",", ":"), default=str) for r in part)
        shell = json.dumps(self.wrap([_SLOT]), separators=(",", ":"))
        return shell.replace(f'["{_SLOT}"]', f"[{records}]", 1).encode()

    def _failed(self, status: int | None) -> None:
        if not self._failing:
            self._failing = True
            what = f"HTTP {status}" if status else "unreachable"
            log.warning("llmscope: %s %s; retrying in the background", self.url, what)

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            log.info("llmscope: %s reachable again", self.url)


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")


def _backoff(attempt: int) -> float:
    """0.5 s, 1 s, 2 s, ... capped at 30 s, with jitter so that many processes spread out."""
    return min(MAX_BACKOFF_S, 0.5 * 2**attempt) * random.uniform(0.5, 1.0)


def _retry_after(response: httpx.Response | None) -> float | None:
    """The server's Retry-After in seconds (a number or an HTTP date), capped."""
    if response is None:
        return None
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _without_invalid(
    part: list[dict[str, Any]], response: httpx.Response
) -> list[dict[str, Any]] | None:
    """The records of `part` that a 400's details do not name, or None if it names none."""
    try:
        details = response.json().get("details") or []
        bad = {d["index"] for d in details if isinstance(d.get("index"), int)}
    except (ValueError, AttributeError, KeyError, TypeError):
        return None
    if not bad:
        return None
    for index in sorted(bad):
        if 0 <= index < len(part):
            log.error("llmscope: record refused: %s", [d for d in details if d["index"] == index])
    return [record for i, record in enumerate(part) if i not in bad]


def _body_text(response: httpx.Response | None) -> str:
    if response is None:
        return ""
    return response.text[:500]


def _after_fork_in_child() -> None:
    # The parent's thread does not exist here and its locks may be held: start afresh, and
    # leave the parent's queued records to the parent.
    for delivery in list(_deliveries):
        delivery._reset()


def _flush_at_exit() -> None:
    for delivery in list(_deliveries):
        # Nothing may escape into the exiting application.
        with contextlib.suppress(Exception):
            delivery.close()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_flush_at_exit)
