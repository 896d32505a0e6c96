"""OpenAI's Python client (`openai.OpenAI`, `openai.AsyncOpenAI`, Azure and compatible servers).

Instruments `chat.completions.create` (streaming or not) and `embeddings.create` of the
client instance given, without importing `openai`: any client of that shape works.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from ..measure import Measurement
from .wrapping import patch, set_ints

ClientT = TypeVar("ClientT")


def instrument_openai(
    client: ClientT, *, provider: str = "openai", tags: dict[str, str] | None = None
) -> ClientT:
    """Record every chat completion and embedding call of `client`; returns the client.

    `provider` names the service in LLMscope (e.g. "azure", "vllm" for compatible servers).
    Calling it twice on the same client changes nothing.
    """
    chat = getattr(getattr(client, "chat", None), "completions", None)
    patch(
        chat,
        "create",
        provider=provider,
        operation="chat",
        tags=tags,
        on_start=_chat_prompt,
        on_response=_chat_response,
        on_chunk=_chat_chunk,
    )
    patch(
        getattr(client, "embeddings", None),
        "create",
        provider=provider,
        operation="embedding",
        tags=tags,
        on_start=None,
        on_response=_embedding_response,
        on_chunk=None,
    )
    return client


def _usage(event: dict[str, Any], usage: Any) -> None:
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    set_ints(
        event,
        input_tokens=getattr(usage, "prompt_tokens", None),
        output_tokens=getattr(usage, "completion_tokens", None),
        cached_input_tokens=getattr(prompt_details, "cached_tokens", None),
        reasoning_tokens=getattr(completion_details, "reasoning_tokens", None),
    )


def _chat_prompt(m: Measurement, kwargs: dict[str, Any]) -> None:
    m.fields["prompt"] = json.dumps(kwargs.get("messages"), default=str, ensure_ascii=False)


def _chat_response(m: Measurement, response: Any) -> None:
    event = m.fields
    model = getattr(response, "model", None)
    if model:
        event["model"] = model
    usage = getattr(response, "usage", None)
    if usage is not None:
        _usage(event, usage)
    if m.client.config.capture_content:
        choices = getattr(response, "choices", None) or []
        if choices:
            event["completion"] = getattr(choices[0].message, "content", None) or ""


def _chat_chunk(m: Measurement, chunk: Any) -> None:
    choices = chunk.choices
    if choices:
        delta = choices[0].delta
        if delta is not None:
            content = delta.content
            # The opening chunk carries only the role: output starts with content, a tool
            # call or a refusal.
            if content or delta.tool_calls or getattr(delta, "refusal", None):
                m.first_token()
                if content and m.client.config.capture_content:
                    m.fields.setdefault("completion", []).append(content)
    usage = chunk.usage
    if usage is not None:  # the last chunk, with stream_options={"include_usage": True}
        _usage(m.fields, usage)
    if chunk.model:  # the model that answered, as for a response (may name a snapshot)
        m.fields["model"] = chunk.model


def _embedding_response(m: Measurement, response: Any) -> None:
    model = getattr(response, "model", None)
    if model:
        m.fields["model"] = model
    usage = getattr(response, "usage", None)
    set_ints(m.fields, input_tokens=getattr(usage, "prompt_tokens", None))
