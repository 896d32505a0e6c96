"""Each transport against a local server that speaks its provider's protocol.

The official `openai` and `anthropic` clients (and httpx for Ollama) talk to
`fake_llm.FakeLLMServer` on 127.0.0.1. Timings are read on a `FakeClock` that the fake server
moves instead of sleeping, in lockstep with the client: a measured TTFT or latency is exactly
the delay the server imposed, and costs no wall-clock time. Only the socket-level timeouts of
the client libraries are real (and short): they are what a hung server trips.
"""

from __future__ import annotations

import pytest

from monitoring.probes.transports import ErrorType, ProbeCall, transport_for

from .fake_llm import Behaviour, FakeClock, refused_url, running_fake_llm

KINDS = ["openai", "openai_compatible", "anthropic", "ollama"]
# Real socket timeouts of the hang tests: short, and far below the hang itself.
SOCKET_TIMEOUT_S = 0.3


def base_url_for(kind: str, server_url: str) -> str:
    """Where each provider's client expects the API root."""
    return f"{server_url}/v1" if kind.startswith("openai") else server_url


def measure(kind: str, server_url: str, clock=None, **overrides):
    call = ProbeCall(
        base_url=base_url_for(kind, server_url),
        model="test-model",
        prompt="Say hello",
        api_key="sk-test-1234",
        max_tokens=16,
        timeout_s=overrides.pop("timeout_s", 5.0),
        **overrides,
    )
    transport = transport_for(kind)
    return transport.measure(call, clock=clock) if clock else transport.measure(call)


def measure_on_fake_clock(kind: str, behaviour: Behaviour, **overrides):
    """Measure one call whose delays move a fake clock; the lockstep must have held."""
    clock = FakeClock()
    with running_fake_llm(behaviour, clock=clock) as server:
        result = measure(kind, server.url, clock=clock, **overrides)
    assert clock.stalls == 0, "the client stopped reading the clock for a chunk"
    return result


@pytest.mark.parametrize("kind", KINDS)
def test_a_streamed_answer_is_measured_as_the_server_timed_it(kind):
    behaviour = Behaviour(first_token_delay=0.4, token_delay=0.1, input_tokens=9)
    result = measure_on_fake_clock(kind, behaviour)

    assert result.status == "ok", result.error_message
    assert result.error_type == ""
    assert result.http_status == 200
    assert result.completion == "Hello, world!"
    assert result.input_tokens == 9
    assert result.output_tokens == 4
    # TTFT is the first *content* token (OpenAI's role-only chunk comes before the delay).
    assert result.ttft_ms == pytest.approx(400.0)
    # Latency is the last byte: the first token delay plus three token gaps.
    assert result.latency_ms == pytest.approx(700.0)
    assert result.output_tokens_per_s == pytest.approx(4 / 0.3)


@pytest.mark.parametrize("kind", KINDS)
def test_a_slow_first_token_shows_in_ttft_not_in_the_generation_time(kind):
    result = measure_on_fake_clock(kind, Behaviour(first_token_delay=1.2, token_delay=0.0))

    assert result.status == "ok", result.error_message
    assert result.ttft_ms == pytest.approx(1200.0)
    assert result.latency_ms == pytest.approx(result.ttft_ms)


@pytest.mark.parametrize("kind", KINDS)
def test_a_non_streamed_answer_has_latency_and_usage_but_no_ttft(kind):
    behaviour = Behaviour(first_token_delay=0.3, token_delay=0.05)
    result = measure_on_fake_clock(kind, behaviour, stream=False)

    assert result.status == "ok", result.error_message
    assert result.ttft_ms is None
    assert result.output_tokens_per_s is None
    assert result.output_tokens == 4
    assert result.completion == "Hello, world!"
    assert result.latency_ms == pytest.approx(450.0)


@pytest.mark.parametrize("kind", KINDS)
def test_a_hung_stream_is_a_timeout_result_not_a_crash(kind):
    with running_fake_llm(Behaviour(hang=10.0)) as server:
        result = measure(kind, server.url, timeout_s=SOCKET_TIMEOUT_S)

    assert result.status == "error"
    assert result.error_type == ErrorType.TIMEOUT
    assert result.ttft_ms is None  # it hung before any token


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_never_answers_is_a_timeout(kind):
    with running_fake_llm(Behaviour(header_delay=10.0)) as server:
        result = measure(kind, server.url, timeout_s=SOCKET_TIMEOUT_S, stream=False)

    assert result.status == "error"
    assert result.error_type == ErrorType.TIMEOUT


