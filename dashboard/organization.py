"""Organization home: one card per project, with its status and its last 24 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Count

from dashboard.cards import format_value
from monitoring import analytics
from spc.models import Chart, Violation
from tenants.models import Organization, Project

SPARK_WIDTH, SPARK_HEIGHT = 120, 32


def project_status(statuses: set[str]) -> str:
    """The worst chart status of a project; "no_data" when it has no chart yet."""
    for status in (Chart.Status.OUT_OF_CONTROL, Chart.Status.BASELINE, Chart.Status.IN_CONTROL):
        if status in statuses:
            return status
    return "no_data"


STATUS_LABELS = {**dict(Chart.Status.choices), "no_data": "Waiting for data"}


def sparkline(points: list[dict]) -> str:
    """SVG polyline coordinates (numbers only) of the non-empty values, scaled to the box."""
    values = [(i, float(p["v"])) for i, p in enumerate(points) if p["v"] is not None]
    if len(values) < 2:
        return ""
    low = min(v for _, v in values)
    high = max(v for _, v in values)
    span = (high - low) or 1.0
    last = max(len(points) - 1, 1)
    usable = SPARK_HEIGHT - 4
    return " ".join(
        f"{i / last * SPARK_WIDTH:.1f},{SPARK_HEIGHT - 2 - (v - low) / span * usable:.1f}"
        for i, v in values
    )


def _latency_line(project: Project, now: datetime) -> str:
    """The p95 line of the last 24 h by hour; by 5 minutes over the last 2 h while a young
    project has fewer than two hours with data (a line needs two points)."""
    for interval, span in (("1h", timedelta(hours=24)), ("5m", timedelta(hours=2))):
        series = analytics.timeseries(project, "latency_p95", interval, start=now - span, end=now)
        line = sparkline(series["points"])
        if line:
            return line
    return ""


def _cost(summary: dict) -> str:
    """The cost, or "unpriced" when calls were made and none had a known price."""
    if summary["requests"] and not summary.get("priced_requests"):
        return "unpriced"
    return format_value("usd", summary["cost_usd"])


def project_cards(organization: Organization, now: datetime | None = None) -> list[dict]:
    now = now or datetime.now(UTC)
    projects = list(Project.objects.for_organization(organization).order_by("name"))
    ids = [p.pk for p in projects]
    statuses: dict[int, set[str]] = {}
    for project_id, status in Chart.objects.filter(project_id__in=ids).values_list(
        "project_id", "status"
    ):
        statuses.setdefault(project_id, set()).add(status)
    open_counts = dict(
        Violation.objects.filter(project_id__in=ids, status=Violation.Status.OPEN)
        .values("project_id")
        .annotate(n=Count("id"))
        .values_list("project_id", "n")
    )
    cards = []
    for project in projects:
        summary = analytics.summary(project, "24h", now=now)
        line = _latency_line(project, now) if summary["requests"] else ""
        status = project_status(statuses.get(project.pk, set()))
        cards.append(
            {
                "project": project,
                "status": status,
                "status_label": STATUS_LABELS[status],
                "open_violations": open_counts.get(project.pk, 0),
                "requests": format_value("count", summary["requests"]),
                "error_rate": format_value(
                    "rate", summary["error_rate"] if summary["requests"] else None
                ),
                "cost_usd": _cost(summary),
                "latency_p95": format_value("ms", summary["latency_ms"]["p95"]),
                "sparkline": line,
            }
        )
    return cards
