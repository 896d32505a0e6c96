"""Re-pricing a past period after an organization adds or corrects its prices.

Costs are computed once, at ingest, from the prices valid on each event's day. When an
organization records its negotiated price for a period that has already happened, the events
of that period are priced again (those whose cost the client sent are kept as sent) and the
rollups of the affected minutes are rebuilt from the raw events.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.db import transaction

from monitoring.models import Event
from monitoring.pricing.book import PriceLookup, clear_cache
from monitoring.pricing.matching import cost_of
from monitoring.rollups import rebuild_rollups
from tenants.models import Organization


def reprice_events(organization: Organization, start: date, end: date) -> int:
    """Recompute the cost of the organization's events with start <= day < end.

    Returns how many events changed cost. Events already deleted by retention are gone; their
    rollups keep the cost they had.
    """
    clear_cache()
    prices = PriceLookup(organization.id)
    since = datetime.combine(start, time.min, tzinfo=UTC)
    until = datetime.combine(end, time.min, tzinfo=UTC)
    changed = 0
    touched_projects: set[int] = set()
    events = Event.objects.for_organization(organization).filter(
        timestamp__gte=since, timestamp__lt=until, cost_from_client=False
    )
    with transaction.atomic():
        batch: list[Event] = []
        for event in events.iterator(chunk_size=2000):
            price = prices.find(event.provider, event.model, event.timestamp.date())
            if price is None or (event.input_tokens is None and event.output_tokens is None):
                cost = None
            else:
                cost = cost_of(
                    price,
                    event.input_tokens,
                    event.output_tokens,
                    event.cached_input_tokens,
                    event.cache_creation_input_tokens,
                    event.reasoning_tokens,
                )
            if cost != event.cost_usd:
                event.cost_usd = cost
                batch.append(event)
                touched_projects.add(event.project_id)
            if len(batch) >= 2000:
                Event.objects.bulk_update(batch, ["cost_usd"])
                changed += len(batch)
                batch = []
        Event.objects.bulk_update(batch, ["cost_usd"])
        changed += len(batch)
        for project_id in sorted(touched_projects):
            rebuild_rollups(project_id, since, until)
    return changed
