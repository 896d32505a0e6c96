"""Average run lengths against published tables, and against the rules engine itself.

Published figures (to the digits printed there):
- Shewhart 3σ, known parameters: ARL0 = 1/0.0027 = 370.4.
- Champ & Woodall (1987), Technometrics 29, Table 2 (Western Electric rules, known
  parameters, no shift): 3σ + "2 of 3 beyond 2σ" 225.44; 3σ + "4 of 5 beyond 1σ" 166.05;
  3σ + "8 in a row" 152.73; all four rules 91.75.
- Montgomery, Introduction to Statistical Quality Control, Table 9.3 (two-sided tabular
  CUSUM, k = 1/2): h = 4 and h = 5 for shifts 0 … 4σ.
- Lucas & Saccucci (1990), Technometrics 32, design table (as reprinted in Montgomery,
  Table 9.11): EWMA λ = 0.10, L = 2.814 and λ = 0.20, L = 2.962 for shifts 0 … 4σ. Those
  tables were computed with coarser chains; a figure is accepted within half a unit of its
  last printed digit plus 0.3 %.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from spc.engine import nelson_rules
from spc.engine.arl import cusum_arl, ewma_arl, run_rule_rate, shewhart_arl, zone_chain

SHIFTS = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]


def _printed_unit(text: str) -> float:
    return 10.0 ** -(len(text.split(".")[1])) if "." in text else 1.0


def assert_matches_printed(computed, printed: list[str], slack: float = 0.0) -> None:
    for value, text in zip(np.atleast_1d(computed), printed, strict=True):
        tolerance = 0.5 * _printed_unit(text) + slack * float(text)
        assert abs(value - float(text)) <= tolerance + 1e-9, (value, text)


def test_shewhart_three_sigma_is_370_4():
    assert_matches_printed(shewhart_arl(3.0), ["370.4"])


@pytest.mark.parametrize(
    ("rules", "params", "printed"),
    [
        ((1, 5), None, "225.44"),
        ((1, 6), None, "166.05"),
        ((1, 2), {2: 8}, "152.73"),
        ((1, 2, 5, 6), {2: 8}, "91.75"),
    ],
)
def test_shewhart_with_runs_rules_matches_champ_and_woodall(rules, params, printed):
    assert_matches_printed(shewhart_arl(3.0, rules, params), [printed])


def test_cusum_matches_montgomery_table():
    h4 = ["168", "74.2", "26.6", "13.3", "8.38", "4.75", "3.34", "2.62", "2.19", "1.71"]
    h5 = ["465", "139", "38.0", "17.0", "10.4", "5.75", "4.01", "3.11", "2.57", "2.01"]
    assert_matches_printed(cusum_arl(0.5, 4.0, mean=SHIFTS), h4)
    assert_matches_printed(cusum_arl(0.5, 5.0, mean=SHIFTS), h5)


def test_ewma_matches_lucas_and_saccucci():
    l10 = ["500", "106", "31.3", "15.9", "10.3", "6.1", "4.4", "3.4", "2.9", "2.2"]
    l20 = ["500", "150", "41.8", "18.2", "10.5", "5.5", "3.7", "2.9", "2.4", "1.9"]
    assert_matches_printed(ewma_arl(0.10, 2.814, mean=SHIFTS), l10, slack=0.003)
    assert_matches_printed(ewma_arl(0.20, 2.962, mean=SHIFTS), l20, slack=0.003)


def test_ewma_with_lambda_one_is_a_shewhart_chart():
    assert ewma_arl(1.0, 3.0) == pytest.approx(370.4, rel=2e-3)


def test_one_sided_charts_take_twice_as_long_in_control():
    assert shewhart_arl(3.0, side="upper") == pytest.approx(2 * 370.398, rel=1e-6)
    assert cusum_arl(0.5, 5.0, side="upper") == pytest.approx(2 * 465.44, rel=1e-3)
    # a shift in the judged direction is caught as fast; in the other, almost never
    up = shewhart_arl(3.0, side="upper", mean=2.0)
    assert up == pytest.approx(1 / (1 - 0.5 * (1 + math.erf(1 / math.sqrt(2)))), rel=1e-3)
    assert shewhart_arl(3.0, side="upper", mean=-2.0) > 1e5


def test_scenarios_are_vectorised_and_shaped_like_the_input():
    out = shewhart_arl(3.0, (1, 2, 5), mean=np.zeros((3, 4)), sd=1.0)
    assert out.shape == (3, 4)
    assert np.allclose(out, shewhart_arl(3.0, (1, 2, 5)))


def test_zone_chain_is_minimal_and_cached():
    nxt, _ = zone_chain((1,), 9, 2, 4, "both")
    assert nxt.shape == (1, 8)  # rule 1 remembers nothing
    assert zone_chain((1, 5), 9, 2, 4, "both") is zone_chain((1, 5), 9, 2, 4, "both")


def _simulated_arl(rules, k, shift, reps, length, rng):
    lengths = []
    for _ in range(reps):
        x = rng.normal(shift, 1.0, size=length)
        flags = np.logical_or.reduce(
            list(nelson_rules(x, 0.0, 1.0, rules=rules, params={1: k}).values())
        )
        hit = np.flatnonzero(flags)
        assert hit.size, "series too short for this ARL"
        lengths.append(hit[0] + 1)
    lengths = np.array(lengths, dtype=float)
    return lengths.mean(), lengths.std(ddof=1) / math.sqrt(reps)


@pytest.mark.parametrize(("rules", "shift"), [((1, 2, 5), 0.0), ((1, 2, 5, 6), 1.0)])
def test_zone_chain_agrees_with_the_rules_engine_by_simulation(rules, shift):
    rng = np.random.default_rng(11)
    mean, se = _simulated_arl(rules, 3.0, shift, reps=600, length=4000, rng=rng)
    exact = shewhart_arl(3.0, rules, mean=shift)
    # the chain pads history with in-zone points; the engine flags nothing before a full
    # window: the difference is far below the simulation error
    assert abs(mean - exact) < 4 * se, (mean, se, exact)


def test_non_zone_rule_rates():
    assert run_rule_rate(3) == pytest.approx(2 / 720)
    assert run_rule_rate(7) == pytest.approx(0.6826895**15, rel=1e-6)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="zone Markov chain"):
        shewhart_arl(3.0, (1, 3))
    with pytest.raises(ValueError, match="side"):
        shewhart_arl(3.0, side="left")
    with pytest.raises(ValueError):
        ewma_arl(0.0, 3.0)
    with pytest.raises(ValueError):
        cusum_arl(0.5, 0.0)
    with pytest.raises(ValueError):
        shewhart_arl(3.0, sd=0.0)
