"""Per-minute rollups of events: written in the same transaction as the events themselves.

Every path that stores events updates the rollups before its transaction commits, with
additive upserts (`count = count + excluded.count`), so concurrent writers never lose an
update and a crash loses nothing that was acknowledged. PostgreSQL ingest does it inside the
same statement that inserts the events (see monitoring/ingest/writer.py); the other paths
(SQLite, COPY batches, rebuilds) aggregate in Python and call `upsert_rollups`. Probes write
through the same batch writer. What a rollup holds is declared in monitoring/measures.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from operator import itemgetter

from django.db import connection, transaction

from monitoring import measures
from monitoring.ingest.rows import COL, EVENT_COLUMNS, derived_values, row_of
from monitoring.models import Event, EventRollup, EventRollupBucket, OrganizationUsage
from monitoring.pricing.book import PriceLookup

ROLLUP_TABLE = EventRollup._meta.db_table
BUCKET_TABLE = EventRollupBucket._meta.db_table
USAGE_TABLE = OrganizationUsage._meta.db_table
SERIES_KEY = ("organization_id", "project_id", "minute", "model", "environment", "source")
CONFLICT_KEY = "project_id, minute, model, environment, source, shard"
# Writers on different database connections add to different shards of a minute's rollup,
# so that concurrent batches of one project do not queue on the same row locks.
ROLLUP_SHARDS = 8
SHARD_SQL = f"mod(pg_backend_pid(), {ROLLUP_SHARDS})"


def current_shard() -> int:
    """This connection's shard: its PostgreSQL backend pid (as SHARD_SQL computes it), or 0
    where there is one writer at a time (SQLite)."""
    if connection.vendor != "postgresql":
        return 0
    connection.ensure_connection()
    return connection.connection.info.backend_pid % ROLLUP_SHARDS


def rollup_update_clause(vendor: str) -> str:
    """The ON CONFLICT … DO UPDATE SET clause that merges a new aggregate into a stored one."""
    return measures.merge_sql(measures.MEASURES, ROLLUP_TABLE, vendor)


_KEY_OF = itemgetter(*(COL[name] for name in SERIES_KEY))


def aggregate_rows(rows: Iterable[tuple]) -> tuple[dict, dict]:
    """Aggregate prepared rows (monitoring/ingest/rows.py layout) per series and minute.

    Returns ({series key: {measure: value}}, {(series key, metric, bucket): count}), the
    measures as monitoring/measures.py declares them.
    """
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for row in rows:
        groups[_KEY_OF(row)].append(row)
    declared = measures.MEASURES
    lbucket_i, tbucket_i = COL["latency_bucket"], COL["ttft_bucket"]
    rollups: dict[tuple, dict] = {}
    buckets: dict[tuple, int] = {}
    for key, group in groups.items():
        rollups[key] = measures.aggregate(declared, group, COL)
        for bucket, n in Counter(r[lbucket_i] for r in group).items():
            buckets[(key, "l", bucket)] = n
        for bucket, n in Counter(r[tbucket_i] for r in group if r[tbucket_i] is not None).items():
            buckets[(key, "t", bucket)] = n
    return rollups, buckets


def upsert_rollups(rollups: dict, buckets: dict) -> None:
    """Add aggregates to the stored rollups (inside the caller's transaction)."""
    if not rollups:
        return
    declared = measures.MEASURES
    names = measures.names(declared)
    columns = (*SERIES_KEY, "shard", *names)
    placeholders = ", ".join(["%s"] * len(columns))
    shard = current_shard()
    # Identifiers come from model metadata; values are parameters.
    rollup_sql = (
        f"INSERT INTO {ROLLUP_TABLE} ({', '.join(columns)}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({CONFLICT_KEY}) DO UPDATE SET {rollup_update_clause(connection.vendor)}"
    )
    bucket_sql = (
        f"INSERT INTO {BUCKET_TABLE} ({', '.join(SERIES_KEY)}, shard, metric, bucket, count) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * (len(SERIES_KEY) + 4))}) "
        f"ON CONFLICT ({CONFLICT_KEY}, metric, bucket) "
        f"DO UPDATE SET count = {BUCKET_TABLE}.count + excluded.count"
    )
    # Sorted, so that concurrent writers lock rows in the same order and cannot deadlock.
    rollup_params = [
        (*key, shard, *(agg[m] for m in names)) for key, agg in sorted(rollups.items())
    ]
    bucket_params = [
        (*key, shard, metric, bucket, n) for (key, metric, bucket), n in sorted(buckets.items())
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement per table, the rows passed as arrays: hundreds of single-row
            # upserts would each be parsed and planned.
            types = {**_KEY_TYPES, **{m.name: m.type for m in declared}}
            cursor.execute(
                _unnest_upsert(rollup_sql, columns, types),
                _as_arrays(rollup_params, columns, types),
            )
            bucket_columns = (*SERIES_KEY, "shard", "metric", "bucket", "count")
            cursor.execute(
                _unnest_upsert(bucket_sql, bucket_columns, _KEY_TYPES),
                _as_arrays(bucket_params, bucket_columns, _KEY_TYPES),
            )
        else:
            cursor.executemany(rollup_sql, rollup_params)
            cursor.executemany(bucket_sql, bucket_params)


# Array types of the non-measure columns of the upserts (the measures declare theirs).
_KEY_TYPES = {
    "organization_id": "bigint",
    "project_id": "bigint",
    "minute": "bigint",
    "model": "text",
    "environment": "text",
    "source": "text",
    "metric": "text",
    "bucket": "smallint",
    "shard": "smallint",
    "count": "bigint",
}


def _unnest_upsert(values_sql: str, columns: tuple[str, ...], types: dict[str, str]) -> str:
    """Turn `INSERT … VALUES (%s, …) ON CONFLICT …` into `INSERT … SELECT * FROM unnest(…)`
    taking one array per column, in the same row order (sorted: no deadlocks)."""
    head, tail = values_sql.split(" VALUES ", 1)
    conflict = tail[tail.index("ON CONFLICT") :]
    arrays = ", ".join(f"%s::{types[c]}[]" for c in columns)
    return f"{head} SELECT * FROM unnest({arrays}) {conflict}"  # noqa: S608


def _as_arrays(rows: list[tuple], columns: tuple[str, ...], types: dict[str, str]) -> list[list]:
    arrays = []
    for name, column in zip(columns, zip(*rows, strict=True), strict=True):
        if types[name] == measures.FLOAT:  # sums start as int 0; arrays need one type
            column = [None if v is None else float(v) for v in column]
        arrays.append(list(column))
    return arrays


def add_usage(organization_id: int, on: date, events: int) -> None:
    """Add accepted events to the organization's monthly counter (caller's transaction)."""
    if events <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {USAGE_TABLE} (organization_id, month, shard, events) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (organization_id, month, shard) "
            f"DO UPDATE SET events = {USAGE_TABLE}.events + excluded.events",
            [organization_id, on.replace(day=1), current_shard(), events],
        )


def event_to_row(event: Event, prices: PriceLookup) -> tuple:
    """A stored Event in the prepared-row layout, for aggregation."""
    timestamp = event.timestamp
    cost = event.cost_usd
    unpriced = cost is None and prices.find(event.provider, event.model, timestamp.date()) is None
    return row_of(
        {
            **{name: getattr(event, name) for name in EVENT_COLUMNS},
            **derived_values(
                timestamp,
                event.latency_ms,
                event.ttft_ms,
                int(cost * 10**10) if cost is not None else None,
                unpriced,
            ),
        }
    )


def rebuild_rollups(project_id: int, start: datetime, end: datetime) -> int:
    """Recompute the rollups of [start, end) from the raw events still kept (after re-pricing).

    Returns the number of events aggregated. Minutes whose raw events were already deleted by
    retention are left as they are.
    """
    first, last = int(start.timestamp()) // 60, (int(end.timestamp()) + 59) // 60
    events = Event.objects.filter(
        project_id=project_id,
        timestamp__gte=datetime.fromtimestamp(first * 60, tz=UTC),
        timestamp__lt=datetime.fromtimestamp(last * 60, tz=UTC),
    )
    with transaction.atomic():
        for model in (EventRollup, EventRollupBucket):
            model.objects.filter(project_id=project_id, minute__gte=first, minute__lt=last).delete()
        lookups: dict[int, PriceLookup] = {}
        rows = []
        for event in events.iterator(chunk_size=5000):
            if event.organization_id not in lookups:
                lookups[event.organization_id] = PriceLookup(event.organization_id)
            rows.append(event_to_row(event, lookups[event.organization_id]))
        rollups, buckets = aggregate_rows(rows)
        upsert_rollups(rollups, buckets)
    return len(rows)
