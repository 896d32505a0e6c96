"""The demo LLM endpoint, served by the real ASGI app under uvicorn, called by the real
OpenAI client through the demo transport."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from monitoring.probes.demo_llm import views as demo_views
from monitoring.probes.demo_llm.simulation import DemoLLM, IncidentSchedule
from monitoring.probes.transports import ErrorType, ProbeCall, transport_for

URL = "/demo-llm/v1/chat/completions"


@pytest.fixture
def calm_demo(monkeypatch):
    """A demo model without incidents or random errors, fast enough for tests."""
    model = DemoLLM(
        schedule=IncidentSchedule(enabled=False),
        base_error_rate=0.0,
        ttft_median_ms=150.0,
        token_median_ms=5.0,
    )
    monkeypatch.setattr(demo_views, "_model", model)
    monkeypatch.setattr(demo_views, "_rng", random.Random(11))
    return model


def demo_call(base: str, **overrides) -> ProbeCall:
    params = {
        "base_url": base + "/demo-llm/v1",
        "model": "demo-llm-1",
        "prompt": "Say hello",
        "max_tokens": 16,
        "timeout_s": 10.0,
    }
    return ProbeCall(**{**params, **overrides})


def test_the_openai_client_streams_from_the_demo_llm(asgi_server, calm_demo):
    result = transport_for("demo").measure(demo_call(asgi_server))

    assert result.status == "ok", result.error_message
    assert 12 <= result.output_tokens <= 16  # 75-100 % of max_tokens
    assert result.input_tokens > 0
    # The simulated TTFT is lognormal around 150 ms, never below ~60 ms at sigma 0.25.
    assert 50.0 <= result.ttft_ms <= 150.0 * 4 + 1500.0
    assert result.latency_ms > result.ttft_ms
    assert result.output_tokens_per_s > 0
    assert len(result.completion.split()) == result.output_tokens


def test_the_demo_llm_answers_without_streaming(asgi_server, calm_demo):
    result = transport_for("demo").measure(demo_call(asgi_server, stream=False))

    assert result.status == "ok", result.error_message
    assert result.ttft_ms is None
    assert result.output_tokens >= 12


def test_an_error_in_the_demo_is_a_classified_result(asgi_server, monkeypatch):
    failing = DemoLLM(schedule=IncidentSchedule(enabled=False), base_error_rate=1.0)
    monkeypatch.setattr(demo_views, "_model", failing)
    results = [transport_for("demo").measure(demo_call(asgi_server)) for _ in range(8)]

    assert all(r.status == "error" for r in results)
    assert {r.error_type for r in results} <= {ErrorType.SERVER_ERROR, ErrorType.RATE_LIMITED}
    assert {r.http_status for r in results} <= {429, 500, 503}


def test_concurrent_streams_are_all_served(asgi_server, calm_demo):
    # The view sleeps with asyncio: 20 concurrent streams must all complete.
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(lambda _: transport_for("demo").measure(demo_call(asgi_server)), range(20))
        )
    assert [r.status for r in results] == ["ok"] * 20


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[]", None),
        (json.dumps({"messages": [{"role": "user", "content": "x"}]}).encode(), "model"),
        (json.dumps({"model": "m", "messages": []}).encode(), "messages"),
        (
            json.dumps({"model": "m", "messages": [{"content": "x"}], "max_tokens": 0}).encode(),
            "max_tokens",
        ),
        (
            json.dumps({"model": "m", "messages": [{"content": "x"}], "max_tokens": "9"}).encode(),
            "max_tokens",
        ),
    ],
)
def test_bad_requests_get_an_openai_style_400(asgi_server, calm_demo, body, param):
    response = httpx.post(asgi_server + URL, content=body, timeout=10)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"]


def test_get_is_not_allowed(asgi_server, calm_demo):
    response = httpx.get(asgi_server + URL, timeout=10)
    assert response.status_code == 405
