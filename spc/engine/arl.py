"""Average run lengths (ARL) by Markov chains: Shewhart with zone run rules, EWMA, CUSUM.

Every function here answers "how many points, on average, until the chart signals" for
normal data, and vectorises over scenarios: ``mean`` and ``sd`` may be arrays (broadcast
together) and one ARL is returned per scenario, with no Python loop over scenarios or over
Markov states (the transition matrices of all scenarios are built with array operations and
solved together with one batched ``numpy.linalg.solve``).

Scenario convention. The chart standardises each point with its *estimated* centre and σ,
u = (x − μ̂)/σ̂, and compares u with its thresholds. When the data are N(μ + δσ, σ²), u is
normal with

    mean = (μ − μ̂)/σ̂ + δ·σ/σ̂,   sd = σ/σ̂.

Known parameters and a shift of δ σ: ``mean=δ, sd=1``. The bootstrap adjustment of
:mod:`spc.engine.adjust` passes one (mean, sd) pair per bootstrap baseline.

Methods and references:

- Shewhart with run rules: the exact embedded Markov chain of Champ & Woodall (1987),
  "Exact results for Shewhart control charts with supplementary runs rules",
  Technometrics 29, 393-399. The state is what the rules still need to remember (the signed
  run length for rule 2, the last K zone classes for rules 5 and 6); the reachable states
  are enumerated once per rule set (cached) and merged by Moore's partition refinement into
  the minimal chain. Zone rules handled exactly: Nelson 1 (beyond kσ), 2 (K in a row on one
  side), 5 (K of K+1 beyond 2σ), 6 (K of K+1 beyond 1σ). History before the first point
  counts as "inside every zone" (a window may complete with fewer than K+1 points).
- EWMA: Brook & Evans (1972) Markov chain as used by Lucas & Saccucci (1990), "Exponentially
  weighted moving average control schemes: properties and enhancements", Technometrics 32,
  1-12: asymptotic limits ±L·√(λ/(2−λ)), the in-control region cut into m cells, the chain
  started in the middle cell; m = 101 and 201 are combined by Richardson extrapolation
  (the discretisation error falls as 1/m²).
- CUSUM: Brook & Evans (1972), "An approach to the probability distribution of cusum run
  length", Biometrika 59, 539-549, for each one-sided CUSUM (state 0 is "C = 0"), with the
  same extrapolation; two-sided schemes combine the sides as 1/ARL = 1/ARL⁺ + 1/ARL⁻
  (Lucas & Crosier 1982; exact in control, a close approximation otherwise).

Sides. ``side="both"`` judges both directions; ``"upper"`` signals only on high values
(rules count only points above the centre line); ``"lower"`` only on low values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from math import erf, sqrt
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .rules import NELSON_DEFAULTS

Side = Literal["both", "upper", "lower"]
SIDES = ("both", "upper", "lower")
#: Nelson rules whose run length is computed exactly by the zone Markov chain.
ZONE_RULES = (1, 2, 5, 6)

_SQRT2 = np.sqrt(2.0)


def norm_cdf(x: ArrayLike) -> np.ndarray:
    """Standard normal distribution function, vectorised (no SciPy dependency)."""
    from numpy import asarray

    x = asarray(x, dtype=float)
    return 0.5 * _erfc(-x / _SQRT2)


def _erfc(x: np.ndarray) -> np.ndarray:
    # numpy has no erfc; math.erfc per element is too slow for matrices, so use the
    # Chebyshev fit of Numerical Recipes (erfc, relative error < 1.2e-7), accurate beyond
    # the printed digits of every table this module is checked against.
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = (
        -z * z
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t
                        * (
                            0.27886807
                            + t
                            * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    r = t * np.exp(poly)
    return np.where(x >= 0, r, 2.0 - r)


def norm_cdf_exact(x: float) -> float:
    """Φ(x) for one number, to double precision (math.erf)."""
    return 0.5 * (1.0 + erf(x / sqrt(2.0)))


def norm_ppf(p: float) -> float:
    """Φ⁻¹(p) for one probability, by bisection on :func:`norm_cdf_exact` (60 steps)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    lo, hi = -40.0, 40.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if norm_cdf_exact(mid) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _check_side(side: str) -> str:
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    return side


def _scenarios(mean: ArrayLike, sd: ArrayLike) -> tuple[np.ndarray, np.ndarray, tuple]:
    a, b = np.broadcast_arrays(np.asarray(mean, dtype=float), np.asarray(sd, dtype=float))
    if np.any(b <= 0) or not np.all(np.isfinite(a)) or not np.all(np.isfinite(b)):
        raise ValueError("mean must be finite and sd > 0")
    return a.ravel(), b.ravel(), a.shape


