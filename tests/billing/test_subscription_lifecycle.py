"""Free → Team (Checkout) → past due (grace) → Free, with every limit following the plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from billing import quota
from billing.models import BillingAccount
from billing.plans import period_bounds
from monitoring.probes.models import Probe
from monitoring.retention import retention_days
from tests.billing.fake_stripe import stripe_event
from tests.billing.limits import create_probe, invite

pytestmark = pytest.mark.django_db


def test_an_organization_goes_free_team_past_due_free(
    organization, project, owner, client_for, billing_on, deliver
):
    client = client_for(owner)
    page = reverse("billing-page", args=[organization.slug])

    # Free: 60 s probes at most, 3 seats (the organization already has 4 members).
    assert quota.plan_for(organization).slug == "free"
    refused = create_probe(client, project, "fast", interval_s=10)
    assert refused.status_code == 400
    assert "Free plan runs probes at most every 60 seconds" in refused.content.decode()
    refused = invite(client, organization, "new@example.com")
    assert refused.status_code == 400
    assert "The Free plan allows 3 members" in refused.content.decode()
    assert retention_days(project, {}) == 7

    # Upgrade: a Checkout session for the Team price and the organization's new customer.
    response = client.post(reverse("billing-checkout", args=[organization.slug]), {"plan": "team"})
    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.test/")
    (customer_call,) = billing_on.requests_to("/v1/customers", "POST")
    assert customer_call.params["email"] == "owner@example.com"
    assert customer_call.params["metadata"] == {"llmscope_organization": str(organization.pk)}
    (session_call,) = billing_on.requests_to("/v1/checkout/sessions", "POST")
    customer_id = BillingAccount.objects.get(organization=organization).stripe_customer_id
    sent = session_call.params
    assert sent["mode"] == "subscription"
    assert sent["customer"] == customer_id
    assert sent["line_items"] == [
        {"price": "price_team", "quantity": "1"},
        {"price": "price_team_overage"},
    ]
    assert sent["client_reference_id"] == str(organization.pk)
    next_month = period_bounds(datetime.now(UTC))[1]
    assert sent["subscription_data"]["billing_cycle_anchor"] == str(int(next_month.timestamp()))
    assert session_call.headers["Authorization"] == "Bearer sk_test_llmscope"
    assert quota.plan_for(organization).slug == "free"  # nothing changes before Stripe confirms

    # The customer pays; Stripe creates the subscription and sends checkout.session.completed.
    billing_on.put_subscription("sub_1", customer=customer_id)
    session = {
        "id": "cs_1",
        "object": "checkout.session",
        "mode": "subscription",
        "customer": customer_id,
        "subscription": "sub_1",
        "client_reference_id": str(organization.pk),
    }
    assert deliver(stripe_event("checkout.session.completed", session)).status_code == 200
    plan = quota.plan_for(organization)
    assert plan.slug == "team"
    assert (plan.limit("probes"), plan.limit("members"), plan.retention_days) == (50, 20, 90)
    assert create_probe(client, project, "fast", interval_s=10).status_code == 302
    assert invite(client, organization, "new@example.com").status_code == 302
    assert retention_days(project, {}) == 90

    # A renewal payment fails: past due, Team limits for a 7-day grace, with a banner.
    billing_on.put_subscription("sub_1", customer=customer_id, status="past_due")
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "customer": customer_id,
        "parent": {"subscription_details": {"subscription": "sub_1"}},
    }
    assert deliver(stripe_event("invoice.payment_failed", invoice)).status_code == 200
    plan = quota.plan_for(organization)
    assert plan.slug == "team" and plan.in_grace
    account = BillingAccount.objects.get(organization=organization)
    assert account.grace_until - datetime.now(UTC) > timedelta(days=6, hours=23)
    banner = client.get(page).content.decode()
    assert 'id="billing-banner"' in banner and "The last payment" in banner
    assert create_probe(client, project, "faster", interval_s=10).status_code == 302

    # Seven days on, still unpaid: the Free limits apply; nothing is deleted.
    BillingAccount.objects.filter(pk=account.pk).update(
        grace_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    quota.forget(organization)
    plan = quota.plan_for(organization)
    assert plan.slug == "free" and plan.suspended_plan == "Team"
    assert create_probe(client, project, "third", interval_s=10).status_code == 400
    assert create_probe(client, project, "third", interval_s=60).status_code == 302
    refused = create_probe(client, project, "fourth", interval_s=60)
    assert "The Free plan allows 3 probes" in refused.content.decode()
    assert Probe.objects.filter(organization=organization).count() == 3  # the 10 s ones kept
    assert invite(client, organization, "late@example.com").status_code == 400
    assert retention_days(project, {}) == 7
    assert "grace period ended" in client.get(page).content.decode()

    # The customer pays after all: Team again, banner gone.
    billing_on.put_subscription("sub_1", customer=customer_id, status="active")
    assert deliver(stripe_event("invoice.paid", dict(invoice, status="paid"))).status_code == 200
    assert quota.plan_for(organization).slug == "team"
    assert BillingAccount.objects.get(pk=account.pk).grace_until is None
    assert 'id="billing-banner"' not in client.get(page).content.decode()


def test_cancel_at_period_end_keeps_team_until_the_period_ends(
    organization, subscribe, billing_on, deliver
):
    sub = subscribe(organization)
    period_end = int(datetime.now(UTC).timestamp()) + 3 * 86400
    updated = billing_on.put_subscription(
        sub["id"],
        customer=sub["customer"],
        cancel_at_period_end=True,
        period_end=period_end,
        created=sub["created"],
    )
    deliver(stripe_event("customer.subscription.updated", updated))
    plan = quota.plan_for(organization)
    assert plan.slug == "team"
    assert plan.cancel_at == datetime.fromtimestamp(period_end, UTC)

    # The period ends (Stripe's deletion event may come later): Free from then on.
    ended = billing_on.put_subscription(
        sub["id"],
        customer=sub["customer"],
        cancel_at_period_end=True,
        period_end=int(datetime.now(UTC).timestamp()) - 1,
        created=sub["created"],
    )
    deliver(stripe_event("customer.subscription.updated", ended))
    assert quota.plan_for(organization).slug == "free"

    cancelled = billing_on.put_subscription(
        sub["id"], customer=sub["customer"], status="canceled", created=sub["created"]
    )
    deliver(stripe_event("customer.subscription.deleted", cancelled))
    assert quota.plan_for(organization).slug == "free"
    assert BillingAccount.objects.get(organization=organization).plan is None


def test_enterprise_limits_are_set_per_organization_by_staff(organization, billing_on, plans):
    BillingAccount.objects.create(
        organization=organization,
        plan=plans["enterprise"],
        max_probes_override=500,
        events_per_month_override=50_000_000,
    )
    plan = quota.plan_for(organization)
    assert plan.slug == "enterprise"
    assert plan.limit("probes") == 500
    assert plan.limit("events") == 50_000_000
    assert plan.limit("members") is None
