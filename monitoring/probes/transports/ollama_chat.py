"""Ollama's native chat API (`POST /api/chat`, NDJSON stream) over httpx.

Ollama has no official Python client in our stack, and its native API reports what the
OpenAI-compatible endpoint hides: the server's own model load time, prompt-eval and eval
counters and durations. Those go into the event's tags.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from .base import (
    CallOutcome,
    ErrorType,
    ProbeCall,
    ProbeError,
    Stopwatch,
    Transport,
    error_type_for_status,
)
from .http import plain_http_client

# Ollama reports durations in nanoseconds; tags hold milliseconds like every other duration.
_DURATION_TAGS = {
    "total_duration": "ollama_total_ms",
    "load_duration": "ollama_load_ms",
    "prompt_eval_duration": "ollama_prompt_eval_ms",
    "eval_duration": "ollama_eval_ms",
}
_COUNT_TAGS = {
    "prompt_eval_count": "ollama_prompt_eval_count",
    "eval_count": "ollama_eval_count",
}


class OllamaChatTransport(Transport):
    """A local or remote Ollama server."""

    kind = "ollama"
    label = "Ollama"
    default_base_url = "http://127.0.0.1:11434"
    needs_credential = False

    def _perform(self, call: ProbeCall, watch: Stopwatch) -> CallOutcome:
        body = {
            "model": call.model,
            "messages": [{"role": "user", "content": call.prompt}],
            "stream": call.stream,
            "options": {"num_predict": call.max_tokens, "temperature": call.temperature},
        }
        headers = {"Connection": "close"}  # a fresh connection per run, see http.py
        if call.api_key:
            headers["Authorization"] = f"Bearer {call.api_key}"
        url = call.base_url.rstrip("/") + "/api/chat"
        watch.start()
        with plain_http_client().stream(
            "POST", url, json=body, headers=headers, timeout=call.timeout_s
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise ProbeError(
                    error_type_for_status(response.status_code),
                    f"HTTP {response.status_code}: {_error_text(response)}",
                    response.status_code,
                )
            parts: list[str] = []
            final: dict[str, Any] | None = None
            for line in response.iter_lines():
                if not line.strip():
                    continue
                message = _parse_line(line)
                if message.get("error"):
                    raise ProbeError(
                        ErrorType.SERVER_ERROR,
                        f"ollama error: {message['error']}",
                        response.status_code,
                    )
                content = (message.get("message") or {}).get("content") or ""
                if content:
                    watch.mark_first_token()
                    parts.append(content)
                if message.get("done"):
                    final = message
                watch.check_deadline()
            watch.finish()
            if final is None:
                raise ProbeError(
                    ErrorType.BAD_RESPONSE,
                    "stream ended without a final message (done=true)",
                    response.status_code,
                )
        return CallOutcome(
            http_status=response.status_code,
            input_tokens=_int_or_none(final.get("prompt_eval_count")),
            output_tokens=_int_or_none(final.get("eval_count")),
            completion="".join(parts),
            tags=_server_tags(final),
        )

    def _classify(self, exc: Exception) -> tuple[str, str, int | None]:
        if isinstance(exc, httpx.TimeoutException):
            return ErrorType.TIMEOUT, "request timed out", None
        if isinstance(exc, httpx.DecodingError):
            return ErrorType.BAD_RESPONSE, f"broken response: {exc}", None
        # A server hanging up mid-answer (RemoteProtocolError) is a connection failure.
        if isinstance(exc, httpx.TransportError):
            return ErrorType.CONNECTION_ERROR, f"connection failed: {exc}", None
        return ErrorType.BAD_RESPONSE, f"unexpected response: {type(exc).__name__}: {exc}", None


def _parse_line(line: str) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError as exc:
        raise ProbeError(ErrorType.BAD_RESPONSE, f"malformed stream line: {line[:80]!r}") from exc
    if not isinstance(message, dict):
        raise ProbeError(ErrorType.BAD_RESPONSE, f"stream line is not an object: {line[:80]!r}")
    return message


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", ""))[:200]
    except ValueError:
        return response.text[:200]


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and value >= 0 else None


def _server_tags(final: dict[str, Any]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for key, tag in _DURATION_TAGS.items():
        value = final.get(key)
        if isinstance(value, int | float):
            tags[tag] = f"{value / 1e6:.1f}"
    for key, tag in _COUNT_TAGS.items():
        value = final.get(key)
        if isinstance(value, int):
            tags[tag] = str(value)
    return tags
