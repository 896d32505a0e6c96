"""Celery tasks of billing: thin wrappers over the services they run."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from celery import shared_task

from billing.metering import report_overage
from billing.notices import send_usage_notice


@shared_task
def report_overage_task() -> dict:
    """Hourly: report metered overage to Stripe (idempotent per organization and hour)."""
    return asdict(report_overage())


@shared_task
def send_usage_notice_task(
    organization_id: int, threshold: int, used: int, limit: int, period: str
) -> bool:
    return send_usage_notice(organization_id, threshold, used, limit, date.fromisoformat(period))


def queue_usage_notice(sender, organization_id, threshold, used, limit, period_start, **kwargs):
    """Receiver of quota.usage_threshold_crossed: the email goes out from a task."""
    send_usage_notice_task.delay(organization_id, threshold, used, limit, period_start.isoformat())
