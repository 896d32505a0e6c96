"""Settings for the test suite: production settings (DEBUG off) with test-only defaults.

Tests run against PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (CI), and in
the embedded mode (SQLite, in-process tasks) otherwise.
"""

import os

os.environ.setdefault("SECRET_KEY", "llmscope-test-suite-secret-key-not-for-production")
os.environ.setdefault("LLMSCOPE_SSL_REDIRECT", "0")
os.environ.setdefault("LLMSCOPE_SECURE_COOKIES", "0")
os.environ.setdefault("LLMSCOPE_MANIFEST_STATIC", "0")
os.environ.setdefault("LLMSCOPE_EMAIL_VERIFICATION", "optional")
os.environ.setdefault("LLMSCOPE_ALLOW_PRIVATE_TARGETS", "1")
os.environ.setdefault("LLMSCOPE_DEMO_LLM", "1")
os.environ.setdefault("LLMSCOPE_CHANNEL_PREFIX", "llmscope-test")
os.environ.setdefault("LLMSCOPE_CACHE_PREFIX", "llmscope-test")
os.environ.setdefault("LLMSCOPE_CELERY_QUEUE", "llmscope-test")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")

from llmscope_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user fixtures

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not the in-memory shared cache: tests that run work in threads (embedded probe
    # runs, concurrent claims) need SQLite's real locking, which shared-cache memory lacks.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-llmscope.sqlite3")}  # noqa: F405
