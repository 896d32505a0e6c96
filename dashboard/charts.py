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
from spc.rules_text import WESTERN_ELECTRIC_OFFSET, rule_name

MAX_POINTS = 5000
LINES = ("center", "ucl", "lcl", "p2", "m2", "p1", "m1")


def limit_lines(chart: Chart, limits: ControlLimits) -> dict[str, float]:
    """The seven horizontal lines of one limits period, in display units."""
    sigma = limits.sigma if chart.is_per_event else limits.sigma / np.sqrt(limits.typical_n)
    k = limits.k
    offsets = {"center": 0, "ucl": k, "lcl": -k, "p2": 2, "m2": -2, "p1": 1, "m1": -1}
    lines = {}
    for name, k in offsets.items():
        value = float(to_display(chart, limits.center + k * sigma))
        if chart.metric == "error_rate":
            value = max(0.0, value)
        lines[name] = value
    return lines


def context_lines(chart: Chart, limits: dict) -> dict[str, float] | None:
    """The seven lines from a violation's stored limits (display units, at its subgroup
    size): σ of the plotted statistic is UCL − centre over k on the charted scale (k = 3 for
    limits stored before limits carried their multiplier)."""
    try:
        center, ucl = float(limits["center"]), float(limits["ucl"])
    except (KeyError, TypeError, ValueError):
        return None
    log = chart.transform == "log"
    to_stat = np.log1p if log else (lambda v: v)
    stat_center = float(to_stat(center))
    multiplier = float(limits.get("k") or 3.0)
    third = (float(to_stat(ucl)) - stat_center) / multiplier
    lines = {}
    offsets = {"center": 0, "ucl": multiplier, "lcl": -multiplier, "p2": 2, "m2": -2, "p1": 1}
    for name, k in {**offsets, "m1": -1}.items():
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
    good: set[int] = set()
    for point_id, rule, judged in Violation.objects.filter(
        chart=chart, point_id__in=[p["id"] for p in points]
    ).values_list("point_id", "rule", "judged"):
        rules.setdefault(point_id, []).append(rule)
        if not judged:
            good.add(point_id)
    periods = [
        (limits, limit_lines(chart, limits))
        for limits in chart.limits_history.order_by("valid_from", "id")
        if limits.valid_to is None or limits.valid_to >= since
    ]
    excluded = {pk for limits, _ in periods for pk in limits.excluded_point_ids or []}
    data: dict[str, list] = {
        "x": [],
        "value": [],
        "rules": [],
        "good": [],
        "excluded": [],
        **{name: [] for name in LINES},
    }
    for p in points:
        lines = _period_for(periods, p["t"])
        data["x"].append(p["t"].timestamp())
        data["value"].append(p["value"])
        data["rules"].append(sorted(rules.get(p["id"], [])))
        data["good"].append(p["id"] in good)
        data["excluded"].append(p["id"] in excluded)
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
        "baseline_ends": [
            limits.valid_from.timestamp()
            for limits, _ in periods
            if not limits.rolling and not limits.provisional and limits.valid_from >= since
        ],
        "design": chart_design(chart, current),
        **data,
    }


def chart_design(chart: Chart, current: ControlLimits | None) -> dict:
    """What the page says about the chart's limits: provisional or final, the baseline's
    progress, the expected false alarms in words, the rules turned off and why, the
    autocorrelation warning."""
    limits = current or chart.provisional_limits()
    have = chart.phase_points().count() if current is None else None
    out: dict = {
        "provisional": current is None,
        "baseline": {"have": have, "need": chart.baseline_size} if current is None else None,
        "budget_days": chart.budget_days,
        "method": chart.limits_design,
    }
    if limits is None:
        return out
    info = limits.design or {}
    out.update(
        {
            "k": limits.k,
            "expected": info.get("false_alarms_words"),
            "rate_source": info.get("rate_source"),
            "rules_off": [
                {"rule": int(r), "name": rule_name(_stored(chart, int(r))), "reason": why}
                for r, why in (limits.dropped_rules or {}).items()
            ],
            "warning": info.get("autocorrelation_warning"),
            "excluded": len(limits.excluded_point_ids or []),
        }
    )
    return out


def _stored(chart: Chart, rule: int) -> int:
    if chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC:
        return rule + WESTERN_ELECTRIC_OFFSET
    return rule


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
