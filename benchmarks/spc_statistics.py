"""Statistics that justify the engine's defaults, measured by simulation.

Run:  python benchmarks/spc_statistics.py [--points 1000000] [--reps 2000] [--seed 7]

1. False alarms. In-control latencies, lognormal (log-latency ~ N(log 800 ms, 0.5)), phase I
   limits from a 20,000-point baseline (individuals chart, MR̄/1.128), then the per-point
   flag rate of each Nelson rule and of the default set (1, 2, 3, 5) over ``--points`` new
   in-control points — on the raw latencies and on their logarithm. The same is done for
   normal data, next to the exact per-point rate for normal data with known parameters.
   1 / rate is the in-control average run length for rule 1 (≈ 370 for normal data); for the
   run rules flags are correlated, so 1 / rate only approximates their ARL.
2. Detection. Zero-state average run length (points until the first flag, shift present from
   the first point) for a sustained +1σ shift, with known μ₀ = 0, σ = 1: rule 1 alone; rules
   1 + 2 + 5 + 6; EWMA (λ = 0.2, L = 3); CUSUM (k = 0.5, h = 5), over ``--reps`` series;
   and the in-control ARL of the same four (no shift), over ``--reps // 2`` series.
3. Estimated limits. For baselines of 20, 50, 100 and 500 points (``--baselines`` charts
   each, in-control normal data, individuals limits from the engine), the chart's exact
   conditional ARL given its estimated limits (Markov chain, :mod:`spc.engine.arl`):
   in control (median and 10th percentile: one chart in ten false-alarms sooner), and for
   a +1σ and +2σ shift (median). "before": the old defaults (3σ, rules 1, 2, 3, 5, both
   sides; rule 3 enters by its flag rate 2/6!, which slightly overstates its alarms);
   "after": the budget design for a point every 10 s and one false alarm a week (harmful
   side up), with the Gandy-Kvaloy adjustment for that baseline size (90 %).

``--smoke`` runs every part on tiny sizes in seconds.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spc.engine import cusum, ewma, individuals_limits, nelson_rules
from spc.engine.arl import run_rule_rate, shewhart_arl
from spc.engine.budget import design_shewhart


def phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def zigzag(n: int) -> int:
    """Euler zigzag number A_n (alternating permutations of n), by the boustrophedon."""
    row = [1]
    for _ in range(n):
        nxt = [0]
        for v in reversed(row):
            nxt.append(nxt[-1] + v)
        row = nxt
    return row[-1]


def theoretical_rates() -> dict[int, float]:
    """Per-point probability that a rule flags, normal data, known centre and sigma."""
    p1, p2, p3 = 1 - phi(1), 1 - phi(2), 1 - phi(3)
    at_least_3_of_4 = 4 * p1**3 * (1 - p1) + p1**4
    return {
        1: 2 * p3,
        2: 2 * 0.5**9,
        3: 2 / math.factorial(6),
        4: 2 * zigzag(14) / math.factorial(14),
        5: 2 * p2 * (1 - (1 - p2) ** 2),
        6: 2 * p1 * at_least_3_of_4,
        7: (phi(1) - phi(-1)) ** 15,
        8: (2 * p1) ** 8,
    }


def flag_rates(baseline: np.ndarray, monitor: np.ndarray) -> dict[str, float]:
    lim = individuals_limits(baseline)
    flags = nelson_rules(monitor, lim.center, lim.sigma)
    rates = {str(r): float(f.mean()) for r, f in flags.items()}
    default = flags[1] | flags[2] | flags[3] | flags[5]
    rates["1,2,3,5"] = float(default.mean())
    return rates


def run_length(flags: np.ndarray) -> int | None:
    hits = np.flatnonzero(flags)
    return int(hits[0]) + 1 if hits.size else None


def arl(rng: np.random.Generator, shift: float, reps: int, length: int) -> dict[str, tuple]:
    methods = {
        "rule 1": lambda x: nelson_rules(x, 0.0, 1.0, rules=(1,))[1],
        "rules 1+2+5+6": lambda x: np.logical_or.reduce(
            list(nelson_rules(x, 0.0, 1.0, rules=(1, 2, 5, 6)).values())
        ),
        "EWMA l=0.2 L=3": lambda x: ewma(x, 0.0, 1.0, lam=0.2, L=3.0).flags,
        "CUSUM k=0.5 h=5": lambda x: cusum(x, 0.0, 1.0, k=0.5, h=5.0).flags,
    }
    lengths: dict[str, list[int]] = {m: [] for m in methods}
    censored = dict.fromkeys(methods, 0)
    for _ in range(reps):
        x = rng.normal(shift, 1.0, size=length)
        for name, detect in methods.items():
            rl = run_length(detect(x))
            if rl is None:
                censored[name] += 1
                rl = length
            lengths[name].append(rl)
    out = {}
    for name, values in lengths.items():
        v = np.array(values, dtype=float)
        out[name] = (v.mean(), v.std(ddof=1) / math.sqrt(v.size), censored[name])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baselines", type=int, default=2000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    args = parser.parse_args()
    if args.smoke:
        args.points, args.reps, args.baselines = 20_000, 40, 100
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()

    theory = theoretical_rates()
    log_mu, log_sigma = math.log(800.0), 0.5
    base_n = 20_000
    normal = flag_rates(rng.normal(size=base_n), rng.normal(size=args.points))
    raw_base = rng.lognormal(log_mu, log_sigma, size=base_n)
    raw_mon = rng.lognormal(log_mu, log_sigma, size=args.points)
    raw = flag_rates(raw_base, raw_mon)
    logged = flag_rates(np.log(raw_base), np.log(raw_mon))

    print(f"1. False-alarm rate per point ({args.points:,} in-control points, "
          f"limits from a {base_n:,}-point baseline)")  # fmt: skip
    print(f"{'rule':>8} {'normal theory':>14} {'normal sim':>11} "
          f"{'lognormal raw':>14} {'lognormal log':>14} {'raw/theory':>11}")  # fmt: skip
    for key in [str(r) for r in range(1, 9)] + ["1,2,3,5"]:
        th = theory.get(int(key)) if key.isdigit() else None
        th_txt = f"{th:>14.5f}" if th is not None else f"{'(sim)':>14}"
        ref = th if th is not None else normal[key]
        ratio = raw[key] / ref if ref else float("nan")
        print(f"{key:>8} {th_txt} {normal[key]:>11.5f} {raw[key]:>14.5f} "
              f"{logged[key]:>14.5f} {ratio:>10.1f}x")  # fmt: skip
    print(f"rule 1 in-control ARL ≈ 1/rate: theory {1 / theory[1]:.0f}, normal sim "
          f"{1 / normal['1']:.0f}, lognormal raw {1 / raw['1']:.0f}, "
          f"lognormal log {1 / logged['1']:.0f}")  # fmt: skip

    print(f"\n2. Zero-state ARL to detect a sustained +1σ shift ({args.reps} series; "
          f"rule 1 theory {1 / ((1 - phi(2)) + phi(-4)):.1f})")  # fmt: skip
    shifted = arl(rng, 1.0, args.reps, 1000)
    in_control = arl(rng, 0.0, args.reps // 2, 20_000)
    print(f"{'method':>16} {'ARL(+1σ)':>10} {'± se':>7} {'ARL0':>8} {'± se':>7} {'censored':>9}")
    for name in shifted:
        m1, se1, c1 = shifted[name]
        m0, se0, c0 = in_control[name]
        print(f"{name:>16} {m1:>10.1f} {se1:>7.1f} {m0:>8.0f} {se0:>7.0f} {c1 + c0:>9}")
    estimated_limits(rng, args.baselines)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


def conditional_arls(
    rng: np.random.Generator, n: int, charts: int, k: float, zone, rate: float, side: str
):
    """Exact ARLs, given each chart's estimated limits, in control and for +1σ, +2σ."""
    mu, sd = np.empty(charts), np.empty(charts)
    for i in range(charts):
        lim = individuals_limits(rng.normal(size=n))
        mu[i], sd[i] = lim.center, lim.sigma
    out = []
    for shift in (0.0, 1.0, 2.0):
        arl = np.asarray(shewhart_arl(k, zone, mean=(shift - mu) / sd, sd=1.0 / sd, side=side))
        if rate:
            arl = 1.0 / (1.0 / arl + rate)
        out.append(arl)
    return out


