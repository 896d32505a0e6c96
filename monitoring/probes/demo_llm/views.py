"""The demo LLM's HTTP face: an OpenAI-compatible `/demo-llm/v1/chat/completions`.

An async view: it sleeps (asyncio) through the simulated time to first token and between
tokens, so hundreds of concurrent demo calls cost the ASGI server almost nothing while they
wait. Streaming answers are a StreamingHttpResponse over an async generator, in the same SSE
shape as OpenAI (role chunk, content chunks, finish chunk, usage chunk when asked, [DONE]).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from .simulation import DemoLLM, IncidentSchedule, SimulatedAnswer

MAX_TOKENS_LIMIT = 4096
_rng = random.Random()
_model: DemoLLM | None = None


def demo_model() -> DemoLLM:
    """The process's demo model, built from settings on first use."""
    global _model
    if _model is None:
        _model = DemoLLM(
            schedule=IncidentSchedule(
                seed=settings.LLMSCOPE_DEMO_SEED,
                period_s=float(settings.LLMSCOPE_DEMO_INCIDENT_PERIOD_S),
                enabled=settings.LLMSCOPE_DEMO_INCIDENTS,
            )
        )
    return _model


def _error(status: int, message: str, kind: str, param: str | None = None) -> JsonResponse:
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return JsonResponse(body, status=status)


def _parse(request: HttpRequest) -> tuple[dict[str, Any] | None, JsonResponse | None]:
    """The validated request body, or an OpenAI-style 400 naming the bad parameter."""
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return None, _error(400, "The body is not valid JSON.", "invalid_request_error")
    if not isinstance(body, dict):
        return None, _error(400, "The body must be a JSON object.", "invalid_request_error")
    if not isinstance(body.get("model"), str) or not body["model"]:
        return None, _error(400, "`model` is required.", "invalid_request_error", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return None, _error(
            400, "`messages` must be a non-empty list.", "invalid_request_error", "messages"
        )
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens", 64))
    if (
        not isinstance(max_tokens, int)
        or isinstance(max_tokens, bool)
        or not 1 <= max_tokens <= MAX_TOKENS_LIMIT
    ):
        return None, _error(
            400,
            f"`max_tokens` must be an integer from 1 to {MAX_TOKENS_LIMIT}.",
            "invalid_request_error",
            "max_tokens",
        )
    body["max_tokens"] = max_tokens
    return body, None


def _prompt_text(messages: list[Any]) -> str:
    parts = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return "\n".join(parts)


@csrf_exempt
async def chat_completions(request: HttpRequest) -> HttpResponse:
    """OpenAI chat completions, simulated (see simulation.py for the behaviour).

    Served only when DEBUG or `LLMSCOPE_DEMO_LLM` is on: in production it is a 404, so that
    nobody uses the instance as a free (if simulated) endpoint or load generator.
    """
    if not (settings.DEBUG or settings.LLMSCOPE_DEMO_LLM):
        raise Http404
    if request.method != "POST":
        return _error(405, "Use POST.", "invalid_request_error")
    body, problem = _parse(request)
    if problem is not None:
        return problem
    answer = demo_model().answer(
        _prompt_text(body["messages"]), body["max_tokens"], time.time(), _rng
    )
    if answer.error_status is not None:
        await asyncio.sleep(answer.ttft_s)
        response = _error(answer.error_status, answer.error_message, "server_error")
        if answer.error_status == 429:
            response["Retry-After"] = "1"
        return response
    model = body["model"]
    if not body.get("stream"):
        await asyncio.sleep(answer.total_s)
        return JsonResponse(_completion(answer, model))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    response = StreamingHttpResponse(
        _stream(answer, model, include_usage), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies must not buffer a token stream
    return response


def _usage(answer: SimulatedAnswer) -> dict[str, int]:
    return {
        "prompt_tokens": answer.input_tokens,
        "completion_tokens": answer.output_tokens,
        "total_tokens": answer.input_tokens + answer.output_tokens,
    }


def _completion(answer: SimulatedAnswer, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-demo-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(answer.tokens)},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(answer),
    }


async def _stream(answer: SimulatedAnswer, model: str, include_usage: bool) -> AsyncIterator[str]:
    base = {
        "id": f"chatcmpl-demo-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return f"data: {json.dumps({**base, 'choices': [choice]})}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    await asyncio.sleep(answer.ttft_s)
    for index, token in enumerate(answer.tokens):
        if index:
            await asyncio.sleep(answer.token_gaps_s[index - 1])
        yield chunk({"content": token})
    yield chunk({}, "stop")
    if include_usage:
        yield f"data: {json.dumps({**base, 'choices': [], 'usage': _usage(answer)})}\n\n"
    yield "data: [DONE]\n\n"
