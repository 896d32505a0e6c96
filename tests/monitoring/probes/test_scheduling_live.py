"""Ten probes with 1-3 s intervals, driven by the real tick task for a short window.

Once with a real Celery worker on Redis (`@pytest.mark.redis`), once in the embedded mode
(eager tasks, runs in the in-process thread pool). Either way every probe must run once per
slot of its grid — no double runs, no missed slots, no overlap — and each run must start
before its next slot is due. The beat is the tick task called every 0.25 s on a bounded loop
(production's beat ticks every second; the tests tick faster so that 1 s intervals keep
their slots on a loaded machine).
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from llmscope_site.celery import app
from monitoring.models import Event
from monitoring.probes.models import Probe
from monitoring.probes.runs import stop_db_threads
from monitoring.probes.tasks import tick_probes, wait_for_embedded_runs
from spc.models import Chart

from .factories import make_probe
from .fake_llm import Behaviour, running_fake_llm

WINDOW_S = 7.0
TICK_EVERY_S = 0.25


def create_probes(project, server_url: str) -> list[Probe]:
    now = timezone.now()
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


def drive_beat(seconds: float) -> datetime:
    """Call the tick task every TICK_EVERY_S for `seconds`; returns when the window closed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tick_probes.delay()
        time.sleep(TICK_EVERY_S)
    return timezone.now()


def wait_until_idle(timeout_s: float = 20.0) -> None:
    """Bounded wait for in-flight runs (leases) to finish."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not Probe.objects.filter(lease_until__isnull=False).exists():
            return
        time.sleep(0.1)
    raise AssertionError("probe runs still in flight after the window")


def assert_on_time_without_double_runs(
    probes: list[Probe], start: datetime, end: datetime, skipped_slots_allowed: int = 0
):
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
        skipped = sum(gap // step - 1 for gap in gaps)
        assert skipped <= skipped_slots_allowed, f"{probe.name}: {skipped} slots skipped"
        expected = (end - start).total_seconds() / probe.interval_s
        assert len(events) >= expected - 2 - skipped_slots_allowed, (
            f"{probe.name}: {len(events)} runs, ~{expected:.0f}"
        )
        for event, slot in zip(events, slots, strict=True):
            assert event.status == "ok", event.tags.get("error")
            # Started after its slot and before the next one: on time.
            assert slot <= event.timestamp < slot + step, (probe.name, slot, event.timestamp)
        for a, b in itertools.pairwise(events):
            finished = a.timestamp + timedelta(milliseconds=a.latency_ms)
            assert finished <= b.timestamp + timedelta(milliseconds=5), "runs overlapped"


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
        start = timezone.now()
        end = drive_beat(WINDOW_S)
        wait_until_idle()
    assert_on_time_without_double_runs(probes, start, end)


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
        start = timezone.now()
        end = drive_beat(WINDOW_S)
        wait_for_embedded_runs(timeout=20)
        wait_until_idle()
    assert_on_time_without_double_runs(probes, start, end)
