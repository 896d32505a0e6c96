"""Limits shown to people: one back-transform, whichever view shows them."""

import math

import numpy as np
import pytest

from spc.chart_metrics import ChartType, Metric, Transform
from spc.display import LINES, context_lines, display_limits, limit_lines
from spc.models import ControlLimits
from tests.spc.test_evaluation import latency_chart

pytestmark = pytest.mark.django_db


def limits(center: float, sigma: float, typical_n: float = 1) -> ControlLimits:
    return ControlLimits(center=center, sigma=sigma, ucl=0, lcl=0, typical_n=typical_n)


def test_a_log_chart_shows_its_limits_in_milliseconds(project):
    chart = latency_chart(project)  # individuals, log scale
    stored = limits(center=math.log1p(200.0), sigma=0.25)
    shown = display_limits(chart, stored)
    assert shown["center"] == pytest.approx(200.0)
    assert shown["ucl"] == pytest.approx(math.expm1(math.log1p(200.0) + 0.75))
    assert shown["lcl"] == pytest.approx(math.expm1(math.log1p(200.0) - 0.75))
    assert shown["sigma"] == 0.25  # on the charted (log) scale, as stored
    assert {k: shown[k] for k in ("center", "ucl", "lcl")} == {
        k: v for k, v in limit_lines(chart, stored).items() if k in ("center", "ucl", "lcl")
    }


@pytest.mark.parametrize(
    ("chart_type", "metric", "transform", "center", "sigma", "n"),
    [
        (ChartType.INDIVIDUALS, Metric.LATENCY, Transform.LOG, 5.3, 0.4, 1),
        (ChartType.XBAR_S, Metric.TTFT, Transform.LOG, 4.1, 0.6, 12),
        (ChartType.INDIVIDUALS, Metric.COST, Transform.NONE, 0.002, 0.0004, 1),
        (ChartType.P, Metric.ERROR_RATE, Transform.NONE, 0.02, math.sqrt(0.02 * 0.98), 30),
    ],
)
def test_a_violations_stored_limits_give_back_the_lines_of_its_period(
    project, chart_type, metric, transform, center, sigma, n
):
    """A violation keeps its limits in display units; the page redraws all seven lines from
    them, and they must be the lines of the period the violation happened in."""
    chart = latency_chart(project, chart_type=chart_type, metric=metric, transform=transform)
    period = limits(center, sigma, typical_n=n)
    redrawn = context_lines(chart, display_limits(chart, period, n))
    drawn = limit_lines(chart, period)
    assert set(redrawn) == set(LINES)
    for name in LINES:
        assert redrawn[name] == pytest.approx(drawn[name], rel=1e-9, abs=1e-12), name


def test_a_proportion_is_never_shown_below_zero(project):
    chart = latency_chart(
        project, chart_type=ChartType.P, metric=Metric.ERROR_RATE, transform=Transform.NONE
    )
    shown = limit_lines(chart, limits(0.01, float(np.sqrt(0.01 * 0.99)), typical_n=10))
    assert shown["lcl"] == shown["m2"] == 0.0
    assert shown["ucl"] > shown["center"] == pytest.approx(0.01)


def test_stored_limits_without_a_centre_draw_nothing(project):
    chart = latency_chart(project)
    assert context_lines(chart, {"ucl": 3.0}) is None
    assert context_lines(chart, {"center": "x", "ucl": 3.0}) is None
