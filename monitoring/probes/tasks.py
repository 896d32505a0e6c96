"""Celery tasks: thin wrappers over runs.py (which is tested directly)."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from .runs import run_claim, tick
from .scheduling import Claim


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
