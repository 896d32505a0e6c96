"""The event batch validator: every field rule of API.md, all errors listed at once."""

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from monitoring.ingest.schema import BatchInvalid, MalformedJSON, decode_event_batch

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def body(*events, **extra):
    return msgspec.json.encode({"events": list(events), **extra})


def ok_event(**fields):
    return {"model": "gpt-4o", "latency_ms": 120.5, **fields}


def errors_of(raw: bytes):
    with pytest.raises(BatchInvalid) as info:
        decode_event_batch(raw, now=NOW)
    return [e.as_dict() for e in info.value.errors]


def test_it_applies_defaults():
    [event] = decode_event_batch(body(ok_event()), now=NOW)
    assert event.timestamp == NOW
    assert event.operation == "chat"
    assert event.environment == "production"
    assert event.status == "ok"
    assert event.id is None


def test_it_accepts_every_field():
    full = ok_event(
        id="0f8fad5b-d9cb-469f-a165-70867728950e",
        timestamp="2025-06-01T11:59:00+02:00",
        provider="openai",
        operation="embedding",
        environment="staging",
        ttft_ms=20,
        input_tokens=10,
        output_tokens=5,
        cached_input_tokens=2,
        cache_creation_input_tokens=1,
        reasoning_tokens=3,
        cost_usd=0.5,
        status="error",
        error_type="RateLimitError",
        http_status=429,
        trace_id="a" * 32,
        span_id="B" * 16,
        tags={"team": "search"},
        prompt="hi",
        completion="hello",
    )
    [event] = decode_event_batch(body(full), now=NOW)
    assert event.timestamp == datetime(2025, 6, 1, 9, 59, tzinfo=UTC)
    assert event.http_status == 429 and event.tags == {"team": "search"}


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("id", "not-a-uuid", "UUID"),
        ("timestamp", "2025-06-01T12:00:00", "timezone"),
        ("timestamp", "yesterday", "RFC 3339"),
        ("provider", "p" * 65, "at most 64"),
        ("model", "m" * 129, "at most 128"),
        ("model", "", "non-empty"),
        ("model", 42, "string"),
        ("operation", "chatting", "chat, completion, embedding, other"),
        ("environment", "e" * 65, "at most 64"),
        ("latency_ms", -1, "between 0 and"),
        ("latency_ms", 1e155, "between 0 and 86,400,000"),
        ("latency_ms", "fast", "number"),
        ("ttft_ms", -0.5, "between 0 and"),
        ("input_tokens", -1, "integer between 0 and"),
        ("input_tokens", 1.5, "integer"),
        ("output_tokens", True, "integer"),
        ("cached_input_tokens", -3, "integer between 0 and"),
        ("cache_creation_input_tokens", "7", "integer"),
        ("reasoning_tokens", -1, "integer between 0 and"),
        ("cost_usd", -0.01, "between 0 and"),
        ("cost_usd", 1e11, "between 0 and 1,000"),
        ("status", "failed", "ok, error"),
        ("error_type", "x" * 129, "at most 128"),
        ("http_status", 99, "between 100 and 599"),
        ("http_status", 600, "between 100 and 599"),
        ("trace_id", "a" * 31, "32 hexadecimal"),
        ("trace_id", "g" * 32, "32 hexadecimal"),
        ("span_id", "a" * 17, "16 hexadecimal"),
        ("tags", {f"k{i}": "v" for i in range(33)}, "at most 32"),
        ("tags", {"k" * 65: "v"}, "1 to 64"),
        ("tags", {"k": "v" * 257}, "256"),
        ("tags", {"k": 1}, "string values"),
        ("tags", ["a"], "object"),
        ("prompt", 5, "string"),
        ("completion", {"a": 1}, "string"),
    ],
)
def test_it_rejects_each_bad_value_with_index_and_field(field, value, fragment):
    errors = errors_of(body(ok_event(), ok_event(**{field: value})))
    assert len(errors) == 1
    assert errors[0]["index"] == 1
    assert errors[0]["field"] == field
    assert fragment in errors[0]["message"]


@pytest.mark.parametrize("field", ["model", "latency_ms"])
def test_required_fields_are_required(field):
    event = ok_event()
    del event[field]
    assert errors_of(body(event)) == [
        {"index": 0, "field": field, "message": "This field is required."}
    ]


def test_it_lists_every_invalid_item_and_field():
    errors = errors_of(
        body(ok_event(latency_ms=-1, status="x"), ok_event(), {"latency_ms": 1}, "nope")
    )
    assert {(e["index"], e["field"]) for e in errors} == {
        (0, "latency_ms"),
        (0, "status"),
        (2, "model"),
        (3, None),
    }


def test_ttft_may_not_exceed_latency():
    errors = errors_of(body(ok_event(latency_ms=10, ttft_ms=11)))
    assert errors == [
        {
            "index": 0,
            "field": "ttft_ms",
            "message": "must not be greater than latency_ms",
        }
    ]


def test_cross_field_errors_are_listed_next_to_type_errors():
    errors = errors_of(body(ok_event(latency_ms=10, ttft_ms=11), ok_event(input_tokens="x")))
    assert [(e["index"], e["field"]) for e in errors] == [
        (0, "ttft_ms"),
        (1, "input_tokens"),
    ]


def test_timestamps_may_be_at_most_five_minutes_ahead():
    ahead = (NOW + timedelta(minutes=4, seconds=59)).isoformat()
    decode_event_batch(body(ok_event(timestamp=ahead)), now=NOW)
    too_far = (NOW + timedelta(minutes=5, seconds=1)).isoformat()
    [error] = errors_of(body(ok_event(timestamp=too_far)))
    assert error["field"] == "timestamp" and "5 minutes" in error["message"]


def test_nul_characters_are_refused():
    [error] = errors_of(body(ok_event(prompt="a\x00b")))
    assert error == {
        "index": 0,
        "field": "prompt",
        "message": "must not contain NUL characters",
    }


@pytest.mark.parametrize("count", [0, 1001])
def test_batch_size_is_one_to_a_thousand(count):
    [error] = errors_of(body(*[ok_event()] * count))
    assert error["index"] is None and error["field"] == "events"
    assert f"got {count}" in error["message"]


def test_a_thousand_events_are_fine():
    assert len(decode_event_batch(body(*[ok_event()] * 1000), now=NOW)) == 1000


@pytest.mark.parametrize(
    ("raw", "field"),
    [(b"[]", None), (b'{"items": []}', "events"), (b'{"events": {}}', "events")],
)
def test_the_envelope_is_checked(raw, field):
    [error] = errors_of(raw)
    assert error["field"] == field and error["index"] is None


@pytest.mark.parametrize("raw", [b"{", b"", b"not json", b'{"events": [1e999]}'])
def test_malformed_json_is_its_own_error(raw):
    with pytest.raises(MalformedJSON):
        decode_event_batch(raw, now=NOW)


def test_generated_event_ids_are_valid_time_ordered_uuids():
    import time
    import uuid

    from monitoring.ingest.rows import new_event_ids

    first = new_event_ids(1000)
    time.sleep(0.002)
    later = new_event_ids(1)
    parsed = [uuid.UUID(i) for i in first]
    assert len(set(first)) == 1000
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert max(first) < later[0]  # later ids sort after earlier ones
