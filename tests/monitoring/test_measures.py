"""The rollup measures are declared once (monitoring/measures.py) and everything follows it.

A new measure must flow through every ingest path, the rollups and the summary with nothing
but its declaration and the migration of its column: the last tests add two measures that
way (a column added to the table and the model, as the migration would) and check the stored
rollups and the summary against the raw events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, models
from django.db.models import Count, Max, Sum

from monitoring import measures
from monitoring.analytics import summary
from monitoring.ingest import writer
from monitoring.ingest.rows import ROW_COLUMNS
from monitoring.measures import FLOAT, Measure, Rollup
from monitoring.models import Event, EventRollup
from monitoring.rollups import rebuild_rollups, rollup_update_clause
from tests.monitoring.conftest import event

SERIES_FIELDS = {"id", "organization", "project", "minute", "model", "environment", "source"}
CACHE_HITS = Measure("cache_hits", Rollup.COUNT_PRESENT, "cached_input_tokens", summary_total=True)
TPS_MAX = Measure("tps_max", Rollup.MAX, "output_tokens_per_s", FLOAT)
EXTENDED = (*measures.MEASURES, CACHE_HITS, TPS_MAX)


def test_the_declaration_is_the_rollup_models_measure_fields():
    fields = {f.name: f for f in EventRollup._meta.concrete_fields}
    declared = {m.name: m for m in measures.MEASURES}
    assert set(fields) - SERIES_FIELDS - {"shard"} == set(declared)
    for name, measure in declared.items():
        field = fields[name]
        expected = models.FloatField if measure.type == FLOAT else models.BigIntegerField
        assert type(field) is expected, name
        # Extremes are unknown (null) for a group without values; counts and sums start at 0.
        assert field.null == (not measure.additive), name
        if measure.additive:
            assert field.default == 0, name


def test_every_measure_reads_a_column_of_the_prepared_rows():
    for measure in measures.MEASURES:
        assert measure.column is None or measure.column in ROW_COLUMNS, measure.name


def test_the_summary_totals_are_the_token_counts_of_the_api_contract():
    assert measures.summary_totals(measures.MEASURES) == ("input_tokens", "output_tokens")


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "x", "rollup": Rollup.SUM},  # no column
        {"name": "x", "rollup": Rollup.COUNT, "column": "status"},
        {"name": "x", "rollup": Rollup.COUNT_IF, "column": "status"},  # no `when`
        {"name": "x", "rollup": Rollup.SUM, "column": "latency_ms", "type": "text"},
        {"name": "x", "rollup": Rollup.MAX, "column": "latency_ms", "summary_total": True},
    ],
)
def test_a_malformed_measure_is_refused_when_declared(bad):
    with pytest.raises(ValueError, match="x:"):
        Measure(**bad)


def test_every_generated_piece_includes_an_added_measure(monkeypatch):
    """Without a database: the SQL, the merge clause, the Python aggregation and the summary's
    sums all come from the declaration, so the extra measures appear in each of them."""
    select = measures.select_sql(EXTENDED)
    assert select.endswith("count(cached_input_tokens), max(output_tokens_per_s)")
    merge = measures.merge_sql(EXTENDED, "t", "postgresql")
    assert "cache_hits = t.cache_hits + excluded.cache_hits" in merge
    assert "tps_max = GREATEST(COALESCE(t.tps_max, excluded.tps_max)," in merge
    assert "tps_max = MAX(" in measures.merge_sql(EXTENDED, "t", "sqlite")
    assert "cache_hits" in measures.summed(EXTENDED)
    assert "tps_max" not in measures.summed(EXTENDED)  # an extreme does not add up
    assert measures.summary_totals(EXTENDED)[-1] == "cache_hits"

    index = {name: i for i, name in enumerate(ROW_COLUMNS)}
    rows = [_row(index, cached=5, tps=10.0), _row(index, cached=None, tps=30.0)]
    aggregated = measures.aggregate(EXTENDED, rows, index)
    assert (aggregated["cache_hits"], aggregated["tps_max"]) == (1, 30.0)
    assert aggregated["count"] == 2

    monkeypatch.setattr(measures, "MEASURES", EXTENDED)
    ingest_sql = writer._ingest_sql()
    assert ", cache_hits, tps_max)" in ingest_sql
    assert "count(cached_input_tokens), max(output_tokens_per_s) FROM fresh" in ingest_sql
    assert "tps_max = " in rollup_update_clause("postgresql")


def _row(index: dict[str, int], cached: int | None, tps: float) -> tuple:
    row = [None] * len(index)
    row[index["status"]] = "ok"
    row[index["cached_input_tokens"]] = cached
    row[index["output_tokens_per_s"]] = tps
    row[index["latency_ms"]] = 100.0
    return tuple(row)


@pytest.fixture
def added_measures(db, monkeypatch):
    """What adding the two measures takes: their declaration, and what their migration does
    (a column in the rollup table, a field on the model)."""
    added = []
    table = EventRollup._meta.db_table
    for measure in (CACHE_HITS, TPS_MAX):
        if measure.additive:
            field, ddl = models.BigIntegerField(default=0), "bigint NOT NULL DEFAULT 0"
        else:
            field, ddl = models.FloatField(null=True), "double precision NULL"
        with connection.cursor() as cursor:
            # Inside the test's transaction: rolled back with it.
            cursor.execute(f"ALTER TABLE {table} ADD COLUMN {measure.name} {ddl}")
        EventRollup.add_to_class(measure.name, field)
        added.append(field)
    monkeypatch.setattr(measures, "MEASURES", EXTENDED)
    yield
    for field in added:
        EventRollup._meta.local_fields.remove(field)
        delattr(EventRollup, field.name)
    EventRollup._meta._expire_cache()


def _batch(now: datetime, n: int, with_ids: bool = False) -> list[dict]:
    import uuid

    items = []
    for i in range(n):
        item = event(
            timestamp=(now - timedelta(seconds=i % 50)).isoformat(),
            latency_ms=200.0 + i,
            ttft_ms=50.0,
            output_tokens=10 + i,
        )
        if i % 3:
            item["cached_input_tokens"] = i
        if with_ids:
            item["id"] = str(uuid.uuid4())
        items.append(item)
    return items


def test_an_added_measure_flows_through_ingest_rollups_and_summary(
    added_measures, project, ingest_key, send
):
    now = datetime.now(UTC).replace(second=55, microsecond=0) - timedelta(minutes=1)
    # Every write path: a single event (inline statement), a large batch of new ids (COPY
    # on PostgreSQL), a large batch with client ids (staging table); SQLite has one path.
    for batch in (_batch(now, 1), _batch(now, 60), _batch(now, 40, with_ids=True)):
        assert send(ingest_key, batch).status_code == 202

    raw = Event.objects.for_project(project).aggregate(
        n=Count("id"), hits=Count("cached_input_tokens"), tps=Max("output_tokens_per_s")
    )
    assert raw["n"] == 101
    stored = EventRollup.objects.filter(project=project).aggregate(
        hits=Sum("cache_hits"), tps=Max("tps_max")
    )
    assert stored == {"hits": raw["hits"], "tps": pytest.approx(raw["tps"])}
    assert raw["hits"] > 0

    result = summary(project, "1h", now=now + timedelta(minutes=1))
    assert result["cache_hits"] == raw["hits"]
    assert result["requests"] == 101

    # Rebuilt from the raw events (after re-pricing), the new measure comes back the same.
    rebuild_rollups(project.id, now - timedelta(hours=1), now + timedelta(minutes=1))
    assert summary(project, "1h", now=now + timedelta(minutes=1)) == result


@pytest.mark.django_db
def test_a_prepared_row_holds_each_value_under_its_own_column(project):
    """The row builder is compiled from a table keyed by column name; each value must land
    in the column the model (and DERIVED_COLUMNS) puts it in."""
    import uuid

    from monitoring.ingest.rows import build_rows
    from monitoring.ingest.schema import EventIn

    sent = EventIn(
        id=uuid.uuid4(),
        timestamp=datetime(2026, 3, 1, 12, 30, 15, tzinfo=UTC),
        provider="acme",
        model="m-1",
        operation="completion",
        environment="staging",
        latency_ms=800.0,
        ttft_ms=300.0,
        input_tokens=11,
        output_tokens=50,
        cached_input_tokens=3,
        cache_creation_input_tokens=4,
        reasoning_tokens=5,
        cost_usd=0.25,
        status="error",
        error_type="Boom",
        http_status=502,
        trace_id="A" * 32,
        span_id="B" * 16,
        tags={"k": "v"},
        prompt="hello",
        completion="world",
    )
    received = datetime(2026, 3, 1, 12, 31, tzinfo=UTC)
    [row] = build_rows(
        project.organization_id,
        project.id,
        [sent],
        source="api",
        received_at=received,
        store_prompts=True,
        probe_id=77,
    )
    values = dict(zip(ROW_COLUMNS, row, strict=True))
    assert values == {
        "organization_id": project.organization_id,
        "project_id": project.id,
        "event_id": sent.id,
        "timestamp": sent.timestamp,
        "received_at": received,
        "source": "api",
        "probe_id": 77,
        "provider": "acme",
        "model": "m-1",
        "operation": "completion",
        "environment": "staging",
        "latency_ms": 800.0,
        "ttft_ms": 300.0,
        "input_tokens": 11,
        "output_tokens": 50,
        "cached_input_tokens": 3,
        "cache_creation_input_tokens": 4,
        "reasoning_tokens": 5,
        "output_tokens_per_s": 100.0,  # 50 tokens over 800 - 300 ms
        "cost_usd": "0.2500000000",
        "cost_from_client": True,
        "status": "error",
        "error_type": "Boom",
        "http_status": 502,
        "trace_id": "a" * 32,
        "span_id": "b" * 16,
        "tags": '{"k":"v"}',
        "prompt_hash": values["prompt_hash"],
        "prompt": "hello",
        "completion": "world",
        "minute": int(sent.timestamp.timestamp()) // 60,
        "latency_bucket": values["latency_bucket"],
        "ttft_bucket": values["ttft_bucket"],
        "cost_e10": 2_500_000_000,
        "unpriced": False,
    }
    assert len(values["prompt_hash"]) == 64
    assert values["latency_bucket"] > values["ttft_bucket"]
