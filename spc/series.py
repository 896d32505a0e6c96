"""Turning events into chart points: one per event, or one per closed time subgroup.

Per-event charts read events after a cursor on the event id. On PostgreSQL only events
received at least a second ago are read, so that a batch still committing in another
transaction (ids are handed out before commit) is not skipped; SQLite serialises writers,
so it needs no settling. Subgroup charts read closed time buckets only, aggregated in the
database (count, sum and sum of squares per minute), so their cost does not grow with
traffic inside a bucket. A bucket is charted once it closed LLMSCOPE_SUBGROUP_GRACE_SECONDS
ago (default 30 s: SDKs and OpenTelemetry exporters flush every few seconds); events
arriving for a bucket already charted are not added to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast, Ln, TruncMinute

from monitoring.models import Event
from spc.chart_metrics import METRICS, Metric, Transform
from spc.display import to_display, to_stat
from spc.models import Chart, ChartPoint

MAX_EVENTS_PER_EVALUATION = 200_000
FILTER_FIELDS = {"model", "environment", "provider", "source", "probe_id", "operation"}


def settle_seconds() -> float:
    return 1.0 if settings.IS_POSTGRES else 0.0


def events_for_chart(chart: Chart) -> QuerySet[Event]:
    """The chart's events: its project, its filter, and for value metrics successful calls
    that carry the value."""
    qs = Event.objects.for_project(chart.project)
    for field, value in (chart.filter or {}).items():
        if field == "tags":
            for tag, tag_value in value.items():
                qs = qs.filter(**{f"tags__{tag}": tag_value})
        elif field in FILTER_FIELDS:
            lookup = f"{field}__in" if isinstance(value, list) else field
            qs = qs.filter(**{lookup: value})
    column = METRICS[chart.metric].column
    if column is not None:
        qs = qs.filter(status=Event.Status.OK, **{f"{column}__isnull": False})
    return qs


def collect_event_points(chart: Chart, now: datetime) -> list[ChartPoint]:
    """New per-event points after the chart's cursor; advances the cursor (not saved)."""
    column = METRICS[chart.metric].column
    qs = events_for_chart(chart).filter(id__gt=chart.cursor_event_id)
    settle = settle_seconds()
    if settle:
        qs = qs.filter(received_at__lte=now - timedelta(seconds=settle))
    rows = list(
        qs.order_by("id").values_list("id", "timestamp", column)[:MAX_EVENTS_PER_EVALUATION]
    )
    if not rows:
        return []
    values = np.array([float(r[2]) for r in rows])
    stats = to_stat(chart, values)
    chart.cursor_event_id = rows[-1][0]
    if settings.IS_POSTGRES:
        return copy_points(chart, rows, values, stats)
    points = [
        ChartPoint(chart=chart, key=r[0], t=r[1], value=float(v), stat=float(s))
        for r, v, s in zip(rows, values, stats, strict=True)
    ]
    return ChartPoint.objects.bulk_create(points)


def copy_points(chart: Chart, rows, values, stats) -> list[ChartPoint]:
    """Write per-event points with COPY (PostgreSQL): the ORM's per-object cost dominates
    at thousands of points. Returns what the live update needs."""
    table = ChartPoint._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        with raw.copy(
            f"COPY {table} (chart_id, key, t, value, stat, n, defectives, spread) FROM STDIN"
        ) as copy:
            for r, v, s in zip(rows, values, stats, strict=True):
                copy.write_row((chart.pk, r[0], r[1], float(v), float(s), 1, 0, 0.0))
    return [
        ChartPoint(chart=chart, key=r[0], t=r[1], value=float(v), stat=float(s))
        for r, v, s in zip(rows, values, stats, strict=True)
    ]


@dataclass(frozen=True)
class NewPoint:
    """What the live update of a new point carries."""

    t: datetime
    value: float


@dataclass(frozen=True)
class Bucket:
    start: datetime
    n: int
    total: float  # sum of the stat (transformed values), or errors for error rate
    total_sq: float


def _epoch(t: datetime) -> int:
    return int(t.timestamp())


