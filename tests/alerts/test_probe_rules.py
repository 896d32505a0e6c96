"""Probe down: real probe runs against a local endpoint that starts failing; N failures in a
row open the incident, M successes resolve it."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from alerts.models import Incident
from monitoring.probes.runs import record_event
from tests.alerts.receivers import Answer, Receiver
from tests.monitoring.probes.factories import make_probe

pytestmark = pytest.mark.django_db

COMPLETION = json.dumps(
    {
        "id": "c1", "object": "chat.completion", "created": 1, "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
).encode()  # fmt: skip


def run(probe, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        now = timezone.now()
        return record_event(probe, probe.measure(), now, now, "manual")


def test_probe_down_after_n_failures_and_recovered_after_m_successes(
    project, make_rule, make_channel, webhook_secret, django_capture_on_commit_callbacks
):
    llm = Receiver(default=Answer(200, COMPLETION, {"Content-Type": "application/json"}))
    with llm, Receiver() as hook:
        probe = make_probe(project, base_url=llm.url + "/v1", stream=False)
        channel = make_channel("webhook", {"url": hook.url, "signing_secret": webhook_secret})
        make_rule([channel], kind="probe_down", probe=probe, failures=3, recoveries=2)
        run(probe, django_capture_on_commit_callbacks)
        llm.default = Answer(500, b'{"error": {"message": "overloaded"}}',
                             {"Content-Type": "application/json"})  # fmt: skip
        for _ in range(2):
            assert run(probe, django_capture_on_commit_callbacks).status == "error"
        assert not Incident.objects.exists()  # two failures: not yet
        run(probe, django_capture_on_commit_callbacks)
        incident = Incident.objects.get()
        assert incident.title == f"Probe “{probe.name}” is down"
        assert "failed its last 3 runs" in incident.details["what"]
        llm.default = Answer(200, COMPLETION, {"Content-Type": "application/json"})
        run(probe, django_capture_on_commit_callbacks)
        incident.refresh_from_db()
        assert incident.status == "open"  # one success is not a recovery
        run(probe, django_capture_on_commit_callbacks)
        incident.refresh_from_db()
        assert incident.status == "resolved"
    assert [r.json()["type"] for r in hook.requests] == ["incident.opened", "incident.resolved"]
