"""The setup wizard's paths and the copy-paste snippet of each (plain text, escaped by the
template)."""

from __future__ import annotations

import json

PATHS = {
    "rest": "REST API (curl)",
    "sdk": "Python SDK (OpenAI, Anthropic)",
    "python": "Python (requests)",
    "otel": "OpenTelemetry",
    "probe": "Synthetic probe",
}


def _curl(base_url: str, key: str) -> str:
    body = json.dumps(
        {
            "events": [
                {
                    "model": "gpt-4o-mini",
                    "provider": "openai",
                    "latency_ms": 812,
                    "ttft_ms": 240,
                    "input_tokens": 420,
                    "output_tokens": 96,
                }
            ]
        },
        indent=2,
    )
    return (
        f"curl -X POST {base_url}/api/v1/events \\\n"
        f'  -H "Authorization: Bearer {key}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d '{body}'"
    )


def _python(base_url: str, key: str | None) -> str:
    key_line = f'LLMSCOPE_KEY = "{key}"' if key else 'LLMSCOPE_KEY = os.environ["LLMSCOPE_KEY"]'
    return f'''import os
import time

import requests

LLMSCOPE_URL = "{base_url}/api/v1/events"
{key_line}


def record_call(model, started, first_token_at, finished, usage, ok=True):
    """Send one LLM call to LLMscope (times from time.monotonic())."""
    event = {{
        "model": model,
        "latency_ms": (finished - started) * 1000,
        "ttft_ms": (first_token_at - started) * 1000 if first_token_at else None,
        "input_tokens": usage.get("input_tokens"),
        "output_tokens": usage.get("output_tokens"),
        "status": "ok" if ok else "error",
    }}
    event = {{k: v for k, v in event.items() if v is not None}}
    response = requests.post(
        LLMSCOPE_URL,
        json={{"events": [event]}},
        headers={{"Authorization": f"Bearer {{LLMSCOPE_KEY}}"}},
        timeout=5,
    )
    response.raise_for_status()


started = time.monotonic()
# ... call your model here ...
record_call("gpt-4o-mini", started, None, time.monotonic(), {{"output_tokens": 42}})
'''


def _sdk_install(base_url: str, key: str) -> str:
    return (
        "pip install ./sdk/python   # the llmscope package, from LLMscope's repository\n"
        f"export LLMSCOPE_URL={base_url}\n"
        f"export LLMSCOPE_API_KEY={key}\n"
    )


_SDK_APP = """import llmscope
from openai import OpenAI

llmscope.init()  # reads LLMSCOPE_URL and LLMSCOPE_API_KEY
client = llmscope.instrument_openai(OpenAI())  # or llmscope.instrument_anthropic(Anthropic())
# Every call of this client is now recorded: latency, TTFT, tokens, errors.
"""


def _otel(base_url: str, key: str) -> str:
    return (
        "# For any app instrumented with OpenTelemetry GenAI conventions (gen_ai.* spans)\n"
        f"export OTEL_EXPORTER_OTLP_TRACES_ENDPOINT={base_url}/v1/traces\n"
        "export OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf\n"
        f'export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer {key}"\n'
        'export OTEL_RESOURCE_ATTRIBUTES="service.name=my-llm-app,'
        'deployment.environment.name=production"\n'
    )


ENV_KEY = "$LLMSCOPE_KEY"


def snippets(via: str, base_url: str, key: str | None) -> dict[str, str] | None:
    """{"label": text} for the chosen path; the probe path is a form, not a snippet.

    Without a key (it is shown once, when created) the snippets read it from the
    LLMSCOPE_KEY environment variable."""
    if via == "python":
        return {"Record each call from Python": _python(base_url, key)}
    key = key or ENV_KEY
    if via == "rest":
        return {"Send one event with curl": _curl(base_url, key)}
    if via == "sdk":
        return {
            "Install the SDK and give it the key": _sdk_install(base_url, key),
            "Two lines in your app": _SDK_APP,
        }
    if via == "otel":
        return {"Point your OpenTelemetry exporter at LLMscope": _otel(base_url, key)}
    return None
