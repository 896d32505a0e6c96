"""One bulk write per batch: events, their rollups and the usage counter, in one transaction.

PostgreSQL, three paths:
- a batch carrying client ids: COPY into a per-connection temporary staging table, then one
  statement inserts the rows into the event table skipping known ids (`ON CONFLICT DO
  NOTHING`) and, from the rows actually inserted, adds to the per-minute rollups, their
  histogram buckets and the organization's monthly counter. Duplicates never count twice.
- small batches (single events): the same statement with the rows inline, prepared.
- a batch whose ids were all generated here cannot hold a duplicate: COPY straight into the
  event table, and rollups aggregated from the same rows.

SQLite (embedded mode, one writer at a time: the transaction takes the write lock at BEGIN):
look up the known ids, bulk-insert the new events, aggregate them in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC

import msgspec
import psycopg
from django.db import connection, transaction

from monitoring import measures
from monitoring.ingest.rows import (
    COL,
    DERIVED_COLUMNS,
    EVENT_COLUMNS,
    ROW_COLUMNS,
    drop_repeated_ids,
)
from monitoring.models import Event
from monitoring.rollups import (
    BUCKET_TABLE,
    CONFLICT_KEY,
    ROLLUP_TABLE,
    SERIES_KEY,
    SHARD_SQL,
    USAGE_TABLE,
    add_usage,
    aggregate_rows,
    rollup_update_clause,
    upsert_rollups,
)

EVENT_TABLE = Event._meta.db_table
STAGING_TABLE = "llmscope_ingest_staging"


@dataclass
class WriteResult:
    accepted: int
    duplicates: int
    # (model, environment, source, has_ttft) of the events stored
    series: set[tuple[str, str, str, bool]] = field(default_factory=set)


def write_rows(rows: list[tuple], client_ids: bool = True) -> WriteResult:
    """Store prepared rows of one project; must run inside `transaction.atomic()`.

    `client_ids` False promises that every id was generated here (new_event_ids), so none
    can already be stored: PostgreSQL then COPYs straight into the event table.
    """
    unique = drop_repeated_ids(rows) if client_ids else rows
    repeated = len(rows) - len(unique)
    if connection.vendor == "postgresql" and not client_ids and len(rows) > SMALL_BATCH:
        result = _copy_new_events(unique)
    elif connection.vendor == "postgresql":
        result = _write_postgresql(unique)
    else:
        result = _write_generic(unique)
    result.duplicates += repeated
    return result


# --- PostgreSQL ----------------------------------------------------------------------------


# Batches up to this size are sent inline (one statement, one round trip) instead of COPY.
SMALL_BATCH = 20


def _column_types() -> list[tuple[str, str]]:
    fields = {f.column: f for f in Event._meta.concrete_fields}
    types = [(name, fields[name].db_type(connection)) for name in EVENT_COLUMNS]
    return types + list(DERIVED_COLUMNS.items())


def _staging_ddl() -> str:
    columns = [f"{name} {db_type}" for name, db_type in _column_types()]
    # ON COMMIT DELETE ROWS: the table is created once per connection and emptied by every
    # commit, so no catalog churn per batch.
    return (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING_TABLE} ({', '.join(columns)}) "
        "ON COMMIT DELETE ROWS"
    )


def _copy_to_staging(cursor, rows: list[tuple]) -> None:
    raw = connection.connection
    _ensure_staging_table(cursor)
    if getattr(raw, "_llmscope_staging_dirty", False):
        # Rows of an earlier batch of the same (outer) transaction: commit empties the table.
        cursor.execute(f"DELETE FROM {STAGING_TABLE}")  # noqa: S608
    columns = ", ".join(ROW_COLUMNS)
    with cursor.cursor.copy(f"COPY {STAGING_TABLE} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    raw._llmscope_staging_dirty = True

    def emptied_by_commit() -> None:
        raw._llmscope_staging_dirty = False

    transaction.on_commit(emptied_by_commit)


def _ensure_staging_table(cursor) -> None:
    raw = connection.connection
    if getattr(raw, "_llmscope_staging", False):
        return
    cursor.execute(_staging_ddl())

    # Only once committed: a rolled-back transaction takes the new table with it.
    def remember() -> None:
        raw._llmscope_staging = True

    transaction.on_commit(remember)


def _ingest_sql(source: str = STAGING_TABLE, values_cte: str = "") -> str:
    """The statement storing the rows of `source` (the staging table, or a VALUES list
    defined by `values_cte`) with their rollups and usage."""
    event_cols = ", ".join(EVENT_COLUMNS)
    key = ", ".join(SERIES_KEY)
    declared = measures.MEASURES
    # Identifiers come from model metadata and monitoring/measures.py, values only from COPY
    # or parameters: nothing user-supplied.
    return f"""
