"""The OpenTelemetry route gives the SDK's events: the same calls, seen by both.

An app instrumented with the official `opentelemetry-instrumentation-openai-v2` and the stock
OTLP/HTTP exporter pointed at LLMscope, and the SDK on the same client: each call of the real
`openai` client (against the fake OpenAI server) becomes one `otlp` and one `api` event in the
live LLMscope, and they must agree.
"""

from __future__ import annotations

import llmscope
import openai
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from tests.monitoring.probes.fake_llm import Behaviour
from tests.sdk.live import stored_events

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Say hello"}]
SAME_FIELDS = (
    "provider",
    "model",
    "operation",
    "environment",
    "input_tokens",
    "output_tokens",
    "status",
    "error_type",
)


@pytest.fixture
def otel_openai(live_llmscope, key):
    """The official instrumentation, exporting spans to LLMscope as an app would."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": "chatbot", "deployment.environment": "prod"})
    )
    exporter = OTLPSpanExporter(
        endpoint=f"{live_llmscope.url}/v1/traces", headers={"Authorization": f"Bearer {key}"}
    )
    # In the background, as apps export: a synchronous export would sit inside the SDK's timing.
    provider.add_span_processor(BatchSpanProcessor(exporter))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    yield provider
    instrumentor.uninstrument()
    provider.shutdown()


# What the fake server waited before answering each call, in ms.
SERVER_DELAY_MS = {"gpt-4o-mini": 50, "gpt-4o": 3 * 50, "gpt-4.1": 0}


def test_the_official_instrumentation_and_the_sdk_store_the_same_events(
    sdk, live_llmscope, key, otel_openai, fake_llm, project
):
    sdk(live_llmscope.url, key, environment="prod")
    client = openai.OpenAI(api_key="sk-test", base_url=fake_llm.url + "/v1", max_retries=0)
    llmscope.instrument_openai(client)

    fake_llm.behaviour = Behaviour(first_token_delay=0.05)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    fake_llm.behaviour = Behaviour(token_delay=0.05)
    stream = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == (
        "Hello, world!"
    )
    fake_llm.behaviour = Behaviour(status=500)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)

    assert llmscope.flush(timeout=15)
    assert otel_openai.force_flush(timeout_millis=15000)
    events = stored_events(project)
    by_source = {
        source: {e.model: e for e in events if e.source == source} for source in ("api", "otlp")
    }
    assert set(by_source["api"]) == set(by_source["otlp"]) == {"gpt-4o-mini", "gpt-4o", "gpt-4.1"}
    for model, sdk_event in by_source["api"].items():
        otel_event = by_source["otlp"][model]
        for field in SAME_FIELDS:
            assert getattr(sdk_event, field) == getattr(otel_event, field), (model, field)
        # The official instrumentation wraps the client's method and the SDK wraps that: the
        # span lies inside the SDK's measurement, and both cover the server's wait.
        assert SERVER_DELAY_MS[model] <= otel_event.latency_ms <= sdk_event.latency_ms + 1.0
    assert by_source["api"]["gpt-4o"].output_tokens == 4
    assert by_source["api"]["gpt-4.1"].error_type == "InternalServerError"
    assert by_source["otlp"]["gpt-4o"].tags == {"service": "chatbot"}
