"""Incremental evaluation: baseline (phase I), frozen limits, rules on new points, violations
stored once with their context, status, reset and rolling limits."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from spc import engine
from spc.chart_metrics import ChartType, Metric, Transform
from spc.evaluation import evaluate_chart
from spc.models import Chart, ControlLimits, Violation
from tests.spc.factories import add_events

pytestmark = pytest.mark.django_db


def latency_chart(project, **kw) -> Chart:
    fields = {
        "organization": project.organization,
        "project": project,
        "name": "latency",
        "metric": Metric.LATENCY,
        "chart_type": ChartType.INDIVIDUALS,
        "transform": Transform.LOG,
        "filter": {"model": "gpt-4o"},
        "baseline_size": 50,
    }
    fields.update(kw)
    return Chart.objects.create(**fields)


def baseline_values(n=50, seed=1):
    rng = np.random.default_rng(seed)
    return np.round(np.exp(rng.normal(np.log(400), 0.1, size=n)), 1)


def test_a_chart_collects_its_baseline_then_freezes_the_engines_limits(project):
    chart = latency_chart(project)
    values = baseline_values()
    add_events(project, values[:30])
    evaluate_chart(chart.pk)
    chart.refresh_from_db()
    assert chart.status == Chart.Status.BASELINE
    assert chart.points.count() == 30 and chart.current_limits() is None
    # 30 of 50 points: provisional limits are shown (wider: designed for 30 points), not judged
    provisional = chart.provisional_limits()
    assert provisional.provisional and provisional.baseline_n == 30

    add_events(project, values[30:], start=timezone.now() - timedelta(hours=1))
    evaluate_chart(chart.pk)
    chart.refresh_from_db()
    limits = chart.current_limits()
    expected, _ = engine.phase_one(np.log1p(values), rules=(1,), k=limits.k)
    assert limits.center == pytest.approx(expected.center)
    assert limits.sigma == pytest.approx(expected.sigma)
    assert limits.baseline_n == 50 and not limits.provisional
    assert provisional.k > limits.k  # designed for 30 points, so wider
    assert chart.provisional_limits() is None
    assert chart.status == Chart.Status.IN_CONTROL
    assert not Violation.objects.exists()  # the baseline itself is not judged


def test_a_sustained_shift_fires_rule_2_on_the_ninth_point_exactly_once(project):
    # the classic design keeps rule 2 whatever the budget
    chart = latency_chart(project, limits_design=Chart.LimitsDesign.CLASSIC)
    add_events(project, baseline_values())
    evaluate_chart(chart.pk)
    center_ms = float(np.expm1(chart.current_limits().center))
    # A point below the centre line ends any run from the baseline; then nine points just
    # above it (well inside 1σ); then the evaluation runs twice.
    add_events(project, [center_ms * 0.98], start=timezone.now() - timedelta(minutes=31))
    shifted = add_events(
        project, [center_ms * 1.02] * 9, start=timezone.now() - timedelta(minutes=30)
    )
    evaluate_chart(chart.pk)
    evaluate_chart(chart.pk)
    rule2 = Violation.objects.filter(chart=chart, rule=2)
    assert rule2.count() == 1
    violation = rule2.get()
    assert violation.point.key == shifted[-1].pk
    assert violation.event_ids == [shifted[-1].pk]
    chart.refresh_from_db()
    assert chart.status == Chart.Status.OUT_OF_CONTROL


def test_a_spike_is_stored_with_limits_and_context_that_fills_in_later(project):
    chart = latency_chart(project)
    values = baseline_values()
    add_events(project, values)
    evaluate_chart(chart.pk)
    base = timezone.now() - timedelta(minutes=40)
    add_events(project, [400.0] * 3 + [5000.0], start=base)
    evaluate_chart(chart.pk)
    violation = Violation.objects.get(chart=chart, rule=1)
    assert violation.value == 5000.0
    limits = chart.current_limits()
    assert violation.limits["ucl"] == pytest.approx(
        np.expm1(limits.center + limits.k * limits.sigma)
    )
    assert violation.limits["center"] < 5000 and violation.limits["ucl"] < 5000
    assert len(violation.context) == 11  # ten before, and the point itself
    assert violation.context[-1]["v"] == 5000.0
    assert violation.context_after_pending == 10

    add_events(project, [401.0, 402.0, 403.0], start=base + timedelta(minutes=5))
    evaluate_chart(chart.pk)
    violation.refresh_from_db()
    assert [p["v"] for p in violation.context[-3:]] == [401.0, 402.0, 403.0]
    assert violation.context_after_pending == 7


def test_an_evaluation_with_nothing_new_changes_nothing(project):
    chart = latency_chart(project)
    add_events(project, baseline_values())
    evaluate_chart(chart.pk)
    result = evaluate_chart(chart.pk)
    assert result.new_points == [] and result.new_violations == [] and result.new_limits is None


def test_events_of_other_models_and_failed_calls_stay_off_the_chart(project):
    chart = latency_chart(project)
    add_events(project, [100, 200], model="claude-sonnet-4")
    add_events(project, [300], status="error")
    add_events(project, [400])
    evaluate_chart(chart.pk)
    assert list(chart.points.values_list("value", flat=True)) == [400.0]


def test_a_constant_baseline_keeps_collecting_instead_of_dividing_by_zero(project):
    chart = latency_chart(project, baseline_size=10)
    add_events(project, [250.0] * 12)
    evaluate_chart(chart.pk)
    chart.refresh_from_db()
    assert chart.status == Chart.Status.BASELINE
    assert not ControlLimits.objects.exists()


def test_reset_baseline_keeps_the_old_limits_in_the_history(project):
    chart = latency_chart(project, baseline_size=20)
    add_events(project, baseline_values(20))
    evaluate_chart(chart.pk)
    old = chart.current_limits()
    chart.reset_baseline()
    assert chart.current_limits() is None
    old.refresh_from_db()
    assert old.valid_to is not None
    add_events(
        project, baseline_values(20, seed=5) * 2, start=timezone.now() + timedelta(seconds=1)
    )
    evaluate_chart(chart.pk)
    new = chart.current_limits()
    assert new is not None and new.pk != old.pk
    assert new.center == pytest.approx(np.log1p(baseline_values(20, seed=5) * 2).mean(), rel=0.01)
    assert ControlLimits.objects.filter(chart=chart).count() == 2


def test_rolling_limits_move_with_the_process(project):
    chart = latency_chart(
        project,
        baseline_size=20,
        limits_mode=Chart.LimitsMode.ROLLING,
        rolling_window=20,
        rules=[1],
    )
    add_events(project, baseline_values(20))
    evaluate_chart(chart.pk)
    first = chart.current_limits().center
    add_events(
        project, baseline_values(20, seed=3) * 1.5, start=timezone.now() - timedelta(minutes=30)
    )
    evaluate_chart(chart.pk)  # judged with the old limits, then the window moves
    add_events(project, [600.0], start=timezone.now() - timedelta(minutes=10))
    evaluate_chart(chart.pk)
    moved = chart.current_limits()
    assert moved.rolling and moved.center > first
    assert ControlLimits.objects.filter(chart=chart, valid_to__isnull=True).count() == 1


def test_western_electric_rules_are_stored_apart_from_nelson_numbers(project):
    chart = latency_chart(
        project,
        rule_set=Chart.RuleSet.WESTERN_ELECTRIC,
        rules=[4],
        limits_design=Chart.LimitsDesign.CLASSIC,
    )
    add_events(project, baseline_values())
    evaluate_chart(chart.pk)
    center_ms = float(np.expm1(chart.current_limits().center))
    add_events(project, [center_ms * 0.99], start=timezone.now() - timedelta(minutes=31))
    add_events(project, [center_ms * 1.01] * 8, start=timezone.now() - timedelta(minutes=30))
    evaluate_chart(chart.pk)
    assert list(Violation.objects.values_list("rule", flat=True)) == [104]
    assert Violation.objects.get().rule_name == "WE 4: 8 in a row on one side"


def test_ewma_catches_a_small_sustained_shift_that_rule_1_misses(project):
    chart = latency_chart(
        project,
        chart_type=ChartType.EWMA,
        transform=Transform.NONE,
        rules=[1],
        limits_design=Chart.LimitsDesign.CLASSIC,  # λ = 0.2, L = 3 as set
    )
    rng = np.random.default_rng(11)
    add_events(project, np.round(rng.normal(400, 10, 50), 2))
    evaluate_chart(chart.pk)
    limits = chart.current_limits()
    shifted = limits.center + 1.5 * limits.sigma  # EWMA(0.2, 3) tends to ±1σ: 1.5σ crosses
    add_events(project, np.full(40, shifted), start=timezone.now() - timedelta(minutes=30))
    evaluate_chart(chart.pk)
    assert Violation.objects.filter(chart=chart, rule=200).exists()
    assert not Violation.objects.filter(chart=chart).exclude(rule=200).exists()
