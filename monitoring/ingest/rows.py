"""Turning validated events into database rows: cost, redaction, hashing, derived fields.

A row is a plain tuple in `ROW_COLUMNS` order: the event table's columns, then the
`DERIVED_COLUMNS` the rollups need. Tuples, not model instances, because this runs once per
event on the ingest hot path and feeds PostgreSQL COPY directly; every reader finds a column's
position in `COL`, by name. The rollup measures read from these rows are declared in
monitoring/measures.py.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

import msgspec
from django.core.exceptions import ImproperlyConfigured

from monitoring.histogram import bucket_of
from monitoring.ingest.redaction import redact
from monitoring.ingest.schema import EventIn
from monitoring.models import Event
from monitoring.pricing.book import PriceLookup
from monitoring.pricing.matching import cost_e10

# The event table's columns, in the model's order (its primary key aside): COPY and INSERT
# name them from here, so a new Event field is written without touching this list.
EVENT_COLUMNS = tuple(f.column for f in Event._meta.concrete_fields if not f.primary_key)
# What the rollups need and the event table does not keep, with their SQL types: minute
# (minutes since the epoch), the histogram buckets, cost_e10 (cost in 1e-10 USD) and unpriced
# (no client cost and no price for the model).
DERIVED_COLUMNS = {
    "minute": "bigint",
    "latency_bucket": "smallint",
    "ttft_bucket": "smallint",
    "cost_e10": "bigint",
    "unpriced": "boolean",
}
ROW_COLUMNS = EVENT_COLUMNS + tuple(DERIVED_COLUMNS)
COL = {name: i for i, name in enumerate(ROW_COLUMNS)}
# One row from a dict holding every column by name (a KeyError names a column left out).
row_of = itemgetter(*ROW_COLUMNS)
E10 = 10**10
_E10_QUANTUM = Decimal("1e-10")
_encode_json = msgspec.json.Encoder().encode

# How build_rows computes each column from the event `e` and the values its loop prepared
# (_ROW_INPUTS). Compiled once into one function returning a tuple in ROW_COLUMNS order, as
# namedtuple and dataclasses compile theirs: a row costs what a literal tuple costs (this
# runs once per ingested event), positions come from the model and DERIVED_COLUMNS, never
# from the order written here, and a column without an entry fails at import.
_ROW_INPUTS = (
    "e",
    "organization_id",
    "project_id",
    "event_id",
    "timestamp",
    "received_at",
    "source",
    "probe_id",
    "latency",
    "ttft",
    "cost",
    "units",
    "unpriced",
    "prompt_hash",
    "stored_prompt",
    "stored_completion",
)
_ROW_VALUES = {
    "organization_id": "organization_id",
    "project_id": "project_id",
    "event_id": "event_id",
    "timestamp": "timestamp",
    "received_at": "received_at",
    "source": "source",
    "probe_id": "probe_id",
    "provider": 'e.provider or ""',
    "model": "e.model",
    "operation": "e.operation",
    "environment": "e.environment",
    "latency_ms": "latency",
    "ttft_ms": "ttft",
    "input_tokens": "e.input_tokens",
    "output_tokens": "e.output_tokens",
    "cached_input_tokens": "e.cached_input_tokens",
    "cache_creation_input_tokens": "e.cache_creation_input_tokens",
    "reasoning_tokens": "e.reasoning_tokens",
    "output_tokens_per_s": "tokens_per_second(e.output_tokens, latency, ttft)",
    "cost_usd": "cost",
    "cost_from_client": "e.cost_usd is not None",
    "status": "e.status",
    "error_type": 'e.error_type or ""',
    "http_status": "e.http_status",
    "trace_id": 'e.trace_id.lower() if e.trace_id else ""',
    "span_id": 'e.span_id.lower() if e.span_id else ""',
    "tags": 'encode_json(e.tags).decode() if e.tags else "{}"',
    "prompt_hash": "prompt_hash",
    "prompt": "stored_prompt",
    "completion": "stored_completion",
    # DERIVED_COLUMNS, as derived_values computes them
    "minute": "int(timestamp.timestamp()) // 60",
    "latency_bucket": "bucket_of(latency)",
    "ttft_bucket": "bucket_of(ttft) if ttft is not None else None",
    "cost_e10": "units",
    "unpriced": "unpriced",
}


def _compile_row_maker() -> Callable[..., tuple]:
    missing = set(ROW_COLUMNS) - set(_ROW_VALUES)
    extra = set(_ROW_VALUES) - set(ROW_COLUMNS)
    if missing or extra:
        raise ImproperlyConfigured(
            f"rows.py: no value for columns {sorted(missing)}; unknown columns {sorted(extra)}"
        )
    values = ",\n        ".join(f"({_ROW_VALUES[name]})" for name in ROW_COLUMNS)
    source = f"def make_row({', '.join(_ROW_INPUTS)}):\n    return (\n        {values},\n    )\n"
    namespace = {
        "tokens_per_second": Event.tokens_per_second,
        "encode_json": _encode_json,
        "bucket_of": bucket_of,
    }
    exec(compile(source, "<monitoring.ingest.rows.make_row>", "exec"), namespace)  # noqa: S102
    return namespace["make_row"]


_make_row = _compile_row_maker()


def build_rows(
    organization_id: int,
    project_id: int,
    events: Sequence[EventIn],
    *,
    source: str,
    received_at: datetime,
    store_prompts: bool,
    store_completions: bool | None = None,
    probe_id: int | None = None,
) -> list[tuple]:
    """Rows for `events`, with cost from the price table when the client sent none. Prompts
    are kept (redacted) only with `store_prompts`, completions only with `store_completions`
    (by default: as prompts); a prompt's hash always is."""
    if store_completions is None:
        store_completions = store_prompts
    prices = PriceLookup(organization_id)
    new_ids = iter(new_event_ids(len(events)))
    rows = []
    append = rows.append
    make_row = _make_row
    for e in events:
        timestamp = e.timestamp or received_at
        if timestamp.utcoffset():
            timestamp = timestamp.astimezone(UTC)
        latency = e.latency_ms
        ttft = e.ttft_ms
        unpriced = False
        if e.cost_usd is not None:
            # Kept as sent (to the column's 10 decimals).
            units = int(Decimal(repr(e.cost_usd)).quantize(_E10_QUANTUM) * E10)
        else:
            rates = prices.rates(e.provider, e.model, timestamp.date())
            if rates is None:
                units, unpriced = None, True
            elif e.input_tokens is None and e.output_tokens is None:
                units = None  # priced model, but nothing to price: unknown, not $0
            else:
                units = cost_e10(
                    rates,
                    e.input_tokens,
                    e.output_tokens,
                    e.cached_input_tokens,
                    e.cache_creation_input_tokens,
                    e.reasoning_tokens,
                )
        # As text: exact for NUMERIC(20, 10), and cheaper than a Decimal on the hot path.
        cost = f"{units // 10**10}.{units % 10**10:010d}" if units is not None else None
        prompt = e.prompt
        prompt_hash = hashlib.sha256(prompt.encode()).hexdigest() if prompt is not None else ""
        stored_prompt = redact(prompt) if store_prompts and prompt is not None else None
        completion = e.completion
        stored_completion = (
            redact(completion) if store_completions and completion is not None else None
        )
        append(
            make_row(
                e,
                organization_id,
                project_id,
                e.id or next(new_ids),
                timestamp,
                received_at,
                source,
                probe_id,
                latency,
                ttft,
                cost,
                units,
                unpriced,
                prompt_hash,
                stored_prompt,
                stored_completion,
            )
        )
    return rows


