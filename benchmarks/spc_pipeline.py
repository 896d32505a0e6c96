"""SPC pipeline benchmark: incremental evaluation throughput, and the delay from an ingest
commit to the stored violation.

Run against PostgreSQL (a scratch database; it is flushed):

    createdb -h 127.0.0.1 -U postgres llmscope_bench_spc
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/llmscope_bench_spc \\
        .venv/bin/python benchmarks/spc_pipeline.py --charts 1000 --points 1000

1. Throughput: C per-event charts (individuals, log scale, rules 1, 2, 3, 5), each past its
   baseline, receive N new events each (written with COPY); every chart is then evaluated
   once (points created, rules run, violations stored). Baseline in the same run: the pure
   engine (`nelson_rules`) on the same values, with no database.
2. Delay: events with a spike are written and committed one batch at a time; the evaluation
   is triggered the way ingestion triggers it (`events_recorded` → dirty → task after
   commit, on a real Celery worker over Redis); the delay is from commit to the violation
   row's existence. It includes the 1 s settle window that protects against batches still
   committing in other transactions.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmscope_site.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")
os.environ.setdefault("LLMSCOPE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from monitoring.models import Event  # noqa: E402
from spc import engine  # noqa: E402
from spc.chart_metrics import ChartType, Metric, Transform  # noqa: E402
from spc.evaluation import evaluate_chart  # noqa: E402
from spc.models import Chart, Violation  # noqa: E402
from tenants.models import Organization, Project  # noqa: E402

COLUMNS = [
    "organization_id",
    "project_id",
    "event_id",
    "timestamp",
    "received_at",
    "source",
    "provider",
    "model",
    "operation",
    "environment",
    "latency_ms",
    "status",
    "error_type",
    "trace_id",
    "span_id",
    "tags",
    "prompt_hash",
    "cost_from_client",
]


def copy_events(project: Project, rows) -> None:
    """Write events with PostgreSQL COPY (the fastest path the database offers)."""
    buf = io.StringIO()
    for model, t, received, latency in rows:
        buf.write(
            f"{project.organization_id}\t{project.pk}\t{uuid.uuid4()}\t{t.isoformat()}\t"
            f"{received.isoformat()}\tapi\t\t{model}\tchat\tproduction\t{latency}\tok\t\t\t\t{{}}\t\tf\n"
        )
    buf.seek(0)
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(
            f"COPY {Event._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
        ) as copy,
    ):
        copy.write(buf.read())


def setup(charts: int, baseline: int, rng) -> tuple[Project, list[Chart]]:
    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    org = Organization.objects.create(name="Bench", slug="bench")
    project = Project.objects.create(organization=org, name="Bench", slug="bench")
    made = Chart.objects.bulk_create(
        Chart(
            organization=org,
            project=project,
            name=f"m{i}",
            metric=Metric.LATENCY,
            chart_type=ChartType.INDIVIDUALS,
            transform=Transform.LOG,
            filter={"model": f"m{i}"},
            filter_key=f'{{"model":"m{i}"}}',
            rules=[1, 2, 3, 5],
            baseline_size=baseline,
        )
        for i in range(charts)
    )
    old = timezone.now() - timedelta(hours=3)
    rows = [
        (f"m{i}", old + timedelta(seconds=j), old, round(float(v), 2))
        for i in range(charts)
        for j, v in enumerate(np.exp(rng.normal(np.log(400), 0.1, baseline)))
    ]
    with transaction.atomic():
        copy_events(project, rows)
    for chart in made:
        evaluate_chart(chart.pk)
    return project, made


def throughput(project: Project, charts: list[Chart], points: int, rng) -> dict:
    received = timezone.now() - timedelta(minutes=10)
    start = timezone.now() - timedelta(hours=1)
    values = np.exp(rng.normal(np.log(400), 0.1, (len(charts), points)))
    values[:, points // 2] *= 3  # one spike per chart: rule 1 must fire once each
    rows = [
        (f"m{i}", start + timedelta(milliseconds=j), received, round(float(values[i, j]), 2))
        for i in range(len(charts))
        for j in range(points)
    ]
    t0 = time.perf_counter()
    with transaction.atomic():
        copy_events(project, rows)
    copy_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    for chart in charts:
        evaluate_chart(chart.pk)
    eval_s = time.perf_counter() - t0

    limits = {c.pk: c.current_limits() for c in charts}
    t0 = time.perf_counter()
    for i, chart in enumerate(charts):
        lim = limits[chart.pk]
        engine.nelson_rules(np.log1p(values[i]), lim.center, lim.sigma, rules=(1, 2, 3, 5))
    engine_s = time.perf_counter() - t0
    total = len(charts) * points
    return {
        "points": total,
        "copy_s": copy_s,
        "eval_s": eval_s,
        "engine_s": engine_s,
        "violations_rule1": Violation.objects.filter(rule=1).count(),
    }


def delay(project: Project, chart: Chart, rounds: int) -> list[float]:
    """Commit → violation stored, through the same trigger ingestion uses."""
    from monitoring.signals import events_recorded

    delays = []
    for r in range(rounds):
        before = Violation.objects.filter(chart=chart).count()
        now = timezone.now()
        with transaction.atomic():
            copy_events(project, [(chart.filter["model"], now, now, 9000.0 + r)])
            events_recorded.send(
                sender=None,
                project=project,
                series={(chart.filter["model"], "production", "api", False)},
            )
        committed = time.perf_counter()
        deadline = committed + 10
        while time.perf_counter() < deadline:
            if Violation.objects.filter(chart=chart).count() > before:
                delays.append(time.perf_counter() - committed)
                break
            time.sleep(0.005)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--charts", type=int, default=1000)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=50)
    parser.add_argument("--delay-rounds", type=int, default=50)
    args = parser.parse_args()
    if not settings.IS_POSTGRES:
        sys.exit("Run against PostgreSQL: set DATABASE_URL=postgres://… (a scratch database).")
    rng = np.random.default_rng(1)
    print(f"setting up {args.charts} charts with a {args.baseline}-point baseline …", flush=True)
    project, charts = setup(args.charts, args.baseline, rng)
    r = throughput(project, charts, args.points, rng)
    pts = r["points"]
    print(f"\n1. Evaluation of {args.charts} charts × {args.points} new points = {pts:,} points")
    print(f"   COPY of the events      {r['copy_s']:8.2f} s  {pts / r['copy_s']:12,.0f} events/s")
    print(f"   incremental evaluation  {r['eval_s']:8.2f} s  {pts / r['eval_s']:12,.0f} points/s")
    print(
        f"   engine only (no DB)     {r['engine_s']:8.2f} s  {pts / r['engine_s']:12,.0f} points/s"
    )
    print(
        f"   evaluation / engine time: {r['eval_s'] / r['engine_s']:.0f}x; "
        f"rule-1 violations stored: {r['violations_rule1']} "
        f"({args.charts} injected spikes + false alarms)"
    )
    if settings.EMBEDDED:
        print("\n2. Commit → violation: skipped (needs REDIS_URL for a real Celery worker)")
        return
    from celery.contrib.testing.worker import start_worker

    from llmscope_site.celery import app

    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"
    ):
        d = delay(project, charts[0], args.delay_rounds)
    if d:
        q = statistics.quantiles(d, n=100) if len(d) >= 2 else d * 99
        print(
            f"\n2. Commit → violation stored ({len(d)} of {args.delay_rounds} rounds, "
            "Redis broker + Celery worker, 1 s settle window)"
        )
        print(
            f"   median {statistics.median(d) * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, "
            f"max {max(d) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
