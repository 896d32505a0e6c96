"""What every transport shares: the outcome of one attempt, and JSON over HTTP with the
private-address guard checked again at send time (DNS answers change)."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, ClassVar

import httpx
from django.conf import settings

from monitoring.probes.ssrf import UnsafeTarget, check_target


@dataclass
class Outcome:
    """The result of one attempt. `retryable` failures are tried again with backoff (or
    after `retry_after` seconds); the others fail the delivery at once."""

    ok: bool
    status_code: int | None = None
    error: str = ""
    retryable: bool = False
    retry_after: float | None = None
    duration_ms: float | None = None


@dataclass
class SecretField:
    name: str
    label: str
    help: str = ""
    required: bool = True


class Transport:
    """One channel kind. Subclasses set `kind` and implement `notify`; `secret_fields` are
    stored encrypted, `config_fields` in the clear."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    secret_fields: ClassVar[list[SecretField]] = []
    # PagerDuty follows acknowledgements; the chat kinds only hear triggers and resolutions.
    sends_acknowledgements: ClassVar[bool] = False

    def notify(self, channel, notification: dict[str, Any], delivery) -> Outcome:
        raise NotImplementedError

    def describe(self, channel) -> str:
        """A short, safe description of the destination, for the channel list."""
        return ", ".join(f"{k} {v}" for k, v in channel.secret_hints.items())


def guard_url(url: str) -> None:
    """Raise UnsafeTarget unless this instance may call `url` (see monitoring/probes/ssrf)."""
    check_target(url, settings.LLMSCOPE_ALLOW_PRIVATE_TARGETS)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def outcome_for_status(status: int, body: str, headers: httpx.Headers | dict) -> Outcome:
    """Map an HTTP answer to an outcome: 2xx accepted; 408, 429 and 5xx worth another try;
    any other 4xx a permanent refusal (a deleted webhook does not come back)."""
    if 200 <= status < 300:
        return Outcome(ok=True, status_code=status)
    snippet = body.strip()[:500]
    error = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    retryable = status in (408, 425, 429) or status >= 500
    retry_after = retry_after_seconds(headers.get("Retry-After")) if retryable else None
    return Outcome(
        ok=False, status_code=status, error=error, retryable=retryable, retry_after=retry_after
    )


@cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every send: building one (loading the CA bundle) costs
    ~20 ms of CPU per client, which would serialize a burst of deliveries."""
    return httpx.create_ssl_context()


@dataclass
class HttpPost:
    """One JSON POST to a user-supplied URL, guarded, with a bounded timeout and no
    redirects (a public URL cannot bounce us inward)."""

    url: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None  # pre-serialized body (signed webhooks)
    guarded: bool = True

    def send(self) -> Outcome:
        started = time.monotonic()
        try:
            if self.guarded:
                guard_url(self.url)
        except UnsafeTarget as exc:
            return Outcome(ok=False, error=str(exc))
        headers = {"User-Agent": "LLMscope-Alerts/1", **self.headers}
        try:
            with httpx.Client(
                timeout=settings.LLMSCOPE_ALERT_TIMEOUT_S,
                follow_redirects=False,
                verify=tls_context(),
            ) as client:
                if self.content is not None:
                    headers.setdefault("Content-Type", "application/json")
                    response = client.post(self.url, content=self.content, headers=headers)
                else:
                    response = client.post(self.url, json=self.body, headers=headers)
        except httpx.TimeoutException:
            return _elapsed(Outcome(ok=False, error="Timed out", retryable=True), started)
        except httpx.HTTPError as exc:
            error = f"Connection failed: {exc.__class__.__name__}: {exc}"[:500]
            return _elapsed(Outcome(ok=False, error=error, retryable=True), started)
        outcome = outcome_for_status(response.status_code, response.text, response.headers)
        return _elapsed(outcome, started)


def _elapsed(outcome: Outcome, started: float) -> Outcome:
    outcome.duration_ms = (time.monotonic() - started) * 1000.0
    return outcome
