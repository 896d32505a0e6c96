"""Storing events: the one entry point for REST, OTLP and any other writer of many events."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from monitoring.ingest.rows import build_rows
from monitoring.ingest.schema import EventIn
from monitoring.ingest.writer import WriteResult, write_rows
from monitoring.metrics import INGEST_BATCH_SIZE, INGESTED_EVENTS
from monitoring.models import Event
from monitoring.signals import events_recorded
from tenants.models import Project


def ingest_events(
    project: Project, events: Sequence[EventIn], *, source: str, probe_id: int | None = None
) -> WriteResult:
    """Price, redact and store validated events of `project` in one transaction.

    Returns only after the commit: what it reports as accepted is durable. Events whose id the
    project already has are counted as duplicates and not stored again. After the commit the
    `events_ingested` signal names the series that received events.
    """
    rows = build_rows(
        project.organization_id,
        project.id,
        events,
        source=source,
        received_at=timezone.now(),
        store_prompts=project.store_prompts,
        probe_id=probe_id,
    )
    with transaction.atomic():
        result = write_rows(rows, client_ids=any(e.id is not None for e in events))
        if result.series:
            events_recorded.send(sender=Event, project=project, series=result.series)
    INGEST_BATCH_SIZE.labels(source).observe(len(events))
    INGESTED_EVENTS.labels(source, "accepted").inc(result.accepted)
    if result.duplicates:
        INGESTED_EVENTS.labels(source, "duplicate").inc(result.duplicates)
    return result
