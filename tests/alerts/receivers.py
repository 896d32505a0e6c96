"""Local servers on 127.0.0.1 that speak the protocols our channels call: a recording HTTP
receiver with scripted answers (Slack, Discord, Teams, PagerDuty, webhooks, Apprise JSON,
the Slack Web API) and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """An HTTP server recording every request; answers come from `script` (in order), then
    `default`. Use as a context manager; `url` is its base URL."""

    def __init__(self, script: list[Answer] | None = None, default: Answer | None = None):
        self.requests: list[Received] = []
        self.script = deque(script or [])
        self.default = default or Answer()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Received("POST", self.path, dict(self.headers.items()), body)
                    )
                    answer = receiver.script.popleft() if receiver.script else receiver.default
                if callable(answer):
                    answer = answer(receiver.requests[-1])
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def slack_api_answer(request: Received) -> Answer:
    """The Slack Web API's chat.postMessage answer."""
    return Answer(
        200,
        json.dumps({"ok": True, "channel": "C123", "ts": "1700000000.000100"}).encode(),
        {"Content-Type": "application/json; charset=utf-8"},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dead_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}/dead"


class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping the messages it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):
                server.messages.append(envelope)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
