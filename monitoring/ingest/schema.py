"""Validation of `POST /api/v1/events` batches (API.md, "Ingest").

The hot path decodes the whole body straight into typed msgspec structs, which costs about a
microsecond per event. Only when that fails (or a cross-field rule fails) do we walk the batch a
second time, field by field, to list *every* invalid item as `{"index", "field", "message"}`,
because msgspec stops at the first error. Both paths apply the same field types, so they cannot
disagree about what is valid.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec

MAX_EVENTS_PER_BATCH = 1000
MAX_FUTURE_SKEW = timedelta(minutes=5)
# Without a project at hand (benchmarks, tests), the oldest timestamp accepted.
DEFAULT_MAX_AGE = timedelta(days=365)

# Upper bounds that keep every aggregate finite: the rollups add up latencies, their squares,
# tokens and cost (in 1e-10 USD, a 64-bit integer) per minute, so one absurd event must not be
# able to overflow a sum (a latency of 1e155 ms squares to infinity).
MAX_DURATION_MS = 86_400_000  # one day
MAX_TOKENS = 100_000_000
MAX_COST_USD = 1_000
# Output tokens over the generation time: a tiny latency must not divide to infinity.
MAX_TOKENS_PER_SECOND = 1_000_000_000

NonNegativeInt = Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)]
NonNegativeFloat = Annotated[float, msgspec.Meta(ge=0, le=MAX_DURATION_MS)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
TagKey = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
TagValue = Annotated[str, msgspec.Meta(max_length=256)]
Tags = Annotated[dict[TagKey, TagValue], msgspec.Meta(max_length=32)]
TraceId = Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{32}$")]
SpanId = Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{16}$")]
Operation = Literal["chat", "completion", "embedding", "other"]
Status = Literal["ok", "error"]


Model = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Provider = Annotated[str, msgspec.Meta(max_length=64)]
Environment = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ErrorType = Annotated[str, msgspec.Meta(max_length=128)]
HttpStatus = Annotated[int, msgspec.Meta(ge=100, le=599)]
CostUsd = Annotated[float, msgspec.Meta(ge=0, le=MAX_COST_USD)]


class EventIn(msgspec.Struct, forbid_unknown_fields=False):
    """One event as a client sends it; unknown fields are ignored for forward compatibility."""

    model: Model
    latency_ms: NonNegativeFloat
    id: uuid.UUID | None = None
    timestamp: AwareDatetime | None = None
    provider: Provider | None = None
    operation: Operation = "chat"
    environment: Environment = "production"
    ttft_ms: NonNegativeFloat | None = None
    input_tokens: NonNegativeInt | None = None
    output_tokens: NonNegativeInt | None = None
    cached_input_tokens: NonNegativeInt | None = None
    cache_creation_input_tokens: NonNegativeInt | None = None
    reasoning_tokens: NonNegativeInt | None = None
    cost_usd: CostUsd | None = None
    status: Status = "ok"
    error_type: ErrorType | None = None
    http_status: HttpStatus | None = None
    trace_id: TraceId | None = None
    span_id: SpanId | None = None
    tags: Tags | None = None
    prompt: str | None = None
    completion: str | None = None


class EventBatchIn(msgspec.Struct):
    events: Annotated[list[EventIn], msgspec.Meta(min_length=1, max_length=MAX_EVENTS_PER_BATCH)]


# What each field must be, in words a client can act on (the slow path's messages).
_DURATION_RULE = f"must be a number of milliseconds between 0 and {MAX_DURATION_MS:,} (a day)"
_TOKENS_RULE = f"must be an integer between 0 and {MAX_TOKENS:,}"
FIELD_RULES: dict[str, str] = {
    "id": "must be a UUID string",
    "timestamp": "must be an RFC 3339 date-time with a timezone, e.g. 2025-01-31T12:00:00Z",
    "provider": "must be a string of at most 64 characters",
    "model": "must be a non-empty string of at most 128 characters",
    "operation": "must be one of: chat, completion, embedding, other",
    "environment": "must be a non-empty string of at most 64 characters",
    "latency_ms": _DURATION_RULE,
    "ttft_ms": _DURATION_RULE,
    "input_tokens": _TOKENS_RULE,
    "output_tokens": _TOKENS_RULE,
    "cached_input_tokens": _TOKENS_RULE,
    "cache_creation_input_tokens": _TOKENS_RULE,
    "reasoning_tokens": _TOKENS_RULE,
    "cost_usd": f"must be a number between 0 and {MAX_COST_USD:,}",
    "status": "must be one of: ok, error",
    "error_type": "must be a string of at most 128 characters",
    "http_status": "must be an integer between 100 and 599",
    "trace_id": "must be 32 hexadecimal characters",
    "span_id": "must be 16 hexadecimal characters",
    "tags": (
        "must be an object of at most 32 string keys (1 to 64 characters) "
        "mapped to string values (at most 256 characters)"
    ),
    "prompt": "must be a string",
    "completion": "must be a string",
}
REQUIRED_FIELDS = ("model", "latency_ms")
_FIELD_TYPES: dict[str, Any] = {f.name: f.type for f in msgspec.structs.fields(EventIn)}
_STRING_FIELDS = (
    "provider",
    "model",
    "environment",
    "error_type",
    "prompt",
    "completion",
)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field of one item; `index` is None for batch-level problems."""

    index: int | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class BatchInvalid(Exception):
    """The batch is rejected as a whole; `errors` lists every problem found."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


class MalformedJSON(Exception):
    """The body is not JSON at all."""


# Bodies that are not JSON we can read: invalid UTF-8, or nested past the parser's depth.
NOT_JSON_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


def not_json_message(exc: Exception) -> str:
    """What is wrong with a body that raised one of `NOT_JSON_ERRORS`, for the client."""
    if isinstance(exc, UnicodeDecodeError):
        return f"the body is not valid UTF-8 (byte {exc.start})"
    if isinstance(exc, RecursionError):
        return "the body is nested too deeply"
    return str(exc)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The timestamps ingest accepts: none older than the project's retention (they would be
    purged at once) and none more than the allowed clock skew ahead of now."""

    now: datetime
    max_age: timedelta = DEFAULT_MAX_AGE
    max_skew: timedelta = MAX_FUTURE_SKEW

    def problem(self, timestamp: datetime) -> str | None:
        """Why `timestamp` is refused, or None when it is inside the window."""
        try:
            # Converting to UTC overflows for e.g. 0001-01-01T00:00:00+14:00.
            utc = timestamp.astimezone(UTC)
        except OverflowError:
            utc = None
        if utc is None or utc < self.now - self.max_age:
            return f"must not be older than {_span(self.max_age)} (the project's retention)"
        if utc > self.now + self.max_skew:
            return f"must not be more than {_span(self.max_skew)} in the future"
        return None


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def decode_event_batch(
    body: bytes, now: datetime | None = None, window: TimeWindow | None = None
) -> list[EventIn]:
    """Decode and validate a batch body; raise `MalformedJSON` or `BatchInvalid`.

    Returns the events with defaults applied (a missing timestamp becomes `now`). Timestamps
    must fall inside `window` (by default: the last year up to five minutes ahead).
    """
    window = window or TimeWindow(now or datetime.now(UTC))
    now = window.now
    try:
        batch = msgspec.json.decode(body, type=EventBatchIn)
    except msgspec.ValidationError:
        raise BatchInvalid(_collect_errors(_decode_untyped(body), window)) from None
    except NOT_JSON_ERRORS as exc:
        raise MalformedJSON(not_json_message(exc)) from None
    # A JSON string can only hold NUL as an escape; PostgreSQL text cannot store it.
    has_nul = b"\\u0000" in body
    errors: list[FieldError] = []
    for index, event in enumerate(batch.events):
        errors.extend(cross_field_errors(index, event, window, has_nul))
    if errors:
        raise BatchInvalid(errors)
    for event in batch.events:
        if event.timestamp is None:
            event.timestamp = now
    return batch.events


