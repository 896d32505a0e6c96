"""The JSON shapes of charts and violations, as API.md writes them (shared by API and live)."""

from __future__ import annotations

from spc.display import display_limits
from spc.models import Chart, ControlLimits, Signal, Violation


def iso(t) -> str | None:
    return t.isoformat().replace("+00:00", "Z") if t else None


def chart_summary(chart: Chart) -> dict:
    return {
        "id": chart.pk,
        "name": chart.name,
        "metric": chart.metric,
        "filter": chart.filter,
        "chart_type": chart.chart_type,
        "transform": chart.transform,
        "status": chart.status,
    }


def chart_limits_payload(chart: Chart, limits: ControlLimits | None) -> dict | None:
    """Limits in display units (ms, USD, proportion), plus the transformed-scale sigma."""
    if limits is None:
        return None
    shown = display_limits(chart, limits)
    return {
        **shown,
        "baseline_n": limits.baseline_n,
        "computed_at": iso(limits.computed_at),
        "valid_from": iso(limits.valid_from),
        "valid_to": iso(limits.valid_to),
        "rolling": limits.rolling,
        **limits_design_payload(limits),
    }


def limits_design_payload(limits: ControlLimits) -> dict:
    """How the limits were designed: the multiplier, the rules kept and why others are off,
    the expected false alarms, the autocorrelation check (added fields)."""
    info = limits.design or {}
    return {
        "provisional": limits.provisional,
        "k": limits.k,
        "rules": limits.rules,
        "rules_off": [
            {"rule": int(rule), "reason": reason} for rule, reason in limits.dropped_rules.items()
        ],
        "ewma_l": limits.ewma_l,
        "cusum_h": limits.cusum_h,
        "budget_days": info.get("budget_days"),
        "points_per_day": info.get("points_per_day"),
        "expected_false_alarms_per_week": info.get("false_alarms_per_week"),
        "expected_false_alarms": info.get("false_alarms_words"),
        "autocorrelation": info.get("autocorrelation"),
        "autocorrelation_warning": info.get("autocorrelation_warning"),
        "excluded_points": len(limits.excluded_point_ids or []),
    }


def violation_payload(v: Violation) -> dict:
    return {
        "id": v.pk,
        "chart": v.chart_id,
        "rule": v.rule,
        "rule_name": v.rule_name,
        "t": iso(v.t),
        "value": v.value,
        "limits": v.limits,
        "context": v.context,
        "telemetry": v.telemetry,
        "event_ids": v.event_ids,
        "status": v.status,
        "note": v.note,
        "acknowledged_at": iso(v.acknowledged_at),
        "resolved_at": iso(v.resolved_at),
        "judged": v.judged,
        "signal": v.signal_id,
    }


def signal_payload(s: Signal, flags: list[Violation] | None = None) -> dict:
    """A signal: consecutive flags of one chart; `flags` lists the per-point flags in it."""
    payload = {
        "id": s.pk,
        "chart": s.chart_id,
        "direction": s.direction,
        "judged": s.judged,
        "state": s.state,
        "start": iso(s.start_t),
        "end": iso(s.end_t),
        "rules": s.rules,
        "rule_names": s.rule_names,
        "worst": {"t": None, "value": s.worst_value},
        "points": s.point_count,
        "flagged_points": s.flagged_count,
    }
    if flags is not None:
        payload["flags"] = [
            {"id": v.pk, "rule": v.rule, "rule_name": v.rule_name, "t": iso(v.t), "value": v.value}
            for v in flags
        ]
    return payload
