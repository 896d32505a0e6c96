"""Anthropic's Python client (`anthropic.Anthropic`, `anthropic.AsyncAnthropic`).

Instruments `messages.create`, streaming (`stream=True`) or not, of the client instance given.
Anthropic counts cache reads and writes apart from `input_tokens`; LLMscope's input tokens
include them, so the event's `input_tokens` is the sum of the three.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from ..measure import Measurement
from .wrapping import int_or_none, patch, set_ints

ClientT = TypeVar("ClientT")

# Stream deltas that are output (text, tool input, thinking), for TTFT.
OUTPUT_DELTAS = frozenset({"text_delta", "input_json_delta", "thinking_delta", "citations_delta"})


def instrument_anthropic(
    client: ClientT, *, provider: str = "anthropic", tags: dict[str, str] | None = None
) -> ClientT:
    """Record every `messages.create` call of `client`; returns the client."""
    patch(
        getattr(client, "messages", None),
        "create",
        provider=provider,
        operation="chat",
        tags=tags,
        on_start=_prompt,
        on_response=_response,
        on_chunk=_event,
    )
    return client


def _usage(event: dict[str, Any], usage: Any) -> None:
    uncached = int_or_none(getattr(usage, "input_tokens", None))
    read = int_or_none(getattr(usage, "cache_read_input_tokens", None))
    written = int_or_none(getattr(usage, "cache_creation_input_tokens", None))
    if uncached is not None:
        event["input_tokens"] = uncached + (read or 0) + (written or 0)
    set_ints(
        event,
        output_tokens=getattr(usage, "output_tokens", None),
        cached_input_tokens=read,
        cache_creation_input_tokens=written,
    )


def _prompt(m: Measurement, kwargs: dict[str, Any]) -> None:
    prompt = {"system": kwargs.get("system"), "messages": kwargs.get("messages")}
    m.fields["prompt"] = json.dumps(prompt, default=str, ensure_ascii=False)


def _response(m: Measurement, message: Any) -> None:
    model = getattr(message, "model", None)
    if model:
        m.fields["model"] = model
    usage = getattr(message, "usage", None)
    if usage is not None:
        _usage(m.fields, usage)
    if m.client.config.capture_content:
        blocks = getattr(message, "content", None) or []
        m.fields["completion"] = "".join(getattr(b, "text", "") or "" for b in blocks)


def _event(m: Measurement, event: Any) -> None:
    kind = event.type
    if kind == "content_block_delta":
        delta = event.delta
        if delta.type in OUTPUT_DELTAS:
            m.first_token()
            if delta.type == "text_delta" and m.client.config.capture_content:
                m.fields.setdefault("completion", []).append(delta.text)
    elif kind == "message_start":
        message = event.message
        if message.model:
            m.fields["model"] = message.model
        if message.usage is not None:
            _usage(m.fields, message.usage)
    elif kind == "message_delta" and event.usage is not None:
        # Cumulative counts for the whole message; input fields appear only when known.
        usage = event.usage
        set_ints(m.fields, output_tokens=usage.output_tokens)
        if int_or_none(getattr(usage, "input_tokens", None)) is not None:
            _usage(m.fields, usage)
