"""Bad input gets a 4xx, never a 500: random JSON against every ingest endpoint."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.monitoring.conftest import auth

pytestmark = pytest.mark.django_db

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
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
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(body=bodies)
def test_random_event_batches_never_fail_the_server(client, make_api_key, project, body):
    key = make_api_key(project, scopes=("ingest",))
    response = client.post(
        "/api/v1/events", json.dumps(body), content_type="application/json", **auth(key)
    )
    assert response.status_code in (202, 400), response.content


@FUZZ
@given(body=bodies)
def test_random_telemetry_never_fails_the_server(client, make_api_key, project, body):
    key = make_api_key(project, scopes=("ingest",))
    response = client.post(
        "/api/v1/telemetry", json.dumps(body), content_type="application/json", **auth(key)
    )
    assert response.status_code in (202, 400), response.content


@FUZZ
@given(body=json_values, raw=st.binary(min_size=1, max_size=200))
def test_random_otlp_bodies_never_fail_the_server(client, make_api_key, project, body, raw):
    key = make_api_key(project, scopes=("ingest",))
    as_json = client.post(
        "/v1/traces",
        json.dumps({"resourceSpans": body}),
        content_type="application/json",
        **auth(key),
    )
    as_protobuf = client.post("/v1/traces", raw, content_type="application/x-protobuf", **auth(key))
    assert as_json.status_code in (200, 400), as_json.content
    assert as_protobuf.status_code in (200, 400), as_protobuf.content
