"""Benchmark: a burst of SPC violations through alert rules to a local webhook receiver.

Run (PostgreSQL and Redis of your own; the database is created if missing):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/llmscope_alerts_bench \\
    REDIS_URL=redis://127.0.0.1:6379/4 \\
    .venv/bin/python benchmarks/alerts.py --projects 100 --rules 10 --violations 10000

What runs, all on this machine: `--workers` Celery worker processes (`--pool=threads`,
`--concurrency` threads each) on a queue of their own, Celery beat (the alerts sweep every
5 s re-queues deliveries whose worker died), and in this process a webhook receiver on
127.0.0.1 that records when each notification arrived and its `webhook-id`.

`--projects` projects get `--rules` SPC rules each, every rule on its own charts and routed
to one webhook channel; each violation is on its own chart, so each one opens an incident
and sends one notification. Violations are stored here in batches and announced through
SPC's `evaluation_committed` hook, as an evaluation does after it commits.

Printed: first a baseline from the same run (`--baseline` violations, one at a time, each
waited for), then the burst: the delay from violation stored to notification received
(median, p99), deliveries/s (notifications received / time from the first violation stored
to the last notification), and, with `--kill` (the default), one worker SIGKILLed when half
the burst is stored: notifications lost (never received; must be 0) and repeats (receipts
beyond the first of a `webhook-id`). A killed worker's tasks return after the broker's
visibility timeout (`--visibility`), its in-flight deliveries by the sweep.

`--smoke`: a tiny run (a few projects and violations) that finishes in seconds after start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUEUE = "alerts-bench"
LOG = ROOT / "var" / "alerts-bench.log"  # the services' stderr
ORG_SLUG = "alerts-bench"


def bench_env(visibility_s: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmscope_site.settings",
            "DEBUG": "0",  # DEBUG=1 would keep every SQL query in memory in the worker
            "SECRET_KEY": env.get("SECRET_KEY", "alerts-benchmark-secret-key-not-for-production"),
            "LLMSCOPE_SSL_REDIRECT": "0",
            "LLMSCOPE_SECURE_COOKIES": "0",
            "LLMSCOPE_MANIFEST_STATIC": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LLMSCOPE_CELERY_QUEUE": QUEUE,
            # The receiver is on 127.0.0.1.
            "LLMSCOPE_ALLOW_PRIVATE_TARGETS": "1",
            "LLMSCOPE_CELERY_VISIBILITY_TIMEOUT_S": str(visibility_s),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# --- The webhook receiver -----------------------------------------------------------------


@dataclass
class Receipts:
    """Every notification received: (arrival time, webhook-id, incident id)."""

    rows: list[tuple[float, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def incidents(self) -> set[int]:
        with self.lock:
            return {incident for _, _, incident in self.rows}


def start_receiver(receipts: Receipts) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            arrived = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            incident = (json.loads(body).get("incident") or {}).get("id", 0)
            with receipts.lock:
                receipts.rows.append((arrived, self.headers.get("webhook-id", ""), incident))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- Services -----------------------------------------------------------------------------


def start_worker(env: dict[str, str], index: int, concurrency: int) -> subprocess.Popen:
    celery = str(Path(sys.executable).parent / "celery")
    return subprocess.Popen(
        [celery, "-A", "llmscope_site", "worker", "--pool=threads",
         f"--concurrency={concurrency}", "-Q", QUEUE, "--loglevel=WARNING",
         "-n", f"alertsbench{index}@%h", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=LOG.open("ab"),
        start_new_session=True,
    )  # fmt: skip


def start_beat(env: dict[str, str]) -> subprocess.Popen:
    celery = str(Path(sys.executable).parent / "celery")
    return subprocess.Popen(
        [celery, "-A", "llmscope_site", "beat", "--loglevel=WARNING",
         f"--schedule={ROOT / 'var' / 'alerts-bench-beat'}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=LOG.open("ab"),
        start_new_session=True,
    )  # fmt: skip


def wait_for_workers(count: int, timeout_s: float = 180.0) -> None:
    """Until every worker answers a ping (their start-up is not part of any delay)."""
    from llmscope_site.celery import app

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if sum(1 for r in replies if any(name.startswith("alertsbench") for name in r)) >= count:
            return
    raise SystemExit("the workers did not start: see var/alerts-bench.log")


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# --- Data ---------------------------------------------------------------------------------


def create_dataset(projects: int, rules: int, violations: int, receiver_url: str) -> list[int]:
    """The organization, its webhook channel, the projects, rules and one chart per
    violation to come; returns the chart ids (in project order)."""
    from django.db import transaction
    from django.utils import timezone

    from alerts.forms import new_signing_secret
    from alerts.models import AlertRule, Channel, ChartScope, RuleKind
    from spc.models import Chart, ChartPoint, canonical_filter
    from tenants.models import Organization, Project

    Organization.objects.filter(slug=ORG_SLUG).delete()
    charts_per_rule = max(1, violations // (projects * rules))
    now = timezone.now()
    with transaction.atomic():
        org = Organization.objects.create(slug=ORG_SLUG, name="Alerts benchmark")
        channel = Channel(organization=org, kind="webhook", name="bench receiver")
        channel.set_secrets({"url": receiver_url + "/hook", "signing_secret": new_signing_secret()})
        channel.save()
        chart_ids: list[int] = []
        for p in range(projects):
            project = Project.objects.create(organization=org, slug=f"p{p:03d}", name=f"P{p}")
            charts = Chart.objects.bulk_create(
                [
                    Chart(organization=org, project=project, name=f"latency {i}",
                          metric="latency_ms", chart_type="individuals",
                          filter={"model": f"m{i}"},
                          filter_key=canonical_filter({"model": f"m{i}"}),
                          rules=[1], status=Chart.Status.OUT_OF_CONTROL, dirty=False)
                    for i in range(rules * charts_per_rule)
                ]
            )  # fmt: skip
            ChartPoint.objects.bulk_create(
                [ChartPoint(chart=c, key=1, t=now, value=900.0, stat=900.0) for c in charts]
            )
            for r in range(rules):
                rule = AlertRule.objects.create(
                    organization=org, project=project, name=f"rule {r}", kind=RuleKind.SPC,
                    chart_scope=ChartScope.CHOSEN,
                )  # fmt: skip
                rule.channels.add(channel)
                rule.charts.add(*charts[r * charts_per_rule : (r + 1) * charts_per_rule])
            chart_ids.extend(c.pk for c in charts)
    return chart_ids


def store_and_announce(chart_ids: list[int]) -> None:
    """Store one violation on each chart (one transaction), then announce them as the
    evaluations' after-commit step does."""
    from django.db import transaction
    from django.utils import timezone

    from spc.evaluation import Evaluation
    from spc.hooks import evaluation_committed
    from spc.models import Chart, ChartPoint, Violation

    charts = Chart.objects.select_related("project").in_bulk(chart_ids)
    points = {p.chart_id: p for p in ChartPoint.objects.filter(chart_id__in=chart_ids)}
    now = timezone.now()
    limits = {"center": 300.0, "ucl": 600.0, "lcl": 0.0, "sigma": 100.0}
    with transaction.atomic():
        stored = Violation.objects.bulk_create(
            [
                Violation(organization_id=charts[c].organization_id,
                          project_id=charts[c].project_id, chart_id=c, point=points[c], rule=1,
                          t=now, value=900.0, limits=limits,
                          context=[{"t": now.isoformat(), "v": 900.0}], created_at=now)
                for c in chart_ids
            ]
        )  # fmt: skip
    for violation in stored:
        chart = charts[violation.chart_id]
        evaluation_committed.send_robust(
            sender=Chart, result=Evaluation(chart=chart, new_violations=[violation])
        )


