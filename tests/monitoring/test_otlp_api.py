"""POST /v1/traces: a real OpenTelemetry SDK with the stock OTLP/HTTP exporter, configured
only through OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS, reaches a live server."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from monitoring.models import Event
from tests.monitoring.conftest import auth
from tests.monitoring.otlp_factory import export_request, to_otlp_json

GENAI = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.usage.input_tokens": 1200,
    "gen_ai.usage.output_tokens": 300,
    "gen_ai.usage.cache_read.input_tokens": 200,
    "gen_ai.response.time_to_first_chunk": 0.12,
}


@pytest.fixture
def tracer_for(monkeypatch, live_server):
    """A tracer whose exporter knows only the two standard environment variables."""
    providers = []

    def make(key: str, compression: str | None = None):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", live_server.url)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer%20{key}")
        if compression:
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", compression)
        provider = TracerProvider(
            resource=Resource.create(
                {"service.name": "checkout", "deployment.environment.name": "staging"}
            )
        )
        exporter = OTLPSpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        providers.append(provider)
        return provider.get_tracer("test"), exporter

    yield make
    for provider in providers:
        provider.shutdown()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("compression", [None, "gzip"])
def test_genai_spans_from_the_sdk_become_events(
    tracer_for, ingest_key, project, compression, public_prices
):
    tracer, exporter = tracer_for(ingest_key, compression)
    assert exporter._endpoint.endswith("/v1/traces")
    with (
        tracer.start_as_current_span("chat gpt-4o", attributes=GENAI),
        tracer.start_as_current_span("db query", attributes={"db.system": "postgresql"}),
    ):
        time.sleep(0.13)  # a call lasts longer than its time to first chunk
    older_names = {
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-3-5-haiku",
        "gen_ai.usage.prompt_tokens": 10,
        "gen_ai.usage.completion_tokens": 5,
    }
    with tracer.start_as_current_span("chat claude", attributes=older_names) as span:
        span.set_attribute("error.type", "overloaded_error")
        span.set_status(Status(StatusCode.ERROR, "overloaded"))

    events = {e.model: e for e in Event.objects.for_project(project)}
    assert set(events) == {"gpt-4o-2024-08-06", "claude-3-5-haiku"}  # the db span is ignored
    chat = events["gpt-4o-2024-08-06"]
    assert chat.source == "otlp" and chat.provider == "openai" and chat.operation == "chat"
    assert (chat.input_tokens, chat.output_tokens, chat.cached_input_tokens) == (1200, 300, 200)
    assert chat.ttft_ms == pytest.approx(120)
    assert chat.latency_ms >= 130
    assert chat.environment == "staging" and chat.tags == {"service": "checkout"}
    assert len(chat.trace_id) == 32 and len(chat.span_id) == 16
    assert chat.cost_usd is not None
    failed = events["claude-3-5-haiku"]
    assert (failed.status, failed.error_type) == ("error", "overloaded_error")
    assert (failed.input_tokens, failed.output_tokens) == (10, 5)


@pytest.mark.django_db
def test_json_encoding_is_answered_in_json(client, ingest_key, project):
    request = export_request([{"attributes": GENAI}, {"attributes": {"gen_ai.system": "x"}}])
    response = client.post(
        "/v1/traces",
        data=to_otlp_json(request),
        content_type="application/json",
        **auth(ingest_key),
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["partialSuccess"]["rejectedSpans"] == "1"
    assert Event.objects.for_project(project).count() == 1


@pytest.mark.django_db
def test_protobuf_is_answered_in_protobuf_with_rejections(client, ingest_key):
    request = export_request([{"attributes": {"gen_ai.operation.name": "chat"}}])
    response = client.post(
        "/v1/traces",
        data=gzip.compress(request.SerializeToString()),
        content_type="application/x-protobuf",
        HTTP_CONTENT_ENCODING="gzip",
        **auth(ingest_key),
    )
    assert response.status_code == 200
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert parsed.partial_success.rejected_spans == 1
    assert "model" in parsed.partial_success.error_message


@pytest.mark.django_db
def test_a_retried_export_is_not_stored_twice(client, ingest_key, project):
    body = export_request([{"attributes": GENAI}]).SerializeToString()
    for _ in range(2):
        client.post(
            "/v1/traces", data=body, content_type="application/x-protobuf", **auth(ingest_key)
        )
    assert Event.objects.for_project(project).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"\x0a\xff\xff\xff\xff", "application/x-protobuf"), (b"{oops", "application/json")],
)
def test_malformed_bodies_answer_400(client, ingest_key, body, content_type):
    response = client.post("/v1/traces", data=body, content_type=content_type, **auth(ingest_key))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_other_content_types_answer_415(client, ingest_key):
    response = client.post("/v1/traces", data="x", content_type="text/plain", **auth(ingest_key))
    assert response.status_code == 415


@pytest.mark.django_db
def test_keys_and_scopes_are_checked(client, read_key):
    body = export_request([{"attributes": GENAI}]).SerializeToString()
    anonymous = client.post("/v1/traces", data=body, content_type="application/x-protobuf")
    assert anonymous.status_code == 401
    read_only = client.post(
        "/v1/traces", data=body, content_type="application/x-protobuf", **auth(read_key)
    )
    assert read_only.status_code == 403
    assert not Event.objects.exists()
