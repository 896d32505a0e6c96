"""Settings come from the environment; production refuses development defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LLMSCOPE_"))}
    clean.pop("SECRET_KEY", None)
    clean.pop("DEBUG", None)
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='llmscope_site.settings';"
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS, settings.ACCOUNT_EMAIL_VERIFICATION, settings.EMBEDDED)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings({})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_turns_on_the_secure_defaults():
    result = load_settings({"SECRET_KEY": "x" * 50, "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "31536000", "mandatory", "False"]


def test_the_development_mode_is_embedded_and_lenient():
    result = load_settings({"DEBUG": "1", "REDIS_URL": ""})
    assert result.returncode == 0, result.stderr
    debug, _redirect, _secure, _hsts, verification, embedded = result.stdout.split()
    assert (debug, verification, embedded) == ("True", "optional", "True")


def test_a_bad_boolean_fails_loudly():
    result = load_settings({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr
