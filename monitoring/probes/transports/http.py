"""Process-wide HTTP connection pools for the transports.

Building a client costs a TLS context (tens of milliseconds of CPU); at hundreds of probe
calls per second that would dominate the worker, so each process keeps one pool per library
and the per-call SDK objects borrow it. Pools are keyed by PID because Celery's prefork pool
forks after import, and a pool inherited across fork would share sockets between children.
Redirects are never followed: a redirect to an internal address would bypass the SSRF guard.

Every probe request says `Connection: close` (FRESH_CONNECTION): each run then measures the
same thing — connect, TLS, request, answer — instead of a mix of warm and cold connections
that would make the charted TTFT bimodal depending on what the pool happened to hold, and no
request ever picks up a pooled connection the server is closing at that instant (a
keep-alive race that shows up as spurious connection errors under load).
"""

from __future__ import annotations

import os
import threading

import httpx
import httpx2

FRESH_CONNECTION = {"Connection": "close"}

_lock = threading.Lock()
_httpx2_clients: dict[int, httpx2.Client] = {}
_httpx_clients: dict[int, httpx.Client] = {}

# Generous: a worker thread pool of a few hundred threads each holds at most one connection.
_MAX_CONNECTIONS = 1000
_MAX_KEEPALIVE = 200


def sdk_http_client() -> httpx2.Client:
    """The shared `httpx2.Client` handed to the official `openai` and `anthropic` clients."""
    pid = os.getpid()
    client = _httpx2_clients.get(pid)
    if client is None:
        with _lock:
            client = _httpx2_clients.get(pid)
            if client is None:
                client = httpx2.Client(
                    follow_redirects=False,
                    trust_env=False,
                    limits=httpx2.Limits(
                        max_connections=_MAX_CONNECTIONS,
                        max_keepalive_connections=_MAX_KEEPALIVE,
                    ),
                )
                _httpx2_clients[pid] = client
    return client


def plain_http_client() -> httpx.Client:
    """The shared `httpx.Client` for protocols without an official client (Ollama)."""
    pid = os.getpid()
    client = _httpx_clients.get(pid)
    if client is None:
        with _lock:
            client = _httpx_clients.get(pid)
            if client is None:
                client = httpx.Client(
                    follow_redirects=False,
                    trust_env=False,
                    limits=httpx.Limits(
                        max_connections=_MAX_CONNECTIONS,
                        max_keepalive_connections=_MAX_KEEPALIVE,
                    ),
                )
                _httpx_clients[pid] = client
    return client
