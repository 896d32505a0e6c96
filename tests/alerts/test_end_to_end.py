"""End to end on the production path: events with a shift through `POST /api/v1/events`, a
real Celery worker on Redis evaluating the chart, the SPC rule opening the incident, the
real slack_sdk posting to a fake Slack API; the shift ends, the incident resolves and the
resolved message follows; acknowledging through the API stops reminders."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from alerts.incidents import send_reminders
from alerts.models import AlertRule, Channel, Incident
from spc.models import Chart, Violation
from spc.tasks import evaluate_dirty_charts
from tests.alerts.receivers import Receiver, slack_api_answer

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def minute_events(rng, start, minutes, center: float):
    return [
        {
            "model": "gpt-4o",
            "latency_ms": round(float(v), 1),
            "timestamp": (start + timedelta(minutes=i // 8, seconds=5 + (i % 8) * 5)).isoformat(),
        }
        for i, v in enumerate(np.exp(rng.normal(np.log(center), 0.1, minutes * 8)))
    ]


def beat_tick() -> bool:
    """What the beat does every 2 s in production: queue the charts still dirty (events
    that were settling when their evaluation ran)."""
    evaluate_dirty_charts.delay()
    return True


def is_resolved(incident) -> bool:
    return Incident.objects.get(pk=incident.pk).status == "resolved"


def post(api_client, key, events):
    response = api_client.post(
        "/api/v1/events", {"events": events}, format="json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 202, response.content


def test_a_shift_notifies_slack_once_then_resolves(
    api_client, project, make_api_key, celery_worker_live, settings
):
    rng = np.random.default_rng(5)
    key = make_api_key(project)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=150)
    with Receiver(default=slack_api_answer) as slack:
        settings.LLMSCOPE_SLACK_API_URL = slack.url + "/api/"
        channel = Channel(organization=project.organization, kind="slack", name="ops",
                          config={"channel": "#llm-alerts"})  # fmt: skip
        channel.set_secrets({"bot_token": "xoxb-e2e"})
        channel.save()
        # One point per call, so the calls after the shift are charted whenever they come.
        chart = Chart.objects.create(organization=project.organization, project=project,
                                     name="gpt-4o latency", metric="latency_ms",
                                     chart_type="individuals", transform="log",
                                     filter={"model": "gpt-4o"}, baseline_size=50)  # fmt: skip
        rule = AlertRule.objects.create(organization=project.organization, project=project,
                                        name="Latency SPC", kind="spc", spc_rules=[1],
                                        chart_scope="chosen", renotify_minutes=10)  # fmt: skip
        rule.channels.add(channel)
        rule.charts.add(chart)

        # A baseline of 56 calls, then calls three times slower.
        shifted = [
            {"model": "gpt-4o", "latency_ms": 1500.0 + i,
             "timestamp": (start + timedelta(minutes=7, seconds=5 + i * 5)).isoformat()}
            for i in range(3)
        ]  # fmt: skip
        post(api_client, key, minute_events(rng, start, 7, 500.0) + shifted)
        incident = wait_for(lambda: Incident.objects.filter(rule=rule).first())
        assert incident is not None, "no incident opened"
        assert wait_for(lambda: len(slack.requests) >= 1)
        time.sleep(3)  # later sweeps and evaluations must not send it again
        assert len(slack.requests) == 1
        message = slack.requests[0].json()
        assert message["channel"] == "#llm-alerts"
        text = json.dumps(message["blocks"], ensure_ascii=False)
        assert "Beyond 3σ" in text and "went out of control" in text
        assert f"/incidents/{incident.pk}/" in text and "/alerts/charts/" in text
        assert incident.chart == chart

        # The shift is over: 56 ordinary calls bring the chart back in control.
        post(api_client, key, minute_events(rng, start + timedelta(minutes=8), 7, 500.0))
        assert wait_for(lambda: beat_tick() and is_resolved(incident), 90), (
            "the incident did not resolve",
            Incident.objects.get(pk=incident.pk).chart.status,
            list(Violation.objects.filter(chart=incident.chart).values_list("rule", "t", "status")),
            incident.chart.points.count(),
        )
        assert wait_for(lambda: len(slack.requests) >= 2)
        resolved = slack.requests[1].json()
        assert resolved["blocks"][0]["text"]["text"].startswith("Resolved:")
        assert "back in control" in json.dumps(resolved["blocks"], ensure_ascii=False)


def test_acknowledging_through_the_api_stops_reminders(
    api_client, project, make_api_key, celery_worker_live, violated_chart_committed
):
    key = make_api_key(project)
    incident = violated_chart_committed
    with Receiver() as hook:
        channel = incident.rule.channels.get()
        channel.set_secrets(
            {"url": hook.url, "signing_secret": channel.secrets()["signing_secret"]}
        )
        channel.save()
        later = timezone.now() + timedelta(minutes=11)
        assert send_reminders(later) == 1
        assert wait_for(lambda: len(hook.requests) == 1)
        response = api_client.post(
            f"/api/v1/incidents/{incident.pk}/acknowledge", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
        assert response.json()["status"] == "acknowledged"
        assert send_reminders(later + timedelta(minutes=30)) == 0
        assert wait_for(lambda: len(hook.requests) == 2)  # the acknowledgement itself
        time.sleep(1)
    assert [json.loads(r.body)["type"] for r in hook.requests] == [
        "incident.reminder",
        "incident.acknowledged",
    ]


@pytest.fixture
def violated_chart_committed(violated_chart, make_channel, make_rule, webhook_secret):
    """An open incident with reminders every 10 minutes, its first notification already out."""
    from alerts.incidents import Firing, open_or_join

    channel = make_channel(
        "webhook", {"url": "http://127.0.0.1:9/x", "signing_secret": webhook_secret}
    )
    rule = make_rule([], renotify_minutes=10)
    incident = open_or_join(rule, Firing(series_key="chart:x", series_label="x", title="t"))
    rule.channels.add(channel)
    return incident
