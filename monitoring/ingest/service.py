"""Storing events: the one write path, for REST, OTLP and probe runs alike."""

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
    """Price, redact and store validated events of `project` received by an ingest endpoint
    (REST, OTLP), in one transaction, and count them in the ingest metrics.

    Returns only after the commit: what it reports as accepted is durable. Events whose id the
    project already has are counted as duplicates and not stored again. Raises
    quota.QuotaExceeded, with nothing stored, when the batch would take the organization over
    its plan's monthly events.
    """
    result = store_events(
        project, events, source=source, store_prompts=project.store_prompts, probe_id=probe_id
    )
    INGEST_BATCH_SIZE.labels(source).observe(len(events))
    INGESTED_EVENTS.labels(source, "accepted").inc(result.accepted)
    if result.duplicates:
        INGESTED_EVENTS.labels(source, "duplicate").inc(result.duplicates)
    return result


def store_events(
    project: Project,
    events: Sequence[EventIn],
    *,
    source: str,
    store_prompts: bool,
    store_completions: bool | None = None,
    probe_id: int | None = None,
) -> WriteResult:
    """The one write path of events (ingest endpoints and probe runs): price, redact and store
    `events` with their rollups and usage in one transaction.

    Returns only after the commit. Before the commit, `events_recorded` names the series that
    received events, and the probe they came from (receivers act on commit). A prompt is kept
    only with `store_prompts`, a completion with `store_completions` (by default: as prompts);
    a prompt's hash always is. Events of a metered source count against
    the organization's plan: quota.QuotaExceeded, with nothing stored, when the batch would
    take it over its monthly events.
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
        store_prompts=store_prompts,
        store_completions=store_completions,
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
                extra = {"probe_ids": {probe_id}} if probe_id is not None else {}
                events_recorded.send(sender=Event, project=project, series=result.series, **extra)
    except Exception:
        if not committed:
            raise
        # The events are stored; a hook that runs after the commit (say, queueing an SPC
        # evaluation while Redis is down) must not turn a durable write into an error.
        log.exception("an after-commit hook failed; the %d events are stored", len(rows))
    return result
