"""Retention: raw events and host samples older than the project's retention, rollups older
than a year. Deleted in bounded batches, each its own short transaction, so that a large
backlog never holds locks for long or blocks ingestion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from monitoring.models import Event, EventRollup, EventRollupBucket, HostSample
from tenants.models import Project

ROLLUP_RETENTION = timedelta(days=365)
BATCH_SIZE = 5000


@dataclass
class PurgeReport:
    events: int = 0
    host_samples: int = 0
    rollups: int = 0


def delete_in_batches(queryset: QuerySet, batch_size: int = BATCH_SIZE) -> int:
    """Delete the rows of `queryset`, `batch_size` primary keys at a time."""
    deleted = 0
    model = queryset.model
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)


def purge_expired(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> PurgeReport:
    """Apply every project's retention, then the rollup retention."""
    now = now or timezone.now()
    report = PurgeReport()
    for project in Project.objects.only("id", "retention_days").iterator():
        cutoff = now - timedelta(days=project.retention_days)
        report.events += delete_in_batches(
            Event.objects.filter(project_id=project.id, timestamp__lt=cutoff), batch_size
        )
        report.host_samples += delete_in_batches(
            HostSample.objects.filter(project_id=project.id, timestamp__lt=cutoff), batch_size
        )
    oldest_minute = int((now - ROLLUP_RETENTION).timestamp()) // 60
    for model in (EventRollup, EventRollupBucket):
        report.rollups += delete_in_batches(
            model.objects.filter(minute__lt=oldest_minute), batch_size
        )
    return report
