"""Billing records: plans, each organization's billing account, the usage counter the quotas
read, processed Stripe events, overage reports and usage notices.

Other apps' models are referred to by name ("tenants.Organization") so that the quota API,
which reads these models, imports no other LLMscope app.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

ORGANIZATION = "tenants.Organization"


class Plan(models.Model):
    """What an organization may use. An empty limit means unlimited."""

    slug = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    price_monthly = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), help_text="USD, display only."
    )
    events_per_month = models.BigIntegerField(null=True, blank=True)
    max_probes = models.PositiveIntegerField(null=True, blank=True)
    min_probe_interval_s = models.PositiveIntegerField(default=10)
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    max_members = models.PositiveIntegerField(null=True, blank=True)
    max_channels = models.PositiveIntegerField(null=True, blank=True)
    # Metered overage: events beyond `events_per_month` are billed per `overage_unit` events
    # at `overage_price` (Stripe's metered price is authoritative; this is for display).
    overage_unit = models.PositiveIntegerField(null=True, blank=True)
    overage_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    self_serve = models.BooleanField(
        default=False, help_text="Offered through Stripe Checkout on the billing page."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_overage(self) -> bool:
        return bool(self.overage_unit) and self.events_per_month is not None


class SubscriptionStatus(models.TextChoices):
    NONE = "", "No subscription"
    ACTIVE = "active", "Active"
    TRIALING = "trialing", "Trialing"
    PAST_DUE = "past_due", "Past due"
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Canceled"
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete (expired)"
    PAUSED = "paused", "Paused"


class BillingAccount(models.Model):
    """An organization's plan, its Stripe customer and subscription, and staff overrides."""

    organization = models.OneToOneField(
        ORGANIZATION, on_delete=models.CASCADE, related_name="billing_account"
    )
    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Set by the subscription, or by staff (Enterprise). Empty: Free.",
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    subscription_status = models.CharField(
        max_length=24, choices=SubscriptionStatus.choices, blank=True
    )
    # The subscription's `created` (Unix time): an older subscription's events never win.
    subscription_created = models.BigIntegerField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    grace_until = models.DateTimeField(
        null=True, blank=True, help_text="Past due: the paid limits hold until then."
    )
    # Per-organization limits set by staff (Enterprise); empty: the plan's.
    events_per_month_override = models.BigIntegerField(null=True, blank=True)
    max_probes_override = models.PositiveIntegerField(null=True, blank=True)
    min_probe_interval_s_override = models.PositiveIntegerField(null=True, blank=True)
    retention_days_override = models.PositiveIntegerField(null=True, blank=True)
    max_members_override = models.PositiveIntegerField(null=True, blank=True)
    max_channels_override = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_customer_id"],
                condition=~models.Q(stripe_customer_id=""),
                name="one_account_per_stripe_customer",
            )
        ]

    def __str__(self) -> str:
        return f"Billing of organization {self.organization_id}"


class UsageCounter(models.Model):
    """Events accepted per organization and day (UTC), added to by every ingest write.

    Rows are sharded by writer connection (as monitoring's rollups are) so concurrent writers
    of one organization do not queue on one row; readers sum the shards.
    """

    organization = models.ForeignKey(ORGANIZATION, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    shard = models.SmallIntegerField(default=0)
    events = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "shard"], name="billing_usage_org_day_shard"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.day}: {self.events}"


class StripeEvent(models.Model):
    """A Stripe webhook event processed once: stored in the transaction of its effects."""

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField()
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.id} ({self.type})"


class OverageReport(models.Model):
    """Overage events reported to Stripe's meter for one organization and reporting interval.

    The row is written before the call and carries the meter event's `identifier`, so a
    retried report sends the same identifier and Stripe counts it once.
    """

    organization = models.ForeignKey(ORGANIZATION, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField(help_text="First day of the usage month.")
    interval_start = models.DateTimeField()
    quantity = models.BigIntegerField()
    identifier = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["interval_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period_start", "interval_start"],
                name="one_overage_report_per_interval",
            )
        ]

    def __str__(self) -> str:
        return self.identifier


class UsageNotice(models.Model):
    """A usage threshold (80 or 100 % of the monthly events) announced once per month."""

    organization = models.ForeignKey(ORGANIZATION, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    threshold = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period_start", "threshold"], name="one_notice_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.period_start:%Y-%m}: {self.threshold} %"
