"""Control-chart data for the page: points with the limits in force at each of them.

Limits are stored per period (ControlLimits.valid_from/valid_to) in the chart's transformed
units; the page draws them as steps, so each point carries the centre, UCL/LCL and the ±1σ
and ±2σ lines of its own period, back-transformed to display units.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from spc.display import LINES, limit_lines, window_points
from spc.models import Chart, ControlLimits
from spc.rules_text import rule_name


def _period_for(periods: list[tuple[ControlLimits, dict]], t: datetime):
    """The first period still in force at t: points of a baseline being collected take the
    limits later computed from them; points after a reset do not take the old ones."""
    for limits, lines in periods:
        if limits.valid_to is None or limits.valid_to > t:
            return lines
    return None


def chart_payload(chart: Chart, since: datetime) -> dict:
    """Aligned arrays for uPlot: x (epoch seconds), value, the limit lines, violated rules."""
    points = window_points(chart, since)
    periods = [
        (limits, limit_lines(chart, limits))
        for limits in chart.limits_history.order_by("valid_from", "id")
        if limits.valid_to is None or limits.valid_to >= since
    ]
    data: dict[str, list] = {"x": [], "value": [], "rules": [], **{name: [] for name in LINES}}
    for p in points:
        lines = _period_for(periods, p.t)
        data["x"].append(p.t.timestamp())
        data["value"].append(p.value)
        data["rules"].append(p.rules)
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


def default_chart(charts: list[Chart], wanted: int | None) -> Chart | None:
    """The chart asked for, else the first out of control, else the first one."""
    by_id = {c.pk: c for c in charts}
    if wanted in by_id:
        return by_id[wanted]
    for chart in charts:
        if chart.status == Chart.Status.OUT_OF_CONTROL:
            return chart
    return charts[0] if charts else None
