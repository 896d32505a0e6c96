"""The real `anthropic` client, sync and async, streaming and not, against a fake Anthropic
server, instrumented by the SDK and sending to a live LLMscope."""

from __future__ import annotations

import asyncio
import time

import anthropic
import llmscope
import pytest
from anthropic.types import Message

from tests.monitoring.probes.fake_llm import Behaviour
from tests.sdk.live import stored_events

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Say hello"}]
MODEL = "claude-sonnet-4-6"


def clients(fake_llm):
    options = {
        "api_key": "sk-ant-test",
        "base_url": fake_llm.url,
        "max_retries": 0,
        "open_telemetry": False,
    }
    return anthropic.Anthropic(**options), anthropic.AsyncAnthropic(**options)


def test_a_message_is_stored_with_cache_reads_inside_input_tokens(to_live, fake_llm, project):
    fake_llm.behaviour = Behaviour(first_token_delay=0.1, cached_tokens=30)
    sync, _ = clients(fake_llm)
    llmscope.instrument_anthropic(sync)

    start = time.perf_counter()
    message = sync.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)
    wall_ms = (time.perf_counter() - start) * 1000

    assert type(message) is Message
    assert message.content[0].text == "Hello, world!"
    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    assert (event.provider, event.model, event.status) == ("anthropic", MODEL, "ok")
    assert 100 <= event.latency_ms <= wall_ms
    # Anthropic counts cache reads apart; LLMscope's input tokens include them.
    assert (event.input_tokens, event.cached_input_tokens, event.output_tokens) == (42, 30, 4)


def test_a_stream_gives_ttft_at_the_first_text_delta(to_live, fake_llm, project):
    fake_llm.behaviour = Behaviour(first_token_delay=0.15, token_delay=0.02)
    sync, _ = clients(fake_llm)
    llmscope.instrument_anthropic(sync)

    stream = sync.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
    assert isinstance(stream, anthropic.Stream)
    with stream:
        text = "".join(
            e.delta.text
            for e in stream
            if e.type == "content_block_delta" and e.delta.type == "text_delta"
        )

    assert text == "Hello, world!"
    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    # The server waits 150 ms before the first token and 20 ms between the next three.
    assert 150 <= event.ttft_ms < event.latency_ms
    assert event.latency_ms >= 150 + 3 * 20
    assert (event.input_tokens, event.output_tokens) == (12, 4)


def test_async_calls_streaming_and_not_are_stored(to_live, fake_llm, project):
    _, client = clients(fake_llm)
    llmscope.instrument_anthropic(client)

    async def calls():
        plain = await client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)
        stream = await client.messages.create(
            model="claude-haiku-4-5", max_tokens=64, messages=MESSAGES, stream=True
        )
        assert isinstance(stream, anthropic.AsyncStream)
        kinds = [event.type async for event in stream]
        return plain, kinds

    plain, kinds = asyncio.run(calls())

    assert type(plain) is Message
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert llmscope.flush(timeout=15)
    by_model = {e.model: e for e in stored_events(project)}
    assert by_model[MODEL].ttft_ms is None
    assert by_model["claude-haiku-4-5"].ttft_ms is not None
    assert all((e.input_tokens, e.output_tokens) == (12, 4) for e in by_model.values())


def test_a_rate_limit_is_recorded_and_raised_unchanged(to_live, fake_llm, project):
    fake_llm.behaviour = Behaviour(status=429)
    sync, _ = clients(fake_llm)
    llmscope.instrument_anthropic(sync)

    with pytest.raises(anthropic.RateLimitError) as caught:
        sync.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)

    assert caught.value.status_code == 429
    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    assert (event.status, event.error_type, event.http_status) == ("error", "RateLimitError", 429)


def test_a_broken_stream_is_recorded_as_an_error(to_live, fake_llm, project):
    fake_llm.behaviour = Behaviour(malformed=True)
    sync, _ = clients(fake_llm)
    llmscope.instrument_anthropic(sync)

    stream = sync.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
    with pytest.raises(Exception) as caught:
        list(stream)

    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    assert event.status == "error"
    assert event.error_type == type(caught.value).__name__
