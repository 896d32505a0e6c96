"""Read-side analytics: summary and time series from the per-minute rollups, event listing.

Summaries and time series never scan raw events: they read at most one rollup row per series
and minute (plus its histogram buckets), so a 30-day window costs the same whether the
project sent a thousand events or a billion. Windows are whole minutes, ending with the
current (partial) minute. Percentiles are nearest-rank estimates within
`monitoring.histogram.RELATIVE_ERROR`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, ExpressionWrapper, F, QuerySet, Sum, Value

from llmscope_site.pagination import iter_pages, keyset_page
from monitoring import measures
from monitoring.histogram import percentiles
from monitoring.models import Event, EventRollup, EventRollupBucket
from tenants.models import Project

WINDOWS = {"1h": 60, "6h": 360, "24h": 1440, "7d": 7 * 1440, "30d": 30 * 1440}
INTERVALS = {"1m": 1, "5m": 5, "1h": 60, "1d": 1440}
# Default span of a time series when `start` is not given, per interval.
DEFAULT_SPANS = {"1m": 60, "5m": 360, "1h": 7 * 1440, "1d": 30 * 1440}
MAX_POINTS = 10_000
COUNT_METRICS = {"requests", "errors", "cost_usd"}
PERCENTILE_METRICS = {
    "latency_p50": ("l", 0.50),
    "latency_p95": ("l", 0.95),
    "latency_p99": ("l", 0.99),
    "ttft_p95": ("t", 0.95),
}
METRICS = (*sorted(COUNT_METRICS), *PERCENTILE_METRICS, "output_tokens_per_s")
E10 = Decimal(10) ** 10


def minute_of(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def minute_start(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _rollups(project: Project, first: int, last: int, **filters: str | None) -> QuerySet:
    qs = EventRollup.objects.filter(project=project, minute__gte=first, minute__lte=last)
    return qs.filter(**{k: v for k, v in filters.items() if v})


def _buckets(project: Project, first: int, last: int, **filters: str | None) -> QuerySet:
    qs = EventRollupBucket.objects.filter(project=project, minute__gte=first, minute__lte=last)
    return qs.filter(**{k: v for k, v in filters.items() if v})


def _stats(sums: dict[str, Any], latency: dict[int, int], ttft: dict[int, int]) -> dict[str, Any]:
    count = sums["count"] or 0
    lat_p = percentiles(latency, (0.5, 0.95, 0.99))
    ttft_p = percentiles(ttft, (0.5, 0.95, 0.99))
    return {
        "requests": count,
        "errors": sums["errors"] or 0,
        "error_rate": (sums["errors"] or 0) / count if count else 0.0,
        "latency_ms": {
            "p50": _round(lat_p[0.5]),
            "p95": _round(lat_p[0.95]),
            "p99": _round(lat_p[0.99]),
            "mean": _round(sums["latency_sum"] / count) if count else None,
        },
        "ttft_ms": {
            "p50": _round(ttft_p[0.5]),
            "p95": _round(ttft_p[0.95]),
            "p99": _round(ttft_p[0.99]),
            "mean": _round(sums["ttft_sum"] / sums["ttft_count"]) if sums["ttft_count"] else None,
        },
        # input_tokens, output_tokens: the totals monitoring/measures.py declares.
        **{name: sums[name] or 0 for name in measures.summary_totals(measures.MEASURES)},
        # Unknown, not zero, when every request of a model lacks a price.
        "cost_usd": Decimal(sums["cost_usd_e10"] or 0) / E10 if sums["priced_count"] else None,
        "priced_requests": sums["priced_count"] or 0,
        "unpriced_requests": sums["unpriced_count"] or 0,
        "output_tokens_per_s": (
            _round(sums["tps_sum"] / sums["tps_count"]) if sums["tps_count"] else None
        ),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def summary(
    project: Project,
    window: str,
    model: str | None = None,
    environment: str | None = None,
    now: datetime | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """The summary of API.md over the last `window`, overall and per model."""
    last = minute_of(now or datetime.now(UTC))
    first = last - WINDOWS[window] + 1
    filters = {"model": model, "environment": environment, "source": source}
    summed = measures.summed(measures.MEASURES)
    per_model = {
        row["model"]: row
        for row in _rollups(project, first, last, **filters)
        .values("model")
        .annotate(**{name: Sum(name) for name in summed})
        .order_by()
    }
    histograms: dict[tuple[str, str], dict[int, int]] = {}
    for row in (
        _buckets(project, first, last, **filters)
        .values("model", "metric", "bucket")
        .annotate(n=Sum("count"))
        .order_by()
    ):
        histograms.setdefault((row["model"], row["metric"]), {})[row["bucket"]] = row["n"]

    totals = {name: sum(row[name] or 0 for row in per_model.values()) for name in summed}
    merged: dict[str, dict[int, int]] = {"l": {}, "t": {}}
    for (_, metric), counts in histograms.items():
        for bucket, n in counts.items():
            merged[metric][bucket] = merged[metric].get(bucket, 0) + n
    overall = _stats(totals, merged["l"], merged["t"])
    # Overall: the cost of the priced requests; the unpriced ones are counted and their
    # models listed, so a missing price never hides as $0.
    overall["cost_usd"] = Decimal(totals["cost_usd_e10"]) / E10
    by_model = []
    for name, sums in sorted(per_model.items(), key=lambda kv: -kv[1]["count"]):
        stats = _stats(sums, histograms.get((name, "l"), {}), histograms.get((name, "t"), {}))
        by_model.append(
            {
                "model": name,
                "requests": stats["requests"],
                "error_rate": stats["error_rate"],
                "latency_ms": stats["latency_ms"],
                "cost_usd": stats["cost_usd"],
                "unpriced_requests": stats["unpriced_requests"],
            }
        )
    return {
        "window": window,
        "start": iso(minute_start(first)),
        "end": iso(minute_start(last + 1)),
        **overall,
        "unpriced_models": sorted(m for m, s in per_model.items() if s["unpriced_count"]),
        "by_model": by_model,
    }


def window_stats(
    project: Project,
    minutes: int,
    model: str | None = None,
    environment: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The overall statistics (as in `summary`) over the last `minutes` whole minutes,
    ending with the current one: for alert thresholds over arbitrary windows."""
    last = minute_of(now or datetime.now(UTC))
    first = last - max(1, minutes) + 1
    filters = {"model": model, "environment": environment}
    sums = _rollups(project, first, last, **filters).aggregate(
        **{name: Sum(name) for name in measures.summed(measures.MEASURES)}
    )
    merged: dict[str, dict[int, int]] = {"l": {}, "t": {}}
    for row in (
        _buckets(project, first, last, **filters)
        .values("metric", "bucket")
        .annotate(n=Sum("count"))
        .order_by()
    ):
        merged[row["metric"]][row["bucket"]] = row["n"]
    stats = _stats(sums, merged["l"], merged["t"])
    stats["cost_usd"] = Decimal(sums["cost_usd_e10"] or 0) / E10
    return stats