WITH {values_cte}inserted AS (
    INSERT INTO {EVENT_TABLE} ({event_cols})
    SELECT {event_cols} FROM {source}
    ON CONFLICT (project_id, event_id) DO NOTHING
    RETURNING event_id
), fresh AS (
    SELECT s.* FROM {source} s JOIN inserted i ON i.event_id = s.event_id
), rollups AS (
    INSERT INTO {ROLLUP_TABLE} ({key}, shard, {", ".join(measures.names(declared))})
    SELECT {key}, {SHARD_SQL}, {measures.select_sql(declared)} FROM fresh
    GROUP BY {key} ORDER BY {key}
    ON CONFLICT ({CONFLICT_KEY}) DO UPDATE SET {rollup_update_clause("postgresql")}
), buckets AS (
    INSERT INTO {BUCKET_TABLE} ({key}, shard, metric, bucket, count)
    SELECT {key}, {SHARD_SQL}, metric, bucket, count(*) FROM (
        SELECT {key}, 'l' AS metric, latency_bucket AS bucket FROM fresh
        UNION ALL
        SELECT {key}, 't', ttft_bucket FROM fresh WHERE ttft_bucket IS NOT NULL
    ) b
    GROUP BY {key}, metric, bucket ORDER BY {key}, metric, bucket
    ON CONFLICT ({CONFLICT_KEY}, metric, bucket)
    DO UPDATE SET count = {BUCKET_TABLE}.count + excluded.count
), usage AS (
    INSERT INTO {USAGE_TABLE} (organization_id, month, shard, events)
    SELECT organization_id, date_trunc('month', timestamp AT TIME ZONE 'UTC')::date,
        {SHARD_SQL}, count(*)
    FROM fresh GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (organization_id, month, shard)
    DO UPDATE SET events = {USAGE_TABLE}.events + excluded.events
)
SELECT model, environment, source, bool_or(ttft_ms IS NOT NULL), count(*)
FROM fresh GROUP BY 1, 2, 3
"""  # noqa: S608


# Per (number of inline rows, 0 for the staging table; the measures declared).
_SQL_CACHE: dict[tuple[int, tuple], str] = {}


def _inline_sql(count: int) -> str:
    """The ingest statement with `count` rows inline as a typed VALUES list."""
    key = (count, measures.MEASURES)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        types = _column_types()
        row = "(" + ", ".join(f"%s::{db_type}" for _, db_type in types) + ")"
        names = ", ".join(name for name, _ in types)
        values = f"staged ({names}) AS (VALUES {', '.join([row] * count)}), "
        sql = _SQL_CACHE[key] = _ingest_sql("staged", values)
    return sql


def _write_postgresql(rows: list[tuple]) -> WriteResult:
    with connection.cursor() as cursor:
        if len(rows) <= SMALL_BATCH:
            # Small batches (single events) in one round trip: no staging table, no COPY.
            # A prepared statement (server-side binding): planning this statement costs more
            # than running it for one event.
            with psycopg.Cursor(connection.connection) as prepared:
                prepared.execute(
                    _inline_sql(len(rows)), [value for row in rows for value in row], prepare=True
                )
                touched = prepared.fetchall()
        else:
            _copy_to_staging(cursor, rows)
            key = (0, measures.MEASURES)
            if key not in _SQL_CACHE:
                _SQL_CACHE[key] = _ingest_sql()
            cursor.execute(_SQL_CACHE[key])
            touched = cursor.fetchall()
    accepted = sum(n for *_, n in touched)
    return WriteResult(
        accepted=accepted,
        duplicates=len(rows) - accepted,
        series={(m, e, s, has_ttft) for m, e, s, has_ttft, _ in touched},
    )


def _copy_new_events(rows: list[tuple]) -> WriteResult:
    """Rows whose ids were all generated by this process: no duplicate is possible, so no
    staging table and no conflict check; rollups are aggregated here from the same rows."""
    width = len(EVENT_COLUMNS)
    with connection.cursor() as cursor:
        columns = ", ".join(EVENT_COLUMNS)
        with cursor.cursor.copy(f"COPY {EVENT_TABLE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row[:width])
    _add_rollups_and_usage(rows)
    return WriteResult(accepted=len(rows), duplicates=0, series=_series_of(rows))


def _add_rollups_and_usage(rows: list[tuple]) -> None:
    rollups, buckets = aggregate_rows(rows)
    upsert_rollups(rollups, buckets)
    per_month: dict = {}
    for row in rows:
        day = row[COL["timestamp"]].astimezone(UTC).date().replace(day=1)
        per_month[day] = per_month.get(day, 0) + 1
    for month, count in sorted(per_month.items()):
        add_usage(rows[0][COL["organization_id"]], month, count)


# --- SQLite and others ---------------------------------------------------------------------


def _write_generic(rows: list[tuple]) -> WriteResult:
    if not rows:
        return WriteResult(0, 0)
    project_id = rows[0][COL["project_id"]]
    ids = [row[COL["event_id"]] for row in rows]
    known: set = set()
    for start in range(0, len(ids), 500):
        known.update(
            Event.objects.filter(
                project_id=project_id, event_id__in=ids[start : start + 500]
            ).values_list("event_id", flat=True)
        )
    fresh = [row for row in rows if row[COL["event_id"]] not in known]
    n_event = len(EVENT_COLUMNS)
    tags = COL["tags"]
    objects = []
    for row in fresh:
        values = dict(zip(EVENT_COLUMNS, row[:n_event], strict=True))
        values["tags"] = msgspec.json.decode(row[tags])  # rows carry tags as JSON text for COPY
        objects.append(Event(**values))
    Event.objects.bulk_create(objects, batch_size=500)
    if fresh:
        _add_rollups_and_usage(fresh)
    return WriteResult(
        accepted=len(fresh),
        duplicates=len(rows) - len(fresh),
        series=_series_of(fresh),
    )


def _series_of(rows: list[tuple]) -> set[tuple[str, str, str, bool]]:
    has_ttft: dict[tuple[str, str, str], bool] = {}
    for row in rows:
        key = (row[COL["model"]], row[COL["environment"]], row[COL["source"]])
        has_ttft[key] = has_ttft.get(key, False) or row[COL["ttft_ms"]] is not None
    return {(*key, ttft) for key, ttft in has_ttft.items()}
