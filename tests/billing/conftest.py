"""Billing fixtures: the fake Stripe API, billing switched on against it, signed webhooks,
and the default plans (re-seeded: transactional tests empty every table)."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps as django_apps

from billing import quota
from billing.models import Plan
from tests.billing.fake_stripe import FakeStripe, sign, stripe_event

WEBHOOK_SECRET = "whsec_llmscope_test_secret"
WEBHOOK_URL = "/billing/stripe/webhook/"
_seed = importlib.import_module("billing.migrations.0002_seed_plans").seed


@pytest.fixture(autouse=True)
def _fresh_quota_cache():
    quota.forget()
    yield
    quota.forget()


@pytest.fixture
def plans(db):
    """The seeded plans, present whatever an earlier transactional test flushed."""
    _seed(django_apps, None)
    quota.forget()
    return {plan.slug: plan for plan in Plan.objects.all()}


@pytest.fixture
def fake_stripe():
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def billing_on(settings, fake_stripe, plans):
    """Billing configured, with the real `stripe` client pointed at the fake."""
    settings.STRIPE_SECRET_KEY = "sk_test_llmscope"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_PRICES = {"team": "price_team", "enterprise": ""}
    settings.STRIPE_METERED_PRICES = {"team": "price_team_overage"}
    settings.STRIPE_METER_EVENT_NAME = "llmscope_events"
    quota.forget()
    return fake_stripe


@pytest.fixture
def deliver(client):
    """POST an event to the webhook, signed as Stripe signs it (or as told)."""

    def post(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp=None, signature=None):
        payload = json.dumps(event).encode()
        header = signature if signature is not None else sign(payload, secret, timestamp)
        response = client.post(
            WEBHOOK_URL,
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
        quota.forget()  # the next question in this test reads the new state at once
        return response

    return post


@pytest.fixture
def subscribe(billing_on, deliver):
    """Put the organization on a subscription as Stripe would: the subscription exists in
    (fake) Stripe, then `customer.subscription.created` arrives."""

    def make(organization, *, sub_id="sub_team", status="active", price="price_team", **kw):
        customer = f"cus_{organization.slug}"
        billing_on.state.customers.setdefault(customer, {"id": customer, "object": "customer"})
        sub = billing_on.put_subscription(
            sub_id,
            customer=customer,
            status=status,
            price=price,
            metadata={"llmscope_organization": str(organization.pk)},
            **kw,
        )
        response = deliver(stripe_event("customer.subscription.created", sub))
        assert response.status_code == 200, response.content
        return sub

    return make


def set_free_events(limit: int) -> None:
    """Make the Free plan's monthly events small enough to cross in a test."""
    Plan.objects.filter(slug="free").update(events_per_month=limit)
    quota.forget()
