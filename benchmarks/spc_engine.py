"""Benchmark: all eight Nelson rules, LLMscope's engine versus the `shewhart` package.

Run:  python benchmarks/spc_engine.py [--sizes 1000 100000 1000000] [--repeat 5]

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
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