def _decode_untyped(body: bytes) -> Any:
    try:
        return msgspec.json.decode(body)
    except (*NOT_JSON_ERRORS, msgspec.ValidationError) as exc:
        # e.g. "Number out of range": not representable, so not valid JSON for us.
        raise MalformedJSON(not_json_message(exc)) from None


def _collect_errors(payload: Any, window: TimeWindow) -> list[FieldError]:
    """Walk an untyped payload and list every problem, item by item and field by field."""
    if not isinstance(payload, dict):
        return [FieldError(None, None, 'The body must be a JSON object: {"events": [...]}.')]
    events = payload.get("events")
    if events is None:
        return [FieldError(None, "events", "This field is required.")]
    if not isinstance(events, list):
        return [FieldError(None, "events", "must be a list of event objects")]
    if not 1 <= len(events) <= MAX_EVENTS_PER_BATCH:
        return [
            FieldError(
                None,
                "events",
                f"must hold between 1 and {MAX_EVENTS_PER_BATCH} events (got {len(events)})",
            )
        ]
    errors: list[FieldError] = []
    for index, item in enumerate(events):
        errors.extend(_item_errors(index, item, window))
    return errors


def _item_errors(index: int, item: Any, window: TimeWindow) -> list[FieldError]:
    if not isinstance(item, dict):
        return [FieldError(index, None, "must be a JSON object")]
    errors = [
        FieldError(index, name, "This field is required.")
        for name in REQUIRED_FIELDS
        if item.get(name) is None
    ]
    converted: dict[str, Any] = {}
    for name, field_type in _FIELD_TYPES.items():
        if name not in item or (item[name] is None and name in REQUIRED_FIELDS):
            continue
        try:
            converted[name] = msgspec.convert(item[name], field_type)
        except msgspec.ValidationError:
            errors.append(FieldError(index, name, f"{FIELD_RULES[name]} (got {_show(item[name])})"))
    if errors:
        return errors
    event = msgspec.convert(converted, EventIn)
    return list(cross_field_errors(index, event, window, has_nul=True))


