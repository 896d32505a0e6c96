"""Builds OTLP export requests for tests (protobuf messages and OTLP/JSON bodies)."""

from __future__ import annotations

import base64
import json
import time

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Status

# An hour ago, on a whole second: spans must start inside the project's retention window.
START_NS = (int(time.time()) - 3600) * 10**9


def _any(value) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=value)


def export_request(spans: list[dict], resource: dict | None = None) -> ExportTraceServiceRequest:
    """spans: dicts with attributes, duration_ms, span_id (int), error (bool), start_ns."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, value in (resource or {"service.name": "checkout"}).items():
        resource_spans.resource.attributes.append(KeyValue(key=key, value=_any(value)))
    scope_spans = resource_spans.scope_spans.add()
    for number, spec in enumerate(spans, start=1):
        span = scope_spans.spans.add()
        span.trace_id = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
        span.span_id = spec.get("span_id", number).to_bytes(8, "big")
        span.name = spec.get("name", "chat gpt-4o")
        span.start_time_unix_nano = spec.get("start_ns", START_NS)
        span.end_time_unix_nano = span.start_time_unix_nano + int(
            spec.get("duration_ms", 250) * 1e6
        )
        if spec.get("error"):
            span.status.code = Status.STATUS_CODE_ERROR
            span.status.message = "boom"
        for key, value in spec.get("attributes", {}).items():
            span.attributes.append(KeyValue(key=key, value=_any(value)))
    return request


def to_otlp_json(request: ExportTraceServiceRequest) -> bytes:
    """OTLP/JSON: protobuf JSON, but with hex trace and span ids."""
    payload = json_format.MessageToDict(request)
    for resource_spans in payload.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for key in ("traceId", "spanId"):
                    span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(payload).encode()
