"""Events with known values, for the SPC tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from monitoring.models import Event


def add_events(
    project,
    latencies,
    *,
    start: datetime | None = None,
    step_s: float = 1.0,
    received_at: datetime | None = None,
    **fields,
) -> list[Event]:
    """Store one event per latency (ms), `step_s` apart, received well in the past so the
    settle window of the evaluator never hides them."""
    start = start or timezone.now() - timedelta(hours=2)
    received_at = received_at or timezone.now() - timedelta(minutes=5)
    defaults = {"model": "gpt-4o", "environment": "production", "source": "api", "status": "ok"}
    defaults.update(fields)
    events = [
        Event(
            organization_id=project.organization_id,
            project=project,
            event_id=uuid.uuid4(),
            timestamp=start + timedelta(seconds=i * step_s),
            received_at=received_at,
            latency_ms=float(v),
            **defaults,
        )
        for i, v in enumerate(latencies)
    ]
    return Event.objects.bulk_create(events)
