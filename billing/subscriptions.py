"""Subscriptions: start Checkout, open the Customer Portal, and mirror a Stripe subscription
onto the organization's billing account."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from billing import quota
from billing.models import BillingAccount, Plan, SubscriptionStatus
from billing.plans import FREE, GRACE_DAYS, period_bounds
from billing.stripe_gateway import StripeGateway
from tenants.models import Organization, Role

log = logging.getLogger(__name__)

# Subscription states that still bill (or may again, once paid).
LIVE = {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE}


class BillingError(Exception):
    """A billing action that cannot be done; the message is shown to the user."""


def account_for(organization: Organization) -> BillingAccount:
    account, _ = BillingAccount.objects.get_or_create(organization=organization)
    return account


def price_ids(plan: Plan) -> tuple[list[str], list[str]]:
    """(licensed prices, metered prices) of a self-serve plan, from the settings."""
    prices = settings.STRIPE_PRICES.get(plan.slug, "")
    metered = settings.STRIPE_METERED_PRICES.get(plan.slug, "")
    return ([prices] if prices else []), ([metered] if metered else [])


def _owner_email(organization: Organization) -> str:
    owner = organization.memberships.filter(role=Role.OWNER).select_related("user").first()
    return owner.user.email if owner else ""


def start_checkout(
    organization: Organization, plan_slug: str, success_url: str, cancel_url: str
) -> str:
    """Create a Checkout session (subscription mode) for `plan_slug`; returns its URL."""
    plan = Plan.objects.filter(slug=plan_slug, self_serve=True).first()
    if plan is None:
        raise BillingError("This plan cannot be bought online; contact us for it.")
    prices, metered = price_ids(plan)
    if not prices:
        raise BillingError(f"The {plan.name} plan has no Stripe price configured.")
    account = account_for(organization)
    if account.stripe_subscription_id and account.subscription_status in LIVE:
        # A second subscription would bill twice; the portal changes or repairs the first.
        raise BillingError(
            f"{organization.name} already has a subscription: use “Manage billing” to change "
            "the plan or the payment method."
        )
    gateway = StripeGateway()
    if not account.stripe_customer_id:
        customer = gateway.create_customer(
            organization.pk, organization.name, _owner_email(organization)
        )
        BillingAccount.objects.filter(pk=account.pk, stripe_customer_id="").update(
            stripe_customer_id=customer
        )
        account.refresh_from_db()
    return gateway.create_checkout_session(
        customer_id=account.stripe_customer_id,
        organization_id=organization.pk,
        plan_slug=plan.slug,
        prices=prices,
        metered_prices=metered,
        anchor=period_bounds(datetime.now(UTC))[1],
        success_url=success_url,
        cancel_url=cancel_url,
    )


def open_portal(organization: Organization, return_url: str) -> str:
    """A Customer Portal session for the organization's Stripe customer; returns its URL."""
    account = BillingAccount.objects.filter(organization=organization).first()
    if account is None or not account.stripe_customer_id:
        raise BillingError("There is nothing to manage yet: upgrade first.")
    return StripeGateway().create_portal_session(account.stripe_customer_id, return_url)


# --- Mirroring Stripe's state ------------------------------------------------------------


def _plan_of(subscription: Any) -> Plan | None:
    """The plan whose price the subscription carries (or named in its metadata)."""
    by_price = {price: slug for slug, price in settings.STRIPE_PRICES.items() if price}
    for item in subscription["items"]["data"]:
        slug = by_price.get(item["price"]["id"])
        if slug:
            return Plan.objects.filter(slug=slug).first()
    slug = (subscription.get("metadata") or {}).get("llmscope_plan")
    return Plan.objects.filter(slug=slug).first() if slug else None


def _period_end(subscription: Any) -> datetime | None:
    # Since Stripe's 2025 API versions the period lives on the subscription items.
    items = subscription["items"]["data"]
    end = items[0].get("current_period_end") if items else None
    end = end or subscription.get("current_period_end")
    return datetime.fromtimestamp(end, UTC) if end else None


def _locked_account(subscription: Any) -> BillingAccount | None:
    customer = subscription["customer"]
    customer_id = customer if isinstance(customer, str) else customer["id"]
    account = (
        BillingAccount.objects.select_for_update().filter(stripe_customer_id=customer_id).first()
    )
    if account is not None:
        return account
    org_id = (subscription.get("metadata") or {}).get("llmscope_organization", "")
    if not org_id.isdigit() or not Organization.objects.filter(pk=int(org_id)).exists():
        return None
    account, _ = BillingAccount.objects.select_for_update().get_or_create(
        organization_id=int(org_id)
    )
    if not account.stripe_customer_id:
        account.stripe_customer_id = customer_id
    return account


def apply_subscription(subscription: Any, now: datetime | None = None) -> BillingAccount | None:
    """Mirror `subscription` (as just fetched from Stripe) onto its organization's account.

    Must run in a transaction. Order-independent: the state comes from Stripe, not from the
    event, and an older subscription than the one on record never replaces it.
    """
    now = now or datetime.now(UTC)
    account = _locked_account(subscription)
    if account is None:
        log.warning("subscription %s belongs to no LLMscope organization", subscription["id"])
        return None
    created = subscription["created"]
    if (
        account.stripe_subscription_id
        and account.stripe_subscription_id != subscription["id"]
        and (account.subscription_created or 0) > created
    ):
        return account  # a newer subscription is on record
    status = subscription["status"]
    account.stripe_subscription_id = subscription["id"]
    account.subscription_created = created
    account.subscription_status = status
    account.current_period_end = _period_end(subscription)
    account.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
    ended = status in (
        SubscriptionStatus.CANCELED,
        SubscriptionStatus.INCOMPLETE_EXPIRED,
        SubscriptionStatus.UNPAID,
    )
    plan = None if ended else _plan_of(subscription)
    if plan is not None and plan.slug == FREE:
        plan = None
    if not ended and status != SubscriptionStatus.INCOMPLETE:
        account.plan = plan or account.plan
    elif ended:
        account.plan = None
    if status == SubscriptionStatus.PAST_DUE:
        if account.grace_until is None:
            account.grace_until = now + timedelta(days=GRACE_DAYS)
    else:
        account.grace_until = None
    account.save()
    transaction.on_commit(lambda: quota.forget(account.organization_id))
    return account


def refresh_subscription(subscription_id: str) -> BillingAccount | None:
    """Fetch the subscription from Stripe and mirror it (in the caller's transaction)."""
    return apply_subscription(StripeGateway().retrieve_subscription(subscription_id))
