"""Benchmark: all eight Nelson rules, LLMscope's engine versus the `shewhart` package; and the
time to design one chart under a false-alarm budget.

Run:  python benchmarks/spc_engine.py [--sizes 1000 100000 1000000] [--repeat 5] [--smoke]

Design timing: for each chart kind, one call of the engine's budget design (known-parameter
threshold by the Markov-chain ARL, then the Gandy-Kvaloy bootstrap adjustment for the
baseline: 4,000 replicates for Shewhart, 200 for EWMA/CUSUM), a point every 10 s, one false
alarm a week, harmful side only, 200-point baseline; best of ``--repeat``. The baseline in
the same run is the known-parameter design alone (no adjustment).

Both engines get the same in-control normal series and the same centre line and sigma; each
evaluates all eight Nelson rules. For `shewhart` (PyPI, a benchmark-only dependency) we call
its rule engine directly, ``shewhart._rules.apply_rules(z, RULESETS["nelson"])`` on the
standardised series z = (x − CL)/σ, so that neither side pays for limits, pandas or plotting;
that function is private API (checked against shewhart 0.1.1). Timings are the best of
``--repeat`` runs for LLMscope and of ``--peer-repeat`` runs for the much slower peer.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spc.engine import nelson_rules
from spc.engine.adjust import _cached_draws
from spc.engine.arl import shewhart_arl
from spc.engine.budget import design_cusum, design_ewma, design_shewhart, target_arl


def best_time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer-repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.repeat, args.peer_repeat = [1_000], 1, 1

    try:
        import shewhart
        from shewhart._rules import RULESETS, apply_rules
    except ImportError:  # pragma: no cover - benchmark-only dependency
        shewhart = None

    print(f"python {platform.python_version()}, numpy {np.__version__}", end="")
    print(f", shewhart {shewhart.__version__}" if shewhart else ", shewhart not installed")
    header = f"{'points':>10} {'llmscope s':>11} {'llmscope pts/s':>15}"
    header += f" {'shewhart s':>11} {'shewhart pts/s':>15} {'ratio':>8}"
    print(header)
    rng = np.random.default_rng(args.seed)
    center, sigma = 250.0, 20.0
    for n in args.sizes:
        x = rng.normal(250.0, 20.0, size=n)
        ours = best_time(lambda x=x: nelson_rules(x, center, sigma), args.repeat)
        line = f"{n:>10,} {ours:>11.4f} {n / ours:>15,.0f}"
        if shewhart:
            z = (x - center) / sigma
            peer = best_time(lambda z=z: apply_rules(z, RULESETS["nelson"]), args.peer_repeat)
            line += f" {peer:>11.4f} {n / peer:>15,.0f} {peer / ours:>7.0f}x"
            # same data, same conventions for rule 1: both must flag the same points
            ours_r1 = set(np.flatnonzero(nelson_rules(x, center, sigma, rules=(1,))[1]))
            peer_r1 = {p[0] for key, _, p in apply_rules(z, ["nelson_1"])}
            assert ours_r1 == peer_r1, "rule 1 disagrees between the engines"
        print(line, flush=True)
    design_timings(args.repeat)


def design_timings(repeat: int) -> None:
    """Milliseconds to design one chart under the budget (adjusted limits + ARL)."""
    per_day, days, n = 8640.0, 7.0, 200
    target = target_arl(per_day, days)
    print(f"\nDesign under a budget ({target:,.0f}-point ARL0, upper side, baseline {n}):")
    print(f"{'chart':>34} {'cold ms':>8} {'ms':>8} {'result':>24}")
    known = best_time(lambda: shewhart_arl(4.0, (1,), side="upper"), repeat)
    print(f"{'baseline: one known-param ARL':>34} {'':>8} {known * 1000:>8.2f}")
    cases = {
        "individuals, rules 1,2,3,5 asked": lambda: design_shewhart(
            per_day, days, (1, 2, 3, 5), side="upper", baseline_n=n
        ),
        "X-bar (n=6), hourly, rules 1,2,5": lambda: design_shewhart(
            24, days, (1, 2, 5), side="upper", baseline_n=n, estimator="xbar", subgroup_size=6
        ),
        "EWMA lambda=0.2": lambda: design_ewma(per_day, days, 0.2, side="upper", baseline_n=n),
        "CUSUM k=0.5": lambda: design_cusum(per_day, days, 0.5, side="upper", baseline_n=n),
    }
    for name, fn in cases.items():
        # cold: no bootstrap baselines drawn yet for this size (a first chart of its kind);
        # then the best of `repeat` with the draws cached, as every later chart sees it
        _cached_draws.cache_clear()
        start = time.perf_counter()
        result = fn()
        cold = time.perf_counter() - start
        elapsed = best_time(fn, repeat)
        text = (
            f"k={result.k:.3f} rules={result.rules}"
            if hasattr(result, "rules")
            else f"threshold={result.threshold:.3f}"
        )
        print(f"{name:>34} {cold * 1000:>8.1f} {elapsed * 1000:>8.1f} {text:>24}", flush=True)


if __name__ == "__main__":
    main()
