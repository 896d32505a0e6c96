"""Control-chart data for the page: points with the limits in force at each of them.

Limits are stored per period (ControlLimits.valid_from/valid_to) in the chart's transformed
units; the page draws them as steps, so each point carries the centre, UCL/LCL and the ±1σ
and ±2σ lines of its own period, back-transformed to display units.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from django.utils import timezone

from spc.chart_metrics import Metric
from spc.display import to_display
from spc.models import Chart, ControlLimits, Violation
from spc.rules_text import rule_name

MAX_POINTS = 5000
LINES = ("center", "ucl", "lcl", "p2", "m2", "p1", "m1")


def limit_lines(chart: Chart, limits: ControlLimits) -> dict[str, float]:
    """The seven horizontal lines of one limits period, in display units."""
    sigma = limits.sigma if chart.is_per_event else limits.sigma / np.sqrt(limits.typical_n)
    offsets = {"center": 0, "ucl": 3, "lcl": -3, "p2": 2, "m2": -2, "p1": 1, "m1": -1}
    lines = {}
    for name, k in offsets.items():
        value = float(to_display(chart, limits.center + k * sigma))
        if chart.metric == "error_rate":
            value = max(0.0, value)
        lines[name] = value
    return lines


def context_lines(chart: Chart, limits: dict) -> dict[str, float] | None:
    """The seven lines from a violation's stored limits (display units, at its subgroup
    size): σ of the plotted statistic is a third of UCL − centre on the charted scale."""
    try:
        center, ucl = float(limits["center"]), float(limits["ucl"])
    except (KeyError, TypeError, ValueError):
        return None
    log = chart.transform == "log"
    to_stat = np.log1p if log else (lambda v: v)
    stat_center = float(to_stat(center))
    third = (float(to_stat(ucl)) - stat_center) / 3
    lines = {}
    for name, k in {"center": 0, "ucl": 3, "lcl": -3, "p2": 2, "m2": -2, "p1": 1, "m1": -1}.items():
        value = float(to_display(chart, stat_center + k * third))
        lines[name] = max(0.0, value) if chart.metric == "error_rate" else value
    if "lcl" in limits:
        lines["lcl"] = float(limits["lcl"])
    return lines


def _period_for(periods: list[tuple[ControlLimits, dict]], t: datetime):
    """The first period still in force at t: points of a baseline being collected take the
    limits later computed from them; points after a reset do not take the old ones."""
    for limits, lines in periods:
        if limits.valid_to is None or limits.valid_to > t:
            return lines
    return None


def chart_payload(chart: Chart, since: datetime) -> dict:
    """Aligned arrays for uPlot: x (epoch seconds), value, the limit lines, violated rules."""
    # In the order the rules judged them (point id), which is the chart's sequence.
    points = list(
        chart.points.filter(t__gte=since).order_by("-id").values("id", "t", "value")[:MAX_POINTS]
    )[::-1]
    rules: dict[int, list[int]] = {}
    for point_id, rule in Violation.objects.filter(
        chart=chart, point_id__in=[p["id"] for p in points]
    ).values_list("point_id", "rule"):
        rules.setdefault(point_id, []).append(rule)
    periods = [
        (limits, limit_lines(chart, limits))
        for limits in chart.limits_history.order_by("valid_from", "id")
        if limits.valid_to is None or limits.valid_to >= since
    ]
    data: dict[str, list] = {"x": [], "value": [], "rules": [], **{name: [] for name in LINES}}
    for p in points:
        lines = _period_for(periods, p["t"])
        data["x"].append(p["t"].timestamp())
        data["value"].append(p["value"])
        data["rules"].append(sorted(rules.get(p["id"], [])))
        for name in LINES:
            data[name].append(lines[name] if lines else None)
    current = chart.current_limits()
    used = {r for rs in data["rules"] for r in rs}
    return {
        "id": chart.pk,
        "name": chart.name,
        "status": chart.status,
        "unit": chart.unit,
        "log": chart.transform == "log",
        "since": since.timestamp(),
        "now": timezone.now().timestamp(),
        "current": limit_lines(chart, current) if current else None,
        "resets": [
            limits.valid_to.timestamp()
            for limits, _ in periods
            if limits.valid_to is not None and limits.valid_to >= since
        ],
        "rule_names": {str(r): rule_name(r) for r in sorted(used)},
        **data,
    }


# The order a newcomer reads a service in: how fast, how soon the first token, how often
# it fails; throughput and cost after.
METRIC_ORDER = (
    Metric.LATENCY,
    Metric.TTFT,
    Metric.ERROR_RATE,
    Metric.TOKENS_PER_S,
    Metric.COST,
)


def ordered_charts(charts: list[Chart]) -> list[Chart]:
    """Charts in reading order: by metric (latency first), then by name."""

    def key(chart: Chart):
        rank = METRIC_ORDER.index(chart.metric) if chart.metric in METRIC_ORDER else 99
        return (rank, chart.name)

    return sorted(charts, key=key)


def default_chart(charts: list[Chart], wanted: int | None) -> Chart | None:
    """The chart asked for, else the first in reading order (a latency chart)."""
    by_id = {c.pk: c for c in charts}
    if wanted in by_id:
        return by_id[wanted]
    ordered = ordered_charts(charts)
    return ordered[0] if ordered else None