def timeseries(
    project: Project,
    metric: str,
    interval: str,
    start: datetime,
    end: datetime,
    model: str | None = None,
    environment: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """One metric per interval over [start, end). Count metrics are zero-filled; the others
    have points only where there were requests."""
    step = INTERVALS[interval]
    first = minute_of(start) // step * step
    last = (minute_of(end - timedelta(microseconds=1))) // step * step + step - 1
    slot = ExpressionWrapper(
        F("minute") / Value(step) * Value(step), output_field=BigIntegerField()
    )
    values: dict[int, float | Decimal | None] = {}
    if metric in PERCENTILE_METRICS:
        kind, q = PERCENTILE_METRICS[metric]
        per_slot: dict[int, dict[int, int]] = {}
        for row in (
            _buckets(project, first, last, model=model, environment=environment, source=source)
            .filter(metric=kind)
            .annotate(slot=slot)
            .values("slot", "bucket")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            per_slot.setdefault(row["slot"], {})[row["bucket"]] = row["n"]
        values = {s: _round(percentiles(c, (q,))[q]) for s, c in per_slot.items()}
    else:
        field = {
            "requests": "count",
            "errors": "errors",
            "cost_usd": "cost_usd_e10",
            "output_tokens_per_s": "tps_sum",
        }[metric]
        rows = (
            _rollups(project, first, last, model=model, environment=environment, source=source)
            .annotate(slot=slot)
            .values("slot")
            .annotate(v=Sum(field), n=Sum("tps_count"))
            .order_by()
        )
        for row in rows:
            if metric == "cost_usd":
                values[row["slot"]] = Decimal(row["v"] or 0) / E10
            elif metric == "output_tokens_per_s":
                if row["n"]:
                    values[row["slot"]] = _round(row["v"] / row["n"])
            else:
                values[row["slot"]] = row["v"] or 0
        if metric in COUNT_METRICS:
            zero = Decimal(0) if metric == "cost_usd" else 0
            for s in range(first, last + 1, step):
                values.setdefault(s, zero)
    points = [{"t": iso(minute_start(s)), "v": values[s]} for s in sorted(values)]
    return {"metric": metric, "interval": interval, "points": points}


def count_points(interval: str, start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60 // INTERVALS[interval]) + 1


# --- Events -------------------------------------------------------------------------------

EVENT_FIELDS = (
    "id",
    "timestamp",
    "received_at",
    "source",
    "provider",
    "model",
    "operation",
    "environment",
    "latency_ms",
    "ttft_ms",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_creation_input_tokens",
    "reasoning_tokens",
    "output_tokens_per_s",
    "cost_usd",
    "status",
    "error_type",
    "http_status",
    "trace_id",
    "span_id",
    "tags",
    "prompt_hash",
    "prompt",
    "completion",
)
_BLANK_AS_NULL = ("provider", "error_type", "trace_id", "span_id", "prompt_hash")


@dataclass(frozen=True)
class EventFilters:
    model: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def events_page(
    project: Project, filters: EventFilters, limit: int, cursor: str | None = None
) -> tuple[list[Event], str | None]:
    """(events newest first, next cursor or None); raises pagination.BadCursor."""
    page = keyset_page(_filtered_events(project, filters), "timestamp", limit, cursor)
    return page.items, page.next


def _filtered_events(project: Project, filters: EventFilters) -> QuerySet:
    qs = Event.objects.for_project(project)
    if filters.model:
        qs = qs.filter(model=filters.model)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.since:
        qs = qs.filter(timestamp__gte=filters.since)
    if filters.until:
        qs = qs.filter(timestamp__lt=filters.until)
    return qs


def event_pages(qs: QuerySet, size: int = 2000) -> Iterator[list[list[Any]]]:
    """The events of `qs` as CSV rows (EVENT_FIELDS), newest first, a keyset page at a time:
    the body of every event export."""
    for events in iter_pages(qs, "timestamp", size):
        yield [event_csv_row(event) for event in events]


def export_events(project: Project, filters: EventFilters) -> Iterator[list[list[Any]]]:
    """Every matching event as CSV rows, page by page (the API's events.csv)."""
    return event_pages(_filtered_events(project, filters))


def event_csv_row(event: Event) -> list[Any]:
    """One event as a CSV row in EVENT_FIELDS order (tags as compact JSON)."""
    row = event_as_dict(event)
    row["tags"] = json.dumps(row["tags"], separators=(",", ":"))
    return [row[name] for name in EVENT_FIELDS]


def event_as_dict(event: Event) -> dict[str, Any]:
    data = {name: getattr(event, name) for name in EVENT_FIELDS if name != "id"}
    data = {"id": str(event.event_id), **data}
    for name in _BLANK_AS_NULL:
        data[name] = data[name] or None
    data["timestamp"] = iso(event.timestamp)
    data["received_at"] = iso(event.received_at)
    return data
