"""Chart values in display units: charts compute on a transformed scale (log for latency-like
metrics), pages and the API show milliseconds, USD, proportions."""

from __future__ import annotations

import numpy as np

from spc.chart_metrics import Metric, Transform
from spc.models import Chart, ControlLimits


def to_display(chart: Chart, stats):
    """Statistics on the chart's scale (a number or an array) back in display units."""
    if chart.transform == Transform.LOG:
        return np.expm1(stats)
    return stats


def display_limits(chart: Chart, limits: ControlLimits, n: float | None = None) -> dict:
    """Limits in display units (back-transformed), at subgroup size `n` when given: the
    centre ± k σ, k the multiplier the limits were designed with (3 in the classic design)."""
    sigma = limits.sigma if chart.is_per_event else limits.sigma / np.sqrt(n or limits.typical_n)
    ucl = limits.center + limits.k * sigma
    lcl = limits.center - limits.k * sigma
    if chart.metric == Metric.ERROR_RATE:
        lcl = max(0.0, lcl)
    return {
        "center": float(to_display(chart, limits.center)),
        "ucl": float(to_display(chart, ucl)),
        "lcl": float(to_display(chart, lcl)),
        "sigma": float(limits.sigma),
        "k": float(limits.k),
    }
