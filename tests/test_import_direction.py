"""The apps' import direction and the modules' acyclicity, as pyproject.toml's import-linter
contracts state them: dashboard > alerts > spc > monitoring > tenants, billing only through
billing.quota, a Django-free SPC engine, no cycle inside an app. Imports inside functions
count too."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_linter_contract_is_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
