"""`benchmarks/alerts.py --smoke` runs end to end (its own database, Celery workers on Redis,
a worker killed mid-burst) and loses no notification."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]


def test_alerts_benchmark_smoke_loses_nothing():
    database_url = os.environ["DATABASE_URL"].rstrip("/") + "_bench"
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "benchmarks/alerts.py", "--smoke"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "one killed mid-burst: True" in done.stdout
    received = re.search(r"(\d+) incidents, (\d+) notifications received", done.stdout)
    assert received and received.group(1) == received.group(2) == "38", done.stdout
    assert "lost: 0 " in done.stdout, done.stdout
