"""Running a claimed probe and recording the result as an ordinary Event.

Also where the beat tick hands claims to workers: as Celery tasks when a broker runs them,
or to a small thread pool in the embedded mode, where tasks are eager and the beat lives in
the web process — running probes inline there would make one slow endpoint delay every
other probe's schedule.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from monitoring.models import Event

from .models import Probe
from .scheduling import Claim, claim_due_probes, release
from .transports import ProbeMeasurement

logger = logging.getLogger(__name__)

TRIGGER_SCHEDULE = "schedule"
TRIGGER_MANUAL = "manual"


def run_claim(claim: Claim, trigger: str = TRIGGER_SCHEDULE) -> Event | None:
    """Run the claimed probe once, store its Event, release the lease. None if the probe was
    deleted meanwhile. Remote failures are results (status=error), never exceptions."""
    probe = (
        Probe.objects.select_related("project", "organization").filter(pk=claim.probe_id).first()
    )
    if probe is None:
        return None
    started = timezone.now()
    status = Event.Status.ERROR
    try:
        measurement = probe.measure()
        status = measurement.status
        event = record_event(probe, measurement, started, claim.scheduled_for, trigger)
    finally:
        # Even if storing failed, free the probe for its next slot rather than wait out the
        # lease; the failure itself propagates to the task's logs.
        release(claim, status, started)
    return event


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
        cost_usd=cost_for(probe, measurement),
        status=Event.Status.OK if ok else Event.Status.ERROR,
        error_type=measurement.error_type,
        http_status=measurement.http_status,
        tags=tags,
        prompt_hash=hashlib.sha256(probe.prompt.encode()).hexdigest(),
    )


def cost_for(probe: Probe, measurement: ProbeMeasurement) -> Decimal | None:
    """Cost from the price table; None (not 0) when unknown. See monitoring/pricing.py."""
    try:
        from monitoring.pricing import cost_usd
    except ImportError:
        return None  # the price table has not landed yet: cost stays unknown
    if measurement.input_tokens is None and measurement.output_tokens is None:
        return None
    return cost_usd(
        organization=probe.organization,
        provider=probe.provider,
        model=probe.model,
        input_tokens=measurement.input_tokens or 0,
        output_tokens=measurement.output_tokens or 0,
    )


# -- dispatch --------------------------------------------------------------------------------
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pending: set[Future] = set()


def tick(now: datetime | None = None) -> int:
    """One beat tick: claim the due probes and hand each to a worker. Returns how many."""
    claims = claim_due_probes(now)
    for claim in claims:
        dispatch(claim)
    return len(claims)


def dispatch(claim: Claim) -> None:
    """Run `claim` on a Celery worker, or in the embedded thread pool when tasks are eager."""
    from llmscope_site.celery import app

    from .tasks import run_probe

    if app.conf.task_always_eager:
        _submit_embedded(claim)
        return
    run_probe.apply_async(
        args=[claim.probe_id, claim.scheduled_for.isoformat(), claim.lease_until.isoformat()],
        # A run still queued when its lease ends is stale: the probe is claimable again by then.
        expires=claim.lease_until,
    )


def _submit_embedded(claim: Claim) -> None:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.LLMSCOPE_EMBEDDED_PROBE_THREADS,
                thread_name_prefix="probe",
            )
        future = _pool.submit(_run_in_thread, claim)
        _pending.add(future)
    future.add_done_callback(_pending.discard)


def _run_in_thread(claim: Claim) -> None:
    close_old_connections()
    try:
        run_claim(claim)
    except Exception:
        logger.exception("probe %s run failed", claim.probe_id)
    finally:
        connections.close_all()


def wait_for_embedded_runs(timeout: float = 30.0) -> None:
    """Block until the embedded runs submitted so far are done (tests, shutdown)."""
    with _pool_lock:
        pending = list(_pending)
    wait(pending, timeout=timeout)
