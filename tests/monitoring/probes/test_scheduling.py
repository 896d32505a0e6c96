"""Claiming due probes: once each, on a drift-free grid, never while a run is in flight."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections

from monitoring.probes import scheduling
from monitoring.probes.models import LEASE_GRACE_S, Probe
from monitoring.probes.scheduling import (
    claim_due_probes,
    claim_for_manual_run,
    next_slot,
    release,
)

from .factories import make_probe

NOW = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)


def due_probe(project, **fields) -> Probe:
    probe = make_probe(project, **fields)
    probe.next_run_at = NOW
    probe.save(update_fields=["next_run_at"])
    return probe


@pytest.fixture(params=["native", "conditional"])
def claim(request):
    """Both claim paths: the database's own (SKIP LOCKED on PostgreSQL, conditional UPDATE on
    SQLite) and the conditional UPDATE forced, so that SQLite's path also runs on PostgreSQL."""
    if request.param == "native":
        return claim_due_probes
    return lambda now=None, limit=scheduling.CLAIM_BATCH: scheduling._claim_conditionally(
        now, limit
    )


@pytest.mark.django_db
def test_a_due_probe_is_claimed_once_and_its_next_run_advances_from_the_schedule(project, claim):
    probe = due_probe(project, interval_s=30)
    late = NOW + timedelta(seconds=4)  # the tick came 4 s after the scheduled time

    claims = claim(late)
    assert [(c.probe_id, c.scheduled_for) for c in claims] == [(probe.pk, NOW)]
    assert claim(late) == []  # leased: never twice at once

    probe.refresh_from_db()
    # From the scheduled time, not from when the tick or the run happened: no drift.
    assert probe.next_run_at == NOW + timedelta(seconds=30)
    assert probe.lease_until == late + timedelta(seconds=probe.timeout_s + LEASE_GRACE_S)


@pytest.mark.django_db
def test_a_probe_still_running_is_not_claimed_at_its_next_slot(project, claim):
    probe = due_probe(project, interval_s=10, timeout_s=30)
    [first] = claim(NOW)
    assert claim(NOW + timedelta(seconds=12)) == []  # due again, but the lease is live

    release(first, "ok", NOW)
    [second] = claim(NOW + timedelta(seconds=12))
    assert second.scheduled_for == NOW + timedelta(seconds=10)
    probe.refresh_from_db()
    assert probe.last_status == "ok"


@pytest.mark.django_db
def test_an_expired_lease_lets_the_probe_run_again(project, claim):
    due_probe(project, interval_s=10, timeout_s=5)
    claim(NOW)  # never released: the worker died
    after_lease = NOW + timedelta(seconds=5 + LEASE_GRACE_S + 1)
    assert len(claim(after_lease)) == 1


@pytest.mark.django_db
def test_missed_slots_are_skipped_not_replayed(project, claim):
    probe = due_probe(project, interval_s=10)
    [only] = claim(NOW + timedelta(seconds=95))  # nothing ran for 95 s
    assert only.scheduled_for == NOW
    probe.refresh_from_db()
    assert probe.next_run_at == NOW + timedelta(seconds=100)  # still on the grid


@pytest.mark.django_db
def test_paused_and_future_probes_are_not_claimed(project, claim):
    due_probe(project, name="paused", is_paused=True)
    future = make_probe(project, name="future")
    future.next_run_at = NOW + timedelta(seconds=1)
    future.save()
    unscheduled = make_probe(project, name="never scheduled")
    assert unscheduled.next_run_at is None
    assert claim(NOW) == []


@pytest.mark.django_db
def test_a_release_only_clears_its_own_lease(project, claim):
    probe = due_probe(project, interval_s=10, timeout_s=1)
    [stale] = claim(NOW)
    [current] = claim(NOW + timedelta(seconds=1 + LEASE_GRACE_S + 1))
    release(stale, "error", NOW)  # the old run finishing late must not free the new one
    probe.refresh_from_db()
    assert probe.lease_until == current.lease_until


@pytest.mark.django_db
def test_the_batch_limit_bounds_one_tick(project, claim):
    for i in range(5):
        due_probe(project, name=f"p{i}")
    assert len(claim(NOW, limit=3)) == 3
    assert len(claim(NOW, limit=3)) == 2


@pytest.mark.django_db
def test_a_manual_run_takes_the_lease_without_moving_the_schedule(project):
    probe = due_probe(project)
    manual = claim_for_manual_run(probe, NOW)
    assert manual is not None
    assert claim_for_manual_run(probe, NOW) is None  # already running
    assert claim_due_probes(NOW) == []
    probe.refresh_from_db()
    assert probe.next_run_at == NOW


def test_next_slot_keeps_the_grid():
    assert next_slot(NOW, 10, NOW + timedelta(seconds=3)) == NOW + timedelta(seconds=10)
    assert next_slot(NOW, 10, NOW + timedelta(seconds=10)) == NOW + timedelta(seconds=20)
    assert next_slot(NOW, 10, NOW + timedelta(seconds=31)) == NOW + timedelta(seconds=40)


@pytest.mark.django_db
def test_probes_with_the_same_interval_get_different_phases(project):
    probes = [make_probe(project, name=f"p{i}", interval_s=60) for i in range(20)]
    for probe in probes:
        probe.schedule(NOW)
    seconds = sorted(round((p.next_run_at - NOW).total_seconds()) for p in probes)
    assert all(0 <= s <= 60 for s in seconds)
    assert len(set(seconds)) >= 15  # spread over the minute, not all at :00
    for probe in probes:  # and each first run lies on its own grid
        assert probe.first_run_after(probe.next_run_at) == probe.next_run_at


@pytest.mark.django_db
def test_schedule_immediately_is_due_now(project):
    probe = make_probe(project)
    probe.schedule(NOW, immediately=True)
    assert probe.next_run_at == NOW


@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_claim_the_same_run(project):
    for i in range(40):
        due_probe(project, name=f"p{i}")
    claimed: list[list] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def claimer() -> None:
        try:
            start.wait(timeout=10)
            claimed.append(claim_due_probes(NOW))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    ids = [c.probe_id for batch in claimed for c in batch]
    assert len(ids) == len(set(ids)) == 40


@pytest.mark.django_db
def test_a_lookahead_claims_probes_due_before_the_next_tick(project):
    soon = make_probe(project, name="soon")
    soon.next_run_at = NOW + timedelta(milliseconds=600)
    later = make_probe(project, name="later")
    later.next_run_at = NOW + timedelta(seconds=2)
    Probe.objects.bulk_update([soon, later], ["next_run_at"])

    claims = claim_due_probes(NOW, lookahead=timedelta(seconds=1))
    # Its own slot, still in the future: the run waits for it.
    assert [(c.probe_id, c.scheduled_for) for c in claims] == [(soon.pk, soon.next_run_at)]
    soon.refresh_from_db()
    assert soon.next_run_at == NOW + timedelta(milliseconds=600) + timedelta(seconds=60)
