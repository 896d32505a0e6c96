"""A local stand-in for the Stripe API on 127.0.0.1, spoken to by the real `stripe` library.

It implements what LLMscope calls (customers, Checkout sessions, Customer Portal sessions,
subscription retrieval, Billing meter events), records every request, and can be told to fail.
Webhook events are built and signed here exactly as Stripe signs them.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0][c]=v`) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: listify(v) for k, v in node.items()}
            if node and all(k.isdigit() for k in node):
                return [node[k] for k in sorted(node, key=int)]
        return node

    return listify(root)


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Failure:
    path_prefix: str
    times: int
    # True: the request takes effect, then the answer is lost (a 500 after the work).
    after_effect: bool = False


@dataclass
class FakeStripeState:
    customers: dict[str, dict] = field(default_factory=dict)
    checkout_sessions: dict[str, dict] = field(default_factory=dict)
    portal_sessions: dict[str, dict] = field(default_factory=dict)
    subscriptions: dict[str, dict] = field(default_factory=dict)
    meter_events: dict[str, dict] = field(default_factory=dict)  # by identifier
    requests: list[Recorded] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


class FakeStripe:
    """The fake API server. `url` is its api_base; `state` what it holds and was sent."""

    def __init__(self) -> None:
        self.state = FakeStripeState()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    # --- what tests use ---------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"

    def put_subscription(
        self,
        sub_id: str,
        *,
        customer: str,
        status: str = "active",
        price: str = "price_team",
        period_end: int | None = None,
        cancel_at_period_end: bool = False,
        created: int | None = None,
        metadata: dict | None = None,
    ) -> dict:
        """Set the subscription as Stripe holds it (what a retrieve answers)."""
        now = int(time.time())
        period_end = period_end or now + 20 * 86400
        subscription = {
            "id": sub_id,
            "object": "subscription",
            "customer": customer,
            "status": status,
            "created": created or now,
            "cancel_at_period_end": cancel_at_period_end,
            "metadata": metadata or {},
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_{sub_id}",
                        "object": "subscription_item",
                        "price": {"id": price, "object": "price"},
                        "current_period_start": period_end - 30 * 86400,
                        "current_period_end": period_end,
                    }
                ],
            },
        }
        with self._lock:
            self.state.subscriptions[sub_id] = subscription
        return subscription

    def fail(self, path_prefix: str, times: int = 1, *, after_effect: bool = False) -> None:
        """Answer the next `times` requests under `path_prefix` with a 500."""
        with self._lock:
            self.state.failures.append(Failure(path_prefix, times, after_effect))

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.state.requests
            if r.path.startswith(path_prefix) and (method is None or r.method == method)
        ]

    def billed_meter_value(self, customer: str) -> int:
        """What the meter holds for `customer`: each identifier once."""
        return sum(
            int(e["payload"]["value"])
            for e in self.state.meter_events.values()
            if e["payload"]["stripe_customer_id"] == customer
        )

    # --- the API ---------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        s = self.state
        if method == "POST" and path == "/v1/customers":
            customer = {"id": self.new_id("cus"), "object": "customer", **params}
            s.customers[customer["id"]] = customer
            return 200, customer
        if method == "POST" and path == "/v1/checkout/sessions":
            if params.get("customer") not in s.customers:
                return _error(400, "No such customer")
            sid = self.new_id("cs_test")
            session = {
                "id": sid,
                "object": "checkout.session",
                "url": f"https://checkout.stripe.test/c/pay/{sid}",
                **params,
            }
            s.checkout_sessions[sid] = session
            return 200, session
        if method == "POST" and path == "/v1/billing_portal/sessions":
            if params.get("customer") not in s.customers:
                return _error(400, "No such customer")
            pid = self.new_id("bps")
            session = {
                "id": pid,
                "object": "billing_portal.session",
                "url": f"https://billing.stripe.test/p/session/{pid}",
                **params,
            }
            s.portal_sessions[pid] = session
            return 200, session
        if method == "GET" and path.startswith("/v1/subscriptions/"):
            sub = s.subscriptions.get(path.rsplit("/", 1)[1])
            if sub is None:
                return _error(404, "No such subscription", code="resource_missing")
            return 200, sub
        if method == "POST" and path == "/v1/billing/meter_events":
            identifier = params["identifier"]
            if identifier in s.meter_events:
                return _error(400, f"An event already exists with identifier {identifier}.")
            event = {"object": "billing.meter_event", "livemode": False, **params}
            s.meter_events[identifier] = event
            return 200, event
        return _error(404, f"Unrecognized request URL ({method}: {path}).")


def _error(status: int, message: str, code: str | None = None) -> tuple[int, dict]:
    error = {"type": "invalid_request_error", "message": message}
    if code:
        error["code"] = code
    return status, {"error": error}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else url.query
        params = decode_form(body)
        fake = self.fake
        with fake._lock:
            fake.state.requests.append(Recorded(method, url.path, params, dict(self.headers)))
            failure = next(
                (f for f in fake.state.failures if url.path.startswith(f.path_prefix)), None
            )
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    fake.state.failures.remove(failure)
            if failure is None or failure.after_effect:
                status, payload = fake.handle(method, url.path, params)
            if failure is not None:
                status, payload = 500, {"error": {"type": "api_error", "message": "fake outage"}}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{len(fake.state.requests)}")
        if status >= 400:
            self.send_header("Stripe-Should-Retry", "false")  # keep the client from retrying
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")


# --- webhooks ------------------------------------------------------------------------


def stripe_event(
    event_type: str, obj: dict, *, event_id: str | None = None, created: int | None = None
) -> dict:
    """An event as Stripe delivers it to a webhook endpoint."""
    return {
        "id": event_id
        or f"evt_{hashlib.sha1(json.dumps(obj).encode()).hexdigest()[:8]}"  # noqa: S324
        f"_{time.monotonic_ns()}",
        "object": "event",
        "api_version": stripe.api_version,
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": obj},
    }


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header: HMAC-SHA256 of "{t}.{payload}" with the endpoint secret."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.{payload.decode()}".encode()
    v1 = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={t},v1={v1}"
