"""Accepted means durable: kill the ASGI server right after 202s, restart it, find every event.

PostgreSQL only: the server runs in a subprocess (uvicorn, as deployed) against the test
database, so the test's data must be committed (transactional test).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def start_server(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "llmscope_site.settings_test",
        "DATABASE_URL": database_url(),
        "LLMSCOPE_API_RATE_LIMIT": "100000",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "llmscope_site.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


def post(port: int, key: str, events: list[dict]) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/events",
        data=json.dumps({"events": events}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0  # the server died mid-request: not acknowledged


def list_all_ids(port: int, key: str) -> set[str]:
    ids, cursor = set(), ""
    while True:
        url = f"http://127.0.0.1:{port}/api/v1/events?limit=1000" + (
            f"&cursor={cursor}" if cursor else ""
        )
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            page = json.load(response)
        ids |= {e["id"] for e in page["results"]}
        cursor = page["next"]
        if not cursor:
            return ids


def test_every_acknowledged_event_survives_a_kill(project, make_api_key):
    key = make_api_key(project, scopes=("ingest", "read"))
    port = free_port()
    server = start_server(port)
    acknowledged: list[str] = []
    stop = threading.Event()

    def keep_sending():
        while not stop.is_set():
            batch = [
                {"id": str(uuid.uuid4()), "model": "gpt-4o", "latency_ms": 10.0 + i}
                for i in range(200)
            ]
            if post(port, key, batch) == 202:
                acknowledged.extend(e["id"] for e in batch)

    sender = threading.Thread(target=keep_sending)
    sender.start()
    try:
        while len(acknowledged) < 2000:
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)  # no graceful shutdown, mid-traffic
        server.wait(timeout=10)
    finally:
        stop.set()
        sender.join(timeout=30)
        if server.poll() is None:
            server.kill()
    restarted = start_server(port)
    try:
        stored = list_all_ids(port, key)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=10)
    assert len(acknowledged) >= 2000
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged events lost"
