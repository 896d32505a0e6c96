"""Prometheus metrics of ingestion, exposed by the site's `/metrics` endpoint."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INGESTED_EVENTS = Counter(
    "llmscope_ingest_events_total",
    "Events received by the ingest endpoints, by source and outcome",
    ["source", "outcome"],  # outcome: accepted, duplicate, rejected
)
INGEST_LATENCY = Histogram(
    "llmscope_ingest_duration_seconds",
    "Time to validate and durably store one ingest request",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
INGEST_BATCH_SIZE = Histogram(
    "llmscope_ingest_batch_events",
    "Events per ingest request",
    ["source"],
    buckets=(1, 10, 50, 100, 250, 500, 1000, 5000),
)
