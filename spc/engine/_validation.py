"""Input checks shared by the engine: every public function validates at its edge."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class ZeroVariationError(ValueError):
    """The baseline has no variation, so its sigma estimate is zero.

    Limits built on σ = 0 would flag every later value that differs from the centre line, so
    the engine refuses to build them. It is a ``ValueError`` subclass so callers may catch
    either; the caller decides what to do (wait for more data, or use a known sigma).
    """


def as_series(values: ArrayLike, name: str = "values") -> FloatArray:
    """Return ``values`` as a 1-D float64 array, or raise ``ValueError`` with a clear message.

    Integers are converted to float64 (exact up to 2**53). NaN and ±inf are refused with the
    index of the first offending point; 2-D input is refused rather than flattened.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D series, got an array of shape {arr.shape}")
    finite = np.isfinite(arr)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"{name} must be finite: {name}[{bad}] is {arr[bad]!r} (NaN and inf are refused)"
        )
    return arr


def as_line(value: ArrayLike, size: int, name: str) -> FloatArray | float:
    """Return a centre or sigma as a float, or a 1-D float64 array of length ``size``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if arr.ndim == 0:
        if not np.isfinite(arr):
            raise ValueError(f"{name} must be finite, got {float(arr)!r}")
        return float(arr)
    if arr.ndim != 1 or arr.shape[0] != size:
        raise ValueError(
            f"{name} must be a number or a 1-D array as long as the values ({size}), "
            f"got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite everywhere")
    return arr


def check_positive_sigma(sigma: FloatArray | float) -> None:
    """Refuse σ ≤ 0: zones would collapse onto the centre line."""
    if np.any(np.asarray(sigma) <= 0):
        raise ZeroVariationError(
            "sigma must be > 0 (a zero sigma means a baseline without variation; "
            "every point off the centre line would be flagged)"
        )
