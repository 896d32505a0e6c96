"""Celery tasks for probes, and where the beat tick hands claims to workers: as Celery tasks
when a broker runs them, or to a small thread pool in the embedded mode, where tasks are eager
and the beat lives in the web process — running probes inline there would make one slow
endpoint delay every other probe's schedule. Running one claim is `runs.py`'s part.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from .runs import run_claim
from .scheduling import LOOKAHEAD, Claim, claim_due_probes

logger = logging.getLogger(__name__)


@shared_task(name="probes.tick", ignore_result=True)
def tick_probes() -> int:
    """The beat's one-second tick: claim due probes and enqueue one run each."""
    return tick()


# acks_late off: if a worker dies mid-run, a redelivered copy would be a late duplicate; the
# lease expires instead and the probe's next slot runs normally.
@shared_task(name="probes.run", ignore_result=True, acks_late=False)
def run_probe(probe_id: int, scheduled_for: str, lease_until: str) -> None:
    """Run one claimed probe and record its event."""
    claim = Claim(
        probe_id=probe_id,
        scheduled_for=datetime.fromisoformat(scheduled_for),
        lease_until=datetime.fromisoformat(lease_until),
    )
    run_claim(claim)


# -- dispatch --------------------------------------------------------------------------------
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pending: set[Future] = set()


def tick(now: datetime | None = None) -> int:
    """One beat tick: claim the due probes and hand each to a worker. Returns how many."""
    now = now or timezone.now()
    claims = claim_due_probes(now, lookahead=LOOKAHEAD)
    for claim in claims:
        dispatch(claim, now)
    return len(claims)


def dispatch(claim: Claim, now: datetime | None = None) -> None:
    """Run `claim` at its slot on a Celery worker, or in the embedded thread pool when
    tasks are eager."""
    if run_probe.app.conf.task_always_eager:
        _submit_embedded(claim)
        return
    run_probe.apply_async(
        args=[claim.probe_id, claim.scheduled_for.isoformat(), claim.lease_until.isoformat()],
        # Claimed ahead of its slot (LOOKAHEAD): the worker holds it until then.
        eta=claim.scheduled_for if claim.scheduled_for > (now or timezone.now()) else None,
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
    # Claimed ahead of its slot: wait for it (at most LOOKAHEAD).
    wait_s = (claim.scheduled_for - timezone.now()).total_seconds()
    if wait_s > 0:
        time.sleep(min(wait_s, LOOKAHEAD.total_seconds()))
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
