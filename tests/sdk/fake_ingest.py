"""A stand-in for LLMscope's ingest endpoints on 127.0.0.1, for the delivery tests.

It checks each body with the server's own validation (`decode_event_batch`), records every
attempt, and can be told how to answer the next requests: a status with headers (429 with
Retry-After, 503), or "lose the answer" (the batch is taken, then the connection is cut before
any response, as when a network drops the reply). Otherwise it answers 202 like LLMscope,
counting as duplicates the ids it has already accepted.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from monitoring.ingest.schema import BatchInvalid, MalformedJSON, decode_event_batch


@dataclass
class Attempt:
    """One request received: when, what, and what it was answered."""

    at: float  # time.monotonic()
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    answered: int | None


@dataclass
class FakeIngest:
    """Scripted answers (`script`, consumed in order) and what arrived."""

    script: list[tuple[int | str, dict[str, str]]] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)
    telemetry: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Events accepted (stored), each once."""
        seen: dict[str, dict[str, Any]] = {}
        for attempt in self.attempts:
            if attempt.path.endswith("/events") and attempt.answered in (202, "lost"):
                for event in attempt.body.get("events", []):
                    seen.setdefault(event["id"], event)
        return list(seen.values())

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        with self.lock:
            planned = self.script.pop(0) if self.script else None
        body = json.loads(raw)
        attempt = Attempt(time.monotonic(), handler.path, headers, body, None)
        self.attempts.append(attempt)
        if planned is not None and planned[0] == "lost":
            attempt.answered = "lost"  # type: ignore[assignment]
            self._accept(body)
            handler.close_connection = True
            handler.connection.shutdown(2)  # socket.SHUT_RDWR: no answer at all
            return
        if planned is not None:
            status, extra = planned
            attempt.answered = int(status)
            payload = {"error": "scripted", "message": "scripted answer", "details": []}
            self._reply(handler, int(status), payload, extra)
            return
        if handler.path.endswith("/telemetry"):
            self.telemetry.append(body)
            attempt.answered = 202
            self._reply(handler, 202, {"accepted": len(body["samples"])})
            return
        try:
            decode_event_batch(raw)
        except (BatchInvalid, MalformedJSON) as exc:
            attempt.answered = 400
            details = [e.as_dict() for e in getattr(exc, "errors", [])]
            self._reply(
                handler, 400, {"error": "validation_error", "message": "", "details": details}
            )
            return
        attempt.answered = 202
        duplicates = self._accept(body)
        stored = len(body["events"]) - duplicates
        self._reply(handler, 202, {"accepted": stored, "duplicates": duplicates})

    def _accept(self, body: dict[str, Any]) -> int:
        duplicates = 0
        with self.lock:
            for event in body.get("events", []):
                if event["id"] in self.accepted_ids:
                    duplicates += 1
                else:
                    self.accepted_ids.append(event["id"])
        return duplicates

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)


@contextmanager
def running_fake_ingest() -> Iterator[FakeIngest]:
    fake = FakeIngest()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            fake.answer(self)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    fake.url = f"http://{host}:{port}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
