"""What a chart shows: its limits in display units, and its points over a window.

Limits are stored in the chart's transformed units (log1p of milliseconds on a log chart,
see spc/series.py); people read milliseconds, dollars and proportions. Every back-transform
of limits goes through `sigma_lines`, whether for the API (`display_limits`), the page's
stepped limit lines (`limit_lines`) or a violation's stored context (`context_lines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from spc.metrics import Metric
from spc.models import Chart, ControlLimits, Violation
from spc.series import to_display, to_stat

# The horizontal lines of a control chart, in multiples of the plotted statistic's sigma.
LINE_OFFSETS = {"center": 0, "ucl": 3, "lcl": -3, "p2": 2, "m2": -2, "p1": 1, "m1": -1}
LINES = tuple(LINE_OFFSETS)
# Points drawn or returned for one chart window at most (the newest).
MAX_POINTS = 5000


def plotted_sigma(chart: Chart, limits: ControlLimits, n: float | None = None) -> float:
    """Sigma of what the chart plots: one value, or the mean of a subgroup of `n` (by default
    the typical subgroup size the limits were computed for)."""
    if chart.is_per_event:
        return limits.sigma
    return limits.sigma / np.sqrt(n or limits.typical_n)


def sigma_lines(
    chart: Chart, center: float, sigma: float, lines: tuple[str, ...] = LINES
) -> dict[str, float]:
    """`lines` (names of LINE_OFFSETS) around `center` on the charted scale, back-transformed
    to display units. A proportion never goes below 0."""
    shown = {}
    for name in lines:
        k = LINE_OFFSETS[name]
        value = float(to_display(chart, center + k * sigma if k else center))
        shown[name] = max(0.0, value) if chart.metric == Metric.ERROR_RATE else value
    return shown


def display_limits(chart: Chart, limits: ControlLimits, n: float | None = None) -> dict:
    """Centre, UCL and LCL in display units at subgroup size `n`, and the transformed-scale
    sigma (the API's and a violation's `limits`)."""
    shown = sigma_lines(
        chart, limits.center, plotted_sigma(chart, limits, n), ("center", "ucl", "lcl")
    )
    return {**shown, "sigma": float(limits.sigma)}


def limit_lines(chart: Chart, limits: ControlLimits) -> dict[str, float]:
    """The seven lines of one limits period, in display units."""
    return sigma_lines(chart, limits.center, plotted_sigma(chart, limits))


def context_lines(chart: Chart, stored: dict) -> dict[str, float] | None:
    """The seven lines from a violation's stored limits (display units, at its subgroup
    size): sigma of the plotted statistic is a third of UCL − centre on the charted scale.
    None when the stored limits lack a centre or UCL."""
    try:
        center, ucl = float(stored["center"]), float(stored["ucl"])
    except (KeyError, TypeError, ValueError):
        return None
    stat_center = float(to_stat(chart, center))
    third = (float(to_stat(chart, ucl)) - stat_center) / 3
    lines = sigma_lines(chart, stat_center, third)
    if "lcl" in stored:
        lines["lcl"] = float(stored["lcl"])
    return lines


@dataclass(frozen=True)
class WindowPoint:
    """One point of a chart window with the rules it violated."""

    id: int
    t: datetime
    value: float
    rules: list[int]


def window_points(chart: Chart, since: datetime, limit: int = MAX_POINTS) -> list[WindowPoint]:
    """The chart's points from `since` (the newest `limit`), in the order the rules judged
    them (point id, the chart's sequence), each with its violated rules, ascending."""
    points = list(
        chart.points.filter(t__gte=since).order_by("-id").values("id", "t", "value")[:limit]
    )[::-1]
    rules: dict[int, list[int]] = {}
    for point_id, rule in Violation.objects.filter(
        chart=chart, point_id__in=[p["id"] for p in points]
    ).values_list("point_id", "rule"):
        rules.setdefault(point_id, []).append(rule)
    return [
        WindowPoint(p["id"], p["t"], p["value"], sorted(rules.get(p["id"], []))) for p in points
    ]