def new_event_ids(count: int) -> list[str]:
    """Time-ordered random UUIDs (the UUIDv7 layout), as hex text.

    Ordered by creation time, new ids land at the right edge of the (project, event_id)
    index instead of on random pages; hex text goes to COPY without a uuid.UUID per event.
    """
    stamp = f"{time.time_ns() // 1_000_000:012x}"
    noise = os.urandom(9 * count).hex()
    ids = []
    for i in range(0, 18 * count, 18):
        chunk = noise[i : i + 18]
        # 12 hex of milliseconds, version "7", 3 random, variant "8" (10xx), 15 random.
        ids.append(f"{stamp}7{chunk[:3]}8{chunk[3:18]}")
    return ids


_EVENT_ID = COL["event_id"]


def derived_values(
    timestamp: datetime, latency: float, ttft: float | None, cost_e10: int | None, unpriced: bool
) -> dict[str, Any]:
    """The DERIVED_COLUMNS of one event (the ingest path and rebuilds share it)."""
    return {
        "minute": int(timestamp.timestamp()) // 60,
        "latency_bucket": bucket_of(latency),
        "ttft_bucket": bucket_of(ttft) if ttft is not None else None,
        "cost_e10": cost_e10,
        "unpriced": unpriced,
    }


def drop_repeated_ids(rows: list[tuple]) -> list[tuple]:
    """Keep the first row of each event id: a batch may repeat a client id."""
    seen: set = set()
    unique = []
    for row in rows:
        event_id = row[_EVENT_ID]
        if event_id not in seen:
            seen.add(event_id)
            unique.append(row)
    return unique
