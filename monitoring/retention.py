"""Retention: raw events and host samples older than the organization's plan keeps them (or,
on a plan without a retention, e.g. self-hosted, the project's retention), rollups older than
a year. Deleted in bounded batches, each its own short transaction, so that a large
backlog never holds locks for long or blocks ingestion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from billing import quota
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


def retention_days(project: Project, plan_days: dict[int, int | None]) -> int:
    """Days of raw data kept for `project`: its organization's plan decides; a plan without a
    retention leaves it to the project. `plan_days` memoises the plan's days per organization."""
    org_id = project.organization_id
    if org_id not in plan_days:
        plan_days[org_id] = quota.retention_days(org_id)
    days = plan_days[org_id]
    return project.retention_days if days is None else days


def purge_expired(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> PurgeReport:
    """Apply every project's retention (as its plan sets it), then the rollup retention."""
    now = now or timezone.now()
    report = PurgeReport()
    plan_days: dict[int, int | None] = {}
    projects = Project.objects.only("id", "retention_days", "organization_id").order_by(
        "organization_id"
    )
    for project in projects.iterator():
        cutoff = now - timedelta(days=retention_days(project, plan_days))
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
