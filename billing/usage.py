"""What the billing page shows: usage this month against every limit of the plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Sum

from billing import quota
from billing.metering import overage_so_far
from billing.models import UsageCounter
from billing.plans import EffectivePlan, period_bounds
from monitoring.probes.models import Probe
from tenants.models import Invitation, Organization


@dataclass
class UsageLine:
    label: str
    used: int | None  # None: not counted here
    limit: int | None  # None: unlimited
    unit: str = ""

    @property
    def percent(self) -> int | None:
        if self.used is None or not self.limit:
            return None
        return min(100, round(100 * self.used / self.limit))


@dataclass
class DayBar:
    day: date
    events: int
    percent: int  # of the busiest day, for the bar's length


def members_and_invitations(organization: Organization) -> int:
    """Seats taken: members plus pending invitations (an invitation reserves a seat)."""
    return (
        organization.memberships.count()
        + Invitation.objects.pending().filter(organization=organization).count()
    )


def usage_lines(organization: Organization, plan: EffectivePlan) -> list[UsageLine]:
    return [
        UsageLine("Events this month", quota.events_used(organization), plan.included_events),
        UsageLine(
            "Probes",
            Probe.objects.filter(organization=organization).count(),
            plan.limits["probes"],
        ),
        UsageLine(
            "Members and invitations", members_and_invitations(organization), plan.limits["members"]
        ),
        # Alert channels are counted by the alerts app once it exists.
        UsageLine("Alert channels", None, plan.limits["channels"]),
    ]


def daily_usage(organization: Organization, now: datetime | None = None) -> list[DayBar]:
    """Events accepted per day this month, every day up to today (zeros included)."""
    now = now or datetime.now(UTC)
    start = period_bounds(now)[0].date()
    rows = dict(
        UsageCounter.objects.filter(organization=organization, day__gte=start)
        .values_list("day")
        .annotate(n=Sum("events"))
        .values_list("day", "n")
    )
    days = [start + timedelta(days=i) for i in range((now.date() - start).days + 1)]
    busiest = max(rows.values(), default=0) or 1
    return [DayBar(day, rows.get(day, 0), round(100 * rows.get(day, 0) / busiest)) for day in days]


def overage(organization: Organization, plan: EffectivePlan) -> tuple[int, object]:
    """(events over the included amount, their cost) this month."""
    events = overage_so_far(organization.pk)
    return events, plan.overage_cost(events)