@pytest.mark.parametrize("kind", KINDS)
def test_a_trickling_stream_is_cut_at_the_total_timeout(kind):
    # Each gap (0.6 s) is under the timeout, but the whole answer (2.4 s) is not: the
    # stopwatch's deadline, not the client's per-read timeout, ends it after the second token.
    behaviour = Behaviour(first_token_delay=0.6, token_delay=0.6)
    result = measure_on_fake_clock(kind, behaviour, timeout_s=1.0)

    assert result.status == "error"
    assert result.error_type == ErrorType.TIMEOUT
    assert "within 1 s" in result.error_message
    assert result.ttft_ms == pytest.approx(600.0)
    # Cut at the deadline check of the second token (1.2 s), before the answer's end (2.4 s).
    assert 1200.0 <= result.latency_ms < 2400.0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (429, ErrorType.RATE_LIMITED),
        (500, ErrorType.SERVER_ERROR),
        (503, ErrorType.SERVER_ERROR),
        (401, ErrorType.AUTH_ERROR),
        (404, ErrorType.BAD_RESPONSE),
    ],
)
def test_an_http_error_is_classified_with_its_status(kind, status, error_type):
    with running_fake_llm(Behaviour(status=status)) as server:
        result = measure(kind, server.url)
        requests_seen = len(server.received)

    assert result.status == "error"
    assert result.error_type == error_type
    assert result.http_status == status
    assert str(status) in result.error_message
    # max_retries=0: one probe run is one request, even for a retryable 429/5xx.
    assert requests_seen == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_malformed_stream_is_a_bad_response(kind):
    with running_fake_llm(Behaviour(malformed=True)) as server:
        result = measure(kind, server.url)

    assert result.status == "error"
    assert result.error_type == ErrorType.BAD_RESPONSE


@pytest.mark.parametrize("kind", ["openai", "openai_compatible"])
def test_an_error_object_mid_stream_is_a_server_error(kind):
    with running_fake_llm(Behaviour(error_mid_stream=True)) as server:
        result = measure(kind, server.url)

    assert result.status == "error"
    assert result.error_type == ErrorType.SERVER_ERROR
    assert "overloaded" in result.error_message
    assert result.ttft_ms is not None  # the first token had arrived


@pytest.mark.parametrize("kind", ["openai", "openai_compatible"])
def test_a_malformed_json_body_is_a_bad_response(kind):
    with running_fake_llm(Behaviour(malformed=True)) as server:
        result = measure(kind, server.url, stream=False)

    assert result.status == "error"
    assert result.error_type == ErrorType.BAD_RESPONSE


@pytest.mark.parametrize("kind", KINDS)
def test_a_refused_connection_is_a_connection_error(kind):
    result = measure(kind, refused_url())

    assert result.status == "error"
    assert result.error_type == ErrorType.CONNECTION_ERROR
    assert result.http_status is None


def test_openai_streams_with_usage_and_sends_the_key():
    with running_fake_llm() as server:
        measure("openai", server.url)
        sent = server.received[0]

    assert sent.path == "/v1/chat/completions"
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["max_completion_tokens"] == 16
    assert sent.body["temperature"] == 0.0
    assert sent.headers["authorization"] == "Bearer sk-test-1234"


def test_openai_compatible_servers_get_the_classic_max_tokens():
    with running_fake_llm() as server:
        measure("openai_compatible", server.url)
        sent = server.received[0]

    assert sent.body["max_tokens"] == 16
    assert "max_completion_tokens" not in sent.body


def test_anthropic_sends_its_key_header_and_streams():
    with running_fake_llm() as server:
        measure("anthropic", server.url)
        sent = server.received[0]

    assert sent.path == "/v1/messages"
    # The SDK decides the header (x-api-key, or a bearer token in this generation).
    key_header = sent.headers.get("x-api-key") or sent.headers.get("authorization", "")
    assert key_header.endswith("sk-test-1234")
    assert "anthropic-version" in sent.headers
    assert sent.body["stream"] is True
    assert sent.body["max_tokens"] == 16


def test_ollama_reports_the_servers_own_timings_in_tags():
    with running_fake_llm(Behaviour(input_tokens=7)) as server:
        result = measure("ollama", server.url)
        sent = server.received[0]

    assert sent.path == "/api/chat"
    assert sent.body["options"] == {"num_predict": 16, "temperature": 0.0}
    assert result.input_tokens == 7
    assert result.tags == {
        "ollama_total_ms": "1234.0",
        "ollama_load_ms": "456.0",
        "ollama_prompt_eval_ms": "78.0",
        "ollama_eval_ms": "600.0",
        "ollama_prompt_eval_count": "7",
        "ollama_eval_count": "4",
    }


def test_every_provider_kind_has_a_transport():
    for kind in ["openai", "anthropic", "ollama", "openai_compatible", "demo"]:
        assert transport_for(kind).kind == kind
    with pytest.raises(KeyError):
        transport_for("gopher")


@pytest.mark.parametrize("kind", KINDS)
def test_every_run_asks_for_a_fresh_connection(kind):
    # Warm and cold connections mixed would make the charted TTFT bimodal.
    with running_fake_llm() as server:
        measure(kind, server.url)
        measure(kind, server.url)
        sent = server.received

    assert [r.headers.get("connection") for r in sent] == ["close", "close"]
