"""What every probe transport shares: the call, the measurement, the stopwatch, the error kinds.

A transport measures exactly one call to an LLM endpoint. It never raises for anything the
remote side does (timeouts, HTTP errors, garbage on the wire): those become a
`ProbeMeasurement` with `status="error"` and a classified `error_type`, because a failing
endpoint is precisely what a probe exists to record.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

STATUS_OK = "ok"
STATUS_ERROR = "error"


class ErrorType:
    """The classified error kinds a probe result can carry (stored in `Event.error_type`)."""

    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    AUTH_ERROR = "auth_error"
    CONNECTION_ERROR = "connection_error"
    BAD_RESPONSE = "bad_response"


def error_type_for_status(http_status: int) -> str:
    """Map an HTTP error status to the error kind; any other 4xx is the provider refusing our
    request as malformed (unknown model, bad parameter), which we count as a bad response."""
    if http_status == 429:
        return ErrorType.RATE_LIMITED
    if http_status in (401, 403):
        return ErrorType.AUTH_ERROR
    if http_status in (408, 504):
        return ErrorType.TIMEOUT
    if http_status >= 500:
        return ErrorType.SERVER_ERROR
    return ErrorType.BAD_RESPONSE


@dataclass(frozen=True)
class ProbeCall:
    """One call to make: everything a transport needs, with the credential already decrypted."""

    base_url: str
    model: str
    prompt: str
    api_key: str = ""
    max_tokens: int = 64
    temperature: float = 0.0
    timeout_s: float = 30.0
    stream: bool = True


@dataclass
class ProbeMeasurement:
    """What one call measured. Durations in milliseconds, from the moment the request is sent."""

    status: str
    latency_ms: float
    ttft_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    output_tokens_per_s: float | None = None
    http_status: int | None = None
    error_type: str = ""
    error_message: str = ""
    completion: str = ""
    # Provider-specific counters (Ollama's server-side timings); string → string like Event.tags.
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK


class ProbeError(Exception):
    """Raised inside a transport for a failure it has already classified."""

    def __init__(self, error_type: str, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.http_status = http_status


class Stopwatch:
    """Times one call: request sent → first content token → last byte.

    `check_deadline()` enforces the probe's *total* timeout between chunks; client libraries
    only bound each individual read, so a server that trickles tokens forever would otherwise
    outlive the probe's timeout.
    """

    def __init__(self, timeout_s: float, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.timeout_s = timeout_s
        self.started: float | None = None
        self.first_token: float | None = None
        self.finished: float | None = None

    def start(self) -> None:
        self.started = self._clock()

    def mark_first_token(self) -> None:
        if self.first_token is None:
            self.first_token = self._clock()

    def finish(self) -> None:
        if self.finished is None:
            self.finished = self._clock()

    def check_deadline(self) -> None:
        if self.started is not None and self._clock() - self.started > self.timeout_s:
            raise ProbeError(ErrorType.TIMEOUT, f"no complete answer within {self.timeout_s:g} s")

    def elapsed_ms(self) -> float:
        if self.started is None:
            return 0.0
        end = self.finished if self.finished is not None else self._clock()
        return (end - self.started) * 1000.0

    def ttft_ms(self) -> float | None:
        if self.started is None or self.first_token is None:
            return None
        return (self.first_token - self.started) * 1000.0


@dataclass
class CallOutcome:
    """What a transport's `_perform` reports besides the timings held by the stopwatch."""

    http_status: int | None = 200
    input_tokens: int | None = None
    output_tokens: int | None = None
    completion: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def output_tokens_per_s(
    output_tokens: int | None, latency_ms: float, ttft_ms: float | None
) -> float | None:
    """Decode throughput: output_tokens / (latency - ttft). Undefined without a TTFT (no
    streaming) or when the generation window is empty."""
    if not output_tokens or ttft_ms is None:
        return None
    window_s = (latency_ms - ttft_ms) / 1000.0
    if window_s <= 0:
        return None
    return output_tokens / window_s


class Transport(ABC):
    """One provider's protocol. Subclasses implement `_perform` and `_classify`."""

    kind: ClassVar[str]
    label: ClassVar[str]
    default_base_url: ClassVar[str] = ""
    needs_credential: ClassVar[bool] = False

    def measure(
        self, call: ProbeCall, clock: Callable[[], float] = time.perf_counter
    ) -> ProbeMeasurement:
        """Make the call and measure it on `clock` (seconds); never raises for a remote
        failure."""
        watch = Stopwatch(call.timeout_s, clock=clock)
        try:
            outcome = self._perform(call, watch)
            watch.finish()
        except Exception as exc:  # a remote failure is a result, never a crash
            watch.finish()
            if isinstance(exc, ProbeError):
                error_type, message, http_status = exc.error_type, str(exc), exc.http_status
            else:
                error_type, message, http_status = self._classify(exc)
            return ProbeMeasurement(
                status=STATUS_ERROR,
                latency_ms=watch.elapsed_ms(),
                ttft_ms=watch.ttft_ms(),
                http_status=http_status,
                error_type=error_type,
                error_message=message[:500],
            )
        latency_ms = watch.elapsed_ms()
        ttft_ms = watch.ttft_ms() if call.stream else None
        return ProbeMeasurement(
            status=STATUS_OK,
            latency_ms=latency_ms,
            ttft_ms=ttft_ms,
            input_tokens=outcome.input_tokens,
            output_tokens=outcome.output_tokens,
            output_tokens_per_s=output_tokens_per_s(outcome.output_tokens, latency_ms, ttft_ms),
            http_status=outcome.http_status,
            completion=outcome.completion,
            tags=outcome.tags,
        )

    @abstractmethod
    def _perform(self, call: ProbeCall, watch: Stopwatch) -> CallOutcome:
        """Send the request (calling `watch.start()` right before), read the whole answer
        (calling `watch.mark_first_token()` at the first content token), return usage."""

    @abstractmethod
    def _classify(self, exc: Exception) -> tuple[str, str, int | None]:
        """Turn a library exception into (error_type, message, http_status)."""
