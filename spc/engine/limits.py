"""Shewhart control limits: individuals, X̄-R, X̄-S and p charts.

Conventions common to every chart here:

- Limits are ``centre ± k·σ_statistic`` with k = 3 by default; ``sigma`` in each result is the
  standard deviation *of the plotted statistic* (σ for individuals, σ/√n for X̄, σ_R for R …),
  so ``nelson_rules(statistic, lim.center, lim.sigma)`` draws the right zones.
- The process σ is estimated from within-subgroup variation, never from the overall standard
  deviation: MR̄/d2(2) for individuals, R̄/d2(n) or s̄/c4(n) for subgroups, with the tabled
  constants of :mod:`spc.engine.constants`.
- Fewer than two baseline points (or subgroups) raise ``ValueError``; a baseline whose σ
  estimate is zero raises :class:`ZeroVariationError` (a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ._validation import FloatArray, ZeroVariationError, as_series
from .constants import D2_SPAN_2, MEDIAN_MR_CONSTANT, constants_for

Number = float | FloatArray


@dataclass(frozen=True)
class Limits:
    """Centre line, σ of the plotted statistic, and the control limits of one chart.

    Each field is a float, or a 1-D array with one entry per point when the limits vary from
    point to point (p chart with varying subgroup sizes, X̄-S with varying sizes).
    """

    center: Number
    sigma: Number
    ucl: Number
    lcl: Number


@dataclass(frozen=True)
class XbarRLimits:
    """X̄-R chart: ``xbar`` zones use σ/√n; ``r`` uses the tabled D3, D4 (for k = 3).

    ``sigma`` is the process σ estimate R̄/d2(n); ``means`` and ``ranges`` are the per-subgroup
    statistics to plot.
    """

    xbar: Limits
    r: Limits
    sigma: float
    n: int
    means: FloatArray
    ranges: FloatArray


@dataclass(frozen=True)
class XbarSLimits:
    """X̄-S chart: ``xbar`` zones use σ/√nᵢ; ``s`` uses the tabled B3, B4 (for k = 3).

    ``sigma`` is the process σ estimate s̄/c4 (per subgroup when sizes vary); ``sizes``,
    ``means`` and ``stds`` are per subgroup. With varying sizes every field of ``xbar`` and
    ``s`` except ``center`` is an array with one entry per subgroup.
    """

    xbar: Limits
    s: Limits
    sigma: Number
    sizes: np.ndarray
    means: FloatArray
    stds: FloatArray


@dataclass(frozen=True)
class PLimits:
    """p chart: ``center`` = p̄ = Σ defectives / Σ sizes; per-point σᵢ = √(p̄(1−p̄)/nᵢ).

    ``ucl`` and ``lcl`` are per point; the LCL is floored at 0 (the UCL is not capped, a
    proportion can never exceed it once it passes 1). ``proportions`` are the plotted pᵢ.
    """

    center: float
    sigma: FloatArray
    ucl: FloatArray
    lcl: FloatArray
    proportions: FloatArray


def _check_k(k: float) -> float:
    k = float(k)
    if not np.isfinite(k) or k <= 0:
        raise ValueError(f"k (the sigma multiplier) must be a positive number, got {k!r}")
    return k


def individuals_limits(
    values: ArrayLike,
    method: Literal["average_mr", "median_mr"] = "average_mr",
    k: float = 3.0,
) -> Limits:
    """Individuals (X) chart limits from moving ranges of span 2.

    - ``center`` = arithmetic mean of the values.
    - ``method="average_mr"``: σ = MR̄ / 1.128 (the tabled d2(2)), MRᵢ = |xᵢ − xᵢ₋₁|.
    - ``method="median_mr"``: σ = median(MR) / 0.954, robust to a few wild moving ranges.
    - ``ucl``/``lcl`` = center ± k·σ.

    Raises ``ValueError`` for fewer than 2 values or non-finite input, and
    :class:`ZeroVariationError` when the σ estimate is 0 (a constant baseline; with
    ``median_mr`` also a baseline where most consecutive values repeat).
    """
    x = as_series(values)
    k = _check_k(k)
    if x.size < 2:
        raise ValueError(f"an individuals baseline needs at least 2 values, got {x.size}")
    mr = np.abs(np.diff(x))
    if method == "average_mr":
        sigma = float(mr.mean()) / D2_SPAN_2
    elif method == "median_mr":
        sigma = float(np.median(mr)) / MEDIAN_MR_CONSTANT
    else:
        raise ValueError(f"method must be 'average_mr' or 'median_mr', got {method!r}")
    if not sigma > 0:
        raise ZeroVariationError(
            f"the baseline has no variation ({method}: the moving ranges give sigma = 0); "
            "control limits would be meaningless"
        )
    center = float(x.mean())
    return Limits(center=center, sigma=sigma, ucl=center + k * sigma, lcl=center - k * sigma)


def _subgroup_matrix(subgroups: ArrayLike) -> FloatArray:
    try:
        arr = np.asarray(subgroups, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"subgroups must be a numeric 2-D array (k × n): {exc}") from None
    if arr.ndim != 2:
        raise ValueError(f"subgroups must be a 2-D array (k × n), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("subgroups must be finite (NaN and inf are refused)")
    if arr.shape[0] < 2:
        raise ValueError(f"a subgroup baseline needs at least 2 subgroups, got {arr.shape[0]}")
    constants_for(arr.shape[1])
    return arr


def xbar_r_limits(subgroups: ArrayLike, k: float = 3.0) -> XbarRLimits:
    """X̄-R chart limits from a 2-D array of k subgroups × n observations (2 ≤ n ≤ 25).

    - X̄ chart: center = x̿ (grand mean), σ_X̄ = R̄/(d2·√n), limits x̿ ± k·σ_X̄
      (for k = 3 this is x̿ ± A2·R̄ computed with the unrounded 3/(d2·√n)).
    - R chart: center = R̄; for k = 3 the limits are the tabled D3·R̄ and D4·R̄; for another k,
      R̄ ± k·d3·R̄/d2 with the LCL floored at 0. Its ``sigma`` is d3·R̄/d2.
    """
    x = _subgroup_matrix(subgroups)
    k = _check_k(k)
    n = x.shape[1]
    c = constants_for(n)
    means = x.mean(axis=1)
    ranges = x.max(axis=1) - x.min(axis=1)
    rbar = float(ranges.mean())
    sigma = rbar / c.d2
    if not sigma > 0:
        raise ZeroVariationError(
            "every subgroup has zero range; control limits would be meaningless"
        )
    center = float(means.mean())
    s_xbar = sigma / np.sqrt(n)
    xbar = Limits(center, s_xbar, center + k * s_xbar, center - k * s_xbar)
    s_r = c.d3 * sigma
    if k == 3.0:
        r_ucl, r_lcl = c.D4 * rbar, c.D3 * rbar
    else:
        r_ucl, r_lcl = rbar + k * s_r, max(0.0, rbar - k * s_r)
    r = Limits(rbar, s_r, r_ucl, r_lcl)
    return XbarRLimits(xbar=xbar, r=r, sigma=sigma, n=n, means=means, ranges=ranges)


def _subgroup_list(subgroups: ArrayLike | Sequence[ArrayLike]) -> list[FloatArray]:
    if isinstance(subgroups, np.ndarray):
        if subgroups.ndim != 2:
            raise ValueError(
                f"subgroups must be a 2-D array (k × n) or a list of 1-D arrays, "
                f"got shape {subgroups.shape}"
            )
        items: Sequence[ArrayLike] = list(subgroups)
    else:
        items = list(subgroups)
    if any(np.ndim(g) != 1 for g in items):
        raise ValueError("subgroups must be a 2-D array (k × n) or a list of 1-D arrays")
    groups = [as_series(g, name=f"subgroup {i}") for i, g in enumerate(items)]
    if len(groups) < 2:
        raise ValueError(f"a subgroup baseline needs at least 2 subgroups, got {len(groups)}")
    return groups


def xbar_s_limits(subgroups: ArrayLike | Sequence[ArrayLike], k: float = 3.0) -> XbarSLimits:
    """X̄-S chart limits from a 2-D array (k × n) or a list of 1-D subgroups of varying size.

    sᵢ is the sample standard deviation (divisor nᵢ − 1); every nᵢ must be 2 … 25.

    - Equal sizes: x̿ = mean of the subgroup means, s̄ = mean of the sᵢ, σ = s̄/c4(n).
    - Varying sizes (Montgomery §6.3.2): x̿ = Σnᵢx̄ᵢ / Σnᵢ and
      s̄ = √(Σ(nᵢ−1)sᵢ² / Σ(nᵢ−1)); per subgroup σᵢ = s̄/c4(nᵢ).
    - X̄ chart: σ_X̄ᵢ = σᵢ/√nᵢ, limits x̿ ± k·σ_X̄ᵢ (= x̿ ± A3(nᵢ)·s̄ for k = 3).
    - S chart: center s̄; for k = 3 the tabled B3(nᵢ)·s̄ and B4(nᵢ)·s̄; otherwise
      s̄ ± k·s̄·√(1−c4²)/c4 floored at 0. Its ``sigma`` is σᵢ·√(1−c4(nᵢ)²).
    """
    k = _check_k(k)
    groups = _subgroup_list(subgroups)
    sizes = np.array([g.size for g in groups])
    for n_i in np.unique(sizes):
        constants_for(int(n_i))
    equal = bool((sizes == sizes[0]).all())
    if equal:
        x = np.vstack(groups)
        means = x.mean(axis=1)
        stds = x.std(axis=1, ddof=1)
        center = float(means.mean())
        sbar = float(stds.mean())
    else:
        means = np.array([g.mean() for g in groups])
        stds = np.array([g.std(ddof=1) for g in groups])
        center = float((sizes * means).sum() / sizes.sum())
        sbar = float(np.sqrt(((sizes - 1) * stds**2).sum() / (sizes - 1).sum()))
    if not sbar > 0:
        raise ZeroVariationError(
            "every subgroup has zero spread; control limits would be meaningless"
        )
    table = [constants_for(int(n_i)) for n_i in (sizes[:1] if equal else sizes)]
    c4 = np.array([c.c4 for c in table])
    b3 = np.array([c.B3 for c in table])
    b4 = np.array([c.B4 for c in table])
    sigma = sbar / c4
    s_xbar = sigma / np.sqrt(sizes[:1] if equal else sizes)
    s_s = sigma * np.sqrt(1.0 - c4**2)
    if k == 3.0:
        s_ucl, s_lcl = b4 * sbar, b3 * sbar
    else:
        s_ucl, s_lcl = sbar + k * s_s, np.maximum(0.0, sbar - k * s_s)

    def out(a: FloatArray) -> Number:
        return float(a[0]) if equal else a

    xbar = Limits(center, out(s_xbar), out(center + k * s_xbar), out(center - k * s_xbar))
    s = Limits(sbar, out(s_s), out(s_ucl), out(s_lcl))
    return XbarSLimits(xbar=xbar, s=s, sigma=out(sigma), sizes=sizes, means=means, stds=stds)


def p_limits(defectives: ArrayLike, sizes: ArrayLike, k: float = 3.0) -> PLimits:
    """p chart limits for defectives dᵢ out of nᵢ per subgroup (sizes may vary).

    p̄ = Σdᵢ / Σnᵢ, σᵢ = √(p̄(1−p̄)/nᵢ), UCLᵢ = p̄ + k·σᵢ, LCLᵢ = max(0, p̄ − k·σᵢ).
    Pass ``center=lim.center, sigma=lim.sigma`` to :func:`nelson_rules` for the zone tests.

    Raises ``ValueError`` for mismatched lengths, sizes ≤ 0, dᵢ < 0 or dᵢ > nᵢ, fewer than 2
    subgroups; :class:`ZeroVariationError` when p̄ is 0 or 1 (no defective, or all defective,
    in the baseline: σ would be 0).
    """
    d = as_series(defectives, name="defectives")
    n = as_series(sizes, name="sizes")
    k = _check_k(k)
    if d.size != n.size:
        raise ValueError(f"defectives ({d.size}) and sizes ({n.size}) must have the same length")
    if d.size < 2:
        raise ValueError(f"a p-chart baseline needs at least 2 subgroups, got {d.size}")
    if np.any(n <= 0):
        raise ValueError("every subgroup size must be > 0")
    if np.any(d < 0) or np.any(d > n):
        raise ValueError("defectives must satisfy 0 <= defectives <= sizes")
    pbar = float(d.sum() / n.sum())
    if pbar <= 0.0 or pbar >= 1.0:
        raise ZeroVariationError(
            f"p-bar is {pbar}: a baseline with no (or only) defectives has sigma = 0"
        )
    sigma = np.sqrt(pbar * (1.0 - pbar) / n)
    return PLimits(
        center=pbar,
        sigma=sigma,
        ucl=pbar + k * sigma,
        lcl=np.maximum(0.0, pbar - k * sigma),
        proportions=d / n,
    )


def c4(n: ArrayLike) -> FloatArray:
    """The bias constant c4(n) of the sample standard deviation, for any n ≥ 2.

    Tabled values for n ≤ 25; above, the standard approximation 4(n−1)/(4n−3), whose
    relative error is below 2·10⁻⁵ at n = 26 and falls as 1/n².
    """
    sizes = np.asarray(n, dtype=float)
    if np.any(sizes < 2) or np.any(sizes != np.floor(sizes)):
        raise ValueError("c4 needs whole subgroup sizes of at least 2")
    small = np.minimum(sizes, 25).astype(int)
    tabled = np.array([constants_for(int(i)).c4 for i in range(2, 26)])[small - 2]
    return np.where(sizes <= 25, tabled, 4.0 * (sizes - 1.0) / (4.0 * sizes - 3.0))


def xbar_s_limits_from_summaries(
    means: ArrayLike, stds: ArrayLike, sizes: ArrayLike, k: float = 3.0
) -> Limits:
    """X̄ chart limits from per-subgroup summaries (mean, sample std, size), any sizes ≥ 2.

    For high-volume series whose subgroups hold thousands of values that are aggregated in
    the database rather than fetched. Same conventions as :func:`xbar_s_limits` with varying
    sizes (Montgomery §6.3.2): x̿ = Σnᵢx̄ᵢ / Σnᵢ, pooled s̄ = √(Σ(nᵢ−1)sᵢ² / Σ(nᵢ−1)); the
    returned ``sigma`` is the *process* σ = s̄/c4(n̄) at the mean size n̄ (rounded), so the X̄
    zones of subgroup i are at σ/√nᵢ (c4 differs from 1 by under 1% beyond n = 25, so one σ
    serves every size). ``ucl``/``lcl`` are given at n̄.
    """
    m = as_series(means, name="means")
    s = as_series(stds, name="stds")
    n = as_series(sizes, name="sizes")
    k = _check_k(k)
    if not (m.size == s.size == n.size):
        raise ValueError("means, stds and sizes must have the same length")
    if m.size < 2:
        raise ValueError(f"a subgroup baseline needs at least 2 subgroups, got {m.size}")
    if np.any(n < 2) or np.any(s < 0):
        raise ValueError("every subgroup needs a size of at least 2 and a std >= 0")
    center = float((n * m).sum() / n.sum())
    sbar = float(np.sqrt(((n - 1) * s**2).sum() / (n - 1).sum()))
    if not sbar > 0:
        raise ZeroVariationError("every subgroup has zero spread; limits would be meaningless")
    typical = float(np.round(n.mean()))
    sigma = sbar / float(c4(typical))
    half = k * sigma / np.sqrt(typical)
    return Limits(center, sigma, center + half, center - half)
