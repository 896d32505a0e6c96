"""OTLP/HTTP traces → events, following the OpenTelemetry GenAI semantic conventions.

Decoding uses the official `opentelemetry-proto` messages for both encodings. OTLP/JSON differs
from protobuf's canonical JSON in one way that matters: trace and span ids are hex strings, not
base64, so they are converted before `json_format` parses the message.

Every GenAI span (one with a `gen_ai.*` attribute) is mapped to the same `EventIn` that the REST
endpoint validates, so both paths apply the same rules. Spans without `gen_ai.*` attributes are
ignored; GenAI spans that cannot be mapped are counted as rejected, with a reason.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from monitoring.ingest.schema import EventIn, TimeWindow, cross_field_errors

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

# Current semantic-convention names first, then the older ones instrumentations still emit.
INPUT_TOKENS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
OUTPUT_TOKENS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
CACHE_READ_TOKENS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.cached_input_tokens",
)
CACHE_WRITE_TOKENS = (
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.cache_write_input_tokens",
)
REASONING_TOKENS = (
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "gen_ai.usage.reasoning_output_tokens",
)
# Seconds from request to the first streamed chunk.
TIME_TO_FIRST_CHUNK = (
    "gen_ai.response.time_to_first_chunk",
    "gen_ai.server.time_to_first_token",
)
PROVIDER = ("gen_ai.provider.name", "gen_ai.system")
RESPONSE_MODEL = ("gen_ai.response.model",)
REQUEST_MODEL = ("gen_ai.request.model",)
ENVIRONMENT = ("deployment.environment.name", "deployment.environment")
HTTP_STATUS = ("http.response.status_code", "http.status_code")

_OPERATIONS = {
    "chat": "chat",
    "generate_content": "chat",
    "text_completion": "completion",
    "completion": "completion",
    "embeddings": "embedding",
    "embedding": "embedding",
}


class MalformedOTLP(Exception):
    """The body is not a valid ExportTraceServiceRequest in the declared encoding."""


@dataclass
class MappedSpans:
    """The outcome of mapping one export request."""

    events: list[EventIn] = field(default_factory=list)
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)


def parse_request(body: bytes, content_type: str) -> ExportTraceServiceRequest:
    """Decode an export request in the given encoding (`PROTOBUF` or `JSON`)."""
    request = ExportTraceServiceRequest()
    try:
        if content_type == PROTOBUF:
            request.ParseFromString(body)
        else:
            payload = msgspec.json.decode(body)
            if not isinstance(payload, dict):
                raise MalformedOTLP("The body must be a JSON object (ExportTraceServiceRequest).")
            json_format.ParseDict(_hex_ids_to_base64(payload), request)
    except (
        DecodeError,
        json_format.ParseError,
        msgspec.DecodeError,
        ValueError,  # includes UnicodeDecodeError
        RecursionError,  # JSON nested deeper than the parser goes
    ) as exc:
        raise MalformedOTLP(f"Not a valid OTLP ExportTraceServiceRequest: {exc}") from None
    return request


def encode_response(rejected: int, message: str, content_type: str) -> bytes:
    """An ExportTraceServiceResponse in the request's encoding."""
    response = ExportTraceServiceResponse()
    if rejected:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if content_type == PROTOBUF:
        return response.SerializeToString()
    return json_format.MessageToJson(response, indent=None).encode()


def _hex_ids_to_base64(payload: dict[str, Any]) -> dict[str, Any]:
    for resource_spans in _list(payload.get("resourceSpans")):
        for scope_spans in _list(_dict(resource_spans).get("scopeSpans")):
            for span in _list(_dict(scope_spans).get("spans")):
                span = _dict(span)
                for key in ("traceId", "spanId", "parentSpanId"):
                    if span.get(key):
                        span[key] = _hex_to_base64(span[key])
                for link in _list(span.get("links")):
                    link = _dict(link)
                    for key in ("traceId", "spanId"):
                        if link.get(key):
                            link[key] = _hex_to_base64(link[key])
    return payload


