"""SPC alert rules: an evaluation's new violations become firings, firings open incidents;
an incident resolves when its chart is back in control, or when the chart has charted
points without a new flag for the rule's recovery period (a chart keeps its out-of-control
status while a flag is among its last points, which a service with recurring trouble may
never leave).

`violations_to_firings` is the one place that decides what "fired" means. Today each new
violation is a firing (incidents dedupe them: one open incident per rule and chart). When
charts group consecutive flags into signals, it becomes one firing per new signal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from alerts.incidents import Firing, open_or_join, resolve_incident
from alerts.models import AlertRule, ChartScope, Incident, RuleKind
from spc.models import Chart, Violation
from spc.rules_text import rule_explanation, rule_name


def _number(value: float, unit: str) -> str:
    if unit == "":  # a proportion (error rate)
        return f"{value * 100:.2f} %"
    if unit == "USD":
        return f"${value:,.4f}"
    return f"{value:,.4g} {unit}".replace("  ", " ")


def chart_series_label(chart: Chart) -> str:
    parts = [f"{k}={v}" for k, v in sorted((chart.filter or {}).items())]
    return f"{chart.name}" + (f" ({', '.join(parts)})" if parts else "")


def violation_firing(chart: Chart, violation: Violation) -> Firing:
    """A firing in plain words: which rule, the value against the chart's usual range."""
    unit = chart.unit
    limits = violation.limits or {}
    value = _number(violation.value, unit)
    usual = ""
    if limits:
        usual = (
            f"usual range {_number(limits['lcl'], unit)} to {_number(limits['ucl'], unit)} "
            f"(centre {_number(limits['center'], unit)})"
        )
    side = ""
    if limits and violation.value > limits.get("ucl", float("inf")):
        side = ", above the upper limit"
    elif limits and violation.value < limits.get("lcl", float("-inf")):
        side = ", below the lower limit"
    context = list(violation.context or [])
    flag_index = next(
        (i for i, p in enumerate(context) if p["t"] == violation.t.isoformat()), len(context) - 1
    )
    what = (
        f"{chart.get_metric_display()} on “{chart.name}” went out of control at "
        f"{violation.t:%Y-%m-%d %H:%M:%S} UTC: {rule_name(violation.rule)}. "
        f"The value was {value}{side}" + (f"; its {usual}." if usual else ".")
    )
    return Firing(
        series_key=f"chart:{chart.pk}",
        series_label=chart_series_label(chart),
        title=f"{chart.name}: {rule_name(violation.rule)}",
        value=violation.value,
        chart=chart,
        violations=[violation],
        details={
            "kind": RuleKind.SPC,
            "what": what,
            "explanation": rule_explanation(violation.rule),
            "rule_numbers": [violation.rule],
            "unit": unit,
            "value_text": value,
            "compared_with": usual,
            "limits": limits,
            "t": violation.t.isoformat(),
            "context": context,
            "flag_index": flag_index,
            "chart_id": chart.pk,
        },
    )


def violations_to_firings(chart: Chart, violations: list[Violation]) -> list[Firing]:
    """What counts as one firing. Today: one per new violation, oldest first."""
    return [violation_firing(chart, v) for v in sorted(violations, key=lambda v: (v.t, v.pk))]


def rules_for_chart(chart: Chart) -> list[AlertRule]:
    """The project's active SPC rules whose chart selection includes `chart`."""
    rules = []
    candidates = AlertRule.objects.active().filter(project_id=chart.project_id, kind=RuleKind.SPC)
    for rule in candidates.prefetch_related("charts"):
        if rule.chart_scope == ChartScope.CHOSEN:
            if chart.pk not in {c.pk for c in rule.charts.all()}:
                continue
        elif rule.chart_scope == ChartScope.MATCHING:
            if rule.metric and rule.metric != chart.metric:
                continue
            if any((chart.filter or {}).get(k) != v for k, v in (rule.filter or {}).items()):
                continue
        rules.append(rule)
    return rules


def enough_violations(rule: AlertRule, chart: Chart, now: datetime) -> bool:
    """ "Only after N violations within M minutes"."""
    if rule.min_violations <= 1:
        return True
    recent = Violation.objects.filter(
        chart=chart, created_at__gte=now - timedelta(minutes=rule.within_minutes)
    )
    if rule.spc_rules:
        recent = recent.filter(rule__in=rule.spc_rules)
    return recent.count() >= rule.min_violations


def decide_chart(chart: Chart, violations: list[Violation], now: datetime | None = None) -> int:
    """Open or join incidents for the new violations of one chart's evaluation, then resolve
    the chart's incidents if it is back in control. Returns how many firings counted."""
    now = now or timezone.now()
    counted = 0
    if violations:
        firings = violations_to_firings(chart, violations)
        for rule in rules_for_chart(chart):
            for firing in firings:
                if rule.spc_rules and not set(firing.details["rule_numbers"]) & set(rule.spc_rules):
                    continue
                if not enough_violations(rule, chart, now):
                    continue
                open_or_join(rule, firing, now)
                counted += 1
    resolve_chart_incidents(chart, now)
    return counted


def quiet_for(chart: Chart, minutes: int, now: datetime) -> bool:
    """The chart's last flag is at least `minutes` old and points were charted after it."""
    last = (
        Violation.objects.filter(chart=chart)
        .order_by("-created_at")
        .values("created_at", "point_id")
    ).first()
    if last is None:
        return True
    if last["created_at"] > now - timedelta(minutes=minutes):
        return False
    return chart.points.filter(pk__gt=last["point_id"]).exists()


def resolve_chart_incidents(chart: Chart, now: datetime | None = None) -> int:
    """Resolve the chart's SPC incidents whose condition cleared (see the module's text)."""
    now = now or timezone.now()
    resolved = 0
    for incident in (
        Incident.objects.active()
        .filter(chart=chart, rule__kind=RuleKind.SPC)
        .select_related("rule", "project__organization")
    ):
        if chart.status == Chart.Status.IN_CONTROL:
            because = "the chart is back in control"
        elif quiet_for(chart, incident.rule.recovery_minutes, now):
            because = f"no new flag on the chart for {incident.rule.recovery_minutes} minutes"
        else:
            continue
        resolved += resolve_incident(incident, because, now)
    return resolved


def needs_decision(chart: Chart, violation_ids: list[int]) -> bool:
    """Cheap test in the evaluation's after-commit step: is there anything to decide?"""
    if (
        violation_ids
        and AlertRule.objects.active()
        .filter(project_id=chart.project_id, kind=RuleKind.SPC)
        .exists()
    ):
        return True
    return Incident.objects.active().filter(chart_id=chart.pk).exists()
