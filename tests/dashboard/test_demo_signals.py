"""The demo, accelerated: the demo LLM's calls every 10 s on a simulated clock go through the
demo project's charts (baselines as the demo sets them: 20 calls, 50 one-minute subgroups).

Without incidents, two hours (baselines included) raise no signal on any chart. With
incidents (9 cycles of 8 minutes), no chart signals outside an incident or twice for one;
latency and output tokens/s find every latency jump and drift as one signal within 12 calls.
TTFT (noisier: σ 0.25 on the log scale against a 20-call baseline) finds most of them, and
the error-rate chart finds error bursts only sometimes: with an incident every 8 minutes its
50-minute baseline holds bursts, which raise its limit.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from dashboard.management.commands.demo import ensure_demo
from monitoring.models import Event
from monitoring.probes.demo import DEMO_PROMPT
from monitoring.probes.demo_llm.simulation import DRIFT, LATENCY_JUMP, DemoLLM, IncidentSchedule
from monitoring.probes.models import Probe
from spc.evaluation import evaluate_chart
from spc.models import Chart, Signal

pytestmark = pytest.mark.django_db

INTERVAL_S = 10


def simulate(project, probe, model: DemoLLM, start: float, calls: int, seed: int) -> float:
    rng = random.Random(seed)
    events = []
    for i in range(calls):
        t = start + i * INTERVAL_S
        answer = model.answer(DEMO_PROMPT, 64, t, rng)
        ok = answer.error_status is None
        latency = answer.total_s * 1000.0
        ttft = answer.ttft_s * 1000.0
        events.append(
            Event(
                organization_id=project.organization_id,
                project=project,
                timestamp=datetime.fromtimestamp(t, tz=UTC),
                received_at=datetime.fromtimestamp(t, tz=UTC),
                source=Event.Source.PROBE,
                probe_id=probe.pk,
                provider=probe.provider,
                model=probe.model,
                latency_ms=latency,
                ttft_ms=ttft if ok else None,
                output_tokens=answer.output_tokens if ok else None,
                output_tokens_per_s=Event.tokens_per_second(answer.output_tokens, latency, ttft)
                if ok
                else None,
                status=Event.Status.OK if ok else Event.Status.ERROR,
                http_status=answer.error_status,
            )
        )
    Event.objects.bulk_create(events)
    return start + calls * INTERVAL_S


def evaluate_all(project, at: float) -> None:
    """Evaluate on the simulated clock, two minutes after the last call."""
    now = datetime.fromtimestamp(at, tz=UTC) + timedelta(minutes=2)
    for chart in Chart.objects.filter(project=project):
        evaluate_chart(chart.pk, now=now)


def judged_signals(project) -> dict[str, int]:
    return {
        c.name: Signal.objects.filter(chart=c, judged=True).count()
        for c in Chart.objects.filter(project=project)
    }


def test_without_incidents_an_hour_raises_no_signal(settings):
    project = ensure_demo()
    probe = Probe.objects.get(project=project)
    model = DemoLLM(schedule=IncidentSchedule(enabled=False))
    period = 480.0
    start = datetime(2026, 1, 5, tzinfo=UTC).timestamp() // period * period
    t = simulate(project, probe, model, start, 20 * 6 + 360 + 360, seed=1)
    evaluate_all(project, t)
    for chart in Chart.objects.filter(project=project):
        assert chart.current_limits() is not None, chart.name
    assert set(judged_signals(project).values()) == {0}


def test_with_incidents_each_incident_is_one_signal_per_chart_it_touches(settings):
    project = ensure_demo()
    probe = Probe.objects.get(project=project)
    schedule = IncidentSchedule()
    model = DemoLLM(schedule=schedule)
    period = schedule.period_s
    cycle = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp() // period)  # a fixed stretch
    # start right after an incident, with room for the 20-call baseline before the next one
    while schedule.incident_in_cycle(cycle + 1).start - schedule.incident_in_cycle(cycle).end < 220:
        cycle += 1
    start = schedule.incident_in_cycle(cycle).end + 1
    cycles = 9
    t = simulate(project, probe, model, start, int(cycles * period / INTERVAL_S), seed=2)
    evaluate_all(project, t)
    incidents = [schedule.incident_in_cycle(cycle + i) for i in range(1, cycles + 1)]
    for chart in Chart.objects.filter(project=project):
        signals = list(Signal.objects.filter(chart=chart, judged=True).order_by("start_t"))
        per_incident = {
            inc: [s for s in signals if inc.start <= s.start_t.timestamp() < inc.end + 60]
            for inc in incidents
        }
        # never a signal outside an incident, never two for one incident
        assert sum(len(found) for found in per_incident.values()) == len(signals), chart.name
        assert all(len(found) <= 1 for found in per_incident.values()), chart.name
        if chart.metric in ("latency_ms", "output_tokens_per_s"):
            for inc, found in per_incident.items():
                if inc.kind in (LATENCY_JUMP, DRIFT):
                    assert len(found) == 1, (chart.name, inc)
                    calls_late = (found[0].start_t.timestamp() - inc.start) / INTERVAL_S
                    assert calls_late < 12, (chart.name, inc.kind, calls_late)
