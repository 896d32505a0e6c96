"""Claiming due probes, once each, from any number of beats and workers.

Every tick (one second) claims the probes whose `next_run_at` has come and that hold no live
lease. A claim, in one statement per row or one transaction per batch:
- advances `next_run_at` from the *scheduled* time (not from completion), so a probe's runs
  stay on its grid however long each call takes — no drift; slots missed while nothing ran
  (a worker outage) are skipped, not replayed in a burst;
- sets `lease_until`, so no other tick claims the probe while this run is in flight
  (a probe never runs twice at once); the run clears it when done, and a crashed run's lease
  simply expires.

PostgreSQL claims with `SELECT … FOR UPDATE SKIP LOCKED` (concurrent beats split the due rows
between them instead of waiting on each other). SQLite has no row locks: there each row is
claimed by a conditional UPDATE that names the old `next_run_at` and succeeds only if exactly
one row changed (another claimer got there first otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .models import LEASE_GRACE_S, Probe

# A tick also claims what falls due before the next tick, and each of those runs waits for
# its exact slot (a Celery ETA, or a short sleep in the embedded mode): without it, the
# one-second beat alone would add half a second of lag on average.
LOOKAHEAD = timedelta(seconds=1)

# One tick claims at most this many probes; the rest wait for the next tick (a second later),
# which keeps a tick's transaction short even when thousands come due together.
CLAIM_BATCH = 1000


@dataclass(frozen=True)
class Claim:
    """A probe run this process now owns: run it, then release the lease."""

    probe_id: int
    scheduled_for: datetime
    lease_until: datetime


def next_slot(scheduled: datetime, interval_s: int, now: datetime) -> datetime:
    """The slot after `scheduled` on the probe's grid, skipping slots already in the past."""
    step = timedelta(seconds=interval_s)
    following = scheduled + step
    if following > now:
        return following
    missed = math.floor((now - scheduled) / step)
    return scheduled + step * (missed + 1)


def _lease(now: datetime, timeout_s: int) -> datetime:
    return now + timedelta(seconds=timeout_s + LEASE_GRACE_S)


def claim_due_probes(
    now: datetime | None = None,
    limit: int = CLAIM_BATCH,
    lookahead: timedelta = timedelta(0),
) -> list[Claim]:
    """Claim the probes due by now + `lookahead` (at most `limit`); each claim is owned by
    the caller alone. A claim's `scheduled_for` may lie up to `lookahead` in the future."""
    now = now or timezone.now()
    if connection.features.has_select_for_update_skip_locked:
        return _claim_skip_locked(now, limit, now + lookahead)
    return _claim_conditionally(now, limit, now + lookahead)


def _claim_skip_locked(now: datetime, limit: int, horizon: datetime | None = None) -> list[Claim]:
    claims: list[Claim] = []
    with transaction.atomic():
        probes = list(
            Probe.objects.due(now, horizon)
            .select_for_update(skip_locked=True)
            .order_by("next_run_at")
            .only("id", "next_run_at", "interval_s", "timeout_s")[:limit]
        )
        for probe in probes:
            lease = _lease(now, probe.timeout_s)
            claims.append(Claim(probe.pk, probe.next_run_at, lease))
            probe.next_run_at = next_slot(probe.next_run_at, probe.interval_s, now)
            probe.lease_until = lease
        if probes:
            Probe.objects.bulk_update(probes, ["next_run_at", "lease_until"])
    return claims


def _claim_conditionally(now: datetime, limit: int, horizon: datetime | None = None) -> list[Claim]:
    candidates = list(
        Probe.objects.due(now, horizon)
        .order_by("next_run_at")
        .values_list("id", "next_run_at", "interval_s", "timeout_s")[:limit]
    )
    claims: list[Claim] = []
    with transaction.atomic():
        for probe_id, scheduled, interval_s, timeout_s in candidates:
            lease = _lease(now, timeout_s)
            changed = (
                Probe.objects.filter(pk=probe_id, next_run_at=scheduled, is_paused=False)
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
                .update(next_run_at=next_slot(scheduled, interval_s, now), lease_until=lease)
            )
            if changed == 1:
                claims.append(Claim(probe_id, scheduled, lease))
    return claims


def claim_for_manual_run(probe: Probe, now: datetime | None = None) -> Claim | None:
    """Take the lease for a "run now" (the schedule is untouched); None if already running."""
    now = now or timezone.now()
    lease = _lease(now, probe.timeout_s)
    changed = (
        Probe.objects.filter(pk=probe.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(lease_until=lease)
    )
    return Claim(probe.pk, now, lease) if changed == 1 else None


def release(claim: Claim, finished_status: str, started: datetime) -> None:
    """Clear the lease this claim holds (and only that one) and note the last run."""
    Probe.objects.filter(pk=claim.probe_id, lease_until=claim.lease_until).update(
        lease_until=None, last_run_at=started, last_status=finished_status
    )
