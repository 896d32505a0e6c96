"""Benchmark: latency the Python SDK adds to an OpenAI call, instrumented vs not.

Run:

    .venv/bin/python benchmarks/sdk_overhead.py            # 5000 calls of each kind
    .venv/bin/python benchmarks/sdk_overhead.py --smoke    # a few hundred, seconds

Two clients make the same chat completion calls, one plain (the baseline) and one
instrumented with `llmscope.instrument_openai`, alternating call by call so that the
machine's load falls on both alike. Three ways:

- `SDK alone`: a client-shaped object whose `chat.completions.create` returns a ready-made
  `ChatCompletion` (or a stream of ready-made chunks), so that the difference is exactly what
  the SDK's wrapper adds to a call, in microseconds;
- `in-process`: the client's HTTP transport answers at once from memory (httpx2's
  MockTransport), so the per-call figures are the client's own work plus the SDK's, without
  socket noise; this is where the added microseconds show;
- `loopback`: a fake OpenAI server on 127.0.0.1 answering instantly (a real HTTP round trip).

Meanwhile the SDK delivers its events for real: its background thread posts them (batched,
gzip) to a sink on 127.0.0.1 in another process, answering 202 as LLMscope does, so that any
cost of delivery on the application's calls shows in the instrumented p99. Printed per case
and mode: p50 and p99 of each client in microseconds, the added p50/p99, and the events
delivered (all of them, none dropped, or the run fails).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
import llmscope
import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.monitoring.probes.fake_llm import running_fake_llm  # noqa: E402

MESSAGES = [{"role": "user", "content": "Say hello"}]
COMPLETION = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello, world!"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16},
}


def stream_body() -> bytes:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0}
    base["model"] = "gpt-4o-mini"
    chunks = [{"role": "assistant", "content": ""}] + [
        {"content": t} for t in ["Hello", ",", " world", "!"]
    ]
    lines = [
        json.dumps({**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]})
        for d in chunks
    ]
    usage = {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}
    lines.append(json.dumps({**base, "choices": [], "usage": usage}))
    return "".join(f"data: {line}\n\n" for line in [*lines, "[DONE]"]).encode()


STREAM_BODY = stream_body()
COMPLETION_BODY = json.dumps(COMPLETION).encode()


def instant_answer(request: httpx2.Request) -> httpx2.Response:
    if json.loads(request.content).get("stream"):
        return httpx2.Response(
            200, content=STREAM_BODY, headers={"content-type": "text/event-stream"}
        )
    return httpx2.Response(
        200, content=COMPLETION_BODY, headers={"content-type": "application/json"}
    )


def serve_sink(port_out: Any) -> None:
    """LLMscope's ingest answer, in its own process: 202 for every batch, counted."""

    class Sink(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"accepted": 1, "duplicates": 0}'
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    port_out.put(server.server_address[1])
    server.serve_forever()


class CannedStream:
    """A stream of ready-made chunks, iterated as the client's `Stream` is (its `_iterator`)."""

    def __init__(self, chunks: list[Any]) -> None:
        self._iterator = iter(chunks)

    def __iter__(self) -> Any:
        yield from self._iterator


class CannedCompletions:
    def __init__(self) -> None:
        self.completion = ChatCompletion.model_validate(COMPLETION)
        self.chunks = [
            ChatCompletionChunk.model_validate_json(line[6:])
            for line in STREAM_BODY.decode().split("\n\n")
            if line.startswith("data: {")
        ]

    def create(self, **kwargs: Any) -> Any:
        return CannedStream(self.chunks) if kwargs.get("stream") else self.completion


class CannedClient:
    """Shaped like `openai.OpenAI` where the SDK looks: `chat.completions.create`."""

    def __init__(self) -> None:
        self.chat = SimpleNamespace(completions=CannedCompletions())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def one_call(client: Any, stream: bool) -> float:
    start = time.perf_counter_ns()
    if stream:
        for _ in client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        ):
            pass
    else:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    return (time.perf_counter_ns() - start) / 1000.0  # µs


