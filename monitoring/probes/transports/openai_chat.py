"""OpenAI Chat Completions, through the official `openai` client.

Serves three provider kinds: OpenAI itself, any OpenAI-compatible server reached by base URL
(vLLM, LM Studio, llama.cpp, Ollama's /v1, gateways), and LLMscope's built-in demo LLM.
"""

from __future__ import annotations

from typing import Any, ClassVar

import openai

from .base import CallOutcome, ProbeCall, Stopwatch, Transport
from .http import sdk_http_client
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
        stream = client.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}
        )
        parts: list[str] = []
        usage = None
        with stream:
            for chunk in stream:
                if chunk.choices:
                    delta = chunk.choices[0].delta
                    if delta is not None and delta.content:
                        watch.mark_first_token()
                        parts.append(delta.content)
                if chunk.usage is not None:
                    usage = chunk.usage
                watch.check_deadline()
            watch.finish()
        return CallOutcome(
            http_status=stream.response.status_code,
            input_tokens=usage.prompt_tokens if usage else None,
            output_tokens=usage.completion_tokens if usage else None,
            completion="".join(parts),
        )

    def _classify(self, exc: Exception) -> tuple[str, str, int | None]:
        return classify_sdk_error(exc, openai)


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
