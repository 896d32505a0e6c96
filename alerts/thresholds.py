"""Threshold rules on a window, read from the per-minute rollups (never raw events).

Checked by the beat every 30 s: each due rule is claimed with a conditional UPDATE of
`next_check_at`, so two beats (or a slow check) never evaluate it twice. A breach opens or
joins the incident; the incident resolves once the value stayed on the right side for the
rule's recovery window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from alerts.incidents import Firing, open_or_join, resolve_incident
from alerts.models import AlertRule, Incident, Measure, RuleKind
from monitoring.analytics import window_stats
from spc.models import canonical_filter

CHECK_EVERY = timedelta(seconds=30)
BUDGET_STEPS = (50, 80, 100)


@dataclass
class Reading:
    """The measure over its window: its value (None: not enough data to judge), whether it
    is on the wrong side, and the words for it."""

    value: float | None
    breached: bool
    value_text: str
    compared_with: str
    window_text: str
    step: int = 0


def _month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def window_minutes(rule: AlertRule, now: datetime) -> int:
    if rule.measure == Measure.COST_HOUR:
        return 60
    if rule.measure == Measure.COST_DAY:
        return 1440
    if rule.measure == Measure.COST_MONTH:
        return int((now - _month_start(now)).total_seconds() // 60) + 1
    return rule.window_minutes


def read(rule: AlertRule, now: datetime) -> Reading:
    """Compute the rule's measure over its window from the rollups."""
    minutes = window_minutes(rule, now)
    f = rule.filter or {}
    stats = window_stats(
        rule.project, minutes, model=f.get("model"), environment=f.get("environment"), now=now
    )
    x = rule.threshold or 0.0
    window_text = f"over the last {minutes} minutes"
    m = rule.measure
    if m.startswith("latency_") or m.startswith("ttft_"):
        block = stats["latency_ms" if m.startswith("latency_") else "ttft_ms"]
        value = block[m.rsplit("_", 1)[1]]
        return Reading(
            value,
            value is not None and value > x,
            f"{value:,.0f} ms" if value is not None else "no calls",
            f"threshold {x:,.0f} ms",
            window_text,
        )
    if m == Measure.ERROR_RATE:
        value = stats["error_rate"] * 100 if stats["requests"] else None
        return Reading(
            value,
            value is not None and value > x,
            f"{value:.2f} % of {stats['requests']} calls" if value is not None else "no calls",
            f"threshold {x:g} %",
            window_text,
        )
    if m in (Measure.COST_HOUR, Measure.COST_DAY):
        value = float(stats["cost_usd"])
        per = "hour" if m == Measure.COST_HOUR else "day"
        return Reading(
            value, value > x, f"${value:,.2f}", f"${x:,.2f} per {per}", f"over the last {per}"
        )
    if m == Measure.COST_MONTH:
        value = float(stats["cost_usd"])
        share = value / x * 100 if x else 0.0
        step = max((s for s in BUDGET_STEPS if share >= s), default=0)
        return Reading(
            value,
            step > 0,
            f"${value:,.2f} ({share:.0f} % of the budget)",
            f"monthly budget ${x:,.2f}",
            f"since {_month_start(now):%B %-d}",
            step,
        )
    if m == Measure.TOKENS_PER_S:
        value = stats["output_tokens_per_s"]
        return Reading(
            value,
            value is not None and value < x,
            f"{value:,.1f} tokens/s" if value is not None else "no calls",
            f"at least {x:g} tokens/s",
            window_text,
        )
    if m == Measure.TRAFFIC:
        value = stats["requests"] / minutes
        return Reading(
            value, value < x, f"{value:,.2f} calls/min", f"at least {x:g} calls/min", window_text
        )
    if m == Measure.SILENCE:
        value = float(stats["requests"])
        return Reading(value, value == 0, f"{value:.0f} calls", "at least one call", window_text)
    raise ValueError(f"unknown measure {m!r}")


def series_key(rule: AlertRule, now: datetime) -> str:
    key = f"threshold:{canonical_filter(rule.filter or {})}"
    if rule.measure == Measure.COST_MONTH:
        key += f":{_month_start(now):%Y-%m}"  # a new month is a new budget
    return key


def series_label(rule: AlertRule) -> str:
    f = rule.filter or {}
    scope = ", ".join(f"{k}={v}" for k, v in sorted(f.items())) or "all traffic"
    return f"{rule.project.name}: {scope}"


def firing(rule: AlertRule, reading: Reading, now: datetime) -> Firing:
    measure = Measure(rule.measure).label.split(" (")[0]
    if rule.measure == Measure.COST_MONTH:
        title = f"{rule.project.name}: {reading.step} % of the monthly budget spent"
        what = (
            f"The project has spent {reading.value_text} {reading.window_text}, "
            f"against a {reading.compared_with}."
        )
    else:
        title = f"{rule.project.name}: {measure}"
        what = (
            f"{measure}: {reading.value_text} {reading.window_text} "
            f"({reading.compared_with}), on {series_label(rule)}."
        )
    return Firing(
        series_key=series_key(rule, now),
        series_label=series_label(rule),
        title=title,
        value=reading.value,
        step=reading.step,
        record_join=False,
        details={
            "kind": RuleKind.THRESHOLD,
            "what": what,
            "measure": rule.measure,
            "value_text": reading.value_text,
            "compared_with": reading.compared_with,
            "threshold": rule.threshold,
            "unit": "",
        },
    )


def check_rule(rule: AlertRule, now: datetime | None = None) -> str | None:
    """Evaluate one threshold rule: "fired", "resolved" or None."""
    now = now or timezone.now()
    reading = read(rule, now)
    key = series_key(rule, now)
    if reading.breached:
        open_or_join(rule, firing(rule, reading, now), now)
        return "fired"
    result = None
    for incident in (
        Incident.objects.active().filter(rule=rule).select_related("rule", "project__organization")
    ):
        if incident.series_key != key:  # last month's budget, an edited filter
            resolve_incident(incident, "its period ended", now)
            result = "resolved"
            continue
        if reading.value is None and rule.measure not in (Measure.SILENCE, Measure.TRAFFIC):
            continue  # no data: nothing to judge recovery by
        if incident.clear_since is None:
            Incident.objects.filter(pk=incident.pk).update(clear_since=now)
            incident.clear_since = now
        if now - incident.clear_since >= timedelta(minutes=rule.recovery_minutes):
            because = f"{reading.value_text} {reading.window_text} ({reading.compared_with})"
            resolve_incident(incident, f"back on the right side: {because}", now)
            result = "resolved"
    return result


def check_due_rules(now: datetime | None = None, limit: int = 1000) -> int:
    """Claim and check every threshold rule that is due."""
    now = now or timezone.now()
    due = (
        AlertRule.objects.active()
        .filter(kind=RuleKind.THRESHOLD)
        .filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
        .values_list("id", "next_check_at")[:limit]
    )
    checked = 0
    for rule_id, previous in list(due):
        claimed = AlertRule.objects.filter(pk=rule_id, next_check_at=previous).update(
            next_check_at=now + CHECK_EVERY
        )
        if not claimed:
            continue
        rule = AlertRule.objects.select_related("project__organization").get(pk=rule_id)
        check_rule(rule, now)
        checked += 1
    return checked
