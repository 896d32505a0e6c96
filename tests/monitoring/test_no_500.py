"""Bad input gets a 4xx, never a 500: random JSON against every ingest endpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.models import Event, HostSample
from tests.monitoring.conftest import auth

pytestmark = pytest.mark.django_db

# Any date-time from year 1 to 9999 at any UTC offset a client could send (±14 h).
offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-14), max_value=timedelta(hours=14))
)
timestamps = st.one_of(
    st.datetimes(timezones=offsets).map(datetime.isoformat),
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ).map(datetime.isoformat),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e100, allow_infinity=False),
    st.text(max_size=40),
    timestamps,
    st.sampled_from(["gpt-4o", "2025-01-01T00:00:00Z", "ok", "error", "a" * 32, "\u0000"]),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    [
        "id",
        "timestamp",
        "provider",
        "model",
        "operation",
        "environment",
        "latency_ms",
        "ttft_ms",
        "input_tokens",
        "output_tokens",
        "cached_input_tokens",
        "cost_usd",
        "status",
        "http_status",
        "trace_id",
        "span_id",
        "tags",
        "prompt",
        "completion",
    ]
)
events = st.lists(st.dictionaries(field_names, json_values, max_size=8), min_size=0, max_size=5)
bodies = st.one_of(
    json_values,
    st.builds(lambda e: {"events": e}, events),
    st.builds(
        lambda h, s: {"host": h, "samples": s}, json_values, st.lists(json_values, max_size=3)
    ),
)
# Bodies that are not the JSON of a Python value: raw bytes (often not UTF-8) and nesting
# deeper than any parser's recursion.
raw_bodies = st.one_of(
    st.binary(min_size=1, max_size=200),
    st.builds(lambda depth: b"[" * depth + b"]" * depth, st.integers(1, 200_000)),
    st.builds(
        lambda depth: (
            b'{"events": [{"model": "m", "latency_ms": 1, "x": '
            + b"{" * depth
            + b"}" * depth
            + b"}]}"
        ),
        st.integers(1, 5_000),
    ),
)
# Bounded in time: a few seconds per endpoint.
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def encoded(body) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def assert_answered(response, ok: int, before: int, after: int) -> None:
    """A success code or a 400 in the API's error shape that stored nothing."""
    assert response.status_code in (ok, 400), response.content
    if response.status_code == 400:
        assert set(response.json()) == {"error", "message", "details"}
        assert after == before


@FUZZ
@given(body=st.one_of(bodies, raw_bodies))
def test_random_event_batches_never_fail_the_server(client, make_api_key, project, body):
    key = make_api_key(project, scopes=("ingest",))
    before = Event.objects.count()
    response = client.post(
        "/api/v1/events", encoded(body), content_type="application/json", **auth(key)
    )
    assert_answered(response, 202, before, Event.objects.count())


@FUZZ
@given(body=st.one_of(bodies, raw_bodies))
def test_random_telemetry_never_fails_the_server(client, make_api_key, project, body):
    key = make_api_key(project, scopes=("ingest",))
    before = HostSample.objects.count()
    response = client.post(
        "/api/v1/telemetry", encoded(body), content_type="application/json", **auth(key)
    )
    assert_answered(response, 202, before, HostSample.objects.count())


@FUZZ
@given(body=st.one_of(json_values, raw_bodies), raw=st.binary(min_size=1, max_size=200))
def test_random_otlp_bodies_never_fail_the_server(client, make_api_key, project, body, raw):
    key = make_api_key(project, scopes=("ingest",))
    resource_spans = body if isinstance(body, bytes) else json.dumps(body).encode()
    as_json = client.post(
        "/v1/traces",
        b'{"resourceSpans": ' + resource_spans + b"}",
        content_type="application/json",
        **auth(key),
    )
    as_protobuf = client.post("/v1/traces", raw, content_type="application/x-protobuf", **auth(key))
    assert as_json.status_code in (200, 400), as_json.content
    assert as_protobuf.status_code in (200, 400), as_protobuf.content
