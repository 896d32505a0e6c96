"""Pushing chart changes to the project's live pages, after the evaluation committed.

Messages (their "type" names the consumer handler): `spc.points` (the new points of one
evaluation, batched), `spc.limits` (new or provisional limits), `spc.violation` (one per
violation) and `spc.signal` (one per signal opened or extended).
An evaluation runs at most about once a second per chart, so this batches per second.
"""

from __future__ import annotations

from spc.serializers import chart_limits_payload, signal_payload, violation_payload
from tenants.groups import broadcast_to_project


def publish_evaluation(result) -> None:
    chart = result.chart
    if result.new_points:
        broadcast_to_project(
            chart.project_id,
            {
                "type": "spc.points",
                "chart": chart.pk,
                "status": chart.status,
                "points": [{"t": p.t.isoformat(), "v": p.value} for p in result.new_points],
            },
        )
    for limits in (result.new_limits, result.provisional_limits):
        if limits is not None:
            broadcast_to_project(
                chart.project_id,
                {
                    "type": "spc.limits",
                    "chart": chart.pk,
                    "limits": chart_limits_payload(chart, limits),
                },
            )
    for violation in result.new_violations:
        broadcast_to_project(
            chart.project_id,
            {"type": "spc.violation", "chart": chart.pk, "violation": violation_payload(violation)},
        )
    for signal in [*result.opened_signals, *result.updated_signals]:
        broadcast_to_project(
            chart.project_id,
            {"type": "spc.signal", "chart": chart.pk, "signal": signal_payload(signal)},
        )
