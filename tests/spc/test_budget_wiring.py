"""Running charts under the false-alarm budget: the budget in force (project default, chart
override), the sampling rate it is spent over, the designed multiplier and rule set stored
with the limits and used to judge, p charts with exact binomial limits, the autocorrelation
warning, provisional limits while the baseline is short."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from spc.chart_metrics import ChartType, Metric
from spc.design import sampling_rate
from spc.display import display_limits
from spc.engine.budget import design_shewhart
from spc.evaluation import evaluate_chart
from spc.models import Chart, Violation
from tests.monitoring.probes.factories import make_probe
from tests.spc.factories import add_events
from tests.spc.test_evaluation import baseline_values, latency_chart
from tests.spc.test_subgroup_charts import minute_start

pytestmark = pytest.mark.django_db


def test_a_chart_spends_its_projects_budget_unless_it_sets_its_own(project):
    chart = latency_chart(project)
    assert chart.budget_days == 7.0
    project.false_alarm_budget_days = 30
    project.save()
    chart.refresh_from_db()
    assert chart.budget_days == 30.0
    chart.false_alarm_budget_days = 1
    assert chart.budget_days == 1.0


def test_the_sampling_rate_comes_from_the_probe_the_subgroup_or_the_events(project):
    probe = make_probe(project, interval_s=30)
    by_probe = Chart.objects.get(filter__probe_id=probe.pk, metric=Metric.LATENCY)
    assert sampling_rate(by_probe, []) == (2880.0, "a probe call every 30 s")
    subgroups = latency_chart(project, chart_type=ChartType.XBAR_S, subgroup_seconds=300)
    assert sampling_rate(subgroups, [])[0] == 288.0
    events = latency_chart(project, filter={"model": "other"})
    t0 = timezone.now()
    per_day, source = sampling_rate(events, [t0 + timedelta(seconds=2 * i) for i in range(11)])
    assert per_day == pytest.approx(43_200.0)
    assert "observed" in source


def test_limits_carry_the_design_and_the_rules_judge_with_its_multiplier(project):
    chart = latency_chart(project)  # rules 1, 2, 3, 5 asked; events a second apart
    add_events(project, baseline_values())
    evaluate_chart(chart.pk)
    limits = chart.current_limits()
    expected = design_shewhart(  # 86,400 points a day, designed for at two digits, rounded up
        87_000, 7, rules=(1, 2, 3, 5), side="upper", baseline_n=50, estimator="mr"
    )
    assert limits.k == pytest.approx(expected.k)
    assert limits.k > 5  # a point a second, a 50-point baseline: wide limits
    assert limits.rules == [1]
    assert set(limits.dropped_rules) == {"2", "3", "5"}
    assert "false alarm" in limits.dropped_rules["2"]
    assert limits.design["budget_days"] == 7.0
    assert limits.design["false_alarms_words"].startswith(("about one", "fewer", "no "))
    assert display_limits(chart, limits)["ucl"] == pytest.approx(
        np.expm1(limits.center + limits.k * limits.sigma)
    )
    # 4σ in the harmful direction: beyond the classic 3σ, inside the budget's k; then 9 in a
    # row above the centre (rule 2 is off); then a point beyond k
    start = timezone.now() - timedelta(minutes=40)
    inside = float(np.expm1(limits.center + 4 * limits.sigma))
    above = float(np.expm1(limits.center + 0.5 * limits.sigma))
    beyond = float(np.expm1(limits.center + (limits.k + 0.5) * limits.sigma))
    add_events(project, [inside] + [above] * 9 + [beyond], start=start)
    evaluate_chart(chart.pk)
    assert list(Violation.objects.filter(chart=chart).values_list("rule", "value")) == [(1, beyond)]


def test_a_chart_that_judges_both_sides_spends_the_budget_on_both(project):
    one = latency_chart(project, name="one")
    both = latency_chart(project, name="both", judged_sides=Chart.JudgedSides.BOTH)
    add_events(project, baseline_values())
    evaluate_chart(one.pk)
    evaluate_chart(both.pk)
    assert both.current_limits().k > one.current_limits().k
    assert both.current_limits().design["side"] == "both"


def test_a_p_chart_under_the_budget_lets_a_lone_failure_pass_and_flags_a_burst(project):
    chart = Chart.objects.create(
        organization=project.organization,
        project=project,
        name="errors",
        metric=Metric.ERROR_RATE,
        chart_type=ChartType.P,
        subgroup_seconds=60,
        baseline_size=25,
    )
    for i in range(25):  # a probe's six calls a minute, no failure
        add_events(project, [200] * 6, start=minute_start(60 - i), step_s=5)
    evaluate_chart(chart.pk, now=minute_start(30))
    limits = chart.current_limits()
    assert limits.rules == [1] and "binomial" in limits.dropped_rules["2"]
    flag_at = limits.design["failures_to_flag"]
    assert flag_at >= 2  # a "3σ" p chart would flag one failure in six
    add_events(project, [200] * 5, start=minute_start(20), step_s=5)
    add_events(project, [200], start=minute_start(20) + timedelta(seconds=40), status="error")
    add_events(project, [200] * (6 - flag_at), start=minute_start(18), step_s=5)
    add_events(
        project,
        [200] * flag_at,
        start=minute_start(18) + timedelta(seconds=40),
        step_s=1,
        status="error",
    )
    evaluate_chart(chart.pk, now=minute_start(10))
    flagged = list(Violation.objects.filter(chart=chart).values_list("t", flat=True))
    assert flagged == [minute_start(18)]


def test_an_autocorrelated_baseline_warns_with_the_remedy(project):
    chart = latency_chart(project)
    rng = np.random.default_rng(5)
    x = np.zeros(50)
    for i in range(1, 50):  # AR(1) with φ = 0.8
        x[i] = 0.8 * x[i - 1] + rng.normal(0, 0.05)
    add_events(project, np.round(np.exp(np.log(400) + x), 2))
    evaluate_chart(chart.pk)
    design = chart.current_limits().design
    assert design["autocorrelation"] > 0.5
    assert "longer interval" in design["autocorrelation_warning"]
    plain = latency_chart(project, name="plain", filter={"model": "plain"})
    add_events(project, baseline_values(), model="plain")
    evaluate_chart(plain.pk)
    assert "autocorrelation_warning" not in plain.current_limits().design


def test_ewma_and_cusum_take_their_thresholds_from_the_budget(project):
    ewma = latency_chart(project, name="ewma", chart_type=ChartType.EWMA)
    cusum = latency_chart(project, name="cusum", chart_type=ChartType.CUSUM)
    add_events(project, baseline_values())
    evaluate_chart(ewma.pk)
    evaluate_chart(cusum.pk)
    assert ewma.current_limits().ewma_l > 3.0  # the classic L = 3 is far too tight here
    assert cusum.current_limits().cusum_h > 5.0


def test_no_violation_is_judged_against_provisional_limits(project):
    chart = latency_chart(project)
    values = [*baseline_values()[:30], 9000.0]
    add_events(project, values)
    result = evaluate_chart(chart.pk)
    assert result.provisional_limits is not None and result.new_limits is None
    assert chart.provisional_limits().baseline_n == 31
    assert not Violation.objects.exists()
    chart.refresh_from_db()
    assert chart.status == Chart.Status.BASELINE


def test_baseline_points_beyond_the_final_limits_are_recorded_as_excluded(project):
    chart = latency_chart(project)
    values = list(baseline_values())
    values[10] = 40_000.0
    events = add_events(project, values)
    evaluate_chart(chart.pk)
    limits = chart.current_limits()
    excluded = chart.points.get(pk=limits.excluded_point_ids[0])
    assert limits.excluded_point_ids == [excluded.pk] and excluded.key == events[10].pk
