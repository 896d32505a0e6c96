"""Dashboard benchmark: read endpoints and the project page over a large event table, and the
delay of live updates.

Run against PostgreSQL and Redis (a scratch database; the benchmark organization in it is
replaced unless --reuse):

    createdb -h 127.0.0.1 -U postgres llmscope_bench_dash
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/llmscope_bench_dash \\
    REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python benchmarks/dashboard.py --events 10000000

1. Seed: N events over the last 30 days across 3 projects, written with COPY, then their
   per-minute rollups and latency/TTFT histogram buckets computed in SQL with the same
   definitions as monitoring/rollups.py (this is what ingestion maintains as it writes).
2. Reads, in process through Django's test client (no network): GET /api/v1/metrics/summary,
   /api/v1/metrics/timeseries (latency_p95) and the project page, for each window; median
   and p95 of the wall time. Baseline in the same run: the summary's figures computed by
   scanning raw events (count, error rate, p95 with percentile_cont) for the same windows.
3. Live delay: a real server (`manage.py serve`) and a Celery worker in subprocesses; a
   WebSocket client logged in as a member subscribes to a project; the delay is from
   `POST /api/v1/events` returning 202 to the socket's message: the card update
   (`activity`, pushed on commit) and the chart point (`points`, pushed by the worker's
   evaluation, after SPC's 1 s settle window on PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmscope_site.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")
os.environ.setdefault("LLMSCOPE_SSL_REDIRECT", "0")
os.environ.setdefault("LLMSCOPE_SECURE_COOKIES", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("LLMSCOPE_API_RATE_LIMIT", "100000")
os.environ.setdefault("LLMSCOPE_MANIFEST_STATIC", "0")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from monitoring.histogram import GAMMA  # noqa: E402
from tenants.models import ApiKey, Membership, Organization, Project, Role  # noqa: E402

ORG_SLUG = "bench-dash"
PROJECTS = ("alpha", "beta", "gamma")
MODELS = ("gpt-4o-mini", "claude-sonnet", "llama-70b")
WINDOWS = ("1h", "6h", "24h", "7d", "30d")
INTERVALS = {"1h": "1m", "6h": "5m", "24h": "5m", "7d": "1h", "30d": "1d"}
CHUNK = 250_000


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(np.ceil(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered), p95


# --- Seed ---------------------------------------------------------------------------------


def reset_organization():
    from django.contrib.auth import get_user_model

    Organization.objects.filter(slug=ORG_SLUG).delete()
    org = Organization.objects.create(name="Bench dashboard", slug=ORG_SLUG)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-dash@example.com", defaults={"email": "bench-dash@example.com"}
    )
    Membership.objects.create(user=user, organization=org, role=Role.OWNER)
    for slug in PROJECTS:
        Project.objects.create(organization=org, name=slug.title(), slug=slug)
    return org


def event_lines(rng, org_id: int, project_id: int, n: int, now: datetime) -> str:
    start = np.datetime64(now.replace(tzinfo=None) - timedelta(days=30), "ms")
    offsets = rng.integers(0, 30 * 86_400_000, size=n).astype("timedelta64[ms]")
    ts = np.datetime_as_string(start + offsets, unit="ms")
    model_idx = rng.integers(0, len(MODELS), size=n)
    latency = np.round(np.exp(rng.normal(np.log(600), 0.35, size=n)) * (1 + model_idx * 0.4), 1)
    ttft = np.round(latency * rng.uniform(0.1, 0.3, size=n), 1)
    tokens_in = rng.integers(50, 2000, size=n)
    tokens_out = rng.integers(20, 800, size=n)
    tps = np.round(tokens_out / ((latency - ttft) / 1000.0), 3)
    cost = np.round(tokens_in * 0.15e-6 + tokens_out * 0.6e-6, 10)
    error = rng.random(size=n) < 0.01
    ids = rng.integers(0, 2**63, size=(n, 2), dtype=np.uint64)
    cols = [
        [str(org_id)] * n,
        [str(project_id)] * n,
        [f"{a:016x}{b:016x}" for a, b in ids],
        [t + "Z" for t in ts],
        [t + "Z" for t in ts],
        ["api"] * n,
        ["openai"] * n,
        [MODELS[i] for i in model_idx],
        ["chat"] * n,
        ["production"] * n,
        latency.astype(str).tolist(),
        ttft.astype(str).tolist(),
        tokens_in.astype(str).tolist(),
        tokens_out.astype(str).tolist(),
        tps.astype(str).tolist(),
        np.char.mod("%.10f", cost).tolist(),
        np.where(error, "error", "ok").tolist(),
        np.where(error, "timeout", "").tolist(),
    ]
    return "\n".join("\t".join(row) + "\t\t\t{}\t\tf" for row in zip(*cols, strict=True)) + "\n"


COPY_COLUMNS = (
    "organization_id, project_id, event_id, timestamp, received_at, source, provider, model, "
    "operation, environment, latency_ms, ttft_ms, input_tokens, output_tokens, "
    "output_tokens_per_s, cost_usd, status, error_type, trace_id, span_id, tags, prompt_hash, "
    "cost_from_client"
)


def seed(total: int) -> float:
    org = reset_organization()
    projects = list(Project.objects.filter(organization=org).order_by("slug"))
    rng = np.random.default_rng(11)
    now = datetime.now(UTC)
    started = time.perf_counter()
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        for index, project in enumerate(projects):
            share = total // len(projects) + (1 if index < total % len(projects) else 0)
            done = 0
            while done < share:
                n = min(CHUNK, share - done)
                text = event_lines(rng, org.pk, project.pk, n, now)
                with raw.copy(f"COPY monitoring_event ({COPY_COLUMNS}) FROM STDIN") as copy:
                    copy.write(text)
                done += n
                written += n
                print(
                    f"  {written:>11,} events  {time.perf_counter() - started:7.1f} s", flush=True
                )
        ids = ",".join(str(p.pk) for p in projects)
        minute = "floor(extract(epoch from timestamp) / 60)::bigint"
        raw.execute(
            f"""
            INSERT INTO monitoring_eventrollup (organization_id, project_id, minute, model,
                environment, source, count, errors, latency_sum, latency_sumsq, latency_min,
                latency_max, ttft_count, ttft_sum, ttft_sumsq, ttft_min, ttft_max, input_tokens,
                output_tokens, cached_input_tokens, cache_creation_input_tokens,
                reasoning_tokens, cost_usd_e10, priced_count, unpriced_count, tps_count, tps_sum)
            SELECT organization_id, project_id, {minute}, model, environment, source, count(*),
                count(*) FILTER (WHERE status = 'error'), sum(latency_ms),
                sum(latency_ms * latency_ms), min(latency_ms), max(latency_ms), count(ttft_ms),
                coalesce(sum(ttft_ms), 0), coalesce(sum(ttft_ms * ttft_ms), 0), min(ttft_ms),
                max(ttft_ms), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),
                0, 0, 0, coalesce(sum(round(cost_usd * 10000000000)), 0)::bigint,
                count(cost_usd), count(*) - count(cost_usd), count(output_tokens_per_s),
                coalesce(sum(output_tokens_per_s), 0)
            FROM monitoring_event WHERE project_id IN ({ids})
            GROUP BY organization_id, project_id, 3, model, environment, source
            """
        )
        for metric, column in (("l", "latency_ms"), ("t", "ttft_ms")):
            raw.execute(
                f"""
                INSERT INTO monitoring_eventrollupbucket (organization_id, project_id, minute,
                    model, environment, source, metric, bucket, count)
                SELECT organization_id, project_id, {minute}, model, environment, source,
                    '{metric}', ceil(ln({column}) / ln({GAMMA!r}))::smallint, count(*)
                FROM monitoring_event WHERE project_id IN ({ids}) AND {column} > 0.001
                GROUP BY organization_id, project_id, 3, model, environment, source, 8
                """
            )
        raw.execute("ANALYZE monitoring_event")
        raw.execute("ANALYZE monitoring_eventrollup")
        raw.execute("ANALYZE monitoring_eventrollupbucket")
    connection.commit() if not connection.get_autocommit() else None
    return time.perf_counter() - started


# --- Reads --------------------------------------------------------------------------------


def timed(client: Client, url: str, repeat: int, **headers) -> tuple[float, float]:
    for _ in range(2):
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, **headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return stats(samples)


def raw_summary_ms(project: Project, window: str, repeat: int) -> tuple[float, float]:
    from monitoring.analytics import WINDOWS as MINUTES

    since = datetime.now(UTC) - timedelta(minutes=MINUTES[window])
    samples = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(
                """SELECT count(*), count(*) FILTER (WHERE status = 'error'),
                          percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms),
                          sum(cost_usd)
                   FROM monitoring_event WHERE project_id = %s AND timestamp >= %s""",
                [project.pk, since],
            )
            cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return stats(samples)


def reads(repeat: int) -> list[tuple]:
    org = Organization.objects.get(slug=ORG_SLUG)
    project = Project.objects.get(organization=org, slug=PROJECTS[0])
    _, key = ApiKey.create_for(project, "bench", ["read", "ingest"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    api = Client()
    member = Client()
    member.force_login(Membership.objects.filter(organization=org).first().user)
    now = datetime.now(UTC)
    rows = []
    for window in WINDOWS:
        start = (
            now
            - timedelta(
                minutes={"1h": 60, "6h": 360, "24h": 1440, "7d": 10080, "30d": 43200}[window]
            )
        ).strftime("%Y-%m-%dT%H:%M:%SZ")
        summary = timed(api, f"/api/v1/metrics/summary?window={window}", repeat, **auth)
        series = timed(
            api,
            f"/api/v1/metrics/timeseries?metric=latency_p95&interval={INTERVALS[window]}"
            f"&start={start}",
            repeat,
            **auth,
        )
        page = timed(member, f"/o/{ORG_SLUG}/p/{project.slug}/?window={window}", repeat)
        fragment = timed(
            member,
            f"/o/{ORG_SLUG}/p/{project.slug}/?window={window}",
            repeat,
            HTTP_HX_REQUEST="true",
        )
        raw = raw_summary_ms(project, window, max(3, repeat // 5))
        rows.append((window, summary, series, page, fragment, raw))
        print(
            f"  {window}: summary {summary[0]:.1f}/{summary[1]:.1f} ms, "
            f"timeseries {series[0]:.1f}/{series[1]:.1f}, page {page[0]:.1f}/{page[1]:.1f}, "
            f"fragment {fragment[0]:.1f}/{fragment[1]:.1f}, raw scan {raw[0]:.1f}",
            flush=True,
        )
    return rows


# --- Live delay ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_processes(port: int) -> list[subprocess.Popen]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "llmscope_site.settings"}
    python = sys.executable
    web = subprocess.Popen(
        [python, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            str(Path(python).parent / "celery"),
            "-A",
            "llmscope_site",
            "worker",
            "--concurrency=2",
            "--loglevel=WARNING",
            "--pool=threads",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    time.sleep(3)  # the worker connects to the broker
    return [web, worker]


async def _listen(ws, arrivals: dict[str, float], latency: float) -> None:
    """Record when this event's card update and its chart point arrive."""
    while len(arrivals) < 2:
        message = json.loads(await ws.recv())
        kind = message["type"]
        mine = kind == "points" and any(abs(p["v"] - latency) < 1e-6 for p in message["points"])
        if (kind == "activity" and kind not in arrivals) or mine:
            arrivals[kind] = time.perf_counter()


