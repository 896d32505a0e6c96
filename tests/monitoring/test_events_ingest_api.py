"""POST /api/v1/events: status codes, error shapes, all-or-nothing, idempotency, limits."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings

from monitoring.models import ApiKeyRateLimit, Event, EventRollup
from monitoring.signals import events_recorded
from monitoring.usage import events_this_month
from tenants.models import ApiKey
from tests.monitoring.conftest import event

pytestmark = pytest.mark.django_db


def test_it_accepts_a_batch_and_answers_202_with_counts(send, ingest_key, project):
    response = send(ingest_key, [event(), event(model="claude-3-5-haiku", provider="anthropic")])
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "duplicates": 0}
    assert Event.objects.for_project(project).count() == 2


def test_it_stores_every_field(send, ingest_key, project):
    stamp = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    sent = event(
        id="0f8fad5b-d9cb-469f-a165-70867728950e",
        timestamp=stamp.isoformat(),
        provider="openai",
        operation="completion",
        environment="staging",
        latency_ms=800,
        ttft_ms=200,
        input_tokens=1000,
        output_tokens=300,
        cached_input_tokens=400,
        cache_creation_input_tokens=0,
        reasoning_tokens=100,
        status="error",
        error_type="Timeout",
        http_status=504,
        trace_id="AB" * 16,
        span_id="cd" * 8,
        tags={"team": "search"},
        prompt="hello",
    )
    assert send(ingest_key, [sent]).status_code == 202
    stored = Event.objects.get(project=project)
    assert str(stored.event_id) == sent["id"]
    assert stored.timestamp == stamp
    assert (stored.provider, stored.operation, stored.environment) == (
        "openai",
        "completion",
        "staging",
    )
    assert (stored.latency_ms, stored.ttft_ms) == (800, 200)
    assert (stored.input_tokens, stored.output_tokens, stored.cached_input_tokens) == (
        1000,
        300,
        400,
    )
    assert stored.reasoning_tokens == 100 and stored.cache_creation_input_tokens == 0
    assert stored.output_tokens_per_s == pytest.approx(300 / 0.6)
    assert (stored.status, stored.error_type, stored.http_status) == ("error", "Timeout", 504)
    assert (stored.trace_id, stored.span_id) == ("ab" * 16, "cd" * 8)
    assert stored.tags == {"team": "search"} and stored.source == "api"
    assert len(stored.prompt_hash) == 64
    assert stored.prompt is None  # the project does not store prompts
    # gpt-4o on 2025-06-01: 600 plain input at 2.50, 400 cached at 1.25, 300 output at 10.00
    assert stored.cost_usd == Decimal("0.0015") + Decimal("0.0005") + Decimal("0.003")


def test_defaults_are_applied(send, ingest_key, project):
    before = datetime.now(UTC)
    send(ingest_key, [event()])
    stored = Event.objects.get(project=project)
    assert stored.timestamp >= before - timedelta(seconds=1)
    assert (stored.operation, stored.environment, stored.status) == ("chat", "production", "ok")


def test_a_repeated_id_is_accepted_once(send, ingest_key, project):
    same = str(uuid.uuid4())
    first = send(ingest_key, [event(id=same), event()])
    again = send(ingest_key, [event(id=same, latency_ms=999), event(id=same)])
    assert first.json() == {"accepted": 2, "duplicates": 0}
    assert again.json() == {"accepted": 0, "duplicates": 2}
    assert Event.objects.for_project(project).count() == 2
    assert Event.objects.get(event_id=same).latency_ms == 100
    rollups = EventRollup.objects.filter(project=project)
    assert rollups.aggregate(n=Sum("count"))["n"] == 2  # duplicates not counted


def test_the_same_id_in_another_project_is_a_different_event(
    send, ingest_key, other_project, make_api_key
):
    same = str(uuid.uuid4())
    other_key = make_api_key(other_project, scopes=("ingest",))
    assert send(ingest_key, [event(id=same)]).json()["accepted"] == 1
    assert send(other_key, [event(id=same)]).json()["accepted"] == 1


def test_one_invalid_event_rejects_the_whole_batch(send, ingest_key, project):
    response = send(ingest_key, [event(), event(latency_ms=-5), event(model="")])
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert "nothing was stored" in body["message"]
    assert [(d["index"], d["field"]) for d in body["details"]] == [
        (1, "latency_ms"),
        (2, "model"),
    ]
    assert not Event.objects.exists() and not EventRollup.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"id": "nope"}, "id"),
        ({"timestamp": "2025-13-01T00:00:00Z"}, "timestamp"),
        ({"provider": "p" * 65}, "provider"),
        ({"model": "m" * 129}, "model"),
        ({"operation": "rerank"}, "operation"),
        ({"environment": "e" * 65}, "environment"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"ttft_ms": -1}, "ttft_ms"),
        ({"ttft_ms": 101}, "ttft_ms"),
        ({"input_tokens": -1}, "input_tokens"),
        ({"output_tokens": 2**31}, "output_tokens"),
        ({"cached_input_tokens": "1"}, "cached_input_tokens"),
        ({"cache_creation_input_tokens": -2}, "cache_creation_input_tokens"),
        ({"reasoning_tokens": 0.5}, "reasoning_tokens"),
        ({"cost_usd": -1}, "cost_usd"),
        ({"status": "warning"}, "status"),
        ({"error_type": "e" * 129}, "error_type"),
        ({"http_status": 700}, "http_status"),
        ({"trace_id": "xyz"}, "trace_id"),
        ({"span_id": "a" * 15}, "span_id"),
        ({"tags": {"k": 1}}, "tags"),
        ({"prompt": 1}, "prompt"),
        ({"completion": ["no"]}, "completion"),
    ],
)
def test_each_field_rule_answers_400_with_its_field(send, ingest_key, fields, field):
    response = send(ingest_key, [event(), event(**fields)])
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["details"][0]["index"] == 1 and body["details"][0]["field"] == field
    assert body["details"][0]["message"]
    assert not Event.objects.exists()


def test_a_timestamp_far_in_the_future_is_refused(send, ingest_key):
    later = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    body = send(ingest_key, [event(timestamp=later)]).json()
    assert body["details"] == [
        {
            "index": 0,
            "field": "timestamp",
            "message": "must not be more than 5 minutes in the future",
        }
    ]


@pytest.mark.parametrize("count", [0, 1001])
def test_batches_hold_one_to_a_thousand_events(send, ingest_key, count):
    response = send(ingest_key, [event()] * count)
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "events"


def test_a_thousand_events_fit_in_one_batch(send, ingest_key, project):
    assert send(ingest_key, [event()] * 1000).json()["accepted"] == 1000
    assert events_this_month(project.organization) == 1000


@pytest.mark.parametrize("raw", [b"{", b" ", b"\xff\xfe", b'{"events": [1e999]}'])
def test_malformed_json_answers_invalid_json(send, ingest_key, raw):
    response = send(ingest_key, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_gzip_bodies_are_accepted(send, ingest_key, project):
    response = send(ingest_key, [event()] * 3, compress=True)
    assert response.status_code == 202 and response.json()["accepted"] == 3


def test_a_body_that_is_not_gzip_is_refused(send, ingest_key):
    response = send(ingest_key, raw=b"not gzip", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400 and response.json()["error"] == "invalid_json"


def test_an_unknown_content_encoding_is_refused(send, ingest_key):
    response = send(ingest_key, [event()], HTTP_CONTENT_ENCODING="br")
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


def _body_of_size(size: int) -> bytes:
    head = b'{"events": [{"model": "gpt-4o", "latency_ms": 1, "prompt": "'
    tail = b'"}]}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


@override_settings(LLMSCOPE_MAX_BODY_BYTES=4096)
def test_a_body_at_the_limit_is_accepted_and_one_byte_over_is_413(send, ingest_key):
    assert send(ingest_key, raw=_body_of_size(4096)).status_code == 202
    response = send(ingest_key, raw=_body_of_size(4097))
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


@override_settings(LLMSCOPE_MAX_BODY_BYTES=4096)
def test_the_limit_applies_after_gzip(send, ingest_key):
    body = _body_of_size(4097)
    compressed = gzip.compress(body)
    assert len(compressed) < 4096
    response = send(ingest_key, raw=compressed, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413


def test_the_real_limit_is_five_megabytes(send, ingest_key):
    response = send(ingest_key, raw=_body_of_size(5 * 1024 * 1024 + 1))
    assert response.status_code == 413


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_types_answer_415(send, ingest_key, content_type):
    response = send(ingest_key, [event()], content_type=content_type)
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


def test_a_charset_parameter_is_fine(send, ingest_key):
    response = send(ingest_key, [event()], content_type="application/json; charset=utf-8")
    assert response.status_code == 202


def test_a_missing_key_answers_401(client):
    response = client.post(
        "/api/v1/events", data={"events": [event()]}, content_type="application/json"
    )
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


def test_an_unknown_key_answers_401(send):
    assert send("lls_" + "x" * 40, [event()]).status_code == 401


def test_a_revoked_key_answers_401(send, ingest_key):
    ApiKey.objects.get(prefix=ingest_key[:16]).revoke()
    response = send(ingest_key, [event()])
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert not Event.objects.exists()


def test_a_read_only_key_may_not_ingest(send, read_key):
    response = send(read_key, [event()])
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


def test_events_go_to_the_keys_project_only(send, ingest_key, project, other_project):
    send(ingest_key, [event()])
    assert Event.objects.for_project(project).count() == 1
    assert not Event.objects.for_project(other_project).exists()


def test_a_key_over_its_rate_answers_429_with_retry_after(send, ingest_key):
    key = ApiKey.objects.get(prefix=ingest_key[:16])
    ApiKeyRateLimit.objects.create(api_key=key, requests_per_second=0.01, burst=2)
    assert send(ingest_key, [event()]).status_code == 202
    assert send(ingest_key, [event()]).status_code == 202
    refused = send(ingest_key, [event()])
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    assert Event.objects.count() == 2


def test_rate_limits_are_per_key(send, ingest_key, project, make_api_key):
    key = ApiKey.objects.get(prefix=ingest_key[:16])
    ApiKeyRateLimit.objects.create(api_key=key, requests_per_second=0.01, burst=1)
    other = make_api_key(project, scopes=("ingest",))
    send(ingest_key, [event()])
    assert send(ingest_key, [event()]).status_code == 429
    assert send(other, [event()]).status_code == 202


def test_the_instance_default_limit_applies(send, ingest_key, settings):
    settings.LLMSCOPE_API_RATE_LIMIT = 1
    settings.LLMSCOPE_API_RATE_BURST = 3
    statuses = [send(ingest_key, [event()]).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]


def test_subscribers_hear_which_series_received_events(
    send, ingest_key, project, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, project, series, **kwargs):
        heard.append((project.id, set(series)))

    events_recorded.connect(listener)
    try:
        send(ingest_key, [event(ttft_ms=5), event(model="o3", environment="dev")])
        send(ingest_key, raw=b"{")  # nothing stored, nothing sent
        send(ingest_key, [event(id="0f8fad5b-d9cb-469f-a165-70867728950e")])
        send(ingest_key, [event(id="0f8fad5b-d9cb-469f-a165-70867728950e")])  # a duplicate
    finally:
        events_recorded.disconnect(listener)
    assert heard == [
        (project.id, {("gpt-4o", "production", "api", True), ("o3", "dev", "api", False)}),
        (project.id, {("gpt-4o", "production", "api", False)}),
    ]


def test_prometheus_metrics_count_ingested_events(send, ingest_key, client, settings):
    settings.LLMSCOPE_METRICS_TOKEN = "scrape-secret-ingest"
    scrape = {"HTTP_AUTHORIZATION": "Bearer scrape-secret-ingest"}

    def accepted_count() -> float:
        text = client.get("/metrics", **scrape).content.decode()
        for line in text.splitlines():
            if line.startswith('llmscope_ingest_events_total{outcome="accepted",source="api"}'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = accepted_count()
    send(ingest_key, [event()] * 3)
    assert accepted_count() == before + 3
    metrics = client.get("/metrics", **scrape).content.decode()
    assert "llmscope_ingest_duration_seconds_bucket" in metrics


def test_the_json_error_shape_is_the_apis(send, ingest_key):
    body = send(ingest_key, [event(status="nope")]).json()
    assert set(body) == {"error", "message", "details"}
    assert set(body["details"][0]) == {"index", "field", "message"}
    assert json.dumps(body)  # serialisable, no stray objects


@pytest.mark.django_db(transaction=True)
def test_a_failing_after_commit_hook_does_not_turn_stored_events_into_an_error(
    send, ingest_key, project
):
    """E.g. an SPC evaluation that cannot be queued because Redis is down."""

    def broken_receiver(sender, project, series, **kwargs):
        def hook():
            raise ConnectionError("redis is down")

        transaction.on_commit(hook)

    events_recorded.connect(broken_receiver)
    try:
        response = send(ingest_key, [event()])
    finally:
        events_recorded.disconnect(broken_receiver)
    assert response.status_code == 202
    assert Event.objects.for_project(project).count() == 1