def cross_field_errors(
    index: int, event: EventIn, window: TimeWindow, has_nul: bool
) -> list[FieldError]:
    """The rules that involve more than one field, or the time of the request."""
    errors: list[FieldError] = []
    if not math.isfinite(event.latency_ms):
        errors.append(FieldError(index, "latency_ms", "must be a finite number"))
    if event.ttft_ms is not None and event.ttft_ms > event.latency_ms:
        errors.append(FieldError(index, "ttft_ms", "must not be greater than latency_ms"))
    elif event.output_tokens and _tokens_per_second(event) > MAX_TOKENS_PER_SECOND:
        errors.append(
            FieldError(
                index,
                "output_tokens",
                f"over latency_ms (less ttft_ms) gives more than {MAX_TOKENS_PER_SECOND:,} "
                "tokens per second",
            )
        )
    if event.timestamp is not None and (problem := window.problem(event.timestamp)):
        errors.append(FieldError(index, "timestamp", problem))
    if has_nul:
        for name in _STRING_FIELDS:
            value = getattr(event, name)
            if value is not None and "\x00" in value:
                errors.append(FieldError(index, name, "must not contain NUL characters"))
        if event.tags and any("\x00" in k or "\x00" in v for k, v in event.tags.items()):
            errors.append(FieldError(index, "tags", "must not contain NUL characters"))
    return errors


def _tokens_per_second(event: EventIn) -> float:
    generation_ms = event.latency_ms - (event.ttft_ms or 0.0)
    if generation_ms <= 0:
        return 0.0  # nothing to divide: no rate is derived
    return event.output_tokens / generation_ms * 1000.0


def _show(value: Any) -> str:
    """A short rendering of a bad value for an error message."""
    text = msgspec.json.encode(value).decode()
    return text if len(text) <= 40 else text[:37] + "..."
