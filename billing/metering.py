"""Metered overage: events beyond a plan's included amount, reported to Stripe Billing Meters.

Each run looks at the current month and the one before (whose last hour may not be reported
yet). Per organization and reporting interval one `OverageReport` row is written first, with
the meter event's identifier; sending it follows. A run that dies after Stripe recorded the
event but before the row was marked sent re-sends the same identifier later, and Stripe counts
an identifier once: overage is never billed twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Sum

from billing import quota
from billing.models import BillingAccount, OverageReport, SubscriptionStatus, UsageCounter
from billing.plans import period_bounds
from billing.stripe_gateway import StripeGateway

log = logging.getLogger(__name__)

INTERVAL = timedelta(hours=1)
REPORTABLE = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.PAST_DUE,
)


@dataclass
class MeteringRun:
    created: int = 0
    sent: int = 0
    failed: int = 0


def interval_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _events_in(org_id: int, start: datetime, end: datetime) -> int:
    total = UsageCounter.objects.filter(
        organization_id=org_id, day__gte=start.date(), day__lt=end.date()
    ).aggregate(n=Sum("events"))["n"]
    return int(total or 0)


def _record_overage(account: BillingAccount, interval: datetime, now: datetime) -> int:
    """Write the reports owed for `interval` (one per month with unreported overage)."""
    plan = quota.plan_for(account.organization_id)
    if not plan.has_overage:
        return 0
    created = 0
    previous = period_bounds(period_bounds(now)[0] - timedelta(seconds=1))
    for start, end in (previous, period_bounds(now)):
        over = _events_in(account.organization_id, start, end) - plan.included_events
        with transaction.atomic():
            # Serialises runs for this organization: two runs never both see "not reported".
            BillingAccount.objects.select_for_update().filter(pk=account.pk).first()
            reports = OverageReport.objects.filter(
                organization_id=account.organization_id, period_start=start.date()
            )
            if reports.filter(interval_start=interval).exists():
                continue
            owed = over - (reports.aggregate(n=Sum("quantity"))["n"] or 0)
            if owed <= 0:
                continue
            OverageReport.objects.create(
                organization_id=account.organization_id,
                period_start=start.date(),
                interval_start=interval,
                quantity=owed,
                identifier=(
                    f"llmscope-overage-{account.organization_id}-"
                    f"{start:%Y%m}-{interval:%Y%m%dT%H%M}"
                ),
            )
            created += 1
    return created


def _send_pending(account: BillingAccount, gateway: StripeGateway, now: datetime) -> tuple:
    sent = failed = 0
    pending = OverageReport.objects.filter(
        organization_id=account.organization_id, sent_at__isnull=True
    )
    for report in pending:
        # Stripe places a meter event in the billing period of its timestamp.
        month_end = datetime.combine(
            period_bounds(datetime.combine(report.period_start, datetime.min.time(), UTC))[1],
            datetime.min.time(),
            UTC,
        )
        stamp = min(now, month_end - timedelta(seconds=1))
        try:
            gateway.report_meter_event(
                customer_id=account.stripe_customer_id,
                value=report.quantity,
                identifier=report.identifier,
                timestamp=stamp,
            )
        except Exception:
            log.exception("overage report %s not sent; it is retried next run", report.identifier)
            failed += 1
            continue
        OverageReport.objects.filter(pk=report.pk).update(sent_at=now)
        sent += 1
    return sent, failed


def report_overage(now: datetime | None = None) -> MeteringRun:
    """Report every subscribed organization's unreported overage to Stripe."""
    now = now or datetime.now(UTC)
    run = MeteringRun()
    if not quota.billing_enabled():
        return run
    interval = interval_start(now)
    gateway = StripeGateway()
    accounts = BillingAccount.objects.filter(
        subscription_status__in=REPORTABLE, plan__overage_unit__isnull=False
    ).exclude(stripe_customer_id="")
    for account in accounts:
        run.created += _record_overage(account, interval, now)
        sent, failed = _send_pending(account, gateway, now)
        run.sent += sent
        run.failed += failed
    return run


def overage_so_far(organization_id: int, now: datetime | None = None) -> int:
    """Events beyond the included amount this month (0 for plans without overage)."""
    now = now or datetime.now(UTC)
    plan = quota.plan_for(organization_id)
    if not plan.has_overage:
        return 0
    start, end = period_bounds(now)
    return max(0, _events_in(organization_id, start, end) - plan.included_events)
