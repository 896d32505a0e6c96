"""Phase I: establish an individuals baseline by excluding out-of-control points."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ._validation import BoolArray, as_series
from .limits import Limits, individuals_limits
from .rules import nelson_rules


def phase_one(
    values: ArrayLike,
    rules: Iterable[int] = (1,),
    max_iter: int = 10,
    *,
    method: Literal["average_mr", "median_mr"] = "average_mr",
    k: float = 3.0,
    params: Mapping[int, float] | None = None,
) -> tuple[Limits, BoolArray]:
    """Individuals limits from a baseline, dropping flagged points until stable.

    Each round computes :func:`individuals_limits` on the points still kept (moving ranges
    are taken between consecutive *kept* points, as if the dropped points had never been
    recorded), evaluates ``rules`` (Nelson numbers, with ``params`` and ``k`` as in
    :func:`nelson_rules`) on that kept sequence, and drops every flagged point. A dropped
    point is never restored. It stops when a round flags nothing, or after ``max_iter``
    rounds (the limits are then those of the last kept set).

    Returns ``(limits, kept)``; ``kept`` is a bool mask as long as ``values``.
    Raises ``ValueError`` for fewer than 2 values, or when fewer than 2 points would remain,
    and :class:`ZeroVariationError` when the kept points have no variation.
    """
    x = as_series(values)
    if isinstance(max_iter, bool) or int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    rules = tuple(rules)
    merged = dict(params or {})
    merged[1] = merged.get(1, k)
    kept = np.ones(x.size, dtype=bool)
    limits = individuals_limits(x, method=method, k=k)
    for _ in range(int(max_iter)):
        idx = np.flatnonzero(kept)
        flags = nelson_rules(x[idx], limits.center, limits.sigma, rules=rules, params=merged)
        flagged = np.zeros(idx.size, dtype=bool)
        for f in flags.values():
            flagged |= f
        if not flagged.any():
            break
        kept[idx[flagged]] = False
        if kept.sum() < 2:
            raise ValueError(
                "phase I dropped all but "
                f"{int(kept.sum())} point(s); the baseline is too unstable for limits"
            )
        limits = individuals_limits(x[kept], method=method, k=k)
    return limits, kept
