"""The event measures: what the per-minute rollups keep of each event, declared once.

Each column of `EventRollup` after its series key is one `Measure`: the prepared-row column it
reads (monitoring/ingest/rows.py) and how it rolls up. Everything that writes or reads the
rollups is generated from `MEASURES`, in its order:
- the aggregate expressions of PostgreSQL's ingest statement (`select_sql`),
- the Python aggregation used by SQLite, COPY batches and rebuilds (`aggregate`),
- the merge of a new aggregate into a stored one (`merge_sql`) and the array types of the
  PostgreSQL upsert (`Measure.type`),
- the sums the summary reads, and the totals it reports (`summed`, `summary_totals`).

Adding a measure is a `Measure` here, its `EventRollup` field and that field's migration; a
measure of a new event column also needs the Event field (and the ingest schema's, to accept
it). Pure declarations: no Django model is imported here, so tests can build every generated
piece from another declaration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any


class Rollup(StrEnum):
    """How a measure combines the events of one series and minute."""

    COUNT = "count"  # every event
    COUNT_IF = "count_if"  # events whose column equals `when`
    COUNT_PRESENT = "count_present"  # events whose column is not null
    SUM = "sum"  # sum of the column (null counts as nothing)
    SUM_SQUARES = "sum_squares"  # sum of the column's squares (for a variance)
    MIN = "min"
    MAX = "max"


# The SQL types a rollup column may have: exact counters, or floating-point sums and extremes.
BIGINT, FLOAT = "bigint", "float8"
_EXTREMES = (Rollup.MIN, Rollup.MAX)


@dataclass(frozen=True)
class Measure:
    """One rollup column: `name` in EventRollup, computed from the row column `column`."""

    name: str
    rollup: Rollup
    column: str | None = None  # None only for COUNT
    type: str = BIGINT  # BIGINT or FLOAT: the SQL type of the rollup column
    when: str | bool | None = None  # COUNT_IF: the value counted
    # Reported as a total under its own name by the summary (API.md "Read").
    summary_total: bool = False

    def __post_init__(self) -> None:
        if (self.column is None) != (self.rollup == Rollup.COUNT):
            raise ValueError(f"{self.name}: every rollup but COUNT reads a column")
        if (self.when is None) == (self.rollup == Rollup.COUNT_IF):
            raise ValueError(f"{self.name}: COUNT_IF, and only it, needs `when`")
        if self.type not in (BIGINT, FLOAT):
            raise ValueError(f"{self.name}: type must be {BIGINT} or {FLOAT}")
        if self.summary_total and not self.additive:
            raise ValueError(f"{self.name}: only an additive measure has a total")

    @property
    def additive(self) -> bool:
        """Whether aggregates of this measure add up (count and sums) rather than compare."""
        return self.rollup not in _EXTREMES

    def select_sql(self) -> str:
        """The aggregate expression over the rows of one series and minute (PostgreSQL)."""
        col = self.column
        match self.rollup:
            case Rollup.COUNT:
                return "count(*)"
            case Rollup.COUNT_IF:
                return f"count(*) FILTER (WHERE {col} = {_sql_literal(self.when)})"
            case Rollup.COUNT_PRESENT:
                return f"count({col})"
            case Rollup.SUM:
                return f"coalesce(sum({col}), 0)"
            case Rollup.SUM_SQUARES:
                return f"coalesce(sum({col} * {col}), 0)"
            case Rollup.MIN:
                return f"min({col})"
            case Rollup.MAX:
                return f"max({col})"
        raise AssertionError(self.rollup)

    def merge_sql(self, table: str, vendor: str) -> str:
        """`name = …` merging `excluded` (a new aggregate) into the stored row of `table`."""
        name = self.name
        if self.additive:
            return f"{name} = {table}.{name} + excluded.{name}"
        postgres = vendor == "postgresql"
        if self.rollup == Rollup.MIN:
            fn = "LEAST" if postgres else "MIN"
        else:
            fn = "GREATEST" if postgres else "MAX"
        # Written so that a NULL on either side keeps the other (SQLite's MIN(x, NULL) is NULL).
        return (
            f"{name} = {fn}(COALESCE({table}.{name}, excluded.{name}), "
            f"COALESCE(excluded.{name}, {table}.{name}))"
        )

    def aggregate(self, group: Sequence[tuple], index: int | None, present: list) -> Any:
        """This measure over one group of rows; `present` holds the column's non-null values
        (computed once per column by `aggregate`)."""
        match self.rollup:
            case Rollup.COUNT:
                return len(group)
            case Rollup.COUNT_IF:
                when = self.when
                return sum(1 for row in group if row[index] == when)
            case Rollup.COUNT_PRESENT:
                return len(present)
            case Rollup.SUM:
                return sum(present)
            case Rollup.SUM_SQUARES:
                return sum(x * x for x in present)
            case Rollup.MIN:
                return min(present) if present else None
            case Rollup.MAX:
                return max(present) if present else None
        raise AssertionError(self.rollup)


def _sql_literal(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + value.replace("'", "''") + "'"


MEASURES: tuple[Measure, ...] = (
    Measure("count", Rollup.COUNT),
    Measure("errors", Rollup.COUNT_IF, "status", when="error"),
    Measure("latency_sum", Rollup.SUM, "latency_ms", FLOAT),
    Measure("latency_sumsq", Rollup.SUM_SQUARES, "latency_ms", FLOAT),
    Measure("latency_min", Rollup.MIN, "latency_ms", FLOAT),
    Measure("latency_max", Rollup.MAX, "latency_ms", FLOAT),
    Measure("ttft_count", Rollup.COUNT_PRESENT, "ttft_ms"),
    Measure("ttft_sum", Rollup.SUM, "ttft_ms", FLOAT),
    Measure("ttft_sumsq", Rollup.SUM_SQUARES, "ttft_ms", FLOAT),
    Measure("ttft_min", Rollup.MIN, "ttft_ms", FLOAT),
    Measure("ttft_max", Rollup.MAX, "ttft_ms", FLOAT),
    Measure("input_tokens", Rollup.SUM, "input_tokens", summary_total=True),
    Measure("output_tokens", Rollup.SUM, "output_tokens", summary_total=True),
    Measure("cached_input_tokens", Rollup.SUM, "cached_input_tokens"),
    Measure("cache_creation_input_tokens", Rollup.SUM, "cache_creation_input_tokens"),
    Measure("reasoning_tokens", Rollup.SUM, "reasoning_tokens"),
    # Cost in units of 1e-10 USD (exact); priced: events with a cost; unpriced: events with
    # neither a client cost nor a price for their model.
    Measure("cost_usd_e10", Rollup.SUM, "cost_e10"),
    Measure("priced_count", Rollup.COUNT_PRESENT, "cost_e10"),
    Measure("unpriced_count", Rollup.COUNT_IF, "unpriced", when=True),
    Measure("tps_count", Rollup.COUNT_PRESENT, "output_tokens_per_s"),
    Measure("tps_sum", Rollup.SUM, "output_tokens_per_s", FLOAT),
)


def names(declared: tuple[Measure, ...]) -> tuple[str, ...]:
    """The rollup columns, in declaration order."""
    return tuple(m.name for m in declared)


@cache
def select_sql(declared: tuple[Measure, ...]) -> str:
    """The aggregate expressions, comma-separated, in the order of `names(declared)`."""
    return ", ".join(m.select_sql() for m in declared)


@cache
def merge_sql(declared: tuple[Measure, ...], table: str, vendor: str) -> str:
    """The `ON CONFLICT … DO UPDATE SET` clause adding a new aggregate to a stored one."""
    return ", ".join(m.merge_sql(table, vendor) for m in declared)


def summed(declared: tuple[Measure, ...]) -> tuple[str, ...]:
    """The measures that add up over minutes and series (what a summary sums)."""
    return tuple(m.name for m in declared if m.additive)


def summary_totals(declared: tuple[Measure, ...]) -> tuple[str, ...]:
    """The measures the summary reports as totals under their own names."""
    return tuple(m.name for m in declared if m.summary_total)


@cache
def columns_read(declared: tuple[Measure, ...]) -> tuple[str, ...]:
    """The row columns the measures read (each once, in order of first use)."""
    return tuple(dict.fromkeys(m.column for m in declared if m.column is not None))


def aggregate(
    declared: tuple[Measure, ...], group: Sequence[tuple], index: dict[str, int]
) -> dict[str, Any]:
    """Every measure over one group of prepared rows; `index` maps a row column to its
    position. Each column's non-null values are collected once, then each measure is one
    builtin pass over them (this runs on every ingested batch)."""
    present: dict[str, list] = {}
    for column in columns_read(declared):
        i = index[column]
        present[column] = [v for row in group if (v := row[i]) is not None]
    return {
        m.name: m.aggregate(
            group,
            index[m.column] if m.column is not None else None,
            present.get(m.column, []),
        )
        for m in declared
    }