def _minute_rows(chart: Chart, start: datetime, end: datetime) -> list[tuple]:
    qs = events_for_chart(chart).filter(timestamp__gte=start, timestamp__lt=end)
    qs = qs.annotate(minute=TruncMinute("timestamp", tzinfo=UTC)).values("minute")
    if chart.metric == Metric.ERROR_RATE:
        qs = qs.annotate(n=Count("id"), total=Count("id", filter=Q(status=Event.Status.ERROR)))
        return [(r["minute"], r["n"], float(r["total"]), 0.0) for r in qs.order_by("minute")]
    value = Cast(F(METRICS[chart.metric].column), FloatField())
    if chart.transform == Transform.LOG:
        value = Ln(value + 1.0)
    qs = qs.annotate(n=Count("id"), total=Sum(value), total_sq=Sum(value * value))
    return [
        (r["minute"], r["n"], float(r["total"] or 0.0), float(r["total_sq"] or 0.0))
        for r in qs.order_by("minute")
    ]


def closed_buckets(chart: Chart, now: datetime) -> list[Bucket]:
    """Per-bucket sums for every closed bucket after the cursor (empty buckets omitted)."""
    interval = chart.subgroup_seconds
    grace = settings.LLMSCOPE_SUBGROUP_GRACE_SECONDS + settle_seconds()
    closed_until = int(_epoch(now) - grace) // interval * interval
    if chart.cursor_bucket is not None:
        start_epoch = _epoch(chart.cursor_bucket) + interval
    else:
        first = events_for_chart(chart).filter(timestamp__gte=now - timedelta(days=7))
        first_t = first.order_by("timestamp").values_list("timestamp", flat=True).first()
        if first_t is None:
            return []
        start_epoch = _epoch(first_t) // interval * interval
    if start_epoch >= closed_until:
        return []
    utc = UTC
    rows = _minute_rows(
        chart,
        datetime.fromtimestamp(start_epoch, tz=utc),
        datetime.fromtimestamp(closed_until, tz=utc),
    )
    buckets: dict[int, list[float]] = {}
    for minute, n, total, total_sq in rows:
        key = _epoch(minute) // interval * interval
        acc = buckets.setdefault(key, [0, 0.0, 0.0])
        acc[0] += n
        acc[1] += total
        acc[2] += total_sq
    chart.cursor_bucket = datetime.fromtimestamp(closed_until - interval, tz=utc)
    return [
        Bucket(datetime.fromtimestamp(k, tz=utc), int(v[0]), v[1], v[2])
        for k, v in sorted(buckets.items())
        if v[0] > 0
    ]


def collect_subgroup_points(chart: Chart, now: datetime) -> list[ChartPoint]:
    """New subgroup points for the closed buckets after the cursor (cursor not saved)."""
    points = []
    for bucket in closed_buckets(chart, now):
        if chart.metric == Metric.ERROR_RATE:
            proportion = bucket.total / bucket.n
            point = ChartPoint(
                chart=chart,
                key=_epoch(bucket.start),
                t=bucket.start,
                value=proportion,
                stat=proportion,
                n=bucket.n,
                defectives=int(bucket.total),
            )
        else:
            mean = bucket.total / bucket.n
            spread = 0.0
            if bucket.n >= 2:
                var = (bucket.total_sq - bucket.total**2 / bucket.n) / (bucket.n - 1)
                spread = float(np.sqrt(max(var, 0.0)))
            point = ChartPoint(
                chart=chart,
                key=_epoch(bucket.start),
                t=bucket.start,
                value=float(to_display(chart, mean)),
                stat=mean,
                n=bucket.n,
                spread=spread,
            )
        points.append(point)
    return ChartPoint.objects.bulk_create(points) if points else []


def collect_points(chart: Chart, now: datetime) -> list[ChartPoint]:
    if chart.is_per_event:
        return collect_event_points(chart, now)
    return collect_subgroup_points(chart, now)


def has_pending_events(chart: Chart) -> bool:
    """Whether events exist that a later evaluation will chart (so the chart stays dirty)."""
    if chart.is_per_event:
        return events_for_chart(chart).filter(id__gt=chart.cursor_event_id).exists()
    after = (
        chart.cursor_bucket + timedelta(seconds=chart.subgroup_seconds)
        if chart.cursor_bucket
        else None
    )
    qs = events_for_chart(chart)
    return (qs.filter(timestamp__gte=after) if after else qs).exists()
