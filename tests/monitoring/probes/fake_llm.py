"""Local fake LLM servers on 127.0.0.1 that speak the real wire protocols.

One server answers OpenAI chat completions (`/v1/chat/completions`, SSE), Anthropic messages
(`/v1/messages`, SSE with named events) and Ollama chat (`/api/chat`, NDJSON), streaming and
not, so that the official client libraries talk to it exactly as they would to the real
thing. A `Behaviour` says what the next answers look like: delays before the first token and
between tokens, an error status, a malformed stream, or a hang (to provoke timeouts).
Every sleep waits on a stop event, so shutting the server down never waits for a hang.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    """How the fake answers. Delays are in seconds."""

    status: int = 200
    # Before the status line: a server that is slow to accept the request at all.
    header_delay: float = 0.0
    # After the headers (and a role-only first chunk for OpenAI), before the first content token.
    first_token_delay: float = 0.0
    token_delay: float = 0.0
    tokens: list[str] = field(default_factory=lambda: ["Hello", ",", " world", "!"])
    input_tokens: int = 12
    # Garbage in the middle of the stream (or body) instead of the protocol's JSON.
    malformed: bool = False
    # After the headers, sleep this long without sending anything: a hung generation.
    hang: float = 0.0
    # An error object in the stream after the first token (OpenAI's mid-stream failure).
    error_mid_stream: bool = False
    # Prompt tokens served from the provider's cache (part of input_tokens for OpenAI, apart
    # from them for Anthropic, as the real APIs count them); 0 leaves the field out.
    cached_tokens: int = 0


@dataclass
class Received:
    """One request the fake received, for assertions on what the client sent."""

    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]


class FakeLLMServer:
    """A threaded HTTP server; use `running_fake_llm()` to start and stop it."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.received: list[Received] = []
        self.stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def shutdown(self) -> None:
        self.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.stop.wait(seconds)


@contextmanager
def running_fake_llm(behaviour: Behaviour | None = None) -> Iterator[FakeLLMServer]:
    server = FakeLLMServer(behaviour)
    server.start()
    try:
        yield server
    finally:
        server.shutdown()


