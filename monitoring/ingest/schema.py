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
# Token counts are stored in 32-bit integer columns (Event.input_tokens, ...).
MAX_TOKENS = 2**31 - 1

NonNegativeInt = Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)]
NonNegativeFloat = Annotated[float, msgspec.Meta(ge=0)]
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
# cost_usd is stored as NUMERIC(20, 10): ten digits before the point.
CostUsd = Annotated[float, msgspec.Meta(ge=0, lt=1e10)]


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
FIELD_RULES: dict[str, str] = {
    "id": "must be a UUID string",
    "timestamp": "must be an RFC 3339 date-time with a timezone, e.g. 2025-01-31T12:00:00Z",
    "provider": "must be a string of at most 64 characters",
    "model": "must be a non-empty string of at most 128 characters",
    "operation": "must be one of: chat, completion, embedding, other",
    "environment": "must be a non-empty string of at most 64 characters",
    "latency_ms": "must be a number ≥ 0",
    "ttft_ms": "must be a number ≥ 0",
    "input_tokens": "must be an integer between 0 and 2147483647",
    "output_tokens": "must be an integer between 0 and 2147483647",
    "cached_input_tokens": "must be an integer between 0 and 2147483647",
    "cache_creation_input_tokens": "must be an integer between 0 and 2147483647",
    "reasoning_tokens": "must be an integer between 0 and 2147483647",
    "cost_usd": "must be a number ≥ 0 and below 10,000,000,000",
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


def decode_event_batch(body: bytes, now: datetime | None = None) -> list[EventIn]:
    """Decode and validate a batch body; raise `MalformedJSON` or `BatchInvalid`.

    Returns the events with defaults applied (a missing timestamp becomes `now`).
    """
    now = now or datetime.now(UTC)
    try:
        batch = msgspec.json.decode(body, type=EventBatchIn)
    except msgspec.ValidationError:
        raise BatchInvalid(_collect_errors(_decode_untyped(body), now)) from None
    except msgspec.DecodeError as exc:
        raise MalformedJSON(str(exc)) from None
    # A JSON string can only hold NUL as an escape; PostgreSQL text cannot store it.
    has_nul = b"\\u0000" in body
    errors: list[FieldError] = []
    for index, event in enumerate(batch.events):
        errors.extend(cross_field_errors(index, event, now, has_nul))
    if errors:
        raise BatchInvalid(errors)
    for event in batch.events:
        if event.timestamp is None:
            event.timestamp = now
    return batch.events


def _decode_untyped(body: bytes) -> Any:
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        # e.g. "Number out of range": not representable, so not valid JSON for us.
        raise MalformedJSON(str(exc)) from None


def _collect_errors(payload: Any, now: datetime) -> list[FieldError]:
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
        errors.extend(_item_errors(index, item, now))
    return errors


def _item_errors(index: int, item: Any, now: datetime) -> list[FieldError]:
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
    return list(cross_field_errors(index, event, now, has_nul=True))


def cross_field_errors(
    index: int, event: EventIn, now: datetime, has_nul: bool
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not math.isfinite(event.latency_ms):
        errors.append(FieldError(index, "latency_ms", "must be a finite number"))
    if event.ttft_ms is not None and event.ttft_ms > event.latency_ms:
        errors.append(FieldError(index, "ttft_ms", "must not be greater than latency_ms"))
    if event.timestamp is not None and event.timestamp > now + MAX_FUTURE_SKEW:
        errors.append(
            FieldError(index, "timestamp", "must not be more than 5 minutes in the future")
        )
    if has_nul:
        for name in _STRING_FIELDS:
            value = getattr(event, name)
            if value is not None and "\x00" in value:
                errors.append(FieldError(index, name, "must not contain NUL characters"))
        if event.tags and any("\x00" in k or "\x00" in v for k, v in event.tags.items()):
            errors.append(FieldError(index, "tags", "must not contain NUL characters"))
    return errors


def _show(value: Any) -> str:
    """A short rendering of a bad value for an error message."""
    text = msgspec.json.encode(value).decode()
    return text if len(text) <= 40 else text[:37] + "..."