def _solve_arl(P: np.ndarray, start: int) -> np.ndarray:
    """ARL from the start state for a batch of sub-stochastic matrices P (B × S × S)."""
    S = P.shape[-1]
    A = np.eye(S) - P
    ones = np.ones((*P.shape[:-1], 1))
    try:
        return np.linalg.solve(A, ones)[..., start, 0]
    except np.linalg.LinAlgError:  # a chain that (numerically) never signals
        return np.full(P.shape[0], np.inf)


def _shape_out(values: np.ndarray, shape: tuple):
    return float(values[0]) if shape == () else values.reshape(shape)


# --- Shewhart with zone run rules ----------------------------------------------------------

# Regions of u: 0: < −k, 1: [−k, −2), 2: [−2, −1), 3: [−1, 0), 4: [0, 1), 5: [1, 2),
# 6: [2, k), 7: ≥ k.
_SIDE = np.array([-1, -1, -1, -1, 1, 1, 1, 1])
_BEYOND2 = np.array([-1, -1, 0, 0, 0, 0, 1, 1])
_BEYOND1 = np.array([-1, -1, -1, 0, 0, 1, 1, 1])
_ALARM = -1


def _zone_params(rules: Iterable[int], params: Mapping[int, float] | None) -> tuple:
    chosen = tuple(sorted(set(rules)))
    for r in chosen:
        if r not in ZONE_RULES:
            raise ValueError(
                f"rule {r} has no zone Markov chain; exact ARLs cover rules {ZONE_RULES}"
            )
    merged = {r: int(v) for r, v in NELSON_DEFAULTS.items() if r != 1}
    for r, v in (params or {}).items():
        if int(r) != 1:
            merged[int(r)] = int(v)
    return chosen, merged.get(2, 9), merged.get(5, 2), merged.get(6, 4)


@lru_cache(maxsize=64)
def zone_chain(rules: tuple[int, ...], k2: int, k5: int, k6: int, side: str) -> tuple:
    """The minimal embedded chain of a zone rule set: ``(next_state, start)``.

    ``next_state[s, r]`` is the state after a point in region r (``-1``: the chart signals).
    Built once per (rule set, K's, side) by enumerating the reachable rule memories, then
    merged by partition refinement (equivalent states have identical futures).
    """
    up = side in ("both", "upper")
    down = side in ("both", "lower")

    def judged(sign: int) -> bool:
        return (sign > 0 and up) or (sign < 0 and down)

    def keep(sign: int) -> int:
        return sign if judged(sign) else 0

    use2, use5, use6 = 2 in rules, 5 in rules, 6 in rules
    start = (0, (0,) * (k5 if use5 else 0), (0,) * (k6 if use6 else 0))
    index = {start: 0}
    states = [start]
    table: list[list[int]] = []
    i = 0
    while i < len(states):  # one pass per reachable state, once per rule set (cached)
        run, w5, w6 = states[i]
        row = []
        for region in range(8):
            side_r = int(_SIDE[region])
            alarm = 1 in rules and ((region == 7 and judged(1)) or (region == 0 and judged(-1)))
            new_run = 0
            if use2:
                new_run = run + side_r if run * side_r > 0 else side_r
                new_run = keep(new_run)
                alarm |= abs(new_run) >= k2
            n5 = w5
            if use5:
                c = keep(int(_BEYOND2[region]))
                window = (*w5, c)
                alarm |= c != 0 and window.count(c) >= k5
                n5 = window[1:]
            n6 = w6
            if use6:
                c = keep(int(_BEYOND1[region]))
                window = (*w6, c)
                alarm |= c != 0 and window.count(c) >= k6
                n6 = window[1:]
            if alarm:
                row.append(_ALARM)
                continue
            nxt = (new_run, n5, n6)
            if nxt not in index:
                index[nxt] = len(states)
                states.append(nxt)
            row.append(index[nxt])
        table.append(row)
        i += 1
    nxt = np.array(table, dtype=np.int64)
    return _minimise(nxt, 0)


def _minimise(nxt: np.ndarray, start: int) -> tuple[np.ndarray, int]:
    """Moore's partition refinement: merge states whose futures are identical."""
    cls = np.zeros(nxt.shape[0], dtype=np.int64)
    count = 1
    while True:
        mapped = np.where(nxt >= 0, cls[np.maximum(nxt, 0)], -1)
        sig = np.column_stack([cls, mapped])
        _, new_cls = np.unique(sig, axis=0, return_inverse=True)
        new_cls = new_cls.ravel()
        new_count = int(new_cls.max()) + 1
        cls = new_cls
        if new_count == count:
            break
        count = new_count
    reduced = np.full((count, nxt.shape[1]), _ALARM, dtype=np.int64)
    reduced[cls] = np.where(nxt >= 0, cls[np.maximum(nxt, 0)], _ALARM)
    return reduced, int(cls[start])


