"""Charts created automatically: four per probe, and a set per (model, environment) seen
through the REST API or OpenTelemetry."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from spc.chart_metrics import METRICS, PER_EVENT_TYPES, ChartType, Metric
from spc.models import (
    DEFAULT_BASELINE_POINTS,
    DEFAULT_BASELINE_SUBGROUPS,
    Chart,
    canonical_filter,
)

METRIC_LABELS = {
    Metric.LATENCY: "Latency",
    Metric.TTFT: "TTFT",
    Metric.TOKENS_PER_S: "Output tokens/s",
    Metric.COST: "Cost per call",
    Metric.ERROR_RATE: "Error rate",
}
API_SOURCES = ["api", "otlp"]

# Series already known to have their charts, so a busy ingest path does not query for them.
_known_series: set[tuple] = set()


def _ensure(project, metric: str, chart_type: str, filter_: dict, name: str, **extra) -> Chart:
    defaults = {
        "organization_id": project.organization_id,
        "name": name,
        "transform": METRICS[metric].default_transform,
        "baseline_size": DEFAULT_BASELINE_POINTS
        if chart_type in PER_EVENT_TYPES
        else DEFAULT_BASELINE_SUBGROUPS,
        **extra,
    }
    chart = Chart(
        project=project,
        metric=metric,
        chart_type=chart_type,
        filter=filter_,
        auto_created=True,
        **defaults,
    )
    try:
        with transaction.atomic():
            chart.save()
        return chart
    except IntegrityError:  # created meanwhile by another process: the constraint decides
        return Chart.objects.get(
            project=project,
            metric=metric,
            chart_type=chart_type,
            auto_created=True,
            filter_key=canonical_filter(filter_),
        )


def error_rate_subgroup_seconds(interval_s: int) -> int:
    """A subgroup long enough to hold about five probe calls."""
    for seconds in (60, 300, 900, 3600):
        if seconds >= 5 * interval_s:
            return seconds
    return 3600


def ensure_probe_charts(probe) -> list[Chart]:
    """Latency, TTFT, output tokens/s (individuals) and error rate (p) for one probe."""
    key = ("probe", probe.pk)
    if key in _known_series:
        return []
    filter_ = {"probe_id": probe.pk}
    charts = [
        _ensure(
            probe.project,
            metric,
            ChartType.INDIVIDUALS,
            filter_,
            f"{probe.name} · {METRIC_LABELS[metric]}",
        )
        for metric in (Metric.LATENCY, Metric.TTFT, Metric.TOKENS_PER_S)
    ]
    charts.append(
        _ensure(
            probe.project,
            Metric.ERROR_RATE,
            ChartType.P,
            filter_,
            f"{probe.name} · Error rate",
            subgroup_seconds=error_rate_subgroup_seconds(probe.interval_s),
        )
    )
    _known_series.add(key)
    return charts


def ensure_series_charts(project, model: str, environment: str, has_ttft: bool) -> list[Chart]:
    """Latency, (TTFT), cost per call (X̄-S per minute) and error rate (p) for API traffic
    of one (model, environment)."""
    key = ("series", project.pk, model, environment, has_ttft)
    if key in _known_series:
        return []
    filter_ = {"model": model, "environment": environment, "source": API_SOURCES}
    label = f"{model} · {environment}"
    metrics = [Metric.LATENCY, Metric.COST] + ([Metric.TTFT] if has_ttft else [])
    charts = [
        _ensure(project, metric, ChartType.XBAR_S, filter_, f"{label} · {METRIC_LABELS[metric]}")
        for metric in metrics
    ]
    charts.append(
        _ensure(project, Metric.ERROR_RATE, ChartType.P, filter_, f"{label} · Error rate")
    )
    _known_series.add(key)
    return charts


def forget_known_series() -> None:
    """For tests: the process-wide memo must not outlive the database it describes."""
    _known_series.clear()
