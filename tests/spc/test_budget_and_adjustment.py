"""The false-alarm budget and the bootstrap adjustment for estimated limits.

The conditional in-control performance is checked by simulation, independently of the
bootstrap's own draws: fresh baselines go through the engine's `individuals_limits` (the
estimator the product uses), and each chart's exact in-control ARL *given its estimates*
is computed; the share of charts meeting the budget must reach the stated coverage
within simulation error (3 standard errors, counting both the bootstrap's own replicates
and the checking charts as binomial samples).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from spc.engine import individuals_limits
from spc.engine.adjust import adjusted_shewhart_k, baseline_draws
from spc.engine.arl import norm_cdf_exact, norm_ppf, shewhart_arl
from spc.engine.budget import (
    describe_rate,
    design_cusum,
    design_ewma,
    design_shewhart,
    lag1_autocorrelation,
    target_arl,
)


def test_reproduces_spcadjusts_worked_example():
    # spcadjust's Shewhart vignette: 250 normal points, mean and sample sd, two-sided,
    # in-control ARL ≥ 370 with 90 % probability → a threshold of about 3.19 instead of 3
    draws = baseline_draws(250, estimator="sd", replicates=4000, seed=3)
    k = adjusted_shewhart_k(370, draws, coverage=0.9)
    assert k == pytest.approx(3.19, abs=0.02)


def _conditional_share(k, rules, n, target, side, reps, seed):
    rng = np.random.default_rng(seed)
    mean, sd = np.empty(reps), np.empty(reps)
    for i in range(reps):
        lim = individuals_limits(rng.normal(size=n))
        mean[i], sd[i] = -lim.center / lim.sigma, 1.0 / lim.sigma
    arl = np.asarray(shewhart_arl(k, rules, mean=mean, sd=sd, side=side))
    return float(np.mean(arl >= target))


@pytest.mark.parametrize(
    ("n", "target", "side", "rules"),
    [
        (50, 370.0, "both", (1,)),
        (200, 60480.0, "upper", (1,)),
        (100, 168.0, "upper", (1, 2, 5)),
    ],
)
def test_adjusted_limits_meet_the_budget_with_the_stated_probability(n, target, side, rules):
    coverage, reps, replicates = 0.9, 1500, 2000
    draws = baseline_draws(n, replicates=replicates, seed=1)
    k = adjusted_shewhart_k(target, draws, rules, side=side, coverage=coverage)
    share = _conditional_share(k, rules, n, target, side, reps, seed=99)
    se = math.sqrt(coverage * (1 - coverage) * (1 / reps + 1 / replicates))
    assert share >= coverage - 3 * se, share
    # and the adjustment is not gratuitous: plain known-parameter limits fall well short
    k0 = norm_ppf(1 - 1 / (target * (2 if side == "both" else 1)))
    if rules == (1,):
        assert _conditional_share(k0, rules, n, target, side, reps, seed=99) < 0.65


def test_budget_turns_off_run_rules_that_cannot_fit_and_says_why():
    # a point every 10 s, one false alarm a week: 60,480 points
    design = design_shewhart(8640, 7, rules=(1, 2, 3, 5), side="upper", baseline_n=200)
    assert design.rules == (1,)
    assert set(design.dropped) == {2, 3, 5}
    assert "budget of one false alarm per 7 days" in design.dropped[2]
    assert design.target == 60480
    # known-parameter k gives exactly the target; the adjusted one is wider
    assert 1 / (1 - norm_cdf_exact(design.k_known)) == pytest.approx(60480, rel=1e-3)
    assert design.k > design.k_known
    assert design.false_alarms_per_week < 1


def test_slow_charts_keep_their_run_rules():
    design = design_shewhart(24, 7, rules=(1, 2, 3, 5), side="upper", baseline_n=200)
    assert design.rules == (1, 2, 3, 5)
    assert design.arl0_known >= design.target


def test_two_sided_charts_spend_the_budget_on_both_sides():
    one = design_shewhart(1440, 7, rules=(1,), side="upper", baseline_n=500)
    two = design_shewhart(1440, 7, rules=(1,), side="both", baseline_n=500)
    assert two.k > one.k


def test_ewma_and_cusum_parameters_come_from_the_same_budget():
    ewma = design_ewma(1440, 7, lam=0.2, side="upper", baseline_n=300)
    assert ewma.threshold > ewma.threshold_known > 3.0
    cusum = design_cusum(1440, 7, k=0.5, side="upper", baseline_n=300)
    assert cusum.threshold > cusum.threshold_known > 5.0
    assert cusum.arl0_known >= 10080


def test_rate_in_words():
    assert describe_rate(0.5) == "about one false alarm every 2 weeks"
    assert describe_rate(1.0) == "about one false alarm a week"
    assert describe_rate(70.0) == "about 10 false alarms a day"
    assert target_arl(24, 7) == 168


def test_lag1_autocorrelation():
    rng = np.random.default_rng(0)
    e = rng.normal(size=5000)
    ar = np.empty_like(e)
    ar[0] = e[0]
    for i in range(1, e.size):
        ar[i] = 0.7 * ar[i - 1] + e[i]
    assert abs(lag1_autocorrelation(e)) < 0.05
    assert lag1_autocorrelation(ar) == pytest.approx(0.7, abs=0.05)
    assert lag1_autocorrelation([1.0, 1.0, 1.0]) == 0.0


def test_bad_budget_is_refused():
    with pytest.raises(ValueError):
        target_arl(0, 7)
    with pytest.raises(ValueError):
        baseline_draws(1)