async def live_delay(port: int, samples: int) -> dict[str, list[float]]:
    import websockets

    from spc.chart_metrics import ChartType, Metric, Transform
    from spc.models import Chart

    org = await asyncio.to_thread(Organization.objects.get, slug=ORG_SLUG)

    def prepare():
        project = Project.objects.create(
            organization=org, name="Live", slug=f"live-{time.time_ns()}"
        )
        Chart.objects.create(
            organization=org,
            project=project,
            name="live latency",
            metric=Metric.LATENCY,
            chart_type=ChartType.INDIVIDUALS,
            transform=Transform.LOG,
            filter={},
            baseline_size=20,
        )
        _, key = ApiKey.create_for(project, "live", ["ingest", "read"])
        client = Client()
        client.force_login(Membership.objects.filter(organization=org).first().user)
        return project, key, client.cookies["sessionid"].value

    project, key, session = await asyncio.to_thread(prepare)
    url = f"ws://127.0.0.1:{port}/ws/o/{ORG_SLUG}/p/{project.slug}/"
    headers = {"Cookie": f"sessionid={session}", "Origin": f"http://127.0.0.1:{port}"}
    delays: dict[str, list[float]] = {"activity": [], "points": []}

    def post(latency: float) -> float:
        body = json.dumps({"events": [{"model": "gpt-4o-mini", "latency_ms": latency}]}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/events",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202
        return time.perf_counter()

    async with websockets.connect(url, additional_headers=headers) as ws:
        rng = np.random.default_rng(5)
        for i in range(samples + 2):
            loop_started = time.perf_counter()
            latency = round(float(np.exp(rng.normal(np.log(400), 0.1))), 3)
            arrivals: dict[str, float] = {}
            listener = asyncio.ensure_future(_listen(ws, arrivals, latency))
            returned = await asyncio.to_thread(post, latency)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listener, timeout=15)
            if i >= 2:  # warm-up
                for kind, at in arrivals.items():
                    delays[kind].append((at - returned) * 1000)
            # Past the 1 s evaluation debounce, so every event gets its own evaluation.
            await asyncio.sleep(max(0.0, 1.5 - (time.perf_counter() - loop_started)))
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--live-samples", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded events")
    args = parser.parse_args()
    if not settings.IS_POSTGRES or not os.environ.get("REDIS_URL"):
        sys.exit("Run with DATABASE_URL=postgres://… and REDIS_URL=redis://… (see the docstring).")
    call_command("migrate", verbosity=0)
    have = Organization.objects.filter(slug=ORG_SLUG).exists()
    if args.reuse and have:
        print("Reusing the seeded events.")
    else:
        print(
            f"Seeding {args.events:,} events over 30 days across {len(PROJECTS)} projects (COPY)…"
        )
        seconds = seed(args.events)
        print(f"Seeded in {seconds:.0f} s")
    counted = Project.objects.filter(organization__slug=ORG_SLUG).values_list("pk", flat=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM monitoring_event WHERE project_id = ANY(%s)", [list(counted)]
        )
        events = cursor.fetchone()[0]
        cursor.execute(
            "SELECT (SELECT count(*) FROM monitoring_eventrollup WHERE project_id = ANY(%s)),"
            " (SELECT count(*) FROM monitoring_eventrollupbucket WHERE project_id = ANY(%s))",
            [list(counted), list(counted)],
        )
        rollups, buckets = cursor.fetchone()
    print(f"{events:,} events, {rollups:,} rollup rows, {buckets:,} histogram rows")
    print(
        f"Reads of project {PROJECTS[0]} (~{events // len(PROJECTS):,} events), "
        f"{args.repeat} timed requests each (median / p95 ms):"
    )
    rows = reads(args.repeat)
    print()
    print(
        "| window | summary | timeseries (latency_p95) | project page | page body (HTMX) "
        "| baseline: raw-event scan | scan / summary |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for window, summary, series, page, fragment, raw in rows:
        print(
            f"| {window} | {summary[0]:.1f} / {summary[1]:.1f} | {series[0]:.1f} / {series[1]:.1f} "
            f"| {page[0]:.1f} / {page[1]:.1f} | {fragment[0]:.1f} / {fragment[1]:.1f} "
            f"| {raw[0]:.1f} / {raw[1]:.1f} | {raw[0] / summary[0]:.1f}× |"
        )
    port = free_port()
    processes = start_processes(port)
    try:
        delays = asyncio.run(live_delay(port, args.live_samples))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    print()
    print("Live delay from POST /api/v1/events returning 202 to the WebSocket message (ms):")
    for kind, label in (
        ("activity", "card update (pushed on commit)"),
        ("points", "chart point (worker evaluation, 1 s settle)"),
    ):
        values = delays[kind]
        if values:
            median, p95 = stats(values)
            print(f"  {label}: median {median:.1f}, p95 {p95:.1f}, n={len(values)}")
        else:
            print(f"  {label}: no messages received")


if __name__ == "__main__":
    main()
