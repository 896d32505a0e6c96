"""Rollups agree with a direct computation on the raw events, however they were written."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum

from monitoring import measures
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


def stored_rollups(project) -> tuple[list, list]:
    """Every measure of every rollup row of `project`, and its histogram buckets, by series
    minute (shards summed: they are an implementation detail)."""
    rows = (
        EventRollup.objects.filter(project=project)
        .values("minute", "model", "environment")
        .annotate(
            **{m.name: Sum(m.name) for m in measures.MEASURES if m.additive},
            **{m.name: Min(m.name) for m in measures.MEASURES if m.rollup == "min"},
            **{m.name: Max(m.name) for m in measures.MEASURES if m.rollup == "max"},
        )
        .order_by("minute", "model")
    )
    buckets = (
        EventRollupBucket.objects.filter(project=project)
        .values_list("minute", "model", "metric", "bucket")
        .annotate(n=Sum("count"))
        .order_by("minute", "metric", "bucket")
    )
    return list(rows), list(buckets)


@pytest.mark.django_db
def test_a_probe_run_rolls_up_exactly_as_the_api_does_the_same_event(
    project, other_project, make_api_key, send, public_prices
):
    """Probes and the API share one writer: the same call gives the same rollups, usage and
    summary whichever way it arrived."""
    from monitoring.probes.runs import TRIGGER_MANUAL, run_claim
    from monitoring.probes.scheduling import claim_for_manual_run
    from tests.monitoring.probes.factories import make_probe
    from tests.monitoring.probes.fake_llm import Behaviour, running_fake_llm

    with running_fake_llm(Behaviour(input_tokens=1000)) as server:
        probe = make_probe(
            project, provider="openai", model="gpt-4o-mini", base_url=server.url + "/v1"
        )
        probed = run_claim(claim_for_manual_run(probe), trigger=TRIGGER_MANUAL)
    assert probed.cost_usd is not None  # priced: the cost measures are exercised too

    same_call = event(
        timestamp=probed.timestamp.isoformat(),
        provider=probed.provider,
        model=probed.model,
        latency_ms=probed.latency_ms,
        ttft_ms=probed.ttft_ms,
        input_tokens=probed.input_tokens,
        output_tokens=probed.output_tokens,
        status=probed.status,
        http_status=probed.http_status,
        tags=probed.tags,
    )
    assert send(make_api_key(other_project, scopes=("ingest",)), [same_call]).status_code == 202
    sent = Event.objects.get(project=other_project)

    assert (sent.cost_usd, sent.output_tokens_per_s) == (
        probed.cost_usd,
        probed.output_tokens_per_s,
    )
    probe_rollups, api_rollups = stored_rollups(project), stored_rollups(other_project)
    assert probe_rollups == api_rollups
    assert probe_rollups[0][0]["count"] == 1
    assert EventRollup.objects.get(project=project).source == "probe"
    assert events_this_month(project.organization) == 1
    assert events_this_month(other_project.organization) == 1
    moment = probed.timestamp + timedelta(seconds=1)
    assert summary(project, "1h", now=moment) == summary(other_project, "1h", now=moment)


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
