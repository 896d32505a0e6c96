"""Anthropic Messages API, through the official `anthropic` client (streaming events)."""

from __future__ import annotations

import anthropic

from .base import CallOutcome, ProbeCall, Stopwatch, Transport
from .http import FRESH_CONNECTION, sdk_http_client
from .sdk_errors import classify_sdk_error


class AnthropicMessagesTransport(Transport):
    """Anthropic's API; the base URL is the host root (the SDK appends `/v1/messages`)."""

    kind = "anthropic"
    label = "Anthropic"
    default_base_url = "https://api.anthropic.com"
    needs_credential = True

    def _client(self, call: ProbeCall) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            api_key=call.api_key or "no-key",
            base_url=call.base_url,
            http_client=sdk_http_client(),
            timeout=call.timeout_s,
            max_retries=0,  # one attempt per probe run, see OpenAIChatTransport
            default_headers=FRESH_CONNECTION,
            # Probes are not traced by the SDK: each would be a span nobody asked for.
            open_telemetry=False,
        )

    def _perform(self, call: ProbeCall, watch: Stopwatch) -> CallOutcome:
        client = self._client(call)
        # No temperature: the Messages API of this SDK generation has no sampling parameters,
        # so the probe's temperature setting does not apply to Anthropic.
        params = {
            "model": call.model,
            "max_tokens": call.max_tokens,
            "messages": [{"role": "user", "content": call.prompt}],
        }
        if not call.stream:
            watch.start()
            raw = client.messages.with_raw_response.create(**params)
            message = raw.parse()
            watch.finish()
            text = "".join(getattr(block, "text", "") for block in message.content)
            return CallOutcome(
                http_status=raw.status_code,
                input_tokens=message.usage.input_tokens,
                output_tokens=message.usage.output_tokens,
                completion=text,
            )

        watch.start()
        stream = client.messages.create(**params, stream=True)
        parts: list[str] = []
        input_tokens: int | None = None
        output_tokens: int | None = None
        with stream:
            for event in stream:
                if event.type == "message_start":
                    input_tokens = event.message.usage.input_tokens
                    output_tokens = event.message.usage.output_tokens
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    if event.delta.text:
                        watch.mark_first_token()
                        parts.append(event.delta.text)
                elif event.type == "message_delta" and event.usage is not None:
                    # Cumulative count for the whole message, final in the last delta.
                    output_tokens = event.usage.output_tokens
                watch.check_deadline()
            watch.finish()
        return CallOutcome(
            http_status=stream.response.status_code,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            completion="".join(parts),
        )

    def _classify(self, exc: Exception) -> tuple[str, str, int | None]:
        return classify_sdk_error(exc, anthropic)
