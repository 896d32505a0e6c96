"""Benchmark: N synthetic probes at a 10 s interval against the demo LLM, served locally.

Run (PostgreSQL and Redis of your own; the database is created if missing):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/llmscope_probes_bench \\
    REDIS_URL=redis://127.0.0.1:6379/3 \\
    .venv/bin/python benchmarks/probes.py --probes 100 1000 2000 --window 60

`--smoke` runs 5 probes for a few seconds: it checks that the script works, nothing more.

What runs, all on this machine: the ASGI app under uvicorn (it serves the demo LLM at
/demo-llm/v1), `--workers` Celery worker processes (`--pool=threads`, `--concurrency`
threads each, probe DB steps on LLMSCOPE_PROBE_DB_THREADS threads), and Celery beat ticking
`probes.tick` every second. For each N the probes are created on their phase-spread grid,
run for a warm-up interval, then measured for `--window` seconds. Printed per N:
runs/s achieved vs scheduled (N / interval), the median and p99 schedule lag (actual start −
scheduled time, from each event's `schedule_lag_ms` tag), errors, the demo call's median
TTFT and latency, and CPU (100 % = one core) of the workers, the web server and beat.
The baseline is the smallest N of the same run: the TTFT ratio against it shows how much
the machine's load inflates what the probes measure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUEUE = "probes-bench"
LOG = ROOT / "var" / "probes-bench.log"  # the services' stderr


def bench_env(port: int, db_threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmscope_site.settings",
            "DEBUG": "0",  # DEBUG=1 would keep every SQL query in memory in the worker
            "SECRET_KEY": env.get("SECRET_KEY", "probes-benchmark-secret-key-not-for-production"),
            "LLMSCOPE_SSL_REDIRECT": "0",
            "LLMSCOPE_SECURE_COOKIES": "0",
            "LLMSCOPE_MANIFEST_STATIC": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LLMSCOPE_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LLMSCOPE_CELERY_QUEUE": QUEUE,
            "LLMSCOPE_PROBE_DB_THREADS": str(db_threads),
            # A calm demo LLM: incidents would move the latencies we compare across N.
            "LLMSCOPE_DEMO_INCIDENTS": "0",
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_services(env: dict[str, str], port: int, workers: int, concurrency: int):
    python = sys.executable
    celery = str(Path(python).parent / "celery")
    LOG.parent.mkdir(exist_ok=True)
    # Left open: the services write to it until they stop.
    quiet = {"stdout": subprocess.DEVNULL, "stderr": LOG.open("ab")}
    web = subprocess.Popen(
        [
            python,
            "-m",
            "uvicorn",
            "llmscope_site.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--lifespan",
            "off",
        ],
        cwd=ROOT,
        env=env,
        **quiet,
    )
    worker_procs = [
        subprocess.Popen(
            [
                celery,
                "-A",
                "llmscope_site",
                "worker",
                "--pool=threads",
                f"--concurrency={concurrency}",
                "-Q",
                QUEUE,
                "--loglevel=WARNING",
                "-n",
                f"bench{i}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            **quiet,
        )
        for i in range(workers)
    ]
    beat = subprocess.Popen(
        [
            celery,
            "-A",
            "llmscope_site",
            "beat",
            "--loglevel=WARNING",
            f"--schedule={ROOT / 'var' / 'probes-bench-beat'}",
        ],
        cwd=ROOT,
        env=env,
        **quiet,
    )
    return web, worker_procs, beat


def wait_for_http(port: int, timeout_s: float = 90.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit("the web server did not come up")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_one(n: int, interval: int, window: int, procs, project) -> dict:
    from django.db import connection
    from django.utils import timezone

    from monitoring.models import Event
    from monitoring.probes.models import Probe

    web, workers, beat = procs
    Probe.objects.filter(project=project).delete()
    Event.objects.filter(project=project).delete()
    Probe.objects.bulk_create(
        [
            Probe(
                organization_id=project.organization_id,
                project=project,
                name=f"bench-{i:05d}",
                provider="demo",
                model="demo-llm-1",
                prompt="Explain in two sentences why latency is charted on a log scale.",
                interval_s=interval,
                timeout_s=30,
                max_tokens=64,
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    now = timezone.now() + timedelta(seconds=1)
    probes = list(Probe.objects.filter(project=project))
    for probe in probes:
        probe.schedule(now)  # on each probe's phase-spread grid
    Probe.objects.bulk_update(probes, ["next_run_at"], batch_size=1000)
    connection.close()

    time.sleep(1 + interval)  # warm-up: one full interval
    start = timezone.now()
    cpu_before = {p.pid: cpu_seconds(p.pid) for p in [web, beat, *workers]}
    time.sleep(window)
    cpu_after = {p.pid: cpu_seconds(p.pid) for p in [web, beat, *workers]}
    end = timezone.now()
    Probe.objects.filter(project=project).update(is_paused=True)
    deadline = time.monotonic() + 45
    while (
        time.monotonic() < deadline
        and Probe.objects.filter(project=project, lease_until__gt=timezone.now()).exists()
    ):
        time.sleep(0.5)

    events = list(
        Event.objects.filter(project=project, timestamp__gte=start, timestamp__lt=end).values(
            "status", "error_type", "ttft_ms", "latency_ms", "tags"
        )
    )
    lags = [float(e["tags"]["schedule_lag_ms"]) for e in events]
    ok = [e for e in events if e["status"] == "ok"]
    errors: dict[str, int] = {}
    for e in events:
        if e["status"] != "ok":
            errors[e["error_type"]] = errors.get(e["error_type"], 0) + 1

    def cpu(pids) -> float:
        return sum(cpu_after[p] - cpu_before[p] for p in pids) / window * 100

    return {
        "n": n,
        "scheduled_per_s": n / interval,
        "achieved_per_s": len(events) / window,
        "lag_median_ms": statistics.median(lags) if lags else float("nan"),
        "lag_p99_ms": percentile(lags, 0.99) if lags else float("nan"),
        "errors": errors,
        "ttft_median_ms": statistics.median(e["ttft_ms"] for e in ok) if ok else float("nan"),
        "latency_median_ms": statistics.median(e["latency_ms"] for e in ok) if ok else 0.0,
        "cpu_workers": cpu([w.pid for w in workers]),
        "cpu_web": cpu([web.pid]),
        "cpu_beat": cpu([beat.pid]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, nargs="+", default=[100, 1000, 2000])
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--window", type=int, default=60, help="measured seconds per N")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=150, help="threads per worker")
    parser.add_argument("--db-threads", type=int, default=4, help="DB threads per worker")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny run (seconds) to check the script works"
    )
    args = parser.parse_args()
    if args.smoke:
        args.probes, args.interval, args.window = [5], 2, 3
        args.workers, args.concurrency, args.db_threads = 1, 8, 1

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL=postgres://… and REDIS_URL=redis://… (your own)")
    ensure_database(database_url)
    env = bench_env(args.port, args.db_threads)
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command

    from tenants.models import Organization, Project

    call_command("migrate", verbosity=0)
    org, _ = Organization.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    project, _ = Project.objects.get_or_create(
        organization=org, slug="probes", defaults={"name": "Probes"}
    )
    # Stale ticks or runs from an earlier, interrupted run must not be replayed.
    from llmscope_site.celery import app

    app.control.purge()

    procs = start_services(env, args.port, args.workers, args.concurrency)
    results = []
    try:
        wait_for_http(args.port)
        for n in args.probes:
            results.append(run_one(n, args.interval, args.window, procs, project))
            print_row(results[-1], results[0])
    finally:
        web, workers, beat = procs
        for proc in [beat, *workers, web]:
            proc.terminate()
        for proc in [beat, *workers, web]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


_printed_header = False


def print_row(r: dict, baseline: dict) -> None:
    global _printed_header
    if not _printed_header:
        print(
            f"{'probes':>7} {'sched/s':>8} {'runs/s':>8} {'ratio':>6} {'lag p50':>8} "
            f"{'lag p99':>8} {'TTFT p50':>9} {'vs base':>8} {'lat p50':>8} "
            f"{'worker%':>8} {'web%':>6} {'beat%':>6}  errors"
        )
        _printed_header = True
    ratio = r["achieved_per_s"] / r["scheduled_per_s"]
    ttft_ratio = r["ttft_median_ms"] / baseline["ttft_median_ms"]
    print(
        f"{r['n']:>7} {r['scheduled_per_s']:>8.1f} {r['achieved_per_s']:>8.1f} {ratio:>6.2f} "
        f"{r['lag_median_ms']:>6.0f}ms {r['lag_p99_ms']:>6.0f}ms {r['ttft_median_ms']:>7.0f}ms "
        f"{ttft_ratio:>7.2f}x {r['latency_median_ms']:>6.0f}ms {r['cpu_workers']:>7.0f}% "
        f"{r['cpu_web']:>5.0f}% {r['cpu_beat']:>5.0f}%  {r['errors'] or '-'}",
        flush=True,
    )


if __name__ == "__main__":
    main()
