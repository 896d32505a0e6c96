"""Tabled control-chart constants for subgroup sizes n = 2 … 25.

The values are the standard published table (ASTM E2587; Montgomery, *Introduction to
Statistical Quality Control*, Appendix VI), to the digits those tables print: d2 and d3 to
3 decimals, c4 to 4, the chart factors A2, A3, B3, B4, D3, D4 to 3. They are tabled rather
than computed on purpose: the published examples the product is checked against were worked
with these rounded constants. ``tests/spc/test_constants.py`` checks every entry against
its defining integral or formula, so a typo in this table cannot go unnoticed.

Definitions (σ the process standard deviation, samples of n independent normal values):

- d2 = E[R]/σ, d3 = SD[R]/σ (R the subgroup range);
- c4 = E[s]/σ (s the sample standard deviation with divisor n − 1);
- A2 = 3/(d2·√n), A3 = 3/(c4·√n);
- D3 = max(0, 1 − 3·d3/d2), D4 = 1 + 3·d3/d2;
- B3 = max(0, 1 − 3·√(1 − c4²)/c4), B4 = 1 + 3·√(1 − c4²)/c4.
"""

from __future__ import annotations

from typing import NamedTuple

MIN_SUBGROUP = 2
MAX_SUBGROUP = 25

# d2(2) = 1.128 is the individuals-chart constant (moving ranges of span 2).
D2_SPAN_2 = 1.128
# Median moving range of span 2 divided by σ (the JMP/Minitab convention).
MEDIAN_MR_CONSTANT = 0.954


class SubgroupConstants(NamedTuple):
    """The tabled constants for one subgroup size n."""

    n: int
    d2: float
    d3: float
    c4: float
    A2: float
    A3: float
    B3: float
    B4: float
    D3: float
    D4: float


#        n     d2     d3      c4     A2     A3     B3     B4     D3     D4
_TABLE: tuple[tuple[int, float, float, float, float, float, float, float, float, float], ...] = (
    (2, 1.128, 0.853, 0.7979, 1.880, 2.659, 0.000, 3.267, 0.000, 3.267),
    (3, 1.693, 0.888, 0.8862, 1.023, 1.954, 0.000, 2.568, 0.000, 2.574),
    (4, 2.059, 0.880, 0.9213, 0.729, 1.628, 0.000, 2.266, 0.000, 2.282),
    (5, 2.326, 0.864, 0.9400, 0.577, 1.427, 0.000, 2.089, 0.000, 2.114),
    (6, 2.534, 0.848, 0.9515, 0.483, 1.287, 0.030, 1.970, 0.000, 2.004),
    (7, 2.704, 0.833, 0.9594, 0.419, 1.182, 0.118, 1.882, 0.076, 1.924),
    (8, 2.847, 0.820, 0.9650, 0.373, 1.099, 0.185, 1.815, 0.136, 1.864),
    (9, 2.970, 0.808, 0.9693, 0.337, 1.032, 0.239, 1.761, 0.184, 1.816),
    (10, 3.078, 0.797, 0.9727, 0.308, 0.975, 0.284, 1.716, 0.223, 1.777),
    (11, 3.173, 0.787, 0.9754, 0.285, 0.927, 0.321, 1.679, 0.256, 1.744),
    (12, 3.258, 0.778, 0.9776, 0.266, 0.886, 0.354, 1.646, 0.283, 1.717),
    (13, 3.336, 0.770, 0.9794, 0.249, 0.850, 0.382, 1.618, 0.307, 1.693),
    (14, 3.407, 0.763, 0.9810, 0.235, 0.817, 0.406, 1.594, 0.328, 1.672),
    (15, 3.472, 0.756, 0.9823, 0.223, 0.789, 0.428, 1.572, 0.347, 1.653),
    (16, 3.532, 0.750, 0.9835, 0.212, 0.763, 0.448, 1.552, 0.363, 1.637),
    (17, 3.588, 0.744, 0.9845, 0.203, 0.739, 0.466, 1.534, 0.378, 1.622),
    (18, 3.640, 0.739, 0.9854, 0.194, 0.718, 0.482, 1.518, 0.391, 1.608),
    (19, 3.689, 0.734, 0.9862, 0.187, 0.698, 0.497, 1.503, 0.403, 1.597),
    (20, 3.735, 0.729, 0.9869, 0.180, 0.680, 0.510, 1.490, 0.415, 1.585),
    (21, 3.778, 0.724, 0.9876, 0.173, 0.663, 0.523, 1.477, 0.425, 1.575),
    (22, 3.819, 0.720, 0.9882, 0.167, 0.647, 0.534, 1.466, 0.434, 1.566),
    (23, 3.858, 0.716, 0.9887, 0.162, 0.633, 0.545, 1.455, 0.443, 1.557),
    (24, 3.895, 0.712, 0.9892, 0.157, 0.619, 0.555, 1.445, 0.451, 1.548),
    (25, 3.931, 0.708, 0.9896, 0.153, 0.606, 0.565, 1.435, 0.459, 1.541),
)

CONSTANTS: dict[int, SubgroupConstants] = {row[0]: SubgroupConstants(*row) for row in _TABLE}


def constants_for(n: int) -> SubgroupConstants:
    """Return the tabled constants for subgroup size ``n`` (2 ≤ n ≤ 25).

    Raises ``ValueError`` for any other size: the table stops at 25, and subgroups of one
    belong on an individuals chart.
    """
    if n not in CONSTANTS:
        raise ValueError(
            f"subgroup size must be between {MIN_SUBGROUP} and {MAX_SUBGROUP} "
            f"(tabled constants), got {n}"
        )
    return CONSTANTS[n]