def delays_by_incident(receipts: Receipts, chart_ids: list[int]) -> dict[int, float]:
    """Seconds from violation stored to the first notification received, per incident."""
    from alerts.models import Incident

    stored = {
        incident: created.timestamp()
        for incident, created in Incident.objects.filter(chart_id__in=chart_ids).values_list(
            "pk", "violations__created_at"
        )
    }
    first: dict[int, float] = {}
    with receipts.lock:
        for arrived, _, incident in receipts.rows:
            if incident in stored and incident not in first:
                first[incident] = arrived
    return {incident: first[incident] - stored[incident] for incident in first}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def run(args) -> dict:
    from django.db import connection

    from alerts.models import Incident

    receipts = Receipts()
    receiver = start_receiver(receipts)
    url = f"http://127.0.0.1:{receiver.server_address[1]}"
    chart_ids = create_dataset(args.projects, args.rules, args.violations + args.baseline, url)
    baseline_ids, burst_ids = chart_ids[: args.baseline], chart_ids[args.baseline :]
    env = bench_env(args.visibility)
    workers = [start_worker(env, i, args.concurrency) for i in range(args.workers)]
    beat = start_beat(env)
    try:
        wait_for_workers(args.workers)
        # Baseline: one violation at a time on a quiet system, each waited for.
        baseline: list[float] = []
        for chart_id in baseline_ids:
            before = len(receipts.incidents())
            store_and_announce([chart_id])
            if not wait_until(lambda b=before: len(receipts.incidents()) > b, 120):
                raise SystemExit("no notification came: see var/alerts-bench.log")
        baseline = list(delays_by_incident(receipts, baseline_ids).values())

        # The burst, in batches; one worker killed once half of it is stored.
        killed = False
        started = time.time()
        for i in range(0, len(burst_ids), args.batch):
            store_and_announce(burst_ids[i : i + args.batch])
            if args.kill and not killed and i + args.batch >= len(burst_ids) // 2:
                os.killpg(workers[0].pid, signal.SIGKILL)
                killed = True
        stored_s = time.time() - started
        expected = len(chart_ids)
        wait_until(lambda: len(receipts.incidents()) >= expected, args.wait)
        time.sleep(2)  # late repeats
        connection.close()
        delays = list(delays_by_incident(receipts, burst_ids).values())
        with receipts.lock:
            burst_rows = [r for r in receipts.rows if r[0] >= started]
        ids = [webhook_id for _, webhook_id, _ in burst_rows]
        last = max((r[0] for r in burst_rows), default=started)
        incidents = Incident.objects.filter(chart_id__in=burst_ids).count()
        return {
            "baseline_median_s": statistics.median(baseline) if baseline else float("nan"),
            "baseline_p99_s": percentile(baseline, 0.99) if baseline else float("nan"),
            "violations": len(burst_ids),
            "incidents": incidents,
            "stored_per_s": len(burst_ids) / stored_s,
            "received": len(set(ids)),
            "median_s": statistics.median(delays) if delays else float("nan"),
            "p99_s": percentile(delays, 0.99) if delays else float("nan"),
            "deliveries_per_s": len(set(ids)) / max(last - started, 1e-9),
            "lost": len(burst_ids) - len(delays),
            "repeats": len(ids) - len(set(ids)),
            "killed": killed,
        }
    finally:
        stop([beat, *workers])
        receiver.shutdown()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--rules", type=int, default=10, help="SPC rules per project")
    parser.add_argument("--violations", type=int, default=10000, help="the burst")
    parser.add_argument("--baseline", type=int, default=20, help="single violations first")
    parser.add_argument("--batch", type=int, default=200, help="violations stored at once")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=16, help="threads per worker")
    parser.add_argument("--kill", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--visibility", type=int, default=30, help="broker visibility, s")
    parser.add_argument("--wait", type=float, default=300, help="max seconds after the burst")
    parser.add_argument("--smoke", action="store_true", help="tiny: a few seconds of load")
    args = parser.parse_args(argv)
    if args.smoke:
        args.projects, args.rules, args.violations, args.baseline = 2, 2, 40, 2
        args.batch, args.concurrency = 10, 4

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL=postgres://… and REDIS_URL=redis://… (your own)")
    ensure_database(database_url)
    os.environ.update(bench_env(args.visibility))
    LOG.parent.mkdir(exist_ok=True)

    import django

    django.setup()
    from django.core.management import call_command

    from llmscope_site.celery import app

    call_command("migrate", verbosity=0)
    app.control.purge()  # stale tasks of an earlier, interrupted run
    load = os.getloadavg()
    result = run(args)
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(
        f"{args.projects} projects x {args.rules} rules, {args.workers} workers x "
        f"{args.concurrency} threads, one killed mid-burst: {result['killed']}"
    )
    print(
        f"baseline (one at a time, n={args.baseline}): median {result['baseline_median_s']:.3f} s,"
        f" p99 {result['baseline_p99_s']:.3f} s"
    )
    print(
        f"burst: {result['violations']} violations stored at {result['stored_per_s']:.0f}/s, "
        f"{result['incidents']} incidents, {result['received']} notifications received"
    )
    print(
        f"delay stored -> received: median {result['median_s']:.3f} s, p99 {result['p99_s']:.3f} s;"
        f" {result['deliveries_per_s']:.0f} deliveries/s"
    )
    print(f"lost: {result['lost']}  repeats (same webhook-id): {result['repeats']}", flush=True)
    return result


if __name__ == "__main__":
    main()
