"""Delivery of events: batching, retries, Retry-After, ids, the bounded queue, exit, fork.

Against a stand-in for the ingest endpoint that validates with LLMscope's own schema
(`fake_ingest.py`), so that it can lose answers and script 429/503 on demand.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import llmscope
import pytest

from tests.monitoring.probes.fake_llm import refused_url

ROOT = Path(__file__).resolve().parents[2]


def record(n: int, prefix: str = "call") -> None:
    for i in range(n):
        with llmscope.span(f"{prefix}-{i}", provider="custom"):
            pass


def test_events_arrive_gzipped_with_ids_and_the_key(sdk, fake_ingest):
    sdk(fake_ingest.url, key="lls_abc")
    record(3)
    assert llmscope.flush(timeout=10)
    [attempt] = fake_ingest.attempts
    assert attempt.path == "/api/v1/events"
    assert attempt.headers["authorization"] == "Bearer lls_abc"
    assert attempt.headers["content-encoding"] == "gzip"
    assert attempt.answered == 202  # the server's own validation passed
    events = attempt.body["events"]
    assert [e["model"] for e in events] == ["call-0", "call-1", "call-2"]
    assert len({e["id"] for e in events}) == 3
    assert all(e["environment"] == "production" and e["operation"] == "other" for e in events)


def test_a_batch_holds_at_most_the_batch_size(sdk, fake_ingest):
    client = sdk(fake_ingest.url, max_batch_size=4, flush_interval=60)
    record(10)
    assert llmscope.flush(timeout=10)
    assert [len(a.body["events"]) for a in fake_ingest.attempts] == [4, 4, 2]
    assert client.events.sent == 10


def test_a_lost_answer_is_retried_with_the_same_ids_and_stored_once(sdk, fake_ingest):
    fake_ingest.script = [("lost", {})]
    client = sdk(fake_ingest.url)
    record(3)
    assert llmscope.flush(timeout=20)
    first, second = fake_ingest.attempts
    assert first.answered == "lost" and second.answered == 202
    ids = [e["id"] for e in first.body["events"]]
    assert [e["id"] for e in second.body["events"]] == ids
    assert len(fake_ingest.accepted_ids) == 3
    assert client.events.sent == 3 and client.events.retries == 1


def test_429_waits_for_retry_after(sdk, fake_ingest):
    fake_ingest.script = [(429, {"Retry-After": "2"})]
    sdk(fake_ingest.url)
    record(1)
    assert llmscope.flush(timeout=20)
    first, second = fake_ingest.attempts
    assert (first.answered, second.answered) == (429, 202)
    assert second.at - first.at >= 2.0
    assert first.body == second.body


def test_5xx_is_retried_with_backoff(sdk, fake_ingest):
    fake_ingest.script = [(503, {}), (500, {})]
    client = sdk(fake_ingest.url)
    record(2)
    assert llmscope.flush(timeout=20)
    assert [a.answered for a in fake_ingest.attempts] == [503, 500, 202]
    assert len(fake_ingest.events) == 2 and client.events.retries == 2


def test_a_refused_batch_is_not_retried(sdk, fake_ingest):
    fake_ingest.script = [(401, {})]
    client = sdk(fake_ingest.url)
    record(2)
    assert llmscope.flush(timeout=10)
    assert [a.answered for a in fake_ingest.attempts] == [401]
    assert client.events.rejected == 2


def test_invalid_items_are_dropped_and_the_rest_delivered(sdk, fake_ingest):
    client = sdk(fake_ingest.url)
    record(1, "good")
    # A value no instrumented call produces: a hand-made field the server refuses.
    client.record({"model": "bad", "latency_ms": 5.0, "ttft_ms": 9.0})
    record(1, "also-good")
    assert llmscope.flush(timeout=10)
    assert [a.answered for a in fake_ingest.attempts] == [400, 202]
    assert [e["model"] for e in fake_ingest.events] == ["good-0", "also-good-0"]
    assert client.events.rejected == 1


def test_a_full_queue_drops_the_oldest_and_counts_them(sdk, fake_ingest):
    # The thread sends only when flushed: the queue fills as while LLMscope is unreachable.
    client = sdk(fake_ingest.url, max_queue_size=5, flush_interval=3600)
    record(8)
    assert client.events.dropped == 3
    assert client.events.pending == 5
    assert llmscope.flush(timeout=10)
    assert [e["model"] for e in fake_ingest.events] == [f"call-{i}" for i in range(3, 8)]


def test_events_wait_while_llmscope_is_down_and_the_app_is_never_blocked(sdk):
    client = sdk(refused_url(), flush_interval=0.05)
    record(3)
    # Nothing reachable: flush gives up at its timeout, the events stay queued.
    assert not llmscope.flush(timeout=0.5)
    assert client.events.pending == 3
    assert client.events.retries >= 1


def test_without_an_api_key_nothing_is_recorded(fake_ingest, monkeypatch, caplog):
    monkeypatch.delenv("LLMSCOPE_API_KEY", raising=False)
    assert llmscope.init(base_url=fake_ingest.url) is None
    assert "no API key" in caplog.text
    record(2)
    assert llmscope.flush(timeout=1)
    assert fake_ingest.attempts == []


def test_settings_come_from_the_environment(fake_ingest, monkeypatch):
    monkeypatch.setenv("LLMSCOPE_API_KEY", "lls_from_env")
    monkeypatch.setenv("LLMSCOPE_URL", fake_ingest.url + "/api/v1/")
    monkeypatch.setenv("LLMSCOPE_ENVIRONMENT", "staging")
    try:
        client = llmscope.init()
        assert client.config.base_url == fake_ingest.url
        record(1)
        assert llmscope.flush(timeout=10)
    finally:
        llmscope.shutdown()
    [attempt] = fake_ingest.attempts
    assert attempt.headers["authorization"] == "Bearer lls_from_env"
    assert attempt.body["events"][0]["environment"] == "staging"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sample_rate": 1.5}, "sample_rate"),
        ({"base_url": "llmscope.example.com"}, "http://"),
        ({"environment": "x" * 65}, "environment"),
    ],
)
def test_bad_settings_are_refused_at_init(options, message):
    with pytest.raises(ValueError, match=message):
        llmscope.init(api_key="lls_x", **options)


def test_a_sample_rate_of_zero_records_nothing(sdk, fake_ingest):
    sdk(fake_ingest.url, sample_rate=0.0)
    record(20)
    assert llmscope.flush(timeout=5)
    assert fake_ingest.attempts == []


def run_script(source: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_exit_flushes_what_is_queued(fake_ingest):
    result = run_script(
        """
        import llmscope
        llmscope.init(flush_interval=3600)  # only the exit can send it
        with llmscope.span("at-exit"):
            pass
        """,
        LLMSCOPE_API_KEY="lls_exit",
        LLMSCOPE_URL=fake_ingest.url,
    )
    assert result.returncode == 0, result.stderr
    assert [e["model"] for e in fake_ingest.events] == ["at-exit"]


def test_a_forked_child_delivers_its_own_events(fake_ingest):
    result = run_script(
        """
        import os, sys
        import llmscope
        llmscope.init()
        with llmscope.span("parent-before-fork"):
            pass
        pid = os.fork()
        if pid == 0:
            with llmscope.span("child", tags={"pid": os.getpid()}):
                pass
            sys.exit(0)  # a normal exit: the child's own exit flush sends its events
        with llmscope.span("parent-after-fork"):
            pass
        _, status = os.waitpid(pid, 0)
        print(pid, os.waitstatus_to_exitcode(status))
        """,
        LLMSCOPE_API_KEY="lls_fork",
        LLMSCOPE_URL=fake_ingest.url,
    )
    assert result.returncode == 0, result.stderr
    child_pid, child_code = result.stdout.split()
    assert child_code == "0"
    models = sorted(e["model"] for e in fake_ingest.events)
    assert models == ["child", "parent-after-fork", "parent-before-fork"]
    [child] = [e for e in fake_ingest.events if e["model"] == "child"]
    assert child["tags"] == {"pid": child_pid}
    # Nothing was sent twice: the child left the parent's queued event to the parent.
    sent = [e["id"] for a in fake_ingest.attempts for e in a.body["events"]]
    assert len(sent) == len(set(sent)) == 3
