"""Limits that account for estimation error: the bootstrap adjustment of Gandy & Kvaløy.

Limits computed from a baseline of n points use an estimated centre μ̂ and σ̂; the chart's
real in-control ARL is then a random variable, far below the nominal one for short
baselines (half of all 20-point individuals charts with 3σ limits and the run rules 1, 2, 3,
5 false-alarm within 50 points). Following

    A. Gandy and J. T. Kvaløy (2013), "Guaranteed conditional performance of control charts
    via bootstrap methods", Scandinavian Journal of Statistics 40, 647-668
    (the method of the R package spcadjust),

the threshold is raised so that the *conditional* in-control ARL, given the baseline, is at
least the target with a stated probability (``coverage``, 90 % by default).

Method (parametric bootstrap, normal model). For a chart whose parameters are estimated,
let q(P, ξ̂) be the threshold that gives the target ARL when the data follow P and the chart
runs with the estimates ξ̂. The estimate q(P̂, ξ̂) is the known-parameter threshold c₀;
bootstrap baselines drawn from P̂ give ξ̂*, and the upper bound is
c₀ + quantile_coverage(q(P̂, ξ̂*) − c₀) = quantile_coverage(q(P̂, ξ̂*)). Under the normal model
the problem is pivotal: with P̂ = N(0, 1) in standardised units, each bootstrap baseline
gives (μ̂*, σ̂*), the chart sees u = (x − μ̂*)/σ̂*, i.e. N(−μ̂*/σ̂*, 1/σ̂*²) in control, and its
ARL is computed exactly (:mod:`spc.engine.arl`) — so the adjustment depends only on the
baseline size, the estimator, the chart and the target, not on the data values.

Vectorised: the B bootstrap baselines are one (B × n) normal draw; their estimates are row
reductions; the per-replicate thresholds for rule 1 are found by a bisection run on all B
at once, and for run rules, EWMA and CUSUM by a bisection on the threshold where each step
evaluates the B chains in one batched solve. No Python loop over replicates.

Estimators (matching :mod:`spc.engine.limits`): ``"mr"`` individuals (mean, MR̄/1.128);
``"sd"`` individuals with the sample standard deviation (spcadjust's Shewhart example);
``"xbar"`` m subgroups of size n (grand mean, pooled s / c4(n)). Phase I exclusion of
outlying baseline points is not modelled (it removes few points from an in-control
baseline). Reproduces spcadjust's worked example: 250 points, two-sided Shewhart, target
ARL 370, 90 %: threshold ≈ 3.19 instead of 3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from .arl import Side, cusum_arl, ewma_arl, norm_cdf, norm_ppf, shewhart_arl
from .constants import D2_SPAN_2
from .limits import c4

Estimator = Literal["mr", "sd", "xbar"]
DEFAULT_REPLICATES = 4000
DEFAULT_COVERAGE = 0.9
RUN_RULE_REPLICATES = 300


@dataclass(frozen=True)
class BaselineDraws:
    """Bootstrap estimates in standardised units: the chart sees N(``mean``, ``sd``²)."""

    mean: np.ndarray  # −μ̂*/σ̂* per replicate
    sd: np.ndarray  # 1/σ̂* per replicate


def baseline_draws(
    n: int,
    *,
    estimator: Estimator = "mr",
    subgroup_size: int = 1,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
) -> BaselineDraws:
    """Draw ``replicates`` in-control baselines of ``n`` points (or subgroups) and return
    what a chart built on each would see in control (see module docstring).

    Deterministic for a seed, so the result is cached (read-only arrays): charts that
    re-baseline with the same size share one draw."""
    if n < 2:
        raise ValueError(f"a baseline needs at least 2 points, got {n}")
    if estimator not in ("mr", "sd", "xbar"):
        raise ValueError(f"estimator must be 'mr', 'sd' or 'xbar', got {estimator!r}")
    if estimator == "xbar" and subgroup_size < 2:
        raise ValueError("an X̄ baseline needs subgroups of at least 2")
    return _cached_draws(int(n), estimator, int(subgroup_size), int(replicates), int(seed))


@lru_cache(maxsize=64)
def _cached_draws(
    n: int, estimator: str, subgroup_size: int, replicates: int, seed: int
) -> BaselineDraws:
    rng = np.random.default_rng(seed)
    if estimator == "xbar":
        # in σ_X̄ units: grand mean ~ N(0, 1/m); pooled variance ~ σ²χ²_ν/ν, ν = m(n−1)
        dof = n * (subgroup_size - 1)
        mu = rng.normal(0.0, 1.0 / np.sqrt(n), size=replicates)
        sigma = np.sqrt(rng.chisquare(dof, size=replicates) / dof) / float(c4(subgroup_size))
    else:
        x = rng.standard_normal((replicates, n))
        mu = x.mean(axis=1)
        if estimator == "mr":
            sigma = np.abs(np.diff(x, axis=1)).mean(axis=1) / D2_SPAN_2
        else:
            sigma = x.std(axis=1, ddof=1)
    mean, sd = -mu / sigma, 1.0 / sigma
    mean.flags.writeable = False
    sd.flags.writeable = False
    return BaselineDraws(mean=mean, sd=sd)


def _false_alarm_probability(c: np.ndarray, draws: BaselineDraws, side: Side) -> np.ndarray:
    up = 1.0 - norm_cdf((c - draws.mean) / draws.sd)
    down = norm_cdf((-c - draws.mean) / draws.sd)
    if side == "upper":
        return up
    if side == "lower":
        return down
    return up + down


def guarded_coverage(coverage: float, replicates: int) -> float:
    """The quantile level actually used: ``coverage`` plus one binomial standard error of
    the bootstrap, so that the finite number of replicates does not, on average, leave the
    guarantee a little short (with 4,000 replicates: 0.9 → 0.9047)."""
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must be in (0, 1), got {coverage}")
    return min(coverage + float(np.sqrt(coverage * (1 - coverage) / replicates)), 0.999)


def shewhart_thresholds(target_arl: float, draws: BaselineDraws, side: Side = "both"):
    """Per replicate, the rule-1 multiplier c whose in-control ARL is exactly the target.

    One side: closed form, c = mean + sd·Φ⁻¹(1 − 1/ARL) (or its mirror). Both sides: the
    root lies between |mean| + sd·Φ⁻¹(1 − g) and |mean| + sd·Φ⁻¹(1 − g/2) (g = 1/ARL), a
    narrow bracket that 30 bisection steps on all replicates at once close to 1e-9."""
    goal = 1.0 / float(target_arl)
    z_one = norm_ppf(1.0 - goal)
    if side == "upper":
        return draws.mean + draws.sd * z_one
    if side == "lower":
        return -draws.mean + draws.sd * z_one
    lo = np.abs(draws.mean) + draws.sd * z_one
    hi = np.abs(draws.mean) + draws.sd * norm_ppf(1.0 - goal / 2.0)
    for _ in range(30):  # bisection on all replicates at once
        mid = 0.5 * (lo + hi)
        too_many = _false_alarm_probability(mid, draws, side) > goal
        lo = np.where(too_many, mid, lo)
        hi = np.where(too_many, hi, mid)
    return 0.5 * (lo + hi)


def _solve_threshold(
    arl_of: Callable[[float], np.ndarray],
    target_arl: float,
    coverage: float,
    start: float,
    lo: float,
    hi: float,
    iterations: int = 8,
) -> float:
    """Threshold at which the (1 − coverage) quantile of the replicates' ARLs equals the
    target, i.e. a ``coverage`` share of the charts meet it. Secant steps on the log of
    that quantile (smooth and monotone in the threshold), each step one batched
    evaluation of every replicate, kept inside [lo, hi]; bisection fallback."""

    def f(x: float) -> float:
        q = float(np.quantile(arl_of(x), 1.0 - coverage))
        return np.log(max(q, 1e-300)) - np.log(target_arl)

    x0, x1 = start, min(hi, start + 0.25)
    f0, f1 = f(x0), f(x1)
    for _ in range(iterations):
        if abs(f1) < 2e-4:
            break
        if f1 > 0:
            hi = min(hi, x1)
        else:
            lo = max(lo, x1)
        if f1 != f0 and np.isfinite(f1) and np.isfinite(f0):
            x2 = x1 - f1 * (x1 - x0) / (f1 - f0)
        else:
            x2 = 0.5 * (lo + hi)
        if not lo < x2 < hi:
            x2 = 0.5 * (lo + hi)
        x0, f0 = x1, f1
        x1, f1 = x2, f(x2)
    return float(x1)


def adjusted_shewhart_k(
    target_arl: float,
    draws: BaselineDraws,
    rules: Iterable[int] = (1,),
    params: Mapping[int, float] | None = None,
    *,
    side: Side = "both",
    coverage: float = DEFAULT_COVERAGE,
    k_max: float = 8.0,
) -> float:
    """The rule-1 multiplier k that meets ``target_arl`` with probability ``coverage``.

    Rule 1 alone: the ``coverage`` quantile of the per-replicate thresholds. With zone run
    rules (2, 5, 6): bisection on k, each step the exact ARL of every replicate's chain.
    Returns ``inf`` when no k can meet it (the run rules alone false-alarm too often).
    """
    rules = tuple(sorted(set(rules)))
    coverage = guarded_coverage(coverage, draws.mean.size)
    if rules == (1,):
        return float(np.quantile(shewhart_thresholds(target_arl, draws, side), coverage))

    # run-rule chains are larger: the first RUN_RULE_REPLICATES replicates suffice
    sub = BaselineDraws(draws.mean[:RUN_RULE_REPLICATES], draws.sd[:RUN_RULE_REPLICATES])

    def arls(k: float) -> np.ndarray:
        return np.asarray(shewhart_arl(k, rules, params, mean=sub.mean, sd=sub.sd, side=side))

    if np.mean(arls(k_max) >= target_arl) < coverage:
        return float("inf")
    start = float(np.quantile(shewhart_thresholds(target_arl, draws, side), coverage))
    return _solve_threshold(arls, target_arl, coverage, start, 2.0, k_max)


def adjusted_ewma_L(
    target_arl: float,
    lam: float,
    draws: BaselineDraws,
    *,
    side: Side = "both",
    coverage: float = DEFAULT_COVERAGE,
    start: float = 3.0,
) -> float:
    """EWMA multiplier L meeting the target with probability ``coverage`` (bootstrap);
    ``start``: a first guess (the known-parameter L)."""

    coverage = guarded_coverage(coverage, draws.mean.size)

    def arls(L: float) -> np.ndarray:
        return np.asarray(ewma_arl(lam, L, mean=draws.mean, sd=draws.sd, side=side, cells=(11, 21)))

    return _solve_threshold(arls, target_arl, coverage, start, 0.5, 10.0)


def adjusted_cusum_h(
    target_arl: float,
    k: float,
    draws: BaselineDraws,
    *,
    side: Side = "both",
    coverage: float = DEFAULT_COVERAGE,
    start: float = 5.0,
) -> float:
    """CUSUM decision interval h meeting the target with probability ``coverage``;
    ``start``: a first guess (the known-parameter h)."""

    coverage = guarded_coverage(coverage, draws.mean.size)

    def arls(h: float) -> np.ndarray:
        return np.asarray(cusum_arl(k, h, mean=draws.mean, sd=draws.sd, side=side, cells=(11, 21)))

    return _solve_threshold(arls, target_arl, coverage, start, 0.1, 60.0)
