"""The SDK overhead benchmark runs (its smoke mode: a few hundred calls, every event
delivered); its figures are recorded in BENCHMARKS.md, never asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_sdk_overhead_benchmark_runs_in_smoke_mode():
    result = subprocess.run(
        [sys.executable, "benchmarks/sdk_overhead.py", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for case in ("SDK alone, non-stream", "in-process, stream", "loopback, stream"):
        assert case in result.stdout
    assert "dropped 0" in result.stdout