def _region_probs(k: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cuts = np.array([-k, -2.0, -1.0, 0.0, 1.0, 2.0, k])
    cuts = np.maximum.accumulate(np.clip(cuts, -k, k))  # k ≤ 2 collapses the outer zones
    cdf = norm_cdf((cuts[None, :] - a[:, None]) / b[:, None])
    edges = np.concatenate([np.zeros((a.size, 1)), cdf, np.ones((a.size, 1))], axis=1)
    return np.clip(np.diff(edges, axis=1), 0.0, 1.0)


def shewhart_arl(
    k: float = 3.0,
    rules: Iterable[int] = (1,),
    params: Mapping[int, float] | None = None,
    *,
    mean: ArrayLike = 0.0,
    sd: ArrayLike = 1.0,
    side: Side = "both",
):
    """ARL of a Shewhart chart with limits at ±kσ and Nelson zone rules (1, 2, 5, 6).

    ``params`` overrides K as in :func:`spc.engine.nelson_rules`; zone lines are at ±1σ,
    ±2σ whatever k is. Returns a float, or an array shaped like ``mean``/``sd`` broadcast.
    A rule set without rule 1 is allowed (the run rules alone).
    Example: ``shewhart_arl(3.0)`` = 370.398 (1 / 0.0026998).
    """
    side = _check_side(side)
    k = float(k)
    if not k > 0:
        raise ValueError(f"k must be > 0, got {k}")
    chosen, k2, k5, k6 = _zone_params(rules, params)
    if not chosen:
        raise ValueError("at least one rule is needed")
    nxt, start = zone_chain(chosen, k2, k5, k6, side)
    a, b, shape = _scenarios(mean, sd)
    probs = _region_probs(k, a, b)  # (B, 8)
    if chosen == (1,):  # no memory: geometric run length
        alarm = probs[:, 7] * (side != "lower") + probs[:, 0] * (side != "upper")
        with np.errstate(divide="ignore"):
            return _shape_out(1.0 / alarm, shape)
    S = nxt.shape[0]
    onehot = np.zeros((S, 8, S))
    rows, regions = np.nonzero(nxt >= 0)
    onehot[rows, regions, nxt[rows, regions]] = 1.0
    P = np.einsum("br,irj->bij", probs, onehot)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _solve_arl(P, start)
    out = np.where(np.isfinite(out) & (out > 0), out, np.inf)
    return _shape_out(out, shape)


def run_rule_rate(rule: int, params: Mapping[int, float] | None = None) -> float:
    """In-control per-point flag probability of a non-zone Nelson rule (3, 4, 7, 8).

    Trend (3) and alternation (4) are distribution-free for independent continuous data
    (2/K! and 2·A_K/K!, A the Euler zigzag numbers); 7 and 8 are for normal data. Flags of a
    run cluster, so 1/rate understates the ARL: using the rate is conservative.
    """
    merged = dict(NELSON_DEFAULTS)
    merged.update({int(r): v for r, v in (params or {}).items()})
    K = int(merged[rule])
    if rule == 3:
        from math import factorial

        return 2.0 / factorial(K)
    if rule == 4:
        from math import factorial

        return 2.0 * _zigzag(K) / factorial(K)
    p_in = norm_cdf_exact(1.0) - norm_cdf_exact(-1.0)
    if rule == 7:
        return p_in**K
    if rule == 8:
        return (1.0 - p_in) ** K
    raise ValueError(f"rule {rule} is a zone rule; use shewhart_arl")


def _zigzag(n: int) -> int:
    row = [1]
    for _ in range(n):
        nxt = [0]
        for v in reversed(row):
            nxt.append(nxt[-1] + v)
        row = nxt
    return row[-1]


# --- EWMA ----------------------------------------------------------------------------------


def _ewma_chain_arl(lam: float, h: float, a, b, m: int, side: str) -> np.ndarray:
    sz = np.sqrt(lam / (2.0 - lam))
    if side == "both":
        lo, hi = -h, h
    elif side == "upper":
        lo, hi = -h - 6.0 * sz, h  # below: no limit; far cells are lumped into the last
    else:
        lo, hi = -h, h + 6.0 * sz
    w = (hi - lo) / m
    centres = lo + (np.arange(m) + 0.5) * w
    edges = lo + np.arange(m + 1) * w
    # u needed to move from centre i into edge e: (e − (1−λ)cᵢ)/λ
    thresholds = (edges[None, :] - (1.0 - lam) * centres[:, None]) / lam  # (m, m+1)
    cdf = norm_cdf((thresholds[None] - a[:, None, None]) / b[:, None, None])  # (B, m, m+1)
    if side == "upper":
        cdf[..., 0] = 0.0  # the lowest cell absorbs everything below it
    elif side == "lower":
        cdf[..., -1] = 1.0
    P = np.diff(cdf, axis=-1)
    start = int(np.argmin(np.abs(centres)))
    return _solve_arl(P, start)


#: Cells of the two Brook-Evans chains combined by Richardson extrapolation. (101, 201)
#: reproduces the published tables; design searches use coarser chains first.
CELLS = (101, 201)


def _richardson(fn, cells: tuple[int, int] = CELLS) -> np.ndarray:
    m1, m2 = cells
    a1, a2 = fn(m1), fn(m2)
    return (m2**2 * a2 - m1**2 * a1) / (m2**2 - m1**2)


def ewma_arl(
    lam: float,
    L: float,
    *,
    mean: ArrayLike = 0.0,
    sd: ArrayLike = 1.0,
    side: Side = "both",
    cells: tuple[int, int] = CELLS,
):
    """Zero-state ARL of an EWMA chart with asymptotic limits ±L·σ·√(λ/(2−λ)).

    z₀ = 0 (the target), zᵢ = λuᵢ + (1−λ)zᵢ₋₁. Brook-Evans chain (Lucas & Saccucci 1990),
    Richardson-extrapolated over 101 and 201 cells. Example: λ = 0.1, L = 2.814 gives an
    in-control ARL of 500 (Lucas & Saccucci's design table).
    """
    side = _check_side(side)
    lam, L = float(lam), float(L)
    if not 0.0 < lam <= 1.0 or not L > 0:
        raise ValueError("need 0 < lam <= 1 and L > 0")
    a, b, shape = _scenarios(mean, sd)
    h = L * np.sqrt(lam / (2.0 - lam))
    out = _richardson(lambda m: _ewma_chain_arl(lam, h, a, b, m, side), cells)
    return _shape_out(out, shape)


# --- CUSUM ---------------------------------------------------------------------------------


def _cusum_upper_arl(k: float, h: float, a, b, m: int) -> np.ndarray:
    w = 2.0 * h / (2 * m - 1)
    i = np.arange(m)
    # the step from state i to j depends on j − i only: evaluate Φ once per difference
    d = np.arange(-(m - 1), m)
    cu_d = norm_cdf(((d + 0.5) * w + k - a[:, None]) / b[:, None])  # (B, 2m − 1)
    cl_d = norm_cdf(((d - 0.5) * w + k - a[:, None]) / b[:, None])
    diff = i[None, :] - i[:, None] + (m - 1)
    P = cu_d[:, diff] - cl_d[:, diff]
    P[:, :, 0] = cu_d[:, diff[:, 0]]  # state 0 collects every step that ends at or below 0
    return _solve_arl(P, 0)


def cusum_arl(
    k: float,
    h: float,
    *,
    mean: ArrayLike = 0.0,
    sd: ArrayLike = 1.0,
    side: Side = "both",
    cells: tuple[int, int] = CELLS,
):
    """Zero-state ARL of the tabular CUSUM with reference k and decision interval h (σ units).

    One-sided by Brook & Evans (1972), Richardson-extrapolated over 101 and 201 states;
    ``side="both"``: 1/ARL = 1/ARL⁺ + 1/ARL⁻. Example (Montgomery, Table 9.3): k = 0.5,
    h = 4 gives 168 in control, h = 5 gives 465.
    """
    side = _check_side(side)
    k, h = float(k), float(h)
    if k < 0 or not h > 0:
        raise ValueError("need k >= 0 and h > 0")
    a, b, shape = _scenarios(mean, sd)
    up = dn = None
    if side in ("both", "upper"):
        up = _richardson(lambda m: _cusum_upper_arl(k, h, a, b, m), cells)
    if side in ("both", "lower"):
        dn = _richardson(lambda m: _cusum_upper_arl(k, h, -a, b, m), cells)
    if up is None:
        out = dn
    elif dn is None:
        out = up
    else:
        out = 1.0 / (1.0 / up + 1.0 / dn)
    return _shape_out(out, shape)
