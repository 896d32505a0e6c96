"""Drive the Celery beat schedule inside the web process (embedded mode only).

Without Redis there is no broker and no separate beat process, so `manage.py serve` starts
Celery's own beat service in a daemon thread. Tasks are eager in this mode, so each entry
runs in that thread when it is due.
"""

from __future__ import annotations

import logging
import threading

from celery.beat import EmbeddedService, Scheduler
from django.conf import settings

from llmscope_site.celery import app

logger = logging.getLogger(__name__)


class InMemoryScheduler(Scheduler):
    """Beat scheduler that keeps its state in memory: nothing to write under var/."""


def start_embedded_beat() -> threading.Thread | None:
    """Start the beat service in a daemon thread; returns it, or None outside embedded mode."""
    if not settings.EMBEDDED:
        return None
    service = EmbeddedService(app, thread=True, scheduler_cls=InMemoryScheduler, max_interval=1)
    service.daemon = True
    service.start()
    logger.info("embedded beat started with %d entries", len(app.conf.beat_schedule))
    return service


__all__ = ["InMemoryScheduler", "start_embedded_beat"]
