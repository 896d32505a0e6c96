"""A live LLMscope (`manage.py serve` in a subprocess on the test database) for the SDK tests."""

from __future__ import annotations

import pytest

from monitoring.models import Event
from tests.dashboard.live_app import LiveApp, database_url


def start_live_app(port: int | None = None) -> LiveApp:
    db_url = database_url()
    if db_url is None:
        pytest.skip("the test database is in memory: another process cannot open it")
    return LiveApp(db_url, port=port).start()


def stored_events(project) -> list[Event]:
    return list(Event.objects.filter(project=project).order_by("timestamp", "id"))
