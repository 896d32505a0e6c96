"""A false-alarm budget, in the user's terms, turned into a chart design.

"At most one false alarm per chart per N days": with r points a day the chart must have an
in-control average run length of at least ``target = r·N`` points (:func:`target_arl`). The
design chooses

- for Shewhart charts (individuals, X̄): the rule-1 multiplier k and the run rules that fit
  (:func:`design_shewhart`). A run rule is turned off, with the reason in words, when it
  alone would false-alarm more often than the budget allows (zone rules 2, 5, 6 by their
  exact ARL; rules 3, 4, 7, 8 by their in-control flag rate, a conservative bound), or
  when, together with the rules kept before it, no k can meet the budget;
- for EWMA: the multiplier L for the chart's λ (:func:`design_ewma`); for CUSUM: the
  decision interval h for its k (:func:`design_cusum`).

Only the judged sides count (``side``): a chart that judges only the harmful direction
spends its whole budget there. Every design is first made for known parameters, then
adjusted for the baseline's estimation error with the bootstrap of Gandy & Kvaløy (2013)
(:mod:`spc.engine.adjust`) so that the budget holds with probability ``coverage`` given a
baseline of ``baseline_n`` points. ARLs by the Markov chains of :mod:`spc.engine.arl`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .adjust import (
    DEFAULT_COVERAGE,
    DEFAULT_REPLICATES,
    Estimator,
    adjusted_cusum_h,
    adjusted_ewma_L,
    adjusted_shewhart_k,
    baseline_draws,
)
from .arl import ZONE_RULES, Side, cusum_arl, ewma_arl, norm_ppf, run_rule_rate, shewhart_arl

SECONDS_PER_DAY = 86_400.0
DEFAULT_BUDGET_DAYS = 7.0
K_MAX = 8.0  # 8σ: a per-point false-alarm probability of 6e-16, beyond any budget


def target_arl(points_per_day: float, budget_days: float = DEFAULT_BUDGET_DAYS) -> float:
    """In-control ARL (points) that means one false alarm per ``budget_days`` on average."""
    if not points_per_day > 0 or not budget_days > 0:
        raise ValueError("points_per_day and budget_days must be > 0")
    return max(float(points_per_day) * float(budget_days), 2.0)


def false_alarms_per_week(arl0: float, points_per_day: float) -> float:
    """Expected false alarms in 7 days for a chart with in-control ARL ``arl0``."""
    if not np.isfinite(arl0) or arl0 <= 0:
        return 0.0
    return 7.0 * points_per_day / arl0


def describe_rate(per_week: float) -> str:
    """A false-alarm rate in words, e.g. "about one false alarm every 2 weeks"."""
    if per_week <= 0:
        return "no false alarms expected"
    if per_week >= 1.5:
        per_day = per_week / 7.0
        if per_day >= 1.5:
            return f"about {per_day:.0f} false alarms a day"
        return f"about {per_week:.0f} false alarms a week"
    if per_week >= 0.75:
        return "about one false alarm a week"
    weeks = 1.0 / per_week
    if weeks < 8:
        return f"about one false alarm every {weeks:.0f} weeks"
    months = weeks * 7 / 30.4
    if months < 24:
        return f"about one false alarm every {months:.0f} months"
    return "fewer than one false alarm in two years"


def _points_in_words(points: float, points_per_day: float) -> str:
    seconds = points / points_per_day * SECONDS_PER_DAY
    if seconds < 90:
        return "minute"
    if seconds < 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 5400:
        return "hour"
    if seconds < 2 * SECONDS_PER_DAY:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / SECONDS_PER_DAY:.0f} days"


@dataclass(frozen=True)
class ShewhartDesign:
    """Rule-1 multiplier and run rules meeting the budget.

    ``k`` is adjusted for the baseline (use it); ``k_known`` is what known parameters would
    need. ``arl0_known`` is the in-control ARL at ``k`` with known parameters (what the
    chart delivers on a long baseline); ``target`` the ARL the budget asks for.
    ``dropped`` maps each rule turned off to the reason, in words.
    """

    k: float
    k_known: float
    rules: tuple[int, ...]
    dropped: dict[int, str]
    target: float
    arl0_known: float
    coverage: float
    baseline_n: int
    side: str
    points_per_day: float
    notes: list[str] = field(default_factory=list)

    @property
    def false_alarms_per_week(self) -> float:
        """Expected false alarms a week once parameters are well estimated (at ``k``)."""
        return false_alarms_per_week(self.arl0_known, self.points_per_day)


def _combined_arl(
    k: float, zone: tuple[int, ...], other: tuple[int, ...], params, side: str
) -> float:
    arl = shewhart_arl(k, zone, params, side=side) if zone else float("inf")
    rate = sum(run_rule_rate(r, params) for r in other)
    if side != "both":
        rate /= 2.0  # one judged direction: half the (symmetric) flags count
    return 1.0 / (1.0 / arl + rate)


def _k_for(target: float, zone, other, params, side: str) -> float:
    """Smallest k with known-parameter ARL ≥ target (inf if none): in closed form for rule 1
    alone, else by bisection."""
    if zone == (1,) and not other:
        return norm_ppf(1.0 - (1.0 if side != "both" else 0.5) / target)
    if _combined_arl(K_MAX, zone, other, params, side) < target:
        return float("inf")
    lo, hi = 1.0, K_MAX
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if _combined_arl(mid, zone, other, params, side) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def design_shewhart(
    points_per_day: float,
    budget_days: float = DEFAULT_BUDGET_DAYS,
    rules: Iterable[int] = (1, 2, 3, 5),
    params: Mapping[int, float] | None = None,
    *,
    side: Side = "both",
    baseline_n: int = 200,
    estimator: Estimator = "mr",
    subgroup_size: int = 1,
    coverage: float = DEFAULT_COVERAGE,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
) -> ShewhartDesign:
    """Choose k and the run rules for a Shewhart chart under the budget (module docstring).

    ``rules`` are the Nelson rules the user asked for (rule 1 is always kept); they are
    tried in the order given and kept while they fit.
    """
    target = target_arl(points_per_day, budget_days)
    wanted = [int(r) for r in rules if int(r) != 1]
    dropped: dict[int, str] = {}
    budget_words = f"one false alarm per {budget_days:g} days"
    kept: list[int] = []
    for rule in wanted:
        if rule in ZONE_RULES:
            alone = shewhart_arl(30.0, (rule,), params, side=side)
        else:
            rate = run_rule_rate(rule, params) / (1.0 if side == "both" else 2.0)
            alone = 1.0 / rate
        if alone < target:
            dropped[rule] = (
                f"on its own it would raise a false alarm about every "
                f"{_points_in_words(alone, points_per_day)}, more than the budget of "
                f"{budget_words} allows"
            )
            continue
        trial = [*kept, rule]
        zone = tuple([1] + [r for r in trial if r in ZONE_RULES])
        other = tuple(r for r in trial if r not in ZONE_RULES)
        if not np.isfinite(_k_for(target, zone, other, params, side)):
            dropped[rule] = f"together with the rules kept it cannot fit {budget_words}"
            continue
        kept.append(rule)

    draws = baseline_draws(
        baseline_n,
        estimator=estimator,
        subgroup_size=subgroup_size,
        replicates=replicates,
        seed=seed,
    )
    notes: list[str] = []
    while True:
        zone = tuple([1] + [r for r in kept if r in ZONE_RULES])
        other = tuple(r for r in kept if r not in ZONE_RULES)
        k_known = _k_for(target, zone, other, params, side)
        # the non-zone rules' share of the budget is charged by raising the zone target
        rate_other = sum(run_rule_rate(r, params) for r in other) / (1.0 if side == "both" else 2.0)
        zone_target = 1.0 / max(1.0 / target - rate_other, 1e-12)
        k = adjusted_shewhart_k(zone_target, draws, zone, params, side=side, coverage=coverage)
        if np.isfinite(k) or not kept:
            break
        # the estimation error leaves no room for the last zone rule kept: turn it off
        last = [r for r in kept if r in ZONE_RULES][-1]
        kept.remove(last)
        dropped[last] = (
            f"with a baseline of {baseline_n} points its zones are too uncertain to fit "
            f"{budget_words}"
        )
    k = max(k, k_known)
    arl0 = _combined_arl(k, zone, other, params, side)
    return ShewhartDesign(
        k=float(k),
        k_known=float(k_known),
        rules=tuple([1, *kept]),
        dropped=dropped,
        target=target,
        arl0_known=float(arl0),
        coverage=coverage,
        baseline_n=baseline_n,
        side=side,
        points_per_day=float(points_per_day),
        notes=notes,
    )


@dataclass(frozen=True)
class SmoothingDesign:
    """EWMA multiplier L (or CUSUM interval h) meeting the budget: ``threshold`` adjusted
    for the baseline, ``threshold_known`` for known parameters."""

    threshold: float
    threshold_known: float
    target: float
    arl0_known: float
    coverage: float
    baseline_n: int
    side: str
    points_per_day: float

    @property
    def false_alarms_per_week(self) -> float:
        return false_alarms_per_week(self.arl0_known, self.points_per_day)


def _known_threshold(arl_of, target: float, lo: float, hi: float) -> float:
    """Threshold with ARL = target, by bisection on the log ARL (coarse chains)."""
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if arl_of(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def design_ewma(
    points_per_day: float,
    budget_days: float = DEFAULT_BUDGET_DAYS,
    lam: float = 0.2,
    *,
    side: Side = "both",
    baseline_n: int = 200,
    coverage: float = DEFAULT_COVERAGE,
    replicates: int = 200,
    seed: int = 0,
) -> SmoothingDesign:
    """EWMA L for smoothing constant ``lam`` under the budget (see module docstring)."""
    target = target_arl(points_per_day, budget_days)

    def arl(L: float) -> float:
        return float(ewma_arl(lam, L, side=side, cells=(31, 61)))

    known = _known_threshold(arl, target, 0.5, 8.0)
    draws = baseline_draws(baseline_n, replicates=replicates, seed=seed)
    adjusted = adjusted_ewma_L(target, lam, draws, side=side, coverage=coverage, start=known)
    adjusted = max(adjusted, known)
    return SmoothingDesign(
        adjusted, known, target, arl(adjusted), coverage, baseline_n, side, points_per_day
    )


def design_cusum(
    points_per_day: float,
    budget_days: float = DEFAULT_BUDGET_DAYS,
    k: float = 0.5,
    *,
    side: Side = "both",
    baseline_n: int = 200,
    coverage: float = DEFAULT_COVERAGE,
    replicates: int = 200,
    seed: int = 0,
) -> SmoothingDesign:
    """CUSUM decision interval h for reference ``k`` under the budget."""
    target = target_arl(points_per_day, budget_days)

    def arl(h: float) -> float:
        return float(cusum_arl(k, h, side=side, cells=(31, 61)))

    known = _known_threshold(arl, target, 0.1, 60.0)
    draws = baseline_draws(baseline_n, replicates=replicates, seed=seed)
    adjusted = adjusted_cusum_h(target, k, draws, side=side, coverage=coverage, start=known)
    adjusted = max(adjusted, known)
    return SmoothingDesign(
        adjusted, known, target, arl(adjusted), coverage, baseline_n, side, points_per_day
    )


def lag1_autocorrelation(values) -> float:
    """Lag-1 sample autocorrelation r₁ = Σ(xᵢ−x̄)(xᵢ₊₁−x̄) / Σ(xᵢ−x̄)² (0 for < 3 points
    or a constant series). Independent data give r₁ ≈ 0 ± 2/√n."""
    x = np.asarray(values, dtype=float)
    if x.size < 3:
        return 0.0
    d = x - x.mean()
    denom = float(d @ d)
    if denom == 0:
        return 0.0
    return float(d[:-1] @ d[1:]) / denom


#: r₁ above this makes moving-range σ too small and the limits too tight.
AUTOCORRELATION_WARNING = 0.3


def binomial_upper_tail(n: int, p: float) -> np.ndarray:
    """P(X ≥ c) for c = 0..n, X ~ Bin(n, p), in log space (no underflow for large n)."""
    c = np.arange(n + 1, dtype=float)
    if p <= 0.0:
        return (c == 0).astype(float)
    if p >= 1.0:
        return np.ones(n + 1)
    steps = np.log(n - c[:-1]) - np.log(c[:-1] + 1.0) + np.log(p) - np.log1p(-p)
    log_pmf = n * np.log1p(-p) + np.concatenate([[0.0], np.cumsum(steps)])
    pmf = np.exp(log_pmf - log_pmf.max())
    pmf /= pmf.sum()
    return np.cumsum(pmf[::-1])[::-1]


def proportion_upper_bound(defectives: float, trials: float, coverage: float) -> float:
    """One-sided ``coverage`` upper confidence bound for a proportion (Clopper-Pearson, by
    bisection on the binomial tail): the p̄ a p chart designs for, so that an estimate
    from a short baseline does not leave the limits too tight."""
    n = max(round(trials), 1)
    x = min(max(round(defectives), 0), n)
    if x >= n:
        return 1.0
    lo, hi = x / n, 1.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        # P(X ≤ x | mid) = 1 − P(X ≥ x + 1)
        if 1.0 - binomial_upper_tail(n, mid)[x + 1] > 1.0 - coverage:
            lo = mid
        else:
            hi = mid
    return hi


@dataclass(frozen=True)
class ProportionDesign:
    """p chart under the budget: flag a subgroup of ``typical_n`` calls with ``count`` or
    more failures (``k``: the same threshold as a multiplier of σ/√n about p̄)."""

    k: float
    count: int
    p_design: float
    target: float
    arl0: float
    points_per_day: float

    @property
    def false_alarms_per_week(self) -> float:
        return false_alarms_per_week(self.arl0, self.points_per_day)


def design_p(
    points_per_day: float,
    budget_days: float,
    p_bar: float,
    baseline_trials: float,
    typical_n: float,
    *,
    coverage: float = DEFAULT_COVERAGE,
) -> ProportionDesign:
    """Upper limit of a p chart under the budget, from the exact binomial tail.

    Error counts in small subgroups are far from normal (a probe's 6 calls a minute with
    p̄ = 0.5 % make any single failure a "3σ" point), so the limit is the smallest count c
    with P(X ≥ c) ≤ 1/target for X ~ Bin(n, p_u), n the typical subgroup size and p_u the
    ``coverage`` upper confidence bound of p̄ from the baseline's trials (this bound plays
    the role of the bootstrap adjustment: the budget holds with that probability). The
    chart judges with k = ((c − ½)/n − p̄)/(σ/√n), σ = √(p̄(1 − p̄)), which puts the limit
    between c − 1 and c failures at the typical size. Only the upper side (more errors).
    """
    target = target_arl(points_per_day, budget_days)
    n = max(round(typical_n), 1)
    p_u = proportion_upper_bound(p_bar * baseline_trials, baseline_trials, coverage)
    tail = binomial_upper_tail(n, p_u)
    allowed = 1.0 / target
    counts = np.flatnonzero(tail <= allowed)
    count = int(counts[0]) if counts.size else n + 1
    sigma = float(np.sqrt(max(p_bar * (1.0 - p_bar), 1e-12)) / np.sqrt(n))
    k = ((count - 0.5) / n - p_bar) / sigma
    alarm = float(binomial_upper_tail(n, p_bar)[count]) if count <= n else 0.0
    arl0 = 1.0 / alarm if alarm > 0 else float("inf")
    return ProportionDesign(
        k=float(max(k, 1.0)),
        count=count,
        p_design=p_u,
        target=target,
        arl0=arl0,
        points_per_day=float(points_per_day),
    )
