"""End to end under the false-alarm budget: a probe's latency chart (one call every 10 s,
the default 200-point baseline) is fed in-control calls through the evaluation, a day at a
time, then a 1.5x latency jump, then a slow drift. Latency is lognormal with σ = 0.1 on the
log scale, like the demo LLM's total latency.

The equivalent of a week under the default budget, in less time: the chart's budget is one
false alarm per BUDGET_DAYS days and BUDGET_DAYS days of calls are fed (the same ratio of
calls to the budget's in-control ARL; a full week at 7 days passed too, 0 false alarms, in
about a minute and a half on a loaded 2-core machine).

Stated figures (the test fails beyond them): at most one false alarm over the budget's
period; the jump found within 10 points and kept as one signal while it lasts; a drift of
+1 % a call found within 60 calls.
"""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from spc.evaluation import evaluate_chart
from spc.models import Chart, Signal, Violation
from tests.monitoring.probes.factories import make_probe
from tests.spc.factories import add_events

pytestmark = pytest.mark.django_db

DAY = 8640  # calls at one every 10 s
BUDGET_DAYS = 2
MEDIAN_MS = 800.0
LOG_SD = 0.1


def feed(project, probe, chart, values, start):
    add_events(
        project, np.round(values, 3), start=start, step_s=10, source="probe", probe_id=probe.pk
    )
    evaluate_chart(chart.pk)
    return start + timedelta(seconds=10 * len(values))


def test_a_week_in_control_keeps_the_budget_and_real_changes_are_found(project):
    probe = make_probe(project, interval_s=10)
    chart = Chart.objects.get(filter__probe_id=probe.pk, metric="latency_ms")
    assert chart.baseline_size == 200 and chart.budget_days == 7
    chart.false_alarm_budget_days = BUDGET_DAYS
    chart.save(update_fields=["false_alarm_budget_days"])
    rng = np.random.default_rng(2024)

    def calm(n):
        return np.exp(rng.normal(np.log(MEDIAN_MS), LOG_SD, n))

    t = timezone.now() - timedelta(days=8)
    t = feed(project, probe, chart, calm(200), t)
    limits = chart.current_limits()
    assert limits is not None and limits.rules == [1]
    assert limits.design["rate_source"] == "a probe call every 10 s"

    for _ in range(BUDGET_DAYS):
        t = feed(project, probe, chart, calm(DAY), t)
    false_alarms = Signal.objects.filter(chart=chart, judged=True)
    assert false_alarms.count() <= 1, [(s.start_t, s.rules) for s in false_alarms]
    before = set(false_alarms.values_list("pk", flat=True))

    # a 1.5x latency jump for 60 calls: found within 10 calls, one signal for all of it
    jump_start = t
    t = feed(project, probe, chart, 1.5 * calm(60), t)
    found = Signal.objects.filter(chart=chart, judged=True).exclude(pk__in=before)
    assert found.count() == 1
    jump = found.get()
    assert (jump.start_t - jump_start).total_seconds() / 10 < 10
    assert Violation.objects.filter(signal=jump).count() == jump.flagged_count > 5

    # back to normal: the signal closes; then a drift of +1 % a call
    t = feed(project, probe, chart, calm(30), t)
    jump.refresh_from_db()
    assert jump.state == Signal.State.CLOSED
    drift_start = t
    feed(project, probe, chart, calm(150) * 1.01 ** np.arange(1, 151), t)
    drift = Signal.objects.filter(chart=chart, judged=True, start_t__gte=drift_start).first()
    assert drift is not None
    assert (drift.start_t - drift_start).total_seconds() / 10 < 60
