"""Threshold rules read from the rollups: p95 latency over a window fires and resolves after
the recovery window; a monthly budget notifies at 50, 80 and 100 % and resolves with the
month; silence; claims; bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from alerts.models import Incident
from alerts.thresholds import check_due_rules, check_rule, read
from monitoring.rollups import rebuild_rollups
from tests.alerts.receivers import Receiver
from tests.spc.factories import add_events

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC)


def latencies(project, values, minutes_ago: float, **fields):
    """Events one second apart from `minutes_ago`, counted in the rollups."""
    start = NOW - timedelta(minutes=minutes_ago)
    add_events(project, values, start=start, step_s=1, **fields)
    rebuild_rollups(project.pk, start - timedelta(minutes=1), NOW + timedelta(minutes=1))


@pytest.fixture
def hook(make_channel, webhook_secret):
    with Receiver() as receiver:
        receiver.channel = make_channel(
            "webhook", {"url": receiver.url, "signing_secret": webhook_secret}
        )
        yield receiver


def test_p95_latency_above_the_threshold_fires_then_resolves_after_recovery(
    project, hook, make_rule, django_capture_on_commit_callbacks
):
    rule = make_rule(
        [hook.channel], kind="threshold", measure="latency_p95", threshold=1000,
        window_minutes=5, recovery_minutes=3,
    )  # fmt: skip
    latencies(project, [400.0] * 50 + [2500.0] * 10, minutes_ago=2)
    assert read(rule, NOW).value > 1000
    with django_capture_on_commit_callbacks(execute=True):
        assert check_rule(rule, NOW) == "fired"
        assert check_rule(rule, NOW + timedelta(seconds=30)) == "fired"  # joins, no repeat
    incident = Incident.objects.get(rule=rule)
    assert (
        "Latency p95" in incident.title
        and "threshold 1,000 ms" in incident.details["compared_with"]
    )
    assert len(hook.requests) == 1 and incident.firing_count == 2
    # The slow calls leave the 5-minute window; three minutes on the right side resolve it.
    start = NOW + timedelta(minutes=1)
    add_events(project, [400.0] * 30, start=start, step_s=30)  # one call every 30 s
    rebuild_rollups(project.pk, start, start + timedelta(minutes=16))
    later = NOW + timedelta(minutes=7)
    with django_capture_on_commit_callbacks(execute=True):
        assert check_rule(rule, later) is None  # clear since now, recovery not over
        assert check_rule(rule, later + timedelta(minutes=3)) == "resolved"
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert [r.json()["type"] for r in hook.requests] == ["incident.opened", "incident.resolved"]


def test_monthly_budget_notifies_at_each_step_and_resolves_with_the_month(
    project, hook, make_rule, django_capture_on_commit_callbacks
):
    rule = make_rule([hook.channel], kind="threshold", measure="cost_month", threshold=100)
    latencies(project, [300.0] * 6, minutes_ago=60, cost_usd=Decimal("9"), cost_from_client=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert check_rule(rule, NOW) == "fired"  # $54: the 50 % step
    steps = [r.json()["title"] for r in hook.requests]
    assert steps == [f"{project.name}: 50 % of the monthly budget spent"]
    latencies(project, [300.0] * 4, minutes_ago=30, cost_usd=Decimal("9"), cost_from_client=True)
    with django_capture_on_commit_callbacks(execute=True):
        check_rule(rule, NOW)  # $90 → the 80 % step
    latencies(project, [300.0] * 2, minutes_ago=20, cost_usd=Decimal("9"), cost_from_client=True)
    with django_capture_on_commit_callbacks(execute=True):
        check_rule(rule, NOW)  # $108 → 100 %
        check_rule(rule, NOW)  # still 100 %: nothing new
    assert [r.json()["title"].split(": ")[1] for r in hook.requests] == [
        "50 % of the monthly budget spent",
        "80 % of the monthly budget spent",
        "100 % of the monthly budget spent",
    ]
    incident = Incident.objects.get(rule=rule)
    assert incident.step == 100 and incident.series_key.endswith(":2026-11")
    with django_capture_on_commit_callbacks(execute=True):
        assert check_rule(rule, datetime(2026, 12, 1, 0, 5, tzinfo=UTC)) == "resolved"
    assert hook.requests[-1].json()["type"] == "incident.resolved"


def test_silence_fires_when_no_event_arrives(project, make_rule):
    rule = make_rule([], kind="threshold", measure="silence", window_minutes=10)
    assert check_rule(rule, NOW) == "fired"
    latencies(project, [300.0], minutes_ago=1)
    assert check_rule(rule, NOW) is None


def test_error_rate_and_traffic_readings(project, make_rule):
    latencies(project, [300.0] * 8, minutes_ago=2)
    latencies(project, [300.0] * 2, minutes_ago=1, status="error")
    error_rate = make_rule(
        [], kind="threshold", measure="error_rate", threshold=10, window_minutes=5
    )
    traffic = make_rule([], kind="threshold", measure="traffic", threshold=5, window_minutes=5)
    assert read(error_rate, NOW).value == pytest.approx(20.0) and read(error_rate, NOW).breached
    assert read(traffic, NOW).value == pytest.approx(2.0) and read(traffic, NOW).breached


def test_each_due_rule_is_claimed_once_per_tick(project, make_rule):
    make_rule([], kind="threshold", measure="silence", window_minutes=10)
    assert check_due_rules(NOW) == 1
    assert check_due_rules(NOW + timedelta(seconds=5)) == 0
    assert check_due_rules(NOW + timedelta(seconds=31)) == 1
