"""OpenAI Chat Completions, through the official `openai` client.

Serves three provider kinds: OpenAI itself, any OpenAI-compatible server reached by base URL
(vLLM, LM Studio, llama.cpp, Ollama's /v1, gateways), and LLMscope's built-in demo LLM.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import openai

from .base import CallOutcome, ErrorType, ProbeCall, ProbeError, Stopwatch, Transport
from .http import FRESH_CONNECTION, sdk_http_client
from .sdk_errors import classify_sdk_error


class OpenAIChatTransport(Transport):
    """OpenAI's own API."""

    kind = "openai"
    label = "OpenAI"
    default_base_url = "https://api.openai.com/v1"
    needs_credential = True
    # OpenAI's reasoning models reject `max_tokens`; compatible servers often only know it.
    max_tokens_param: ClassVar[str] = "max_completion_tokens"

    def _client(self, call: ProbeCall) -> openai.OpenAI:
        return openai.OpenAI(
            # The SDK refuses to build without a key; local servers accept any string.
            api_key=call.api_key or "no-key",
            base_url=call.base_url,
            http_client=sdk_http_client(),
            timeout=call.timeout_s,
            # A probe measures one attempt; a retry would hide the very failure we watch for.
            max_retries=0,
            default_headers=FRESH_CONNECTION,
        )

    def _perform(self, call: ProbeCall, watch: Stopwatch) -> CallOutcome:
        client = self._client(call)
        params: dict[str, Any] = {
            "model": call.model,
            "messages": [{"role": "user", "content": call.prompt}],
            "temperature": call.temperature,
            self.max_tokens_param: call.max_tokens,
        }
        if not call.stream:
            watch.start()
            raw = client.chat.completions.with_raw_response.create(**params)
            completion = raw.parse()
            watch.finish()
            usage = completion.usage
            text = completion.choices[0].message.content if completion.choices else ""
            return CallOutcome(
                http_status=raw.status_code,
                input_tokens=usage.prompt_tokens if usage else None,
                output_tokens=usage.completion_tokens if usage else None,
                completion=text or "",
            )

        watch.start()
        # The official client sends the request (auth, headers, status errors); the event
        # stream is read from its raw response. Its typed stream would build a pydantic
        # object per chunk, which triples the CPU cost of a probe call (about 25 ms against
        # 8 ms for 64 tokens) for nothing a probe reads; the wire timing is the same.
        with client.chat.completions.with_streaming_response.create(
            **params, stream=True, stream_options={"include_usage": True}
        ) as response:
            parts: list[str] = []
            usage: dict[str, Any] = {}
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue  # blank separators, SSE comments and event names
                data = line[5:].strip()
                if data == "[DONE]":
                    # Read on to the end rather than break: the answer's last byte is what
                    # the latency measures.
                    continue
                chunk = _parse_chunk(data)
                choices = chunk.get("choices") or []
                if choices and isinstance(choices[0], dict):
                    content = (choices[0].get("delta") or {}).get("content")
                    if content:
                        watch.mark_first_token()
                        parts.append(content)
                if isinstance(chunk.get("usage"), dict):
                    usage = chunk["usage"]
                watch.check_deadline()
            watch.finish()
        return CallOutcome(
            http_status=response.status_code,
            input_tokens=_count(usage.get("prompt_tokens")),
            output_tokens=_count(usage.get("completion_tokens")),
            completion="".join(parts),
        )

    def _classify(self, exc: Exception) -> tuple[str, str, int | None]:
        return classify_sdk_error(exc, openai)


def _parse_chunk(data: str) -> dict[str, Any]:
    """One `data:` payload of the stream; an error object mid-stream is the provider
    failing after it had answered 200."""
    try:
        chunk = json.loads(data)
    except ValueError as exc:
        raise ProbeError(ErrorType.BAD_RESPONSE, f"malformed stream chunk: {data[:80]!r}") from exc
    if not isinstance(chunk, dict):
        raise ProbeError(ErrorType.BAD_RESPONSE, f"stream chunk is not an object: {data[:80]!r}")
    error = chunk.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else error
        raise ProbeError(ErrorType.SERVER_ERROR, f"provider error mid-stream: {message}")
    return chunk


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class OpenAICompatibleTransport(OpenAIChatTransport):
    """Any server speaking OpenAI's chat completions at a user-given base URL."""

    kind = "openai_compatible"
    label = "OpenAI-compatible"
    default_base_url = ""
    needs_credential = False
    max_tokens_param = "max_tokens"


class DemoTransport(OpenAICompatibleTransport):
    """The simulated LLM built into LLMscope (its URL comes from settings, not the user)."""

    kind = "demo"
    label = "Demo LLM (built in)"
