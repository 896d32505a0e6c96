"""Subgrouped charts (X̄-S per time bucket, p-chart for errors) give the engine's limits for
the same data, from database aggregates."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.utils import timezone

from spc import engine
from spc.chart_metrics import ChartType, Metric, Transform
from spc.evaluation import evaluate_chart
from spc.models import Chart, Violation
from tests.spc.factories import add_events

pytestmark = pytest.mark.django_db


def minute_start(minutes_ago: int) -> datetime:
    now = timezone.now().replace(second=0, microsecond=0)
    return now - timedelta(minutes=minutes_ago)


def test_an_xbar_s_chart_gets_the_engines_limits_from_per_minute_aggregates(project):
    chart = Chart.objects.create(
        organization=project.organization,
        project=project,
        name="x",
        metric=Metric.LATENCY,
        chart_type=ChartType.XBAR_S,
        transform=Transform.LOG,
        subgroup_seconds=60,
        filter={"model": "gpt-4o"},
        baseline_size=25,
    )
    rng = np.random.default_rng(2)
    groups = []
    for i in range(25):
        size = int(rng.integers(3, 30))
        values = np.round(np.exp(rng.normal(np.log(300), 0.2, size)), 3)
        add_events(project, values, start=minute_start(40 - i), step_s=50 / size)
        groups.append(np.log1p(values))
    evaluate_chart(chart.pk)
    chart.refresh_from_db()
    limits = chart.current_limits()
    assert chart.points.count() == 25
    expected = engine.xbar_s_limits_from_summaries(
        [g.mean() for g in groups], [g.std(ddof=1) for g in groups], [g.size for g in groups]
    )
    assert limits is not None
    assert limits.center == pytest.approx(expected.center, rel=1e-9)
    assert limits.sigma == pytest.approx(expected.sigma, rel=1e-9)
    point = chart.points.order_by("id").first()
    assert point.n == groups[0].size
    assert point.stat == pytest.approx(groups[0].mean())
    assert point.value == pytest.approx(np.expm1(groups[0].mean()))


def test_a_bucket_is_charted_only_once_it_has_closed(project):
    chart = Chart.objects.create(
        organization=project.organization,
        project=project,
        name="x",
        metric=Metric.LATENCY,
        chart_type=ChartType.XBAR_S,
        subgroup_seconds=60,
        baseline_size=25,
    )
    # Two calls in the bucket now open (away from its edges, whatever the clock says).
    add_events(project, [100, 110], start=minute_start(0) + timedelta(seconds=20))
    evaluate_chart(chart.pk)
    assert chart.points.count() == 0
    chart.refresh_from_db()
    assert chart.dirty  # the open bucket still waits to be charted
    later = timezone.now() + timedelta(minutes=2)
    evaluate_chart(chart.pk, now=later)
    assert list(chart.points.values_list("n", flat=True)) == [2]


def test_a_p_chart_gets_the_engines_limits_and_flags_an_error_burst(project):
    chart = Chart.objects.create(
        organization=project.organization,
        project=project,
        name="errors",
        metric=Metric.ERROR_RATE,
        chart_type=ChartType.P,
        subgroup_seconds=60,
        baseline_size=25,
        rules=[1],
        limits_design=Chart.LimitsDesign.CLASSIC,  # the textbook 3σ p limits
    )
    rng = np.random.default_rng(3)
    defectives, sizes = [], []
    for i in range(25):
        n = 40
        errors = int(rng.binomial(n, 0.05))
        add_events(project, [200] * (n - errors), start=minute_start(60 - i), step_s=1)
        add_events(
            project,
            [200] * errors,
            start=minute_start(60 - i) + timedelta(seconds=45),
            step_s=0.2,
            status="error",
        )
        defectives.append(errors)
        sizes.append(n)
    evaluate_chart(chart.pk, now=minute_start(20))  # the baseline is charted 20 minutes ago
    limits = chart.current_limits()
    expected = engine.p_limits(defectives, sizes)
    assert limits.center == pytest.approx(expected.center)
    assert limits.ucl == pytest.approx(expected.ucl[0])

    add_events(project, [200] * 20, start=minute_start(10), step_s=1)
    add_events(
        project,
        [200] * 20,
        start=minute_start(10) + timedelta(seconds=30),
        status="error",
        step_s=1,
    )
    evaluate_chart(chart.pk)
    burst = Violation.objects.get(chart=chart, rule=1)
    assert burst.value == pytest.approx(0.5)
    assert burst.t == minute_start(10)
    assert len(burst.event_ids) == 20


def test_a_p_chart_whose_baseline_had_no_error_still_flags_the_first_burst(project):
    chart = Chart.objects.create(
        organization=project.organization,
        project=project,
        name="errors",
        metric=Metric.ERROR_RATE,
        chart_type=ChartType.P,
        subgroup_seconds=60,
        baseline_size=5,
        rules=[1],
    )
    for i in range(5):
        add_events(project, [200] * 10, start=minute_start(30 - i))
    evaluate_chart(chart.pk, now=minute_start(20))
    assert chart.current_limits() is not None
    add_events(project, [200] * 5, start=minute_start(5), status="error")
    evaluate_chart(chart.pk)
    assert Violation.objects.filter(chart=chart, rule=1).count() == 1


def test_late_events_for_a_charted_bucket_are_not_added_twice(project):
    chart = Chart.objects.create(
        organization=project.organization,
        project=project,
        name="x",
        metric=Metric.LATENCY,
        chart_type=ChartType.XBAR_S,
        subgroup_seconds=60,
        baseline_size=25,
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    add_events(project, [100, 120], start=minute_start(5) + timedelta(seconds=10))
    evaluate_chart(chart.pk)
    add_events(project, [500], start=minute_start(5) + timedelta(seconds=30))
    evaluate_chart(chart.pk)
    assert list(chart.points.values_list("n", flat=True)) == [2]
    assert start.year == 2026
