"""End to end with a real Celery worker on Redis: quiet times (cooldown, mute, maintenance)
record the incident and send nothing; a p95 latency threshold and a monthly budget fire and
resolve from events posted to the API; a probe against a local LLM that starts failing is
reported down after N failed runs and recovered after M successes."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import AlertRule, Incident, MaintenanceWindow
from alerts.tasks import check_threshold_rules, decide_spc_task, sweep
from monitoring.models import Event
from monitoring.probes.models import Probe
from monitoring.probes.tasks import tick_probes
from tests.alerts.receivers import Answer, Receiver
from tests.alerts.test_end_to_end import post, wait_for
from tests.alerts.test_probe_rules import COMPLETION
from tests.monitoring.probes.factories import make_probe

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hook(make_channel, webhook_secret):
    with Receiver() as receiver:
        receiver.channel = make_channel(
            "webhook", {"url": receiver.url + "/hook", "signing_secret": webhook_secret}
        )
        yield receiver


def types(receiver) -> list[str]:
    return [json.loads(r.body)["type"] for r in receiver.requests]


def threshold_tick(rule: AlertRule) -> bool:
    """What the beat does every 30 s: the rule is due again, the check is queued."""
    AlertRule.objects.filter(pk=rule.pk).update(next_check_at=None)
    check_threshold_rules.delay()
    return True


@pytest.mark.parametrize("quiet", ["cooldown", "muted", "maintenance"])
def test_quiet_times_record_the_incident_and_the_worker_sends_nothing(
    quiet, violated_chart, hook, make_rule, project, celery_worker_live
):
    now = timezone.now()
    rule = make_rule([hook.channel], cooldown_minutes=30)
    if quiet == "muted":
        rule.mute(now + timedelta(hours=1))
    elif quiet == "maintenance":
        MaintenanceWindow.objects.create(
            organization=project.organization, project=project,
            starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=30),
        )  # fmt: skip
    else:
        Incident.objects.create(
            organization=project.organization, project=project, rule=rule,
            series_key=f"chart:{violated_chart.pk}", title="earlier", status="resolved",
            resolved_at=now - timedelta(minutes=10),
        )  # fmt: skip
    decide_spc_task.delay(violated_chart.pk, [v.pk for v in violated_chart.new_violations])
    incident = wait_for(lambda: Incident.objects.filter(rule=rule, status="open").first())
    assert incident is not None, "no incident recorded"
    sweep.delay()  # a sweep finds nothing due either
    time.sleep(3)
    incident.refresh_from_db()
    assert incident.suppressed == quiet
    assert hook.requests == [] and not incident.deliveries.exists()
    assert incident.events.filter(kind="suppressed", message__startswith="Not sent").exists()


def test_p95_latency_threshold_fires_and_resolves(
    api_client, project, make_api_key, hook, make_rule, celery_worker_live
):
    key = make_api_key(project)
    rule = make_rule([hook.channel], kind="threshold", measure="latency_p95", threshold=1000,
                     window_minutes=5, recovery_minutes=0)  # fmt: skip
    now = timezone.now()

    def calls(latency_ms: float, n: int) -> list[dict]:
        return [
            {"model": "gpt-4o", "latency_ms": latency_ms,
             "timestamp": (now - timedelta(seconds=50 - i * 0.1)).isoformat()}
            for i in range(n)
        ]  # fmt: skip

    post(api_client, key, calls(400.0, 40) + calls(2500.0, 10))  # p95 of the window: 2.5 s
    assert wait_for(lambda: threshold_tick(rule) and Incident.objects.filter(rule=rule).exists())
    assert wait_for(lambda: len(hook.requests) >= 1)
    incident = Incident.objects.get(rule=rule)
    assert "Latency p95" in incident.title and "threshold 1,000 ms" in incident.details["what"]

    post(api_client, key, calls(400.0, 400))  # the slow calls are now under 3 %: p95 is fast
    assert wait_for(
        lambda: threshold_tick(rule) and Incident.objects.get(pk=incident.pk).status == "resolved"
    )
    assert wait_for(lambda: len(hook.requests) >= 2)
    time.sleep(1)
    assert types(hook) == ["incident.opened", "incident.resolved"]
    assert "back on the right side" in hook.requests[1].json()["text"]


def test_monthly_budget_fires_at_its_steps_and_resolves_when_raised(
    api_client, project, make_api_key, hook, make_rule, celery_worker_live
):
    key = make_api_key(project)
    rule = make_rule([hook.channel], kind="threshold", measure="cost_month", threshold=100,
                     recovery_minutes=0)  # fmt: skip
    now = timezone.now()

    def spend(usd: int, seconds_ago: int) -> list[dict]:
        return [{"model": "gpt-4o", "latency_ms": 300.0, "cost_usd": usd,
                 "timestamp": (now - timedelta(seconds=seconds_ago)).isoformat()}]  # fmt: skip

    post(api_client, key, spend(55, 40))
    assert wait_for(lambda: threshold_tick(rule) and len(hook.requests) >= 1)
    post(api_client, key, spend(30, 30))  # $85: the 80 % step notifies again
    assert wait_for(lambda: threshold_tick(rule) and len(hook.requests) >= 2)
    titles = [r.json()["title"].split(": ")[1] for r in hook.requests]
    assert titles == ["50 % of the monthly budget spent", "80 % of the monthly budget spent"]
    assert Incident.objects.filter(rule=rule).count() == 1

    AlertRule.objects.filter(pk=rule.pk).update(threshold=1000)  # the budget is raised
    incident = Incident.objects.get(rule=rule)
    assert wait_for(
        lambda: threshold_tick(rule) and Incident.objects.get(pk=incident.pk).status == "resolved"
    )
    assert wait_for(lambda: len(hook.requests) >= 3)
    assert types(hook) == ["incident.opened", "incident.opened", "incident.resolved"]


def test_probe_down_after_n_failures_against_a_server_that_starts_failing(
    project, hook, make_rule, celery_worker_live
):
    ok = Answer(200, COMPLETION, {"Content-Type": "application/json"})
    failing = Answer(500, b'{"error": {"message": "overloaded"}}',
                     {"Content-Type": "application/json"})  # fmt: skip
    with Receiver(default=ok) as llm:
        probe = make_probe(project, base_url=llm.url + "/v1", stream=False)
        make_rule([hook.channel], kind="probe_down", probe=probe, failures=3, recoveries=2)

        def run_once() -> Event:
            """What the beat's tick does when the probe is due: one run on the worker."""
            seen = Event.objects.filter(probe_id=probe.pk).count()
            Probe.objects.filter(pk=probe.pk).update(next_run_at=timezone.now())
            tick_probes.delay()
            assert wait_for(lambda: Event.objects.filter(probe_id=probe.pk).count()
                            > seen), "the probe did not run"  # fmt: skip
            return Event.objects.filter(probe_id=probe.pk).order_by("-id").first()

        assert run_once().status == "ok"
        llm.default = failing
        assert run_once().status == "error" and run_once().status == "error"
        time.sleep(1)
        assert not Incident.objects.exists()  # two failures: not yet
        assert run_once().status == "error"
        incident = wait_for(lambda: Incident.objects.first())
        assert incident is not None and incident.title == f"Probe “{probe.name}” is down"
        assert wait_for(lambda: len(hook.requests) >= 1)

        llm.default = ok
        run_once()
        time.sleep(1)
        assert Incident.objects.get(pk=incident.pk).status == "open"  # one success: not yet
        run_once()
        assert wait_for(lambda: Incident.objects.get(pk=incident.pk).status == "resolved")
        assert wait_for(lambda: len(hook.requests) >= 2)
    assert types(hook) == ["incident.opened", "incident.resolved"]
