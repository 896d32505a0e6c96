"""OTLP spans → events: current and older GenAI attribute names, both encodings."""

import json

import pytest

from monitoring.ingest.otlp import (
    JSON,
    PROTOBUF,
    MalformedOTLP,
    encode_response,
    map_request,
    parse_request,
)
from tests.monitoring.otlp_factory import START_NS, export_request, to_otlp_json

CURRENT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.usage.input_tokens": 120,
    "gen_ai.usage.output_tokens": 40,
    "gen_ai.usage.cache_read.input_tokens": 100,
    "gen_ai.usage.cache_creation.input_tokens": 10,
    "gen_ai.usage.reasoning.output_tokens": 12,
    "gen_ai.response.time_to_first_chunk": 0.085,
}
OLDER = {
    "gen_ai.system": "anthropic",
    "gen_ai.request.model": "claude-3-5-sonnet-20241022",
    "gen_ai.usage.prompt_tokens": 50,
    "gen_ai.usage.completion_tokens": 7,
    "gen_ai.usage.cache_read_input_tokens": 30,
    "gen_ai.usage.cache_creation_input_tokens": 5,
    "gen_ai.usage.reasoning_tokens": 2,
}


def test_current_attribute_names_are_read():
    request = export_request(
        [{"attributes": CURRENT, "duration_ms": 900}],
        resource={"service.name": "shop", "deployment.environment.name": "staging"},
    )
    [event] = map_request(request).events
    assert event.model == "gpt-4o-2024-08-06"
    assert event.provider == "openai" and event.operation == "chat"
    assert event.latency_ms == pytest.approx(900)
    assert event.ttft_ms == pytest.approx(85)
    assert (event.input_tokens, event.output_tokens) == (120, 40)
    assert (event.cached_input_tokens, event.cache_creation_input_tokens) == (100, 10)
    assert event.reasoning_tokens == 12
    assert event.environment == "staging" and event.tags == {"service": "shop"}
    assert event.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert event.span_id == "0000000000000001"
    assert event.status == "ok" and event.id is not None


def test_older_attribute_names_are_read():
    request = export_request(
        [{"attributes": OLDER}], resource={"deployment.environment": "prod-eu"}
    )
    [event] = map_request(request).events
    assert event.model == "claude-3-5-sonnet-20241022" and event.provider == "anthropic"
    assert (event.input_tokens, event.output_tokens) == (50, 7)
    assert (event.cached_input_tokens, event.cache_creation_input_tokens) == (30, 5)
    assert event.reasoning_tokens == 2 and event.environment == "prod-eu"


def test_errors_come_from_span_status_or_error_type():
    request = export_request(
        [
            {"attributes": {**CURRENT}, "error": True},
            {"attributes": {**CURRENT, "error.type": "RateLimitError"}},
        ]
    )
    first, second = map_request(request).events
    assert (first.status, first.error_type) == ("error", "boom")
    assert (second.status, second.error_type) == ("error", "RateLimitError")


def test_operations_are_mapped():
    request = export_request(
        [
            {"attributes": {**CURRENT, "gen_ai.operation.name": "embeddings"}},
            {"attributes": {**CURRENT, "gen_ai.operation.name": "text_completion"}},
            {"attributes": {**CURRENT, "gen_ai.operation.name": "execute_tool"}},
        ]
    )
    assert [e.operation for e in map_request(request).events] == [
        "embedding",
        "completion",
        "other",
    ]


def test_non_genai_spans_are_ignored_and_unmappable_genai_spans_are_rejected():
    request = export_request(
        [
            {"attributes": {"http.route": "/checkout"}},
            {"attributes": {"gen_ai.operation.name": "chat"}},  # no model
            {"attributes": {**CURRENT, "gen_ai.response.time_to_first_chunk": 5.0}},  # > span
            {"attributes": CURRENT},
        ]
    )
    mapped = map_request(request)
    assert len(mapped.events) == 1 and mapped.rejected == 2
    assert "model" in mapped.reasons[0] and "first chunk" in mapped.reasons[1]


def test_the_same_span_always_gets_the_same_event_id():
    one = map_request(export_request([{"attributes": CURRENT}])).events[0]
    two = map_request(export_request([{"attributes": CURRENT}])).events[0]
    assert one.id == two.id


def test_protobuf_and_json_encodings_decode_to_the_same_request():
    request = export_request([{"attributes": CURRENT}])
    from_protobuf = parse_request(request.SerializeToString(), PROTOBUF)
    from_json = parse_request(to_otlp_json(request), JSON)
    assert from_protobuf == request and from_json == request


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xff\xff garbage", PROTOBUF),
        (b"{not json", JSON),
        (b"[1, 2]", JSON),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
            JSON,
        ),
        (b'{"resourceSpans": "no"}', JSON),
    ],
)
def test_malformed_bodies_are_refused(body, content_type):
    with pytest.raises(MalformedOTLP):
        parse_request(body, content_type)


def test_the_response_reports_rejected_spans_in_both_encodings():
    assert encode_response(0, "", PROTOBUF) == b""
    assert json.loads(encode_response(2, "no model", JSON)) == {
        "partialSuccess": {"rejectedSpans": "2", "errorMessage": "no model"}
    }


def test_spans_with_text_postgresql_cannot_store_are_rejected():
    request = export_request([{"attributes": {**CURRENT, "gen_ai.response.model": "gpt\x00-4o"}}])
    mapped = map_request(request)
    assert mapped.events == [] and mapped.rejected == 1
    assert "NUL" in mapped.reasons[0]


def test_spans_from_the_future_are_rejected():
    far = START_NS + 10**9 * 3600 * 24 * 365 * 30
    mapped = map_request(export_request([{"attributes": CURRENT, "start_ns": far}]))
    assert mapped.rejected == 1 and "future" in mapped.reasons[0]


def test_spans_older_than_the_window_are_rejected():
    mapped = map_request(export_request([{"attributes": CURRENT, "start_ns": 10**9}]))
    assert mapped.rejected == 1 and "older than" in mapped.reasons[0]


def test_spans_longer_than_a_day_are_rejected():
    long_span = {"attributes": CURRENT, "duration_ms": 86_400_001}
    mapped = map_request(export_request([long_span]))
    assert mapped.rejected == 1 and "latency_ms" in mapped.reasons[0]
