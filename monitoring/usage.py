"""Usage the billing quotas count: events accepted per organization and month."""

from __future__ import annotations

from datetime import date

from django.db.models import Sum
from django.utils import timezone

from monitoring.models import OrganizationUsage
from tenants.models import Organization


def events_this_month(organization: Organization, today: date | None = None) -> int:
    """Events accepted for the organization in the calendar month (UTC) of `today`."""
    month = (today or timezone.now().date()).replace(day=1)
    total = OrganizationUsage.objects.filter(organization=organization, month=month).aggregate(
        n=Sum("events")
    )["n"]
    return total or 0
