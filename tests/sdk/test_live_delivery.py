"""Delivery to a real LLMscope that is down for a while: the events arrive once it is back."""

from __future__ import annotations

import time

import llmscope
import pytest

from tests.dashboard.live_app import free_port
from tests.sdk.live import start_live_app, stored_events

pytestmark = pytest.mark.django_db(transaction=True)


def test_events_recorded_while_llmscope_is_down_arrive_once_when_it_is_back(sdk, key, project):
    port = free_port()
    client = sdk(f"http://127.0.0.1:{port}", key, flush_interval=0.2)
    for i in range(5):
        with llmscope.span(f"during-outage-{i}"):
            pass
    # Bounded wait until the SDK has tried and failed at least twice.
    deadline = time.monotonic() + 20
    while client.events.retries < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.events.retries >= 2
    assert client.events.pending == 5

    app = start_live_app(port)
    try:
        assert llmscope.flush(timeout=60)
        with llmscope.span("after-recovery"):
            pass
        assert llmscope.flush(timeout=15)
    finally:
        app.stop()

    models = [e.model for e in stored_events(project)]
    assert sorted(models) == ["after-recovery"] + [f"during-outage-{i}" for i in range(5)]
    assert client.events.sent == 6 and client.events.dropped == 0
