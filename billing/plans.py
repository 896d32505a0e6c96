"""Which limits hold for an organization right now: its plan, as its subscription's state and
staff overrides make it. Pure functions over billing's own rows and settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings

from billing.models import BillingAccount, Plan, SubscriptionStatus

FREE = "free"
TEAM = "team"
ENTERPRISE = "enterprise"
UNLIMITED = "unlimited"

# The countable limits, by the name the rest of LLMscope asks for.
KINDS = ("events", "probes", "members", "channels")
_PLAN_FIELD = {
    "events": "events_per_month",
    "probes": "max_probes",
    "members": "max_members",
    "channels": "max_channels",
}
GRACE_DAYS = 7
# Subscription states in which the paid plan holds (past due only until the grace ends).
PAYING = {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING}


def billing_enabled() -> bool:
    """Billing (and so every quota) is on only when a Stripe secret key is configured."""
    return bool(settings.STRIPE_SECRET_KEY)


def period_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The usage period containing `now`: the calendar month (UTC). Subscriptions are
    anchored on the first of the month, so Stripe invoices the same months."""
    now = now.astimezone(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def period_start(now: datetime) -> date:
    return period_bounds(now)[0].date()


@dataclass(frozen=True)
class EffectivePlan:
    """The limits in force for one organization, resolved at `resolved_at`."""

    slug: str
    name: str
    limits: dict[str, int | None]  # hard limits by kind; None: unlimited
    included_events: int | None  # monthly events in the plan (what usage is shown against)
    min_probe_interval_s: int
    retention_days: int | None
    billing_enabled: bool
    status: str = ""
    grace_until: datetime | None = None
    # A paid plan suspended for non-payment: Free limits hold, data is kept.
    suspended_plan: str = ""
    cancel_at: datetime | None = None
    overage_unit: int | None = None
    overage_price: Decimal | None = None
    # Resolve again after this moment (end of grace, end of a cancelled period).
    valid_until: datetime | None = None
    resolved_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def limit(self, kind: str) -> int | None:
        if kind not in self.limits:
            raise KeyError(f"unknown quota kind {kind!r}; known: {', '.join(KINDS)}")
        return self.limits[kind]

    @property
    def in_grace(self) -> bool:
        return self.grace_until is not None and not self.suspended_plan

    @property
    def has_overage(self) -> bool:
        return bool(self.overage_unit) and self.included_events is not None

    def overage_cost(self, events_over: int) -> Decimal:
        """What `events_over` events beyond the included amount cost (whole units, rounded up)."""
        if not self.has_overage or events_over <= 0 or self.overage_price is None:
            return Decimal("0.00")
        units = -(-events_over // self.overage_unit)
        return (self.overage_price * units).quantize(Decimal("0.01"))


def _limits(plan: Plan, account: BillingAccount | None) -> dict:
    def pick(kind_field: str) -> int | None:
        override = getattr(account, f"{kind_field}_override", None) if account else None
        return override if override is not None else getattr(plan, kind_field)

    limits = {kind: pick(name) for kind, name in _PLAN_FIELD.items()}
    included = limits["events"]
    if plan.has_overage:
        limits["events"] = None  # beyond the included events, overage is billed, not refused
    return {
        "limits": limits,
        "included_events": included,
        "min_probe_interval_s": pick("min_probe_interval_s"),
        "retention_days": pick("retention_days"),
        "overage_unit": plan.overage_unit if plan.has_overage else None,
        "overage_price": plan.overage_price if plan.has_overage else None,
    }


def resolve(
    account: BillingAccount | None,
    plans: dict[str, Plan],
    now: datetime,
    *,
    enabled: bool,
    default_slug: str,
) -> EffectivePlan:
    """The plan in force for `account` at `now` (`plans` by slug)."""
    if not enabled:
        # Without rows (a database emptied by hand or by a test) billing off still answers.
        plan = (
            plans.get(default_slug)
            or plans.get(UNLIMITED)
            or Plan(slug=UNLIMITED, name="Unlimited", min_probe_interval_s=1)
        )
        return EffectivePlan(
            slug=plan.slug, name=plan.name, billing_enabled=False, **_limits(plan, None)
        )
    free = plans[FREE]
    if account is None:
        return EffectivePlan(slug=FREE, name=free.name, billing_enabled=True, **_limits(free, None))
    plan = account.plan or free
    status = account.subscription_status
    extra: dict = {"status": status}
    if account.stripe_subscription_id and plan.slug != FREE:
        period_end = account.current_period_end
        if status in PAYING:
            if account.cancel_at_period_end and period_end:
                extra["cancel_at"] = period_end
                if now >= period_end:
                    plan = free
                else:
                    extra["valid_until"] = period_end
        elif status == SubscriptionStatus.PAST_DUE:
            extra["grace_until"] = account.grace_until
            if account.grace_until and now < account.grace_until:
                extra["valid_until"] = account.grace_until
            else:
                extra["suspended_plan"] = plan.name
                plan = free
        else:
            plan = free
    own = account if plan == account.plan else None
    return EffectivePlan(
        slug=plan.slug, name=plan.name, billing_enabled=True, **_limits(plan, own), **extra
    )