def measure(plain: Any, instrumented: Any, calls: int, stream: bool):
    for _ in range(max(20, calls // 20)):  # warm-up: connections, pydantic caches
        one_call(plain, stream)
        one_call(instrumented, stream)
    base: list[float] = []
    sdk: list[float] = []
    for i in range(calls):
        if i % 2:
            base.append(one_call(plain, stream))
            sdk.append(one_call(instrumented, stream))
        else:
            sdk.append(one_call(instrumented, stream))
            base.append(one_call(plain, stream))
    return base, sdk


def report(label: str, base: list[float], sdk: list[float]) -> dict[str, float]:
    figures = {
        "base_p50": statistics.median(base),
        "sdk_p50": statistics.median(sdk),
        "base_p99": percentile(base, 0.99),
        "sdk_p99": percentile(sdk, 0.99),
    }
    added_p50 = figures["sdk_p50"] - figures["base_p50"]
    added_p99 = figures["sdk_p99"] - figures["base_p99"]
    print(
        f"{label:<34} p50 {figures['base_p50']:8.1f} → {figures['sdk_p50']:8.1f} µs "
        f"(added {added_p50:+7.1f})   p99 {figures['base_p99']:8.1f} → "
        f"{figures['sdk_p99']:8.1f} µs (added {added_p99:+8.1f})   "
        f"ratio p50 {figures['sdk_p50'] / figures['base_p50']:.3f}"
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000, help="calls per client and case")
    parser.add_argument("--smoke", action="store_true", help="a few hundred calls, seconds")
    args = parser.parse_args()
    calls = 200 if args.smoke else args.calls

    ports: Any = multiprocessing.get_context("fork").Queue()
    sink = multiprocessing.get_context("fork").Process(target=serve_sink, args=(ports,))
    sink.daemon = True
    sink.start()
    sink_url = f"http://127.0.0.1:{ports.get(timeout=10)}"
    # Calls come far faster here than any app makes LLM calls: a queue that holds them all,
    # so that the figures include delivering every one (the default queue would drop some).

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{calls} calls per client per case, alternating; delivery to {sink_url}")
    failed = False
    canned = [CannedClient(), CannedClient()]
    llmscope.instrument_openai(canned[1])
    # First with delivery held back (the queue only fills: what the app thread pays itself),
    # then delivering: the difference in p99 is what the delivery thread costs the app.
    paused = llmscope.init(api_key="lls_benchmark", base_url=sink_url, max_queue_size=10**6)
    paused.events._thread = threading.current_thread()  # "started": submit never starts one
    for stream in (False, True):
        kind = "stream" if stream else "non-stream"
        report(f"SDK alone, {kind}, held", *measure(*canned, calls * 4, stream))
    paused.events._thread = None
    paused.events._queue.clear()
    llmscope.shutdown()
    client = llmscope.init(api_key="lls_benchmark", base_url=sink_url, max_queue_size=10**6)
    assert client is not None
    started = time.monotonic()
    for stream in (False, True):
        kind = "stream" if stream else "non-stream"
        report(f"SDK alone, {kind}", *measure(*canned, calls * 4, stream))

    transport = httpx2.MockTransport(instant_answer)
    options = {"api_key": "sk-bench", "max_retries": 0}
    in_process = [
        openai.OpenAI(
            base_url="http://llm.invalid/v1",
            http_client=httpx2.Client(transport=transport),
            **options,
        )
        for _ in range(2)
    ]
    llmscope.instrument_openai(in_process[1])
    for stream in (False, True):
        kind = "stream" if stream else "non-stream"
        report(f"in-process, {kind}", *measure(*in_process, calls, stream))

    with running_fake_llm() as fake:
        loopback = [openai.OpenAI(base_url=fake.url + "/v1", **options) for _ in range(2)]
        llmscope.instrument_openai(loopback[1])
        for stream in (False, True):
            kind = "stream" if stream else "non-stream"
            report(f"loopback, {kind}", *measure(*loopback, calls // 4, stream))

    expected = (
        2 * (calls * 4 + max(20, calls // 5))
        + 2 * (calls + max(20, calls // 20))
        + 2 * (calls // 4 + max(20, calls // 80))
    )
    delivered = llmscope.flush(timeout=120)
    elapsed = time.monotonic() - started
    print(
        f"events: {client.events.sent} delivered of {expected}, dropped {client.events.dropped}, "
        f"retries {client.events.retries}; {client.events.sent / elapsed:.0f} events/s "
        f"over the run"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not delivered or client.events.sent != expected or client.events.dropped:
        print("FAILED: not every event was delivered")
        failed = True
    llmscope.shutdown()
    sink.terminate()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
