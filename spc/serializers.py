"""The JSON shapes of charts and violations, as API.md writes them (shared by API and live)."""

from __future__ import annotations

from spc.display import display_limits
from spc.models import Chart, ControlLimits, Violation


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
    }