def _hex_to_base64(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return base64.b64encode(bytes.fromhex(value)).decode()
    except ValueError:
        raise MalformedOTLP(
            f"Trace and span ids must be hex strings (got {value[:40]!r})."
        ) from None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedOTLP("Expected a JSON object inside resourceSpans.")
    return value


def _value(any_value: AnyValue) -> Any:
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind in ("array_value", "kvlist_value"):
        return None  # no GenAI attribute we read is structured
    return getattr(any_value, kind)


def _first(attributes: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = attributes.get(name)
        if value is not None and value != "":
            return value
    return None


def _as_int(value: Any) -> Any:
    # Some instrumentations send token counts as doubles or strings; keep them if integral.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def map_request(
    request: ExportTraceServiceRequest,
    now: datetime | None = None,
    window: TimeWindow | None = None,
) -> MappedSpans:
    """Map every GenAI span of the request to an event; count the ones that cannot be.

    Spans that start outside `window` (by default the last year up to five minutes ahead) are
    rejected like any other span that breaks an event rule.
    """
    window = window or TimeWindow(now or datetime.now(UTC))
    result = MappedSpans()
    for resource_spans in request.resource_spans:
        resource = {kv.key: _value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                attributes = {kv.key: _value(kv.value) for kv in span.attributes}
                if not any(key.startswith("gen_ai.") for key in attributes):
                    continue
                try:
                    result.events.append(_span_to_event(span, attributes, resource, window))
                except (msgspec.ValidationError, ValueError) as exc:
                    result.rejected += 1
                    result.reasons.append(f"span {span.span_id.hex() or '?'}: {exc}")
    return result


def _span_to_event(
    span: Any, attributes: dict[str, Any], resource: dict[str, Any], window: TimeWindow
):
    model = _first(attributes, RESPONSE_MODEL) or _first(attributes, REQUEST_MODEL)
    if not model:
        raise ValueError("no gen_ai.response.model or gen_ai.request.model attribute")
    if span.end_time_unix_nano < span.start_time_unix_nano or not span.start_time_unix_nano:
        raise ValueError("the span has no start time or ends before it starts")
    latency_ms = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6
    ttft_s = _first(attributes, TIME_TO_FIRST_CHUNK)
    error_type = attributes.get("error.type")
    failed = span.status.code == Status.STATUS_CODE_ERROR or bool(error_type)
    tags = {}
    if resource.get("service.name"):
        tags["service"] = str(resource["service.name"])[:256]
    trace_id = span.trace_id.hex()
    span_id = span.span_id.hex()
    event = {
        # Exporters retry failed exports: a stable id makes the retry a duplicate, not a copy.
        "id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"otlp:{trace_id}:{span_id}"))
        if trace_id and span_id
        else None,
        "timestamp": datetime.fromtimestamp(span.start_time_unix_nano / 1e9, tz=UTC),
        "provider": _first(attributes, PROVIDER),
        "model": model,
        "operation": _OPERATIONS.get(str(attributes.get("gen_ai.operation.name", "")), "other")
        if attributes.get("gen_ai.operation.name")
        else "chat",
        "environment": _first(resource, ENVIRONMENT) or "production",
        "latency_ms": latency_ms,
        "ttft_ms": ttft_s * 1000 if isinstance(ttft_s, int | float) else ttft_s,
        "input_tokens": _as_int(_first(attributes, INPUT_TOKENS)),
        "output_tokens": _as_int(_first(attributes, OUTPUT_TOKENS)),
        "cached_input_tokens": _as_int(_first(attributes, CACHE_READ_TOKENS)),
        "cache_creation_input_tokens": _as_int(_first(attributes, CACHE_WRITE_TOKENS)),
        "reasoning_tokens": _as_int(_first(attributes, REASONING_TOKENS)),
        "status": "error" if failed else "ok",
        "error_type": (str(error_type) if error_type else span.status.message or "error")[:128]
        if failed
        else None,
        "http_status": _as_int(_first(attributes, HTTP_STATUS)),
        "trace_id": trace_id or None,
        "span_id": span_id or None,
        "tags": tags,
    }
    mapped = msgspec.convert({k: v for k, v in event.items() if v is not None}, EventIn)
    if mapped.ttft_ms is not None and mapped.ttft_ms > mapped.latency_ms:
        raise ValueError("time to first chunk is longer than the span")
    # The REST endpoint's cross-field rules too (future timestamps, NUL characters).
    problems = cross_field_errors(0, mapped, window, has_nul=True)
    if problems:
        raise ValueError("; ".join(f"{p.field} {p.message}" for p in problems))
    return mapped
