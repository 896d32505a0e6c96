"""Celery tasks of monitoring: thin wrappers over the services they run."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from celery import shared_task

from monitoring.pricing.reprice import reprice_events
from monitoring.retention import purge_expired
from tenants.models import Organization


@shared_task
def purge_expired_data() -> dict:
    """Daily: delete events past their project's retention, and rollups older than a year."""
    return asdict(purge_expired())


@shared_task
def reprice_period(organization_id: int, start: str, end: str) -> int:
    """Re-price an organization's events of [start, end) (ISO dates) after a price change."""
    organization = Organization.objects.get(pk=organization_id)
    return reprice_events(organization, date.fromisoformat(start), date.fromisoformat(end))
