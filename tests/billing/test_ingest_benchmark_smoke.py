"""The ingest benchmark (with its quotas on/off comparison) runs end to end in smoke mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_the_ingest_benchmark_runs_in_smoke_mode():
    db = settings.DATABASES["default"]
    url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}_ingest_smoke"
    )
    try:
        result = subprocess.run(
            [sys.executable, "benchmarks/ingest.py", "--smoke", "--database-url", url],
            cwd=ROOT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}_ingest_smoke"')
    assert result.returncode == 0, result.stderr[-2000:]
    assert "quotas off / on, 100-event batches" in result.stdout
    assert "quotas off / on, single events" in result.stdout
