"""Signals other apps subscribe to, so that monitoring never imports them.

`events_ingested` is sent after the transaction that stored new events commits, with
`project_id` and `series`: the set of (model, environment, source) keys that received events.
The SPC app marks those series dirty for evaluation.
"""

from __future__ import annotations

from django.dispatch import Signal

events_ingested = Signal()


def notify_events_ingested(project_id: int, series: set[tuple[str, str, str]]) -> None:
    """Send `events_ingested` (call it from `transaction.on_commit`)."""
    if series:
        events_ingested.send(sender="monitoring", project_id=project_id, series=frozenset(series))