def estimated_limits(rng: np.random.Generator, charts: int) -> None:
    per_day, days = 8640.0, 7.0
    print(f"\n3. Estimated limits ({charts} charts per baseline size; ARLs exact given each "
          f"chart's limits; after = budget of one false alarm per {days:g} days at a point "
          f"every 10 s, {per_day * days:,.0f}-point ARL0, upper side)")  # fmt: skip
    print(f"{'baseline':>8} {'defaults':>8} {'k':>6} {'rules':>10} {'ARL0 median':>12} "
          f"{'ARL0 p10':>10} {'ARL +1σ':>9} {'ARL +2σ':>9} {'FA/week (p10)':>14}")  # fmt: skip
    for n in (20, 50, 100, 500):
        design = design_shewhart(per_day, days, (1, 2, 3, 5), side="upper", baseline_n=n)
        rows = {
            "before": (3.0, (1, 2, 5), run_rule_rate(3), "both", "1,2,3,5"),
            "after": (
                design.k,
                tuple(r for r in design.rules if r in (1, 2, 5, 6)),
                sum(run_rule_rate(r) / 2 for r in design.rules if r in (3, 4, 7, 8)),
                "upper",
                ",".join(map(str, design.rules)),
            ),
        }
        for label, (k, zone, rate, side, names) in rows.items():
            a0, a1, a2 = conditional_arls(rng, n, charts, k, zone, rate, side)
            p10 = float(np.quantile(a0, 0.1))
            print(f"{n:>8} {label:>8} {k:>6.2f} {names:>10} {np.median(a0):>12,.0f} "
                  f"{p10:>10,.0f} {np.median(a1):>9.1f} {np.median(a2):>9.2f} "
                  f"{7 * per_day / p10:>14.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
