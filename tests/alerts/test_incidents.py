"""Incidents from SPC rules: one per (rule, chart), later firings join it, back in control
resolves it; mute, maintenance and cooldown record without sending; reminders stop once
acknowledged; "N violations within M minutes"."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from alerts.incidents import resolve_incident, send_reminders
from alerts.models import Delivery, Incident, MaintenanceWindow
from alerts.spc_rules import decide_chart
from spc.models import Chart
from tests.alerts.receivers import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(make_channel, webhook_secret):
    with Receiver() as receiver:
        receiver.channel = make_channel(
            "webhook", {"url": receiver.url, "signing_secret": webhook_secret}
        )
        yield receiver


def test_a_violation_opens_one_incident_and_a_second_joins_it(
    violated_chart, hook, make_rule, fire
):
    make_rule([hook.channel])
    [incident] = fire(violated_chart)
    assert incident.status == Incident.Status.OPEN
    assert incident.series_key == f"chart:{violated_chart.pk}"
    assert list(incident.violations.all()) == violated_chart.new_violations
    fire(violated_chart)  # the same chart fires again while the incident is open
    incident.refresh_from_db()
    assert incident.firing_count == 2
    assert Incident.objects.count() == 1 and len(hook.requests) == 1
    assert [e.kind for e in incident.timeline()] == ["opened", "notified", "joined"]


def test_back_in_control_resolves_and_sends_the_resolved_notification(
    violated_chart, hook, make_rule, fire, django_capture_on_commit_callbacks
):
    make_rule([hook.channel])
    [incident] = fire(violated_chart)
    Chart.objects.filter(pk=violated_chart.pk).update(status=Chart.Status.IN_CONTROL)
    violated_chart.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        decide_chart(violated_chart, [])
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert [r.json()["type"] for r in hook.requests] == ["incident.opened", "incident.resolved"]
    assert "back in control" in hook.requests[1].json()["text"]


def test_no_new_flag_for_the_recovery_period_resolves_while_the_chart_is_still_flagged(
    violated_chart, hook, make_rule, fire, django_capture_on_commit_callbacks
):
    from spc.models import ChartPoint

    make_rule([hook.channel], recovery_minutes=5)
    [incident] = fire(violated_chart)
    assert violated_chart.status == Chart.Status.OUT_OF_CONTROL
    flagged_at = violated_chart.new_violations[-1].created_at
    with django_capture_on_commit_callbacks(execute=True):
        decide_chart(violated_chart, [], now=flagged_at + timedelta(minutes=6))
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN  # no point charted since the flag
    last = violated_chart.points.order_by("-id").first()
    ChartPoint.objects.create(chart=violated_chart, key=last.key + 1, t=last.t, value=1, stat=1)
    with django_capture_on_commit_callbacks(execute=True):
        decide_chart(violated_chart, [], now=flagged_at + timedelta(minutes=4))
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN  # four quiet minutes: not yet
    with django_capture_on_commit_callbacks(execute=True):
        decide_chart(violated_chart, [], now=flagged_at + timedelta(minutes=6))
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert [r.json()["type"] for r in hook.requests] == ["incident.opened", "incident.resolved"]
    assert "no new flag on the chart for 5 minutes" in hook.requests[1].json()["text"]


def test_a_rule_on_other_charts_or_rules_does_not_fire(
    violated_chart, hook, make_rule, fire, project
):
    other = Chart.objects.create(
        organization=project.organization, project=project, name="other", metric="ttft_ms",
        chart_type="individuals",
    )  # fmt: skip
    chosen = make_rule([hook.channel], chart_scope="chosen")
    chosen.charts.set([other])
    make_rule([hook.channel], spc_rules=[2, 3])
    make_rule([hook.channel], chart_scope="matching", metric="ttft_ms")
    assert fire(violated_chart) == []


def test_matching_metric_and_filter_fires(violated_chart, hook, make_rule, fire):
    make_rule(
        [hook.channel], chart_scope="matching", metric="latency_ms", filter={"model": "gpt-4o"}
    )
    assert len(fire(violated_chart)) == 1


def test_n_violations_within_m_minutes(violated_chart, hook, make_rule, fire):
    make_rule([hook.channel], min_violations=2, within_minutes=10)
    assert fire(violated_chart) == []  # one violation so far: not enough


@pytest.mark.parametrize("quiet", ["muted", "maintenance", "weekly maintenance", "cooldown"])
def test_quiet_times_record_the_incident_and_send_nothing(
    quiet, violated_chart, hook, make_rule, fire, project
):
    now = timezone.now()
    rule = make_rule([hook.channel], cooldown_minutes=30)
    if quiet == "muted":
        rule.mute(now + timedelta(hours=1))
    elif quiet == "maintenance":
        MaintenanceWindow.objects.create(
            organization=project.organization, project=project,
            starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=5),
        )  # fmt: skip
    elif quiet == "weekly maintenance":
        start = (now - timedelta(minutes=5)).time().replace(second=0, microsecond=0)
        MaintenanceWindow.objects.create(
            organization=project.organization, project=project,
            weekday=(now - timedelta(minutes=5)).weekday(), start_time=start, duration_minutes=30,
        )  # fmt: skip
    else:
        Incident.objects.create(
            organization=project.organization, project=project, rule=rule,
            series_key=f"chart:{violated_chart.pk}", title="earlier", status="resolved",
            resolved_at=now - timedelta(minutes=10),
        )  # fmt: skip
    [incident] = Incident.objects.filter(chart=violated_chart) or fire(violated_chart)
    assert incident.suppressed == quiet.split()[-1]
    assert hook.requests == [] and not incident.deliveries.exists()
    assert incident.events.filter(kind="suppressed", message__startswith="Not sent").exists()


def test_weekly_window_spanning_midnight_covers_the_next_morning(project):
    window = MaintenanceWindow(weekday=6, start_time=time(23, 0), duration_minutes=120)
    monday = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # a Monday, 00:30
    assert window.covers(monday)
    assert not window.covers(monday.replace(hour=2, minute=0))


def test_reminders_repeat_until_acknowledged(
    violated_chart, hook, make_rule, fire, owner, django_capture_on_commit_callbacks
):
    make_rule([hook.channel], renotify_minutes=15)
    [incident] = fire(violated_chart)
    later = timezone.now() + timedelta(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(later) == 1
        assert send_reminders(later) == 0  # claimed: not twice for the same moment
    assert [r.json()["type"] for r in hook.requests] == ["incident.opened", "incident.reminder"]
    with django_capture_on_commit_callbacks(execute=True):
        assert incident.acknowledge(owner, via="API")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(later + timedelta(hours=2)) == 0
    assert [r.json()["type"] for r in hook.requests][-1] == "incident.acknowledged"
    incident.refresh_from_db()
    assert incident.acknowledged_by == owner
    assert (
        "owner@example.com acknowledged it (API)"
        in incident.events.get(kind="acknowledged").message
    )


def test_resolving_twice_sends_one_resolved(
    violated_chart, hook, make_rule, fire, django_capture_on_commit_callbacks
):
    make_rule([hook.channel])
    [incident] = fire(violated_chart)
    with django_capture_on_commit_callbacks(execute=True):
        assert resolve_incident(incident, "done") is True
        assert resolve_incident(incident, "done") is False
    assert incident.deliveries.filter(kind=Delivery.Kind.RESOLVE).count() == 1
