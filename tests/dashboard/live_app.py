"""The app served for browser tests: `manage.py serve` (uvicorn, as `make run` serves it) in
a subprocess on the test database.

SQLite (a file, as settings_test makes it) or PostgreSQL, whichever the tests run on. Without
REDIS_URL the process also drives the beat schedule (embedded mode); with it the server uses
channels_redis and Celery, so the caller runs a worker and the beat's chart sweep.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str | None:
    """A URL for the test database another process can open; None for in-memory SQLite."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        name = str(s["NAME"])
        if "memory" in name or not name:
            return None
        return f"sqlite:///{Path(name).resolve()}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}{password}@{host}/{s['NAME']}"


class LiveApp:
    def __init__(self, db_url: str, port: int | None = None):
        self.db_url = db_url
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveApp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "llmscope_site.settings_test",
            "DATABASE_URL": self.db_url,
            "LLMSCOPE_API_RATE_LIMIT": "100000",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        # Generous: on a loaded shared machine the server's imports alone can take 30 s.
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1)
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the ASGI server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def post_events(self, key: str, events: list[dict]) -> int:
        request = urllib.request.Request(
            f"{self.url}/api/v1/events",
            data=json.dumps({"events": events}).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
