"""EWMA and tabular CUSUM charts for small sustained shifts.

Both take a known (or baseline-estimated) ``target`` μ₀ and process ``sigma`` σ; both are
computed without a Python loop over points (blocks of points are solved in closed form, and
only the block boundaries are visited in Python).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._validation import BoolArray, FloatArray, as_series, check_positive_sigma

# Points solved at once in closed form. Small enough that the weights (1 − λ)^m stay well
# inside float range and a block costs a (B × B) matrix product; large enough that the loop
# over blocks is short.
_EWMA_BLOCK = 128
_CUSUM_BLOCK = 4096


@dataclass(frozen=True)
class EwmaResult:
    """EWMA chart: ``statistic`` zᵢ, exact time-varying ``ucl``/``lcl``, ``flags``.

    ``center`` is the target μ₀. Flags are strict: zᵢ > UCLᵢ or zᵢ < LCLᵢ.
    """

    center: float
    statistic: FloatArray
    ucl: FloatArray
    lcl: FloatArray
    flags: BoolArray


@dataclass(frozen=True)
class CusumResult:
    """Tabular CUSUM: ``upper`` C⁺ᵢ, ``lower`` C⁻ᵢ (both ≥ 0), decision interval, ``flags``.

    ``decision_interval`` is H = h·σ; flags are strict: C⁺ᵢ > H or C⁻ᵢ > H.
    """

    upper: FloatArray
    lower: FloatArray
    decision_interval: float
    flags: BoolArray


def _check_scalar(value: float, name: str) -> float:
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def _ewma_recursion(x: FloatArray, lam: float, z0: float) -> FloatArray:
    """zᵢ = λxᵢ + (1 − λ)zᵢ₋₁, solved block by block in closed form.

    Inside a block starting after state z: z_{m} = (1−λ)^{m+1}·z + λ·Σ_{j≤m} (1−λ)^{m−j}·x_j.
    """
    n = x.size
    out = np.empty(n)
    if n == 0:
        return out
    b = min(_EWMA_BLOCK, n)
    a = 1.0 - lam
    m = np.arange(b)
    expo = m[:, None] - m[None, :]
    weights = np.where(expo >= 0, a ** np.maximum(expo, 0), 0.0) * lam  # (b, b) lower-tri
    carry = a ** (m + 1)
    full = (n // b) * b
    if full:
        blocks = x[:full].reshape(-1, b) @ weights.T  # each row: the block without the carry
        z = z0
        # one Python step per block of b points, to carry the state across blocks
        for i in range(blocks.shape[0]):
            blocks[i] += carry * z
            z = blocks[i, -1]
        out[:full] = blocks.ravel()
        z0 = z
    if full < n:
        r = n - full
        out[full:] = weights[:r, :r] @ x[full:] + carry[:r] * z0
    return out


def ewma(
    values: ArrayLike,
    target: float,
    sigma: float,
    lam: float = 0.2,
    L: float = 3.0,
) -> EwmaResult:
    """Exponentially weighted moving average chart (Roberts 1959; Montgomery §9.2).

    - z₀ = target; zᵢ = λ·xᵢ + (1 − λ)·zᵢ₋₁ for i = 1 … n.
    - Exact limits: target ± L·σ·√(λ/(2 − λ)·(1 − (1 − λ)^{2i})), narrower at the start and
      tending to the asymptotic target ± L·σ·√(λ/(2 − λ)).
    - ``flags``: zᵢ strictly outside its limits. 0 < λ ≤ 1 (λ = 1 is a Shewhart chart).
    """
    x = as_series(values)
    target = _check_scalar(target, "target")
    sigma = _check_scalar(sigma, "sigma")
    check_positive_sigma(sigma)
    lam = _check_scalar(lam, "lam")
    L = _check_scalar(L, "L")
    if not 0.0 < lam <= 1.0:
        raise ValueError(f"lam must be in (0, 1], got {lam}")
    if L <= 0:
        raise ValueError(f"L must be > 0, got {L}")
    z = _ewma_recursion(x, lam, target)
    i = np.arange(1, x.size + 1)
    half = L * sigma * np.sqrt(lam / (2.0 - lam) * (1.0 - (1.0 - lam) ** (2 * i)))
    ucl, lcl = target + half, target - half
    return EwmaResult(center=target, statistic=z, ucl=ucl, lcl=lcl, flags=(z > ucl) | (z < lcl))


def _lindley(y: FloatArray) -> FloatArray:
    """Cᵢ = max(0, Cᵢ₋₁ + yᵢ), C₀ = 0, block by block.

    Within a block starting from state c, with partial sums Sᵢ: Cᵢ = Sᵢ − min(−c, min_{j≤i} Sⱼ).
    Blocks bound the size of the partial sums, and with it the rounding error.
    """
    out = np.empty(y.size)
    c = 0.0
    for start in range(0, y.size, _CUSUM_BLOCK):  # one Python step per block of points
        s = np.cumsum(y[start : start + _CUSUM_BLOCK])
        low = np.minimum(np.minimum.accumulate(s), -c)
        block = s - low
        out[start : start + block.size] = block
        c = float(block[-1])
    return out


def cusum(
    values: ArrayLike,
    target: float,
    sigma: float,
    k: float = 0.5,
    h: float = 5.0,
) -> CusumResult:
    """Tabular (two one-sided) CUSUM (Page 1954; Montgomery §9.1), K = k·σ, H = h·σ.

    - C⁺ᵢ = max(0, xᵢ − (μ₀ + K) + C⁺ᵢ₋₁), C⁻ᵢ = max(0, (μ₀ − K) − xᵢ + C⁻ᵢ₋₁), C±₀ = 0.
    - ``flags``: C⁺ᵢ > H or C⁻ᵢ > H (strict). The sums are not reset after a signal.
    - Defaults k = 0.5, h = 5 detect a 1σ shift (in-control ARL ≈ 465).
    """
    x = as_series(values)
    target = _check_scalar(target, "target")
    sigma = _check_scalar(sigma, "sigma")
    check_positive_sigma(sigma)
    k = _check_scalar(k, "k")
    h = _check_scalar(h, "h")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if h <= 0:
        raise ValueError(f"h must be > 0, got {h}")
    K, H = k * sigma, h * sigma
    upper = _lindley(x - (target + K))
    lower = _lindley((target - K) - x)
    return CusumResult(
        upper=upper, lower=lower, decision_interval=H, flags=(upper > H) | (lower > H)
    )
