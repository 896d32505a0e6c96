"""Ten probes with 1-3 s intervals, driven by the beat.

On a fake clock first: the claims of a beat ticking every 0.25 s, each run starting at its
slot, for half a minute of simulated time — every slot of every grid runs exactly once and on
time, none skipped, none doubled, none overlapping. Then for real, briefly: the real tick
task with a real Celery worker on Redis (`@pytest.mark.redis`), and in the embedded mode
(eager tasks, the in-process thread pool), where only what load cannot change is asserted:
every probe ran, on its grid, never twice for one slot, never before its slot, never
overlapping itself. How late runs start under load is for benchmarks/probes.py to measure.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from llmscope_site.celery import app
from monitoring.models import Event
from monitoring.probes.models import Probe
from monitoring.probes.runs import stop_db_threads
from monitoring.probes.scheduling import LOOKAHEAD, Claim, claim_due_probes, release
from monitoring.probes.tasks import tick_probes, wait_for_embedded_runs
from spc.models import Chart

from .factories import make_probe
from .fake_llm import Behaviour, running_fake_llm

TICK_EVERY_S = 0.25
# The beat runs until every probe ran twice (a few seconds), or at most this long.
MAX_WINDOW_S = 60.0


def create_probes(project, server_url: str, now: datetime | None = None) -> list[Probe]:
    now = now or timezone.now()
    probes = []
    for i in range(10):
        probe = make_probe(
            project,
            name=f"live-{i}",
            interval_s=1 + i % 3,
            base_url=server_url + "/v1",
            timeout_s=5,
        )
        probe.schedule(now)
        probe.save(update_fields=["next_run_at"])
        probes.append(probe)
    return probes


def drive_beat(probes: list[Probe]) -> None:
    """Call the tick task every TICK_EVERY_S until every probe ran twice (however slow a
    loaded machine is to start them), for at most MAX_WINDOW_S."""
    for _ in range(int(MAX_WINDOW_S / TICK_EVERY_S)):
        tick_probes.delay()
        time.sleep(TICK_EVERY_S)
        runs = Counter(Event.objects.filter(source="probe").values_list("probe_id", flat=True))
        if all(runs[p.pk] >= 2 for p in probes):
            return


def wait_until_idle(timeout_s: float = 20.0) -> None:
    """Bounded wait for in-flight runs (leases) to finish."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not Probe.objects.filter(lease_until__isnull=False).exists():
            return
        time.sleep(0.1)
    raise AssertionError("probe runs still in flight after the window")


def assert_each_slot_ran_once(probes: list[Probe]) -> None:
    """What holds however loaded the machine: every probe ran, on its grid, once per slot,
    never before its slot, and never while its previous run was in flight."""
    runs = defaultdict(list)
    for event in Event.objects.filter(source="probe").order_by("timestamp"):
        runs[event.probe_id].append(event)
    assert set(runs) == {p.pk for p in probes}, "every probe ran"
    for probe in probes:
        events = runs[probe.pk]
        slots = [datetime.fromisoformat(e.tags["scheduled_for"]) for e in events]
        assert len(slots) == len(set(slots)), f"{probe.name}: a slot ran twice"
        step = timedelta(seconds=probe.interval_s)
        gaps = [b - a for a, b in itertools.pairwise(slots)]
        assert all(gap % step == timedelta(0) for gap in gaps), f"{probe.name}: off the grid"
        for event, slot in zip(events, slots, strict=True):
            assert event.status == "ok", event.tags.get("error")
            assert slot <= event.timestamp, f"{probe.name}: ran before its slot"
        for a, b in itertools.pairwise(events):
            finished = a.timestamp + timedelta(milliseconds=a.latency_ms)
            assert finished <= b.timestamp + timedelta(milliseconds=5), "runs overlapped"


@pytest.mark.django_db
def test_on_a_fake_clock_every_slot_runs_once_and_on_time(project):
    """The beat's claims over half a simulated minute: ticks every TICK_EVERY_S claim what falls
    due within LOOKAHEAD; a run waits for its slot, takes 50 ms, then releases its lease."""
    run_time = timedelta(milliseconds=50)
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    probes = create_probes(project, "http://127.0.0.1:9", now=t0)
    first_slots = {p.pk: p.next_run_at for p in probes}
    in_flight: list[tuple[datetime, Claim]] = []  # (finishes at, claim)
    started: dict[int, list[datetime]] = defaultdict(list)
    now, end = t0, t0 + timedelta(seconds=30)
    while now < end:
        for finish, claim in [run for run in in_flight if run[0] <= now]:
            release(claim, "ok", claim.scheduled_for)
            in_flight.remove((finish, claim))
        for claim in claim_due_probes(now, lookahead=LOOKAHEAD):
            start = max(now, claim.scheduled_for)  # a worker holds an early claim until its slot
            started[claim.probe_id].append(start)
            in_flight.append((start + run_time, claim))
        now += timedelta(seconds=TICK_EVERY_S)

    last_tick = now - timedelta(seconds=TICK_EVERY_S)
    for probe in probes:
        step = timedelta(seconds=probe.interval_s)
        grid = []
        slot = first_slots[probe.pk]
        # Up to the last slot the last tick could claim: within its lookahead, and with the
        # run before it finished and released by then (phases follow the probe's id, so a
        # slot can fall where the previous run still holds its lease at the last tick).
        while slot <= last_tick + LOOKAHEAD and slot - step + run_time <= last_tick:
            grid.append(slot)
            slot += step
        # Started exactly at each slot of its grid: none skipped, none twice, none late.
        assert started[probe.pk] == grid, probe.name
        assert len(grid) >= 30 // probe.interval_s


@pytest.mark.redis
@pytest.mark.parametrize("db_threads", [0, 2])
def test_a_real_worker_runs_ten_probes_on_time(celery_worker_live, project, settings, db_threads):
    # db_threads=2: the runs' database steps go through two dedicated threads (runs.in_db).
    settings.LLMSCOPE_PROBE_DB_THREADS = db_threads
    try:
        run_live_window(project)
    finally:
        stop_db_threads()  # their connections would keep the test database from being dropped


def run_live_window(project) -> None:
    with running_fake_llm(Behaviour(first_token_delay=0.02)) as server:
        probes = create_probes(project, server.url)
        drive_beat(probes)
        wait_until_idle()
    assert_each_slot_ran_once(probes)


@pytest.fixture
def embedded_tasks():
    """Eager tasks, as in the embedded mode, even when the suite runs with REDIS_URL."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


@pytest.mark.django_db(transaction=True)
def test_the_embedded_mode_runs_ten_probes_on_time(project, embedded_tasks):
    with running_fake_llm(Behaviour(first_token_delay=0.02)) as server:
        probes = create_probes(project, server.url)
        # Eager SPC evaluations would run on the same four embedded threads as the probes
        # and, on a loaded 2-core box, hold a 1 s probe past its next slot: this test is
        # about the scheduler, so these probes have no charts to evaluate.
        Chart.objects.filter(project=project).delete()
        drive_beat(probes)
        wait_for_embedded_runs(timeout=20)
        wait_until_idle()
    assert_each_slot_ran_once(probes)
