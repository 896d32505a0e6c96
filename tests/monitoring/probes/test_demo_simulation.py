"""The demo LLM's simulated behaviour: a pure function of seed and clock."""

from __future__ import annotations

import random
import statistics

from monitoring.probes.demo_llm.simulation import (
    DRIFT,
    ERROR_BURST,
    INCIDENT_KINDS,
    LATENCY_JUMP,
    DemoLLM,
    IncidentSchedule,
    estimate_tokens,
)

T0 = 1_800_000_000.0  # a fixed clock: tests never depend on the wall time


def calm_model(**overrides) -> DemoLLM:
    return DemoLLM(schedule=IncidentSchedule(enabled=False), base_error_rate=0.0, **overrides)


def test_the_schedule_is_deterministic_given_seed_and_clock():
    a, b = IncidentSchedule(seed=3), IncidentSchedule(seed=3)
    times = [T0 + i * 7.3 for i in range(500)]
    assert [a.incident_at(t) for t in times] == [b.incident_at(t) for t in times]
    assert IncidentSchedule(seed=4).incident_in_cycle(10) != a.incident_in_cycle(10)


def test_every_cycle_has_one_incident_after_a_calm_start_and_all_kinds_occur():
    schedule = IncidentSchedule(period_s=300)
    kinds = set()
    for cycle in range(6):
        incident = schedule.incident_in_cycle(cycle)
        start_of_cycle = cycle * 300
        assert incident.start - start_of_cycle >= 0.30 * 300  # a calm stretch first
        assert incident.end <= start_of_cycle + 300  # over before the next cycle
        assert schedule.incident_at(start_of_cycle + 1) is None
        assert schedule.incident_at(incident.start + 1) == incident
        kinds.add(incident.kind)
    assert kinds == set(INCIDENT_KINDS)


def test_a_latency_jump_is_a_step_and_a_drift_is_a_ramp():
    schedule = IncidentSchedule(period_s=300)
    jump = next(
        schedule.incident_in_cycle(c)
        for c in range(3)
        if schedule.incident_in_cycle(c).kind == LATENCY_JUMP
    )
    drift = next(
        schedule.incident_in_cycle(c)
        for c in range(3)
        if schedule.incident_in_cycle(c).kind == DRIFT
    )
    assert jump.latency_factor(jump.start) == jump.latency_factor(jump.end - 1) == 2.5
    assert jump.latency_factor(jump.end + 1) == 1.0
    early = drift.latency_factor(drift.start + 1)
    late = drift.latency_factor(drift.end - 1)
    assert 1.0 <= early < late <= 3.0


def test_an_error_burst_makes_many_calls_fail_and_normal_time_few():
    schedule = IncidentSchedule(period_s=300)
    burst = next(
        schedule.incident_in_cycle(c)
        for c in range(3)
        if schedule.incident_in_cycle(c).kind == ERROR_BURST
    )
    model = DemoLLM(schedule=schedule)
    rng = random.Random(1)
    during = [model.answer("hi", 16, burst.start + 1, rng) for _ in range(400)]
    calm_time = burst.start - 0.29 * 300  # inside the same cycle's calm stretch
    before = [model.answer("hi", 16, calm_time, rng) for _ in range(400)]
    failed_during = sum(a.error_status is not None for a in during)
    failed_before = sum(a.error_status is not None for a in before)
    assert failed_during > 120  # about half
    assert failed_before < 15  # about 0.5 %
    assert {a.error_status for a in during if a.error_status} <= {429, 500, 503}


def test_ttft_and_token_gaps_are_lognormal_around_their_medians():
    model = calm_model(ttft_median_ms=200.0, token_median_ms=10.0, prefill_ms_per_token=0.0)
    rng = random.Random(5)
    answers = [model.answer("x", 32, T0, rng) for _ in range(2000)]
    ttfts = [a.ttft_s * 1000 for a in answers]
    gaps = [g * 1000 for a in answers for g in a.token_gaps_s]
    assert 185 < statistics.median(ttfts) < 215
    assert 9.3 < statistics.median(gaps) < 10.7
    # Right-skewed: the mean sits above the median.
    assert statistics.mean(ttfts) > statistics.median(ttfts)


def test_a_longer_prompt_takes_longer_to_the_first_token():
    model = calm_model(prefill_ms_per_token=1.0)
    short = [model.answer("hi", 8, T0, random.Random(i)).ttft_s for i in range(200)]
    long = [model.answer("word " * 2000, 8, T0, random.Random(i)).ttft_s for i in range(200)]
    # Same random draws; the difference is exactly the extra prompt tokens at 1 ms each.
    extra_s = (estimate_tokens("word " * 2000) - estimate_tokens("hi")) / 1000.0
    assert extra_s > 2.0
    assert all(abs((lg - sh) - extra_s) < 1e-6 for sh, lg in zip(short, long, strict=True))


def test_answers_respect_max_tokens_and_report_usage():
    model = calm_model()
    rng = random.Random(2)
    for max_tokens in (1, 5, 64):
        answer = model.answer("Say hi", max_tokens, T0, rng)
        assert 1 <= answer.output_tokens <= max_tokens
        assert len(answer.token_gaps_s) == answer.output_tokens - 1
        assert answer.input_tokens > 0
