"""What a chart shows: its values and limits in display units, and its points over a window.

Charts compute on a transformed scale (log1p of milliseconds for latency-like metrics);
pages and the API show milliseconds, USD, proportions. Every back-transform of limits goes
through `sigma_lines`, whether for the API (`display_limits`), the page's stepped limit
lines (`limit_lines`) or a violation's stored context (`context_lines`). Control limits sit
at the centre ± k σ, k the multiplier the limits were designed with (3 in the classic
design); the ±1σ and ±2σ zone lines stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from spc.chart_metrics import Metric, Transform
from spc.models import Chart, ControlLimits, Violation

# The horizontal lines of a control chart: the control limits at ± k σ, the zone lines at
# fixed multiples of the plotted statistic's σ.
ZONE_OFFSETS = {"p2": 2, "m2": -2, "p1": 1, "m1": -1}
LINES = ("center", "ucl", "lcl", *ZONE_OFFSETS)
# The multiplier of limits stored before limits carried theirs.
CLASSIC_K = 3.0
# Points drawn or returned for one chart window at most (the newest).
MAX_POINTS = 5000


def to_display(chart: Chart, stats):
    """Statistics on the chart's scale (a number or an array) back in display units."""
    if chart.transform == Transform.LOG:
        return np.expm1(stats)
    return stats


def to_stat(chart: Chart, values):
    """Display units → the units the rules see (log1p for the log transform: 0 ms is fine)."""
    if chart.transform == Transform.LOG:
        return np.log1p(np.maximum(values, 0.0))
    return values


def plotted_sigma(chart: Chart, limits: ControlLimits, n: float | None = None) -> float:
    """Sigma of what the chart plots: one value, or the mean of a subgroup of `n` (by default
    the typical subgroup size the limits were computed for)."""
    if chart.is_per_event:
        return limits.sigma
    return limits.sigma / np.sqrt(n or limits.typical_n)


def sigma_lines(
    chart: Chart, center: float, sigma: float, k: float, lines: tuple[str, ...] = LINES
) -> dict[str, float]:
    """`lines` (names in LINES) around `center` on the charted scale, the control limits at
    ± `k` σ, back-transformed to display units. A proportion never goes below 0."""
    offsets = {"center": 0.0, "ucl": k, "lcl": -k, **ZONE_OFFSETS}
    shown = {}
    for name in lines:
        offset = offsets[name]
        value = float(to_display(chart, center + offset * sigma if offset else center))
        shown[name] = max(0.0, value) if chart.metric == Metric.ERROR_RATE else value
    return shown


def display_limits(chart: Chart, limits: ControlLimits, n: float | None = None) -> dict:
    """Centre, UCL and LCL in display units at subgroup size `n`, the transformed-scale
    sigma and the multiplier k (the API's and a violation's `limits`)."""
    shown = sigma_lines(
        chart,
        limits.center,
        plotted_sigma(chart, limits, n),
        limits.k,
        ("center", "ucl", "lcl"),
    )
    return {**shown, "sigma": float(limits.sigma), "k": float(limits.k)}


def limit_lines(chart: Chart, limits: ControlLimits) -> dict[str, float]:
    """The seven lines of one limits period, in display units."""
    return sigma_lines(chart, limits.center, plotted_sigma(chart, limits), limits.k)


def context_lines(chart: Chart, stored: dict) -> dict[str, float] | None:
    """The seven lines from a violation's stored limits (display units, at its subgroup
    size): σ of the plotted statistic is UCL − centre over k on the charted scale (k = 3 for
    limits stored before limits carried their multiplier). None when the stored limits lack
    a centre or UCL."""
    try:
        center, ucl = float(stored["center"]), float(stored["ucl"])
        k = float(stored.get("k") or CLASSIC_K)
    except (KeyError, TypeError, ValueError):
        return None
    stat_center = float(to_stat(chart, center))
    sigma = (float(to_stat(chart, ucl)) - stat_center) / k
    lines = sigma_lines(chart, stat_center, sigma, k)
    if "lcl" in stored:
        lines["lcl"] = float(stored["lcl"])
    return lines


@dataclass(frozen=True)
class WindowPoint:
    """One point of a chart window with the rules it violated; `good` when a flag of it is
    on the side the chart does not judge (a change for the better)."""

    id: int
    t: datetime
    value: float
    rules: list[int]
    good: bool = False


def window_points(chart: Chart, since: datetime, limit: int = MAX_POINTS) -> list[WindowPoint]:
    """The chart's points from `since` (the newest `limit`), in the order the rules judged
    them (point id, the chart's sequence), each with its violated rules, ascending."""
    points = list(
        chart.points.filter(t__gte=since).order_by("-id").values("id", "t", "value")[:limit]
    )[::-1]
    rules: dict[int, list[int]] = {}
    good: set[int] = set()
    for point_id, rule, judged in Violation.objects.filter(
        chart=chart, point_id__in=[p["id"] for p in points]
    ).values_list("point_id", "rule", "judged"):
        rules.setdefault(point_id, []).append(rule)
        if not judged:
            good.add(point_id)
    return [
        WindowPoint(p["id"], p["t"], p["value"], sorted(rules.get(p["id"], [])), p["id"] in good)
        for p in points
    ]
