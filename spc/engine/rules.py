"""Nelson's eight rules and the Western Electric rules, vectorized.

Zones. σ is the standard deviation of the plotted statistic. The zone lines CL ± σ, CL ± 2σ and
CL ± kσ are computed once and the values are compared with them (never with (x − CL)/σ), so a
value that equals a line is judged by that exact line. A point exactly on a zone line belongs
to the *inner* zone: "beyond jσ" is strict (x > CL + jσ), "within 1σ" is inclusive
(CL − σ ≤ x ≤ CL + σ), and a point exactly on the centre line is on neither side.

Rules and their K (Minitab's defaults; override through ``params={rule: K}``):

1. one point beyond kσ, k = 3 (a float);
2. K = 9 points in a row strictly on one side of the centre line; a point on the line breaks
   the run;
3. K = 6 points in a row steadily increasing, or decreasing: K − 1 strict increases (or
   decreases); a tie (equal consecutive values) breaks the trend;
4. K = 14 points in a row alternating up and down: K − 1 non-zero differences alternating in
   sign; a tie breaks it;
5. K = 2 of K + 1 = 3 points beyond 2σ on the same side; points beyond 3σ count, and the
   flagged point is itself one of the K;
6. K = 4 of K + 1 = 5 points beyond 1σ on the same side, likewise;
7. K = 15 points in a row within 1σ (either side, inclusive);
8. K = 8 points in a row beyond 1σ, on either side (``rule8_both_sides=True`` also requires at
   least one of them on each side, Nelson's original wording).

Flags. A rule flags the *last* point of every window that satisfies it, so a run that goes on
keeps flagging (a 21-point run on one side flags its points 9 … 21 under rule 2); nothing is
flagged before a full window exists; a point that breaks several rules is flagged by each.

Incremental use. The flag at point i depends only on points i − w + 1 … i, where
w = :func:`window_length` (rule, params). To evaluate new points against earlier ones, pass the
last :func:`lookback` (rules, params) earlier points followed by the new ones, and keep the
flags of the new points only; they equal the flags a full-history evaluation would give.

Western Electric (:func:`western_electric_rules`): 1 = Nelson 1; 2 = Nelson 5 (2 of 3 beyond
2σ); 3 = Nelson 6 (4 of 5 beyond 1σ); 4 = 8 in a row on one side (Nelson 2 with K = 8).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from ._validation import BoolArray, FloatArray, as_line, as_series, check_positive_sigma

NELSON_RULES: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
#: Minitab's default K per Nelson rule (rule 1: the sigma multiplier).
NELSON_DEFAULTS: dict[int, float | int] = {1: 3.0, 2: 9, 3: 6, 4: 14, 5: 2, 6: 4, 7: 15, 8: 8}
WESTERN_ELECTRIC_RULES: tuple[int, ...] = (1, 2, 3, 4)
#: Western Electric K: 1 sigma multiplier; 2 = 2 of 3; 3 = 4 of 5; 4 = run length.
WESTERN_ELECTRIC_DEFAULTS: dict[int, float | int] = {1: 3.0, 2: 2, 3: 4, 4: 8}

# Smallest K that still describes a pattern (rule 3 needs one difference, rule 4 two).
_NELSON_MIN_K = {2: 1, 3: 2, 4: 3, 5: 1, 6: 1, 7: 1, 8: 1}
_WE_MIN_K = {2: 1, 3: 1, 4: 1}


def _merge_params(
    params: Mapping[int, float] | None,
    defaults: Mapping[int, float | int],
    minimum: Mapping[int, int],
) -> dict[int, float | int]:
    merged = dict(defaults)
    for rule, value in (params or {}).items():
        if rule not in defaults:
            raise ValueError(f"params has an unknown rule {rule!r}; rules are {sorted(defaults)}")
        if rule == 1:
            k = float(value)
            if not np.isfinite(k) or k <= 0:
                raise ValueError(f"params[1] (sigma multiplier) must be > 0, got {value!r}")
            merged[1] = k
        else:
            if isinstance(value, bool) or int(value) != value or int(value) < minimum[rule]:
                raise ValueError(
                    f"params[{rule}] must be an integer >= {minimum[rule]}, got {value!r}"
                )
            merged[rule] = int(value)
    return merged


def _check_rules(rules: Iterable[int], known: tuple[int, ...]) -> tuple[int, ...]:
    chosen = tuple(rules)
    for rule in chosen:
        if isinstance(rule, bool) or rule not in known:
            raise ValueError(f"unknown rule {rule!r}; rules are {list(known)}")
    return chosen


def window_length(rule: int, params: Mapping[int, float] | None = None) -> int:
    """Number of points a Nelson rule looks at to flag one point (its window).

    1 for rule 1; K for rules 2, 3, 4, 7, 8; K + 1 for rules 5 and 6 (K of K + 1).
    """
    (rule,) = _check_rules((rule,), NELSON_RULES)
    p = _merge_params(params, NELSON_DEFAULTS, _NELSON_MIN_K)
    if rule == 1:
        return 1
    if rule in (5, 6):
        return int(p[rule]) + 1
    return int(p[rule])


def lookback(rules: Iterable[int] = NELSON_RULES, params: Mapping[int, float] | None = None) -> int:
    """Earlier points to prepend so that new points get the same flags as with full history.

    Equals max(window_length) − 1 over ``rules``: 14 for the default eight rules (rule 7 looks
    at 15 points).
    """
    chosen = _check_rules(rules, NELSON_RULES)
    return max((window_length(r, params) for r in chosen), default=1) - 1


# --- window primitives (no Python loop over points) ---------------------------------------


_SHIFT_SUM_MAX = 16


def _window_count(mask: BoolArray, width: int) -> np.ndarray:
    """Count of True in mask[i − width + 1 … i] (fewer at the start, where the window is short)."""
    if width <= _SHIFT_SUM_MAX:
        # short windows: add the mask to itself at each offset (a loop over the window's
        # offsets, not over points); cheaper than an integer cumulative sum
        ones = mask.view(np.uint8)
        counts = ones.copy()
        for offset in range(1, min(width, mask.size)):
            counts[offset:] += ones[:-offset]
        return counts
    dtype = np.int32 if mask.size < 2**31 else np.int64
    cs = np.cumsum(mask, dtype=dtype)
    if width < cs.size:
        cs[width:] = cs[width:] - cs[:-width]  # the right side is evaluated before assignment
    return cs


def _run_ends(mask: BoolArray, length: int) -> BoolArray:
    """True at i when mask[i − length + 1 … i] are all True (never before a full window).

    Doubling: ``acc[j]`` is "all of mask[j : j + w]"; two overlapping windows of length w ≥ L/2
    cover one of length L, so about log2(L) boolean ANDs replace a sliding sum.
    """
    n = mask.size
    out = np.zeros(n, dtype=bool)
    if length > n:
        return out
    acc, w = mask, 1
    while 2 * w <= length:
        acc = acc[:-w] & acc[w:]
        w *= 2
    if w < length:
        acc = acc[: -(length - w)] & acc[length - w :]
    out[length - 1 :] = acc
    return out


def _k_of_window(beyond: BoolArray, k: int, width: int) -> BoolArray:
    """The point is beyond and at least k of the last ``width`` points (itself included) are."""
    out = beyond & (_window_count(beyond, width) >= k)
    out[: width - 1] = False
    return out


class _Zones:
    """Zone comparisons computed once and shared by the rules that need them."""

    def __init__(self, x: FloatArray, center: FloatArray | float, sigma: FloatArray | float):
        self.x, self.center, self.sigma = x, center, sigma
        self._cache: dict[tuple[str, float], BoolArray] = {}
        self._steps: dict[str, tuple[BoolArray, BoolArray]] = {}

    def above(self, j: float) -> BoolArray:
        """x > CL + jσ (strict)."""
        key = ("above", j)
        if key not in self._cache:
            line = self.center + j * self.sigma if j else self.center
            self._cache[key] = self.x > line
        return self._cache[key]

    def steps(self) -> tuple[BoolArray, BoolArray]:
        """(x[i+1] > x[i], x[i+1] < x[i]) for consecutive pairs; a tie is neither."""
        if "steps" not in self._steps:
            self._steps["steps"] = (self.x[1:] > self.x[:-1], self.x[1:] < self.x[:-1])
        return self._steps["steps"]

    def below(self, j: float) -> BoolArray:
        """x < CL − jσ (strict)."""
        key = ("below", j)
        if key not in self._cache:
            line = self.center - j * self.sigma if j else self.center
            self._cache[key] = self.x < line
        return self._cache[key]


def _trend(z: _Zones, k: int) -> BoolArray:
    out = np.zeros(z.x.size, dtype=bool)
    if z.x.size >= k:
        up, down = z.steps()
        out[1:] = _run_ends(up, k - 1) | _run_ends(down, k - 1)
    return out


def _alternating(z: _Zones, k: int) -> BoolArray:
    out = np.zeros(z.x.size, dtype=bool)
    if z.x.size >= k:
        up, down = z.steps()
        alt = (up[:-1] & down[1:]) | (down[:-1] & up[1:])
        out[2:] = _run_ends(alt, k - 2)
    return out


def _same_side(z: _Zones, k: int) -> BoolArray:
    return _run_ends(z.above(0), k) | _run_ends(z.below(0), k)


def _prepare(values: ArrayLike, center: ArrayLike, sigma: ArrayLike) -> tuple[FloatArray, _Zones]:
    x = as_series(values)
    c = as_line(center, x.size, "center")
    s = as_line(sigma, x.size, "sigma")
    check_positive_sigma(s)
    return x, _Zones(x, c, s)


def nelson_rules(
    values: ArrayLike,
    center: ArrayLike,
    sigma: ArrayLike,
    rules: Iterable[int] = NELSON_RULES,
    params: Mapping[int, float] | None = None,
    *,
    rule8_both_sides: bool = False,
) -> dict[int, BoolArray]:
    """Evaluate Nelson rules; return ``{rule: bool array as long as values}``.

    ``center`` and ``sigma`` are numbers, or arrays as long as ``values`` (per-point limits:
    rolling limits, p charts with varying sizes). ``params`` overrides K per rule (see the
    module docstring for every convention). An empty series gives empty arrays.

    Raises ``ValueError`` for non-finite or non-1-D values, a centre/sigma of the wrong
    length, an unknown rule or bad K, and σ ≤ 0 (:class:`ZeroVariationError`).
    """
    chosen = _check_rules(rules, NELSON_RULES)
    p = _merge_params(params, NELSON_DEFAULTS, _NELSON_MIN_K)
    _, z = _prepare(values, center, sigma)
    flags: dict[int, BoolArray] = {}
    for rule in chosen:
        k = p[rule]
        if rule == 1:
            flags[1] = z.above(float(k)) | z.below(float(k))
        elif rule == 2:
            flags[2] = _same_side(z, int(k))
        elif rule == 3:
            flags[3] = _trend(z, int(k))
        elif rule == 4:
            flags[4] = _alternating(z, int(k))
        elif rule in (5, 6):
            j = 2.0 if rule == 5 else 1.0
            width = int(k) + 1
            flags[rule] = _k_of_window(z.above(j), int(k), width) | _k_of_window(
                z.below(j), int(k), width
            )
        elif rule == 7:
            flags[7] = _run_ends(~(z.above(1.0) | z.below(1.0)), int(k))
        else:
            outside = z.above(1.0) | z.below(1.0)
            flag = _run_ends(outside, int(k))
            if rule8_both_sides:
                # "at least one above" = "not all of them below", and vice versa
                flag &= ~_run_ends(z.below(1.0), int(k)) & ~_run_ends(z.above(1.0), int(k))
            flags[8] = flag
    return flags


def western_electric_rules(
    values: ArrayLike,
    center: ArrayLike,
    sigma: ArrayLike,
    rules: Iterable[int] = WESTERN_ELECTRIC_RULES,
    params: Mapping[int, float] | None = None,
) -> dict[int, BoolArray]:
    """Evaluate the Western Electric rules; return ``{rule: bool array}``.

    1: one point beyond 3σ; 2: 2 of 3 beyond 2σ, same side; 3: 4 of 5 beyond 1σ, same side;
    4: 8 in a row strictly on one side. Same zone and flag conventions as
    :func:`nelson_rules` (WE 1, 2, 3 are Nelson 1, 5, 6). ``params`` overrides
    ``{1: 3.0, 2: 2, 3: 4, 4: 8}``.
    """
    chosen = _check_rules(rules, WESTERN_ELECTRIC_RULES)
    p = _merge_params(params, WESTERN_ELECTRIC_DEFAULTS, _WE_MIN_K)
    mapping = {1: 1, 2: 5, 3: 6, 4: 2}
    nelson_params = {mapping[r]: p[r] for r in (1, 2, 3, 4)}
    nelson = nelson_rules(
        values, center, sigma, rules=[mapping[r] for r in chosen], params=nelson_params
    )
    return {rule: nelson[mapping[rule]] for rule in chosen}
