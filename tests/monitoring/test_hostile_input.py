"""Hostile bodies on the ingest endpoints: 400 in the API's error shape, nothing stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from monitoring.models import Event, HostSample
from tests.monitoring.conftest import auth, event

pytestmark = pytest.mark.django_db


def post(client, key, path, body: bytes, content_type="application/json"):
    return client.post(path, data=body, content_type=content_type, **auth(key))


def assert_rejected(response, code="validation_error"):
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"error", "message", "details"}
    assert body["error"] == code, body
    assert Event.objects.count() == 0
    assert HostSample.objects.count() == 0
    return body


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/telemetry"])
def test_a_body_that_is_not_utf8_is_invalid_json(client, ingest_key, path):
    body = b'{"events": [{"model": "gpt-\xff\xfe", "latency_ms": 1}], "host": "h\xc3"}'
    assert_rejected(post(client, ingest_key, path, body), "invalid_json")


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/telemetry", "/v1/traces"])
def test_deeply_nested_json_is_refused(client, ingest_key, path, depth):
    body = b'{"events": ' + nested(depth) + b', "host": "h", "resourceSpans": ' + nested(depth)
    body += b"}"
    assert_rejected(post(client, ingest_key, path, body), "invalid_json")


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_inside_a_field_is_refused(client, ingest_key, depth):
    body = json.dumps({"events": [event()]}).encode()
    body = body.replace(b'"gpt-4o"', b'"gpt-4o", "extra": ' + nested(depth))
    response = post(client, ingest_key, "/api/v1/events", body)
    assert response.status_code == 400, response.content
    assert Event.objects.count() == 0


@pytest.mark.parametrize("latency", [1e155, 1e300, 1.7e308])
def test_latency_too_large_for_the_aggregates_is_refused(client, ingest_key, latency):
    body = json.dumps({"events": [event(latency_ms=latency)]}).encode()
    details = assert_rejected(post(client, ingest_key, "/api/v1/events", body))["details"]
    assert details[0]["field"] == "latency_ms"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ttft_ms", 1e200),
        ("input_tokens", 2**31 - 1),
        ("output_tokens", 10**10),
        ("cost_usd", 1000.01),
    ],
)
def test_other_numbers_over_their_bound_are_refused(client, ingest_key, field, value):
    fields = {field: value}
    if field == "ttft_ms":
        fields["latency_ms"] = 1e200
    body = json.dumps({"events": [event(**fields)]}).encode()
    details = assert_rejected(post(client, ingest_key, "/api/v1/events", body))["details"]
    assert field in {d["field"] for d in details}


@pytest.mark.parametrize("latency", [1e-300, 5e-324])
def test_a_rate_that_divides_to_infinity_is_refused(client, ingest_key, latency):
    body = json.dumps({"events": [event(latency_ms=latency, output_tokens=100)]}).encode()
    details = assert_rejected(post(client, ingest_key, "/api/v1/events", body))["details"]
    assert details[0]["field"] == "output_tokens"


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "1990-01-01T00:00:00Z"]
)
def test_timestamps_before_the_retention_window_are_refused(client, ingest_key, stamp):
    body = json.dumps({"events": [event(timestamp=stamp)]}).encode()
    details = assert_rejected(post(client, ingest_key, "/api/v1/events", body))["details"]
    assert details[0]["field"] == "timestamp"


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00"]
)
def test_telemetry_timestamps_outside_the_window_are_refused(client, ingest_key, stamp):
    body = json.dumps({"host": "gpu-1", "samples": [{"timestamp": stamp, "cpu_percent": 5}]})
    details = assert_rejected(post(client, ingest_key, "/api/v1/telemetry", body.encode()))
    assert details["details"][0]["field"] == "timestamp"


def test_the_window_follows_the_projects_retention(client, ingest_key, project):
    stamp = (datetime.now(UTC) - timedelta(days=45)).isoformat()
    body = json.dumps({"events": [event(timestamp=stamp)]}).encode()
    assert_rejected(post(client, ingest_key, "/api/v1/events", body))
    project.retention_days = 60
    project.save()
    assert post(client, ingest_key, "/api/v1/events", body).status_code == 202


@override_settings(LLMSCOPE_MAX_CLOCK_SKEW_SECONDS=30)
def test_the_clock_skew_allowance_is_a_setting(client, ingest_key):
    ahead = json.dumps({"events": [event(timestamp=_from_now(seconds=60))]}).encode()
    details = assert_rejected(post(client, ingest_key, "/api/v1/events", ahead))["details"]
    assert details[0]["message"] == "must not be more than 30 seconds in the future"
    within = json.dumps({"events": [event(timestamp=_from_now(seconds=20))]}).encode()
    assert post(client, ingest_key, "/api/v1/events", within).status_code == 202


def _from_now(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def test_numbers_at_their_bound_are_accepted(client, ingest_key):
    body = json.dumps(
        {
            "events": [
                event(
                    latency_ms=86_400_000,
                    ttft_ms=86_400_000,
                    input_tokens=100_000_000,
                    output_tokens=100_000_000,
                    cost_usd=1_000,
                )
            ]
        }
    ).encode()
    response = post(client, ingest_key, "/api/v1/events", body)
    assert response.status_code == 202, response.content
    assert Event.objects.count() == 1
