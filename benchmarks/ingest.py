"""Benchmark: event ingestion through the API versus raw PostgreSQL COPY, and single-event
latency at a fixed request rate.

Run:  REDIS_URL=redis://127.0.0.1:6379/2 python benchmarks/ingest.py \
          [--database-url postgres://postgres@127.0.0.1:5432/llmscope_ingest_bench]
                                  [--workers 2] [--clients 4] [--seconds 20] [--rate 500]

What it does, in one run:
1. Creates (if needed) and migrates the benchmark database (its event and rollup tables are
   emptied: use a database of its own), and a project with an API key.
2. Starts the ASGI server as deployed (`uvicorn llmscope_site.asgi:application`,
   `--workers` processes) against it, with the per-key rate limit raised.
3. API throughput: `--clients` concurrent clients (threads with keep-alive connections) send
   pre-encoded 1,000-event batches (`POST /api/v1/events`) for `--seconds`; events/s counts
   only events answered 202.
4. Baseline: the same rows (as the API prepares them) COPYed straight into the same event
   table by the same number of connections, one 1,000-row COPY and commit per batch, for the
   same time. No validation, pricing, deduplication or rollups: the floor of any ingest path.
5. Latency: single-event requests sent open-loop at `--rate` per second for `--latency-seconds`;
   latency is measured from each request's scheduled send time (so a stalled server cannot hide
   its queueing), p50 / p99 reported.
6. Quotas on vs off: a second server with billing on (a Stripe key set, never called on this
   path) beside one with billing off; batches and single events are sent to each in turn,
   interleaved over `--quota-rounds` rounds so drift (table growth, other load) hits both
   alike. With billing on every request checks the plan and the month's usage (cached) and
   every batch adds to the usage counter in its transaction; the organization's limit is set
   out of reach, so nothing is refused and both servers do the same work otherwise.
   Then the same comparison in-process, without HTTP: `ingest_events` on a 1,000-event batch
   and on a single event, billing off and on alternately, `--quota-reps` times each; medians
   reported (robust to the load spikes of a shared machine).
The figures depend on the machine; the ratios (API/COPY, quotas on/off) are the portable ones.
`--smoke` runs every phase for a moment with small batches (seconds, for tests and CI).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import math
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash", "o3"]


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmscope_site.settings")
    os.environ.setdefault("DEBUG", "1")
    # Tasks queued by this process (in-process phases) stay off the shared default queue.
    os.environ.setdefault("LLMSCOPE_CELERY_QUEUE", "llmscope-ingest-bench")
    os.environ.setdefault("LLMSCOPE_CACHE_PREFIX", "llmscope-ingest-bench")
    import django

    django.setup()


def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


BILLING_ON_ENV = {
    # Billing on: quotas enforced. The Stripe API is never called on the ingest path, so the
    # key and base point nowhere.
    "STRIPE_SECRET_KEY": "sk_test_benchmark_not_a_real_key",
    "STRIPE_WEBHOOK_SECRET": "whsec_benchmark",
    "STRIPE_API_BASE": "http://127.0.0.1:9",
}
BILLING_OFF_ENV = {"STRIPE_SECRET_KEY": "", "STRIPE_WEBHOOK_SECRET": ""}


def give_unreachable_limit(org_id: int) -> None:
    """Billing on must check and count, not refuse: a plan limit that is never reached."""
    from billing.models import BillingAccount, Plan

    BillingAccount.objects.update_or_create(
        organization_id=org_id,
        defaults={
            "plan": Plan.objects.get(slug="enterprise"),
            "events_per_month_override": 10**15,
        },
    )


def prepare_project() -> tuple[str, int, int]:
    """Migrate, then a fresh project with an ingest key: (key, organization id, project id)."""
    from django.core.management import call_command

    from tenants.models import ApiKey, Organization, Project

    call_command("migrate", verbosity=0)
    # Every run starts from empty event tables, so runs compare (index sizes affect inserts).
    from django.db import connection

    from monitoring.models import Event, EventRollup, EventRollupBucket

    with connection.cursor() as cursor:
        tables = ", ".join(m._meta.db_table for m in (Event, EventRollup, EventRollupBucket))
        cursor.execute(f"TRUNCATE {tables}")
    stamp = uuid.uuid4().hex[:8]
    org = Organization.objects.create(name=f"Bench {stamp}", slug=f"bench-{stamp}")
    project = Project.objects.create(organization=org, name="Bench", slug="bench")
    _, key = ApiKey.create_for(project, "benchmark", ["ingest", "read"])
    return key, org.id, project.id


def make_events(rng: random.Random, n: int) -> list[dict]:
    now = datetime.now(UTC).isoformat()
    events = []
    for _ in range(n):
        latency = rng.lognormvariate(6.5, 0.6)
        events.append(
            {
                "timestamp": now,
                "provider": "openai",
                "model": rng.choice(MODELS),
                "latency_ms": round(latency, 3),
                "ttft_ms": round(latency * rng.uniform(0.1, 0.4), 3),
                "input_tokens": rng.randint(100, 4000),
                "output_tokens": rng.randint(10, 800),
                "status": "error" if rng.random() < 0.02 else "ok",
                "tags": {"tenant": f"t{rng.randint(1, 20)}"},
            }
        )
    return events


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    database_url: str, port: int, workers: int, extra_env: dict | None = None
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdef"),
        "LLMSCOPE_SSL_REDIRECT": "0",
        "LLMSCOPE_API_RATE_LIMIT": "1000000",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": os.environ.get("BENCH_SETTINGS", "llmscope_site.settings"),
        # Production mode needs REDIS_URL (Celery broker); without it tasks run in-process.
        "LLMSCOPE_CELERY_QUEUE": "llmscope-ingest-bench",
        "LLMSCOPE_CACHE_PREFIX": "llmscope-ingest-bench",
        **BILLING_OFF_ENV,
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "llmscope_site.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the ASGI server did not start")


def post(conn: http.client.HTTPConnection, key: str, body: bytes) -> tuple[int, bytes]:
    conn.request(
        "POST",
        "/api/v1/events",
        body=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    return response.status, response.read()


def api_throughput(port: int, key: str, bodies: list[bytes], clients: int, seconds: float):
    accepted = [0] * clients
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n = i
        while time.monotonic() < deadline:
            status, payload = post(conn, key, bodies[n % len(bodies)])
            n += clients
            if status == 202:
                accepted[i] += json.loads(payload)["accepted"]
            else:
                errors.append(f"{status} {payload[:200]!r}")
                return

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(accepted), time.monotonic() - started, errors


def copy_payloads(org_id: int, project_id: int, batches: list[list[dict]]) -> list[bytes]:
    """COPY text of each batch, from the rows the API itself builds (fresh ids per row)."""
    from monitoring.ingest.rows import EVENT_COLUMNS, build_rows
    from monitoring.ingest.schema import decode_event_batch

    payloads = []
    for batch in batches:
        events = decode_event_batch(json.dumps({"events": batch}).encode())
        rows = build_rows(
            org_id,
            project_id,
            events,
            source="api",
            received_at=datetime.now(UTC),
            store_prompts=False,
        )
        out = io.StringIO()
        for row in rows:
            values = row[: len(EVENT_COLUMNS)]
            out.write("\t".join(_copy_text(v) for v in values) + "\n")
        payloads.append(out.getvalue().encode())
    return payloads


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def raw_copy_throughput(database_url: str, payloads: list[bytes], clients: int, seconds: float):
    import psycopg

    from monitoring.ingest.rows import EVENT_COLUMNS
    from monitoring.models import Event

    table = Event._meta.db_table
    sql = f"COPY {table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
    templates = [_id_template(p) for p in payloads]
    copied = [0] * clients
    deadline = time.monotonic() + seconds
    counter = iter(range(1, 1 << 62))
    lock = threading.Lock()

    def worker(i: int) -> None:
        with psycopg.connect(database_url) as conn:
            n = i
            while time.monotonic() < deadline:
                heads, tails = templates[n % len(templates)]
                with lock:
                    first = next(counter)
                    for _ in range(len(heads) - 1):
                        next(counter)
                # Fresh ids (the unique index must accept every row, as in the API run),
                # everything else byte-identical to the prepared rows.
                payload = b"".join(
                    head + b"00000000-0000-4000-8000-%012x" % (first + j) + tail
                    for j, (head, tail) in enumerate(zip(heads, tails, strict=True))
                )
                with conn.cursor() as cur, cur.copy(sql) as copy:
                    copy.write(payload)
                conn.commit()
                copied[i] += len(heads)
                n += clients

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(copied), time.monotonic() - started


def _id_template(payload: bytes) -> tuple[list[bytes], list[bytes]]:
    """Split each COPY line around its event_id (the third column)."""
    heads, tails = [], []
    for line in payload.split(b"\n"):
        if line:
            first, second, _, rest = line.split(b"\t", 3)
            heads.append(first + b"\t" + second + b"\t")
            tails.append(b"\t" + rest + b"\n")
    return heads, tails


def single_event_latency(port: int, key: str, rate: float, seconds: float, threads: int = 32):
    total = int(rate * seconds)
    body = json.dumps({"events": make_events(random.Random(5), 1)}).encode()
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    next_index = [0]
    start = time.monotonic() + 0.5

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= total:
                return
            scheduled = start + i / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            status, _ = post(conn, key, body)
            done = time.monotonic()
            with lock:
                if status == 202:
                    latencies.append((done - scheduled) * 1000)
                else:
                    failures[0] += 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    latencies.sort()
    return latencies, failures[0]


def single_event_capacity(port: int, key: str, clients: int, seconds: float) -> float:
    """Requests/s the server answers when clients send single events back to back."""
    body = json.dumps({"events": make_events(random.Random(6), 1)}).encode()
    done = [0] * clients
    failed: list[str] = []
    deadline = time.monotonic() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            status, payload = post(conn, key, body)
            if status == 202:
                done[i] += 1
            else:
                failed.append(f"{status} {payload[:200]!r}")
                return

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise SystemExit(f"single events failed: {failed[:3]}")
    return sum(done) / (time.monotonic() - started)


def quota_comparison(args, key: str, bodies: list[bytes]) -> dict[str, tuple[float, float]]:
    """Throughput with billing off and on, interleaved: {phase: (off, on)}."""
    servers = {}
    try:
        for mode, env in (("off", BILLING_OFF_ENV), ("on", BILLING_ON_ENV)):
            port = free_port()
            servers[mode] = (port, start_server(args.database_url, port, args.workers, env))
            post(http.client.HTTPConnection("127.0.0.1", port, timeout=60), key, bodies[0])
        totals = {(phase, mode): [0.0, 0.0] for phase in ("batch", "single") for mode in servers}
        share = args.quota_seconds / args.quota_rounds
        for round_number in range(args.quota_rounds):
            # Alternate who goes first, so neither always follows the other's writes.
            order = ("off", "on") if round_number % 2 == 0 else ("on", "off")
            for mode in order:
                port = servers[mode][0]
                events, elapsed, errors = api_throughput(port, key, bodies, args.clients, share)
                if errors:
                    raise SystemExit(f"quota {mode}: API errors {errors[:3]}")
                totals["batch", mode][0] += events
                totals["batch", mode][1] += elapsed
                rate = single_event_capacity(port, key, args.clients * 4, share / 2)
                totals["single", mode][0] += rate * share / 2
                totals["single", mode][1] += share / 2
    finally:
        for _, process in servers.values():
            process.send_signal(signal.SIGTERM)
        for _, process in servers.values():
            process.wait(timeout=30)
    return {
        phase: tuple(totals[phase, mode][0] / totals[phase, mode][1] for mode in ("off", "on"))
        for phase in ("batch", "single")
    }


def quota_in_process(project_id: int, bodies: list[bytes], reps: int) -> dict:
    """Median seconds of one `ingest_events` call, billing off and on: {phase: (off, on)}."""
    from django.conf import settings

    from monitoring.ingest.schema import decode_event_batch
    from monitoring.ingest.service import ingest_events
    from tenants.models import Project

    project = Project.objects.select_related("organization").get(pk=project_id)
    single = json.dumps({"events": make_events(random.Random(7), 1)}).encode()
    settings.DEBUG = False  # no query log growing over thousands of calls
    timings: dict[tuple[str, str], list[float]] = {
        (phase, mode): [] for phase in ("batch", "single") for mode in ("off", "on")
    }
    for i in range(reps):
        for mode in ("off", "on") if i % 2 == 0 else ("on", "off"):
            settings.STRIPE_SECRET_KEY = BILLING_ON_ENV["STRIPE_SECRET_KEY"] if mode == "on" else ""
            for phase, body in (("batch", bodies[i % len(bodies)]), ("single", single)):
                events = decode_event_batch(body)
                started = time.perf_counter()
                ingest_events(project, events, source="api")
                timings[phase, mode].append(time.perf_counter() - started)
    # The added work alone (check, counter upsert, commit, cache increment), billing on.
    from django.db import transaction

    from billing import quota

    settings.STRIPE_SECRET_KEY = BILLING_ON_ENV["STRIPE_SECRET_KEY"]
    alone = []
    for _ in range(reps):
        started = time.perf_counter()
        with transaction.atomic():
            quota.check(project.organization_id, "events", 1000)
            quota.record_usage(project.organization_id, 1000)
        alone.append(time.perf_counter() - started)
    settings.STRIPE_SECRET_KEY = ""
    result = {
        phase: (statistics.median(timings[phase, "off"]), statistics.median(timings[phase, "on"]))
        for phase in ("batch", "single")
    }
    result["alone"] = statistics.median(alone)
    return result


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank: the ceil(q * n)-th smallest."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/llmscope_ingest_bench"
        ),
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--clients", type=int, default=4, help="concurrent batch senders")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=500.0, help="single-event requests/s")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument(
        "--quota-seconds", type=float, default=40.0, help="per server, quotas on vs off"
    )
    parser.add_argument("--quota-rounds", type=int, default=4)
    parser.add_argument("--quota-reps", type=int, default=200, help="in-process calls per mode")
    parser.add_argument("--smoke", action="store_true", help="every phase for a moment")
    args = parser.parse_args()
    batch_size = 1000
    if args.smoke:
        args.workers, args.clients, args.seconds = 1, 2, 1.0
        args.rate, args.latency_seconds = 50.0, 1.0
        args.quota_seconds, args.quota_rounds, args.quota_reps = 2.0, 2, 4
        batch_size = 100
    if not args.database_url.startswith("postgres"):
        raise SystemExit("the benchmark needs PostgreSQL (--database-url postgres://...)")
    if not os.environ.get("REDIS_URL"):
        print("# warning: REDIS_URL unset: the server runs in embedded mode (tasks in-process)")

    ensure_database(args.database_url)
    django_setup(args.database_url)
    key, org_id, project_id = prepare_project()
    give_unreachable_limit(org_id)
    rng = random.Random(1)
    batches = [make_events(rng, batch_size) for _ in range(20)]
    bodies = [json.dumps({"events": b}).encode() for b in batches]
    payloads = copy_payloads(org_id, project_id, batches)

    print(
        f"# ingest benchmark — {platform.platform()}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}"
    )
    print(
        f"# uvicorn workers={args.workers}, clients={args.clients}, {args.seconds:.0f} s per phase"
    )
    print(f"# load average before: {load_average()} (the machine may be shared)")
    if args.smoke:
        print("# smoke mode: tiny phases, figures meaningless")

    port = free_port()
    server = start_server(args.database_url, port, args.workers)
    try:
        post(http.client.HTTPConnection("127.0.0.1", port, timeout=60), key, bodies[0])  # warm up
        api_events, api_elapsed, errors = api_throughput(
            port, key, bodies, args.clients, args.seconds
        )
        if errors:
            print("API errors:", errors[:3])
        latencies, failures = single_event_latency(port, key, args.rate, args.latency_seconds)
        single_rate = single_event_capacity(port, key, args.clients * 4, args.latency_seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    quota = quota_comparison(args, key, bodies)
    in_process = quota_in_process(project_id, bodies, args.quota_reps)

    copy_rows, copy_elapsed = raw_copy_throughput(
        args.database_url, payloads, args.clients, args.seconds
    )
    api_rate = api_events / api_elapsed
    copy_rate = copy_rows / copy_elapsed
    print(
        f"API  POST /api/v1/events ({batch_size}/batch): {api_rate:>10,.0f} events/s "
        f"({api_events:,} events in {api_elapsed:.1f} s)"
    )
    print(
        f"raw  COPY into the event table:       {copy_rate:>10,.0f} rows/s "
        f"({copy_rows:,} rows in {copy_elapsed:.1f} s)"
    )
    print(f"ratio API / raw COPY:                 {api_rate / copy_rate:>10.2f}")
    if latencies:
        print(
            f"single-event requests at {args.rate:.0f}/s for {args.latency_seconds:.0f} s: "
            f"p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
            f"max {latencies[-1]:.1f} ms ({len(latencies)} ok, {failures} failed)"
        )
    print(
        f"single-event capacity (closed loop, {args.clients * 4} clients): {single_rate:,.0f} req/s"
    )
    (batch_off, batch_on), (single_off, single_on) = quota["batch"], quota["single"]
    print(
        f"quotas off / on, {batch_size}-event batches: {batch_off:,.0f} / {batch_on:,.0f} "
        f"events/s, on/off = {batch_on / batch_off:.3f}"
    )
    print(
        f"quotas off / on, single events ({args.clients * 4} clients): {single_off:,.0f} / "
        f"{single_on:,.0f} req/s, on/off = {single_on / single_off:.3f}"
    )
    print(
        f"quota work alone (check + counter upsert + commit + cache increment): median "
        f"{in_process['alone'] * 1000:.2f} ms ({args.quota_reps} calls)"
    )
    for phase, label in (("batch", f"{batch_size}-event batch"), ("single", "single event")):
        off, on = in_process[phase]
        print(
            f"quotas off / on, in-process ingest_events, {label}: median {off * 1000:.2f} / "
            f"{on * 1000:.2f} ms ({(on / off - 1) * 100:+.1f} %, {args.quota_reps} calls each)"
        )
    print(f"# load average after: {load_average()}")


if __name__ == "__main__":
    main()
