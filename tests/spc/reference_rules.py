# ruff: noqa: RUF002 -- statistical notation (σ, −, x̄) is intended
"""A deliberately plain, loop-based implementation of the Nelson and Western Electric rules.

It exists only to be compared with the vectorized engine: every rule is written the way the
convention reads, one point and one window at a time, with no shared helpers and no numpy.
Zone lines are computed exactly as the engine computes them (CL + j·σ, CL − j·σ), so that the
two agree bit for bit on values lying exactly on a line.
"""

from __future__ import annotations

import itertools

DEFAULTS = {1: 3.0, 2: 9, 3: 6, 4: 14, 5: 2, 6: 4, 7: 15, 8: 8}


def _at(seq, i):
    return seq[i] if hasattr(seq, "__len__") else seq


def reference_nelson(values, center, sigma, params=None, rule8_both_sides=False):
    """Return {rule: list of bool} for rules 1–8 using loops only."""
    p = dict(DEFAULTS)
    p.update(params or {})
    x = [float(v) for v in values]
    n = len(x)
    cl = [float(_at(center, i)) for i in range(n)]
    sd = [float(_at(sigma, i)) for i in range(n)]

    def above(i, j):
        line = cl[i] + j * sd[i] if j else cl[i]
        return x[i] > line

    def below(i, j):
        line = cl[i] - j * sd[i] if j else cl[i]
        return x[i] < line

    out = {r: [False] * n for r in range(1, 9)}
    k1 = float(p[1])
    for i in range(n):
        out[1][i] = above(i, k1) or below(i, k1)

    k = p[2]
    for i in range(k - 1, n):
        window = range(i - k + 1, i + 1)
        out[2][i] = all(above(j, 0) for j in window) or all(below(j, 0) for j in window)

    k = p[3]
    for i in range(k - 1, n):
        ups = [x[j + 1] > x[j] for j in range(i - k + 1, i)]
        downs = [x[j + 1] < x[j] for j in range(i - k + 1, i)]
        out[3][i] = all(ups) or all(downs)

    k = p[4]
    for i in range(k - 1, n):
        diffs = [x[j + 1] - x[j] for j in range(i - k + 1, i)]
        ok = all(d != 0 for d in diffs)
        for a, b in itertools.pairwise(diffs):
            if (a > 0) == (b > 0):
                ok = False
        out[4][i] = ok

    for rule, j in ((5, 2.0), (6, 1.0)):
        k = p[rule]
        for i in range(k, n):
            window = range(i - k, i + 1)
            hi = sum(1 for m in window if above(m, j))
            lo = sum(1 for m in window if below(m, j))
            out[rule][i] = (above(i, j) and hi >= k) or (below(i, j) and lo >= k)

    k = p[7]
    for i in range(k - 1, n):
        out[7][i] = all(not above(m, 1.0) and not below(m, 1.0) for m in range(i - k + 1, i + 1))

    k = p[8]
    for i in range(k - 1, n):
        window = list(range(i - k + 1, i + 1))
        ok = all(above(m, 1.0) or below(m, 1.0) for m in window)
        if rule8_both_sides:
            ok = ok and any(above(m, 1.0) for m in window) and any(below(m, 1.0) for m in window)
        out[8][i] = ok
    return out


def reference_western_electric(values, center, sigma):
    """WE rules 1–4 by loops: 3σ; 2 of 3 beyond 2σ; 4 of 5 beyond 1σ; 8 in a row one side."""
    nelson = reference_nelson(values, center, sigma, params={2: 8})
    return {1: nelson[1], 2: nelson[5], 3: nelson[6], 4: nelson[2]}


def reference_ewma(values, target, lam):
    z, out = target, []
    for v in values:
        z = lam * v + (1 - lam) * z
        out.append(z)
    return out


def reference_cusum(values, target, sigma, k, h):
    cp = cm = 0.0
    upper, lower = [], []
    for v in values:
        cp = max(0.0, v - (target + k * sigma) + cp)
        cm = max(0.0, (target - k * sigma) - v + cm)
        upper.append(cp)
        lower.append(cm)
    return upper, lower
