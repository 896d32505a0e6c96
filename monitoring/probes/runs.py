"""Running a claimed probe and recording the result as an ordinary Event.

Handing claims to workers (Celery or the embedded thread pool) is `tasks.py`'s part.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone

from monitoring.ingest.redaction import redact
from monitoring.models import Event
from monitoring.pricing import cost_usd
from monitoring.signals import events_recorded

from .models import Probe
from .scheduling import Claim, release
from .transports import ProbeMeasurement

logger = logging.getLogger(__name__)

TRIGGER_SCHEDULE = "schedule"
TRIGGER_MANUAL = "manual"


def run_claim(claim: Claim, trigger: str = TRIGGER_SCHEDULE) -> Event | None:
    """Run the claimed probe once, store its Event, release the lease. None if the probe was
    deleted meanwhile. Remote failures are results (status=error), never exceptions."""
    probe = in_db(_load_probe, claim.probe_id)
    if probe is None:
        return None
    started = timezone.now()
    measurement = None
    try:
        measurement = probe.measure()  # the network call: no database access in here
    finally:
        # Stored and released even if something unexpected broke the call, so the probe is
        # free for its next slot rather than waiting out the lease.
        event = in_db(_store_and_release, probe, claim, measurement, started, trigger)
    return event


def _load_probe(probe_id: int) -> Probe | None:
    return Probe.objects.select_related("project", "organization").filter(pk=probe_id).first()


def _store_and_release(
    probe: Probe,
    claim: Claim,
    measurement: ProbeMeasurement | None,
    started: datetime,
    trigger: str,
) -> Event | None:
    try:
        if measurement is None:
            return None
        return record_event(probe, measurement, started, claim.scheduled_for, trigger)
    finally:
        release(claim, measurement.status if measurement else Event.Status.ERROR, started)


# -- database handoff -----------------------------------------------------------------------
# A Celery worker with a thread pool runs hundreds of probe calls at once, and Django gives
# every thread its own database connection: that would hold hundreds of PostgreSQL
# connections open while they wait on the network. With LLMSCOPE_PROBE_DB_THREADS > 0 the
# short database steps of a run go to that many dedicated threads instead, so the worker
# holds that many connections whatever its concurrency. 0 (the default) runs them inline.
_db_lock = threading.Lock()
_db_pool: ThreadPoolExecutor | None = None


def in_db(function, *args):
    """Call `function(*args)` on a database thread (or inline) and return its result."""
    threads = settings.LLMSCOPE_PROBE_DB_THREADS
    if threads <= 0:
        try:
            return function(*args)
        finally:
            _lend_back_pooled_connection()
    global _db_pool
    with _db_lock:
        if _db_pool is None:
            _db_pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="probe-db")
    return _db_pool.submit(_on_db_thread, function, *args).result()


def _lend_back_pooled_connection() -> None:
    """With a connection pool (PostgreSQL), give the connection back between the steps of a
    run, so that a thread waiting on the network does not hold one the pool could lend."""
    if connection.settings_dict.get("OPTIONS", {}).get("pool") and not connection.in_atomic_block:
        connection.close()


def stop_db_threads() -> None:
    """Close the database threads' connections and stop them (tests, orderly shutdown)."""
    global _db_pool
    with _db_lock:
        pool, _db_pool = _db_pool, None
    if pool is None:
        return
    # One closing job per thread: the barrier keeps any thread from taking two.
    size = pool._max_workers
    barrier = threading.Barrier(size)

    def close_own_connections() -> None:
        barrier.wait(timeout=10)
        connections.close_all()

    for future in [pool.submit(close_own_connections) for _ in range(size)]:
        future.result(timeout=15)
    pool.shutdown(wait=True)


def _on_db_thread(function, *args):
    # Long-lived threads never pass a request boundary: drop broken or expired connections
    # here, as Django does between requests.
    close_old_connections()
    return function(*args)


def record_event(
    probe: Probe,
    measurement: ProbeMeasurement,
    started: datetime,
    scheduled_for: datetime,
    trigger: str,
) -> Event:
    """Store one probe result as an Event (`source=probe`, `probe_id`)."""
    lag_ms = max(0.0, (started - scheduled_for).total_seconds() * 1000.0)
    tags = {
        "probe": probe.name[:256],
        "trigger": trigger,
        "scheduled_for": scheduled_for.isoformat(),
        "schedule_lag_ms": f"{lag_ms:.0f}",
        **measurement.tags,
    }
    if measurement.error_message:
        tags["error"] = measurement.error_message[:256]
    ok = measurement.ok
    # Created through the ORM: monitoring's post_save receiver adds the event to the rollups
    # and the usage (monitoring/rollups.py); the SPC signal is ours to send.
    with transaction.atomic():
        event = _create_event(probe, measurement, started, tags, ok)
        # SPC marks the probe's charts dirty and queues their evaluation after the commit.
        series = {(probe.model, event.environment, event.source, event.ttft_ms is not None)}
        events_recorded.send(
            sender=Event, project=probe.project, series=series, probe_ids={probe.pk}
        )
    return event


REPLY_CHARS = 4000


def _create_event(
    probe: Probe,
    measurement: ProbeMeasurement,
    started: datetime,
    tags: dict[str, str],
    ok: bool,
) -> Event:
    return Event.objects.create(
        organization_id=probe.organization_id,
        project_id=probe.project_id,
        timestamp=started,
        received_at=timezone.now(),
        source=Event.Source.PROBE,
        probe_id=probe.pk,
        provider=probe.provider,
        model=probe.model,
        operation=Event.Operation.CHAT,
        latency_ms=measurement.latency_ms,
        ttft_ms=measurement.ttft_ms,
        input_tokens=measurement.input_tokens,
        output_tokens=measurement.output_tokens,
        output_tokens_per_s=(
            Event.tokens_per_second(
                measurement.output_tokens, measurement.latency_ms, measurement.ttft_ms
            )
            if ok
            else None
        ),
        cost_usd=cost_for(probe, measurement, started),
        status=Event.Status.OK if ok else Event.Status.ERROR,
        error_type=measurement.error_type,
        http_status=measurement.http_status,
        tags=tags,
        prompt_hash=hashlib.sha256(probe.prompt.encode()).hexdigest(),
        # The reply to the probe's own prompt, so its page can show what the model said
        # (redacted and capped like any stored text).
        completion=redact(measurement.completion[:REPLY_CHARS]) if measurement.completion else None,
    )


def cost_for(probe: Probe, measurement: ProbeMeasurement, on: datetime) -> Decimal | None:
    """Cost from the price table (public prices and the organization's own); None, not 0,
    when the model has no price or the provider reported no usage."""
    return cost_usd(
        organization=probe.organization,
        provider=probe.provider,
        model=probe.model,
        input_tokens=measurement.input_tokens,
        output_tokens=measurement.output_tokens,
        on=on.date(),
    )
