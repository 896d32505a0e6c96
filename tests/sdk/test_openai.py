"""The real `openai` client, sync and async, streaming and not, against a fake OpenAI server,
instrumented by the SDK and sending to a live LLMscope: what is stored, what the app gets."""

from __future__ import annotations

import asyncio
import time

import llmscope
import openai
import pytest
from openai.types.chat import ChatCompletion

from tests.monitoring.probes.fake_llm import Behaviour
from tests.sdk.live import stored_events

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Say hello"}]


def clients(fake_llm):
    options = {"api_key": "sk-test", "base_url": fake_llm.url + "/v1", "max_retries": 0}
    return openai.OpenAI(**options), openai.AsyncOpenAI(**options)


def timed(call):
    """(result, wall milliseconds around the call)."""
    start = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - start) * 1000


def test_a_chat_completion_is_stored_with_its_latency_and_tokens(to_live, fake_llm, project):
    fake_llm.behaviour = Behaviour(first_token_delay=0.12, cached_tokens=5)
    sync, _ = clients(fake_llm)
    llmscope.instrument_openai(sync)

    result, wall_ms = timed(
        lambda: sync.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    )

    assert type(result) is ChatCompletion
    assert result.choices[0].message.content == "Hello, world!"
    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    assert (event.provider, event.model, event.operation) == ("openai", "gpt-4o-mini", "chat")
    assert 120 <= event.latency_ms <= wall_ms
    assert event.ttft_ms is None
    assert (event.input_tokens, event.output_tokens, event.cached_input_tokens) == (12, 4, 5)
    assert event.status == "ok" and event.error_type == ""
    assert event.source == "api" and event.environment == "production"
    assert event.prompt_hash == ""  # no text leaves the app unless asked


def test_a_stream_gives_ttft_at_the_first_content_and_usage_from_the_last_chunk(
    to_live, fake_llm, project
):
    fake_llm.behaviour = Behaviour(first_token_delay=0.15, token_delay=0.03)
    sync, _ = clients(fake_llm)
    llmscope.instrument_openai(sync)

    def call():
        stream = sync.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        assert isinstance(stream, openai.Stream)
        with stream:
            return [c.choices[0].delta.content for c in stream if c.choices]

    pieces, wall_ms = timed(call)

    assert "".join(p or "" for p in pieces) == "Hello, world!"
    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    # TTFT is at the first content, not the role-only opening chunk sent at once.
    assert event.ttft_ms >= 150
    assert event.ttft_ms + 3 * 30 <= event.latency_ms <= wall_ms
    assert (event.input_tokens, event.output_tokens) == (12, 4)
    assert event.output_tokens_per_s is not None


def test_a_stream_without_usage_has_no_token_counts(to_live, fake_llm, project):
    sync, _ = clients(fake_llm)
    llmscope.instrument_openai(sync)
    stream = sync.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert len(list(stream)) == 6  # role, four tokens, stop: the client's own chunks
    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    assert event.ttft_ms is not None and event.input_tokens is None
    assert event.status == "ok"


def test_async_calls_streaming_and_not_are_stored(to_live, fake_llm, project):
    fake_llm.behaviour = Behaviour(first_token_delay=0.1)
    _, client = clients(fake_llm)
    llmscope.instrument_openai(client)

    async def calls():
        plain = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        assert isinstance(stream, openai.AsyncStream)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        return plain, text

    plain, text = asyncio.run(calls())

    assert type(plain) is ChatCompletion
    assert plain.choices[0].message.content == text == "Hello, world!"
    assert llmscope.flush(timeout=15)
    by_model = {e.model: e for e in stored_events(project)}
    assert by_model["gpt-4o"].ttft_ms is None and by_model["gpt-4o"].latency_ms >= 100
    assert by_model["gpt-4o-mini"].ttft_ms >= 100
    assert all((e.input_tokens, e.output_tokens) == (12, 4) for e in by_model.values())


def test_an_error_is_recorded_and_raised_unchanged(to_live, fake_llm, project):
    fake_llm.behaviour = Behaviour(status=500)
    sync, _ = clients(fake_llm)
    llmscope.instrument_openai(sync)

    with pytest.raises(openai.InternalServerError) as caught:
        sync.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert caught.value.status_code == 500
    assert "fake status 500" in str(caught.value)
    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    assert (event.status, event.error_type, event.http_status) == (
        "error",
        "InternalServerError",
        500,
    )


def test_an_error_in_the_middle_of_a_stream_is_recorded_and_raised(to_live, fake_llm, project):
    fake_llm.behaviour = Behaviour(error_mid_stream=True)
    sync, _ = clients(fake_llm)
    llmscope.instrument_openai(sync)

    stream = sync.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    with pytest.raises(openai.APIError, match="overloaded"):
        for _ in stream:
            pass

    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    assert (event.status, event.error_type) == ("error", "APIError")
    assert event.ttft_ms is not None  # one token came before the failure


def test_embeddings_are_stored_as_embedding_calls(to_live, fake_llm, project):
    sync, _ = clients(fake_llm)
    llmscope.instrument_openai(sync)
    result = sync.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert len(result.data) == 2
    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    assert (event.operation, event.model, event.input_tokens) == (
        "embedding",
        "text-embedding-3-small",
        12,
    )


def test_prompt_and_completion_are_sent_only_when_turned_on(
    sdk, live_llmscope, key, fake_llm, project
):
    project.store_prompts = True
    project.save()
    sdk(live_llmscope.url, key, capture_content=True)
    sync, _ = clients(fake_llm)
    llmscope.instrument_openai(sync)
    sync.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    assert event.prompt_hash
    assert event.completion == "Hello, world!"
    assert "Say hello" in event.prompt


def test_span_tags_go_on_the_calls_inside_and_observe_records_any_function(
    to_live, fake_llm, project
):
    sync, _ = clients(fake_llm)
    llmscope.instrument_openai(sync, tags={"service": "chatbot"})

    @llmscope.observe(model="reranker-v2", provider="custom", tags={"stage": "rerank"})
    def rerank(items):
        return sorted(items)

    with llmscope.span("answer", tags={"customer": "acme"}) as span:
        assert rerank([3, 1, 2]) == [1, 2, 3]
        sync.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        span.set(output_tokens=7)

    assert llmscope.flush(timeout=15)
    events = {e.model: e for e in stored_events(project)}
    assert events["gpt-4o"].tags == {"service": "chatbot", "customer": "acme"}
    assert events["reranker-v2"].tags == {"stage": "rerank", "customer": "acme"}
    assert events["reranker-v2"].operation == "other"
    assert events["answer"].tags == {"customer": "acme"}
    assert events["answer"].output_tokens == 7
    assert events["answer"].latency_ms >= events["gpt-4o"].latency_ms


def test_an_exception_in_an_observed_function_is_recorded_and_raised(to_live, project):
    class PaymentDeclined(Exception):
        pass

    @llmscope.observe
    def charge():
        raise PaymentDeclined("card expired")

    with pytest.raises(PaymentDeclined, match="card expired"):
        charge()
    assert llmscope.flush(timeout=15)
    [event] = stored_events(project)
    assert event.model.endswith("charge")
    assert (event.status, event.error_type) == ("error", "PaymentDeclined")


def test_an_uninstrumented_client_sends_nothing(to_live, fake_llm, project):
    sync, _ = clients(fake_llm)
    sync.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert llmscope.flush(timeout=15)
    assert stored_events(project) == []
