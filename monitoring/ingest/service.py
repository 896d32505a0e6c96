"""Storing events: the one entry point for REST, OTLP and any other writer of many events."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from billing import quota
from monitoring.ingest.rows import build_rows
from monitoring.ingest.schema import EventIn
from monitoring.ingest.writer import WriteResult, write_rows
from monitoring.models import Event
from monitoring.prometheus import INGEST_BATCH_SIZE, INGESTED_EVENTS
from monitoring.signals import events_recorded
from tenants.models import Project

log = logging.getLogger(__name__)

# Probe results are LLMscope's own measurements: the plan limits probes, not their events.
UNMETERED_SOURCES = frozenset({"probe"})


def ingest_events(
    project: Project, events: Sequence[EventIn], *, source: str, probe_id: int | None = None
) -> WriteResult:
    """Price, redact and store validated events of `project` in one transaction.

    Returns only after the commit: what it reports as accepted is durable. Events whose id the
    project already has are counted as duplicates and not stored again. Before the commit,
    `events_recorded` names the series that received events (receivers act on commit).
    Raises quota.QuotaExceeded, with nothing stored, when the batch would take the
    organization over its plan's monthly events.
    """
    metered = source not in UNMETERED_SOURCES
    if metered:
        quota.check(project.organization_id, "events", len(events))
    rows = build_rows(
        project.organization_id,
        project.id,
        events,
        source=source,
        received_at=timezone.now(),
        store_prompts=project.store_prompts,
        probe_id=probe_id,
    )
    committed = False

    def mark_committed() -> None:
        nonlocal committed
        committed = True

    try:
        with transaction.atomic():
            # Registered first, so it runs before any receiver's hook.
            transaction.on_commit(mark_committed)
            result = write_rows(rows, client_ids=any(e.id is not None for e in events))
            if metered:
                quota.record_usage(project.organization_id, result.accepted)
            if result.series:
                events_recorded.send(sender=Event, project=project, series=result.series)
    except Exception:
        if not committed:
            raise
        # The events are stored; a hook that runs after the commit (say, queueing an SPC
        # evaluation while Redis is down) must not turn a durable write into an error.
        log.exception("an after-commit hook failed; the %d events are stored", len(rows))
    INGEST_BATCH_SIZE.labels(source).observe(len(events))
    INGESTED_EVENTS.labels(source, "accepted").inc(result.accepted)
    if result.duplicates:
        INGESTED_EVENTS.labels(source, "duplicate").inc(result.duplicates)
    return result
