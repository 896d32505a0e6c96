"""Rollups agree with a direct computation on the raw events, however they were written."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum

from monitoring.analytics import summary
from monitoring.histogram import RELATIVE_ERROR, nearest_rank
from monitoring.ingest.schema import EventIn
from monitoring.ingest.service import ingest_events
from monitoring.models import Event, EventRollup, EventRollupBucket
from monitoring.rollups import rebuild_rollups
from monitoring.usage import events_this_month
from tests.monitoring.conftest import event


def random_events(rng: random.Random, n: int, now: datetime) -> list[dict]:
    events = []
    for _ in range(n):
        latency = rng.lognormvariate(6, 0.8)
        item = event(
            model=rng.choice(["gpt-4o", "o3", "claude-3-5-haiku", "local-llm"]),
            environment=rng.choice(["production", "staging"]),
            timestamp=(now - timedelta(seconds=rng.uniform(0, 3000))).isoformat(),
            latency_ms=latency,
            input_tokens=rng.randint(0, 5000),
            output_tokens=rng.randint(1, 800),
            status="error" if rng.random() < 0.1 else "ok",
        )
        if rng.random() < 0.7:
            item["ttft_ms"] = latency * rng.uniform(0.05, 0.5)
        events.append(item)
    return events


def assert_rollups_match_raw(project) -> None:
    raw = Event.objects.for_project(project).aggregate(
        n=Count("id"),
        errors=Count("id", filter=Q(status="error")),
        lat=Sum("latency_ms"),
        lat_min=Min("latency_ms"),
        lat_max=Max("latency_ms"),
        ttft_n=Count("ttft_ms"),
        inp=Sum("input_tokens"),
        out=Sum("output_tokens"),
        cost=Sum("cost_usd"),
    )
    rolled = EventRollup.objects.filter(project=project).aggregate(
        n=Sum("count"),
        errors=Sum("errors"),
        lat=Sum("latency_sum"),
        lat_min=Min("latency_min"),
        lat_max=Max("latency_max"),
        ttft_n=Sum("ttft_count"),
        inp=Sum("input_tokens"),
        out=Sum("output_tokens"),
        cost=Sum("cost_usd_e10"),
    )
    for name in ("n", "errors", "ttft_n", "inp", "out"):
        assert rolled[name] == (raw[name] or 0), name
    assert rolled["lat"] == pytest.approx(raw["lat"], rel=1e-9)
    assert (rolled["lat_min"], rolled["lat_max"]) == (raw["lat_min"], raw["lat_max"])
    assert rolled["cost"] == int((raw["cost"] or 0) * 10**10)
    buckets = EventRollupBucket.objects.filter(project=project, metric="l").aggregate(
        n=Sum("count")
    )
    assert buckets["n"] == raw["n"]


@pytest.mark.django_db
def test_rollups_match_the_raw_events(send, ingest_key, project, public_prices):
    rng = random.Random(7)
    now = datetime.now(UTC)
    events = random_events(rng, 900, now)
    for item in events[:50]:
        item["id"] = str(uuid.uuid4())
    send(ingest_key, events[:500])
    send(ingest_key, events[500:])
    send(ingest_key, events[:50])  # duplicates must not count twice
    assert_rollups_match_raw(project)

    latencies = list(Event.objects.for_project(project).values_list("latency_ms", flat=True))
    result = summary(project, "1h", now=now + timedelta(seconds=1))
    assert result["requests"] == 900
    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        exact = nearest_rank(latencies, q)
        assert abs(result["latency_ms"][name] - exact) <= RELATIVE_ERROR * exact + 1e-3
    o3 = [e.latency_ms for e in Event.objects.filter(project=project, model="o3")]
    by_model = {m["model"]: m for m in result["by_model"]}
    exact = nearest_rank(o3, 0.95)
    assert abs(by_model["o3"]["latency_ms"]["p95"] - exact) <= RELATIVE_ERROR * exact + 1e-3
    assert events_this_month(project.organization) == 900


@pytest.mark.django_db
def test_events_saved_through_the_orm_are_rolled_up(project):
    """How probes write: one Event at a time, through the model."""
    for latency in (100.0, 300.0):
        Event.objects.create(
            organization=project.organization,
            project=project,
            source="probe",
            model="llama3",
            latency_ms=latency,
            ttft_ms=20.0,
        )
    rollup = EventRollup.objects.filter(project=project, source="probe").aggregate(
        count=Sum("count"),
        latency=Sum("latency_sum"),
        ttft=Sum("ttft_count"),
        unpriced=Sum("unpriced_count"),
    )
    assert rollup == {"count": 2, "latency": 400.0, "ttft": 2, "unpriced": 2}
    assert_rollups_match_raw(project)


@pytest.mark.django_db
def test_a_rebuild_gives_the_same_rollups(send, ingest_key, project, public_prices):
    now = datetime.now(UTC)
    send(ingest_key, random_events(random.Random(3), 300, now))

    def per_minute_and_model():
        rows = EventRollup.objects.values("minute", "model").annotate(
            n=Sum("count"), cost=Sum("cost_usd_e10")
        )
        return sorted((r["minute"], r["model"], r["n"], r["cost"]) for r in rows)

    before = per_minute_and_model()
    rebuild_rollups(project.id, now - timedelta(hours=2), now + timedelta(minutes=1))
    after = per_minute_and_model()
    assert after == before


@pytest.mark.postgres  # SQLite serializes writers; its test database is an in-memory one
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_lose_no_update(project, public_prices):
    """Several threads (own connections) add to the same series and minute at once."""
    now = datetime.now(UTC).replace(second=30)
    batches = [
        [EventIn(model="gpt-4o", latency_ms=10.0 + i, timestamp=now) for i in range(200)]
        for _ in range(6)
    ]
    failures = []

    def write(batch):
        try:
            ingest_events(project, batch, source="api")
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert EventRollup.objects.filter(project=project).aggregate(n=Sum("count"))["n"] == 1200
    assert_rollups_match_raw(project)
