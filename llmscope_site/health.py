"""Operational endpoints: /healthz (the process answers) and /readyz (its dependencies do)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ready"; say which
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_redis() -> str | None:
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
        client.ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database (and Redis, when configured) answer; 503 naming what failed."""
    checks: dict[str, str] = {}
    failures: dict[str, str] = {}
    for name, check in (("database", _check_database), ("redis", _check_redis)):
        if name == "redis" and not settings.REDIS_URL:
            checks[name] = "not configured"
            continue
        error = check()
        checks[name] = "ok" if error is None else "error"
        if error:
            failures[name] = error
    body = {"status": "ok" if not failures else "unavailable", "checks": checks}
    if failures:
        body["errors"] = failures
    return JsonResponse(body, status=200 if not failures else 503)