def refused_url() -> str:
    """A loopback URL on which nothing listens: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _handler_for(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_FakeHandler):
        fake = server

    return Handler


class _FakeHandler(BaseHTTPRequestHandler):
    fake: FakeLLMServer
    # HTTP/1.0: bodies end when the connection closes, so streams need no chunked framing.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.fake.received.append(Received(self.path, headers, body))
        b = self.fake.behaviour
        self.fake.sleep(b.header_delay)
        try:
            if self.path.endswith("/chat/completions"):
                self._openai(body, b)
            elif self.path.endswith("/v1/messages"):
                self._anthropic(body, b)
            elif self.path.endswith("/api/chat"):
                self._ollama(body, b)
            elif self.path.endswith("/embeddings"):
                self._openai_embeddings(body, b)
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test): nothing left to say

    # -- helpers --------------------------------------------------------------------------
    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.flush()

    def _write(self, text: str) -> None:
        self.wfile.write(text.encode())
        self.wfile.flush()

    def _wait_for_tokens(self, b: Behaviour) -> Iterator[tuple[int, str]]:
        self.fake.sleep(b.hang)
        for index, token in enumerate(b.tokens):
            self.fake.sleep(b.first_token_delay if index == 0 else b.token_delay)
            yield index, token

    def _error_status(self, b: Behaviour, payload: Any) -> bool:
        if b.status == 200:
            return False
        headers = {"Retry-After": "1"} if b.status == 429 else {}
        self._json(b.status, payload, headers)
        return True

    # -- OpenAI ---------------------------------------------------------------------------
    def _openai(self, body: dict[str, Any], b: Behaviour) -> None:
        model = body.get("model", "fake")
        if self._error_status(
            b, {"error": {"message": f"fake status {b.status}", "type": "fake", "code": None}}
        ):
            return
        usage: dict[str, Any] = {
            "prompt_tokens": b.input_tokens,
            "completion_tokens": len(b.tokens),
            "total_tokens": b.input_tokens + len(b.tokens),
        }
        if b.cached_tokens:
            usage["prompt_tokens_details"] = {"cached_tokens": b.cached_tokens}
        base = {"id": "chatcmpl-fake", "created": 0, "model": model}
        if not body.get("stream"):
            self.fake.sleep(b.hang + b.first_token_delay + b.token_delay * (len(b.tokens) - 1))
            if b.malformed:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self._write('{"choices": [ {broken')
                return
            message = {"role": "assistant", "content": "".join(b.tokens)}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            self._json(
                200, {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            )
            return
        self._start_stream("text/event-stream")

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> None:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            payload = {**base, "object": "chat.completion.chunk", "choices": [choice], **extra}
            self._write(f"data: {json.dumps(payload)}\n\n")

        # Real servers send the role before any content: TTFT must not count this chunk.
        chunk({"role": "assistant", "content": ""})
        for index, token in self._wait_for_tokens(b):
            if b.malformed and index == 1:
                self._write('data: {"choices": [ {broken\n\n')
                return
            if b.error_mid_stream and index == 1:
                error = {"error": {"message": "The server is overloaded.", "type": "server_error"}}
                self._write(f"data: {json.dumps(error)}\n\n")
                return
            chunk({"content": token})
        chunk({}, "stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            payload = {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}
            self._write(f"data: {json.dumps(payload)}\n\n")
        self._write("data: [DONE]\n\n")

    def _openai_embeddings(self, body: dict[str, Any], b: Behaviour) -> None:
        if self._error_status(b, {"error": {"message": f"fake status {b.status}"}}):
            return
        inputs = body.get("input")
        texts = inputs if isinstance(inputs, list) else [inputs]
        data = [
            {"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]}
            for i in range(len(texts))
        ]
        usage = {"prompt_tokens": b.input_tokens, "total_tokens": b.input_tokens}
        self._json(
            200,
            {"object": "list", "data": data, "model": body.get("model", "fake"), "usage": usage},
        )

    # -- Anthropic ------------------------------------------------------------------------
    def _anthropic(self, body: dict[str, Any], b: Behaviour) -> None:
        model = body.get("model", "fake")
        kind = {429: "rate_limit_error", 401: "authentication_error"}.get(b.status, "api_error")
        if self._error_status(
            b, {"type": "error", "error": {"type": kind, "message": f"fake status {b.status}"}}
        ):
            return
        message = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "stop_reason": None,
            "stop_sequence": None,
        }
        if not body.get("stream"):
            self.fake.sleep(b.hang + b.first_token_delay + b.token_delay * (len(b.tokens) - 1))
            content = [{"type": "text", "text": "".join(b.tokens)}]
            usage = {"input_tokens": b.input_tokens, "output_tokens": len(b.tokens)}
            if b.cached_tokens:
                usage["cache_read_input_tokens"] = b.cached_tokens
            self._json(
                200, {**message, "content": content, "stop_reason": "end_turn", "usage": usage}
            )
            return
        self._start_stream("text/event-stream")

        def event(name: str, payload: dict[str, Any]) -> None:
            self._write(f"event: {name}\ndata: {json.dumps({'type': name, **payload})}\n\n")

        start_usage = {"input_tokens": b.input_tokens, "output_tokens": 1}
        if b.cached_tokens:
            start_usage["cache_read_input_tokens"] = b.cached_tokens
        event("message_start", {"message": {**message, "content": [], "usage": start_usage}})
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
        event("ping", {})
        for index, token in self._wait_for_tokens(b):
            if b.malformed and index == 1:
                self._write("event: content_block_delta\ndata: {broken\n\n")
                return
            event(
                "content_block_delta",
                {"index": 0, "delta": {"type": "text_delta", "text": token}},
            )
        event("content_block_stop", {"index": 0})
        event(
            "message_delta",
            {
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(b.tokens)},
            },
        )
        event("message_stop", {})

    # -- Ollama ---------------------------------------------------------------------------
    def _ollama(self, body: dict[str, Any], b: Behaviour) -> None:
        model = body.get("model", "fake")
        if self._error_status(b, {"error": f"fake status {b.status}"}):
            return
        final = {
            "model": model,
            "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "total_duration": 1_234_000_000,
            "load_duration": 456_000_000,
            "prompt_eval_count": b.input_tokens,
            "prompt_eval_duration": 78_000_000,
            "eval_count": len(b.tokens),
            "eval_duration": 600_000_000,
        }
        if body.get("stream") is False:
            self.fake.sleep(b.hang + b.first_token_delay + b.token_delay * (len(b.tokens) - 1))
            text = "".join(b.tokens)
            self._json(200, {**final, "message": {"role": "assistant", "content": text}})
            return
        self._start_stream("application/x-ndjson")
        for index, token in self._wait_for_tokens(b):
            if b.malformed and index == 1:
                self._write("{broken\n")
                return
            line = {
                "model": model,
                "created_at": "2026-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": token},
                "done": False,
            }
            self._write(json.dumps(line) + "\n")
        self._write(json.dumps(final) + "\n")
