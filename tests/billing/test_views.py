"""The billing page and its actions: every member reads, only owners act, outsiders get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import BillingAccount
from tests.tenancy import assert_cross_tenant_404

pytestmark = pytest.mark.django_db


def page_url(org) -> str:
    return reverse("billing-page", args=[org.slug])


@pytest.mark.parametrize("who", ["owner", "admin_user", "member", "viewer"])
def test_every_member_sees_the_plan_and_usage(request, organization, billing_on, client_for, who):
    response = client_for(request.getfixturevalue(who)).get(page_url(organization))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Free plan" in html
    assert 'id="usage"' in html and "Events this month" in html and 'id="daily-usage"' in html
    assert ("Upgrade to Team" in html) is (who == "owner")


def test_the_page_is_linked_from_the_organization_settings(organization, client_for, member):
    html = client_for(member).get(reverse("organization-settings", args=[organization.slug]))
    assert page_url(organization) in html.content.decode()


@pytest.mark.parametrize("name", ["billing-page", "billing-checkout", "billing-portal"])
def test_another_organization_gets_404(organization, billing_on, client_for, outsider, name):
    method = "get" if name == "billing-page" else "post"
    assert_cross_tenant_404(
        client_for(outsider), reverse(name, args=[organization.slug]), method, {"plan": "team"}
    )
    assert billing_on.state.requests == []


@pytest.mark.parametrize("who", ["admin_user", "member", "viewer"])
@pytest.mark.parametrize("name", ["billing-checkout", "billing-portal"])
def test_only_owners_start_checkout_or_open_the_portal(
    request, organization, billing_on, client_for, who, name
):
    BillingAccount.objects.create(organization=organization, stripe_customer_id="cus_acme")
    billing_on.state.customers["cus_acme"] = {"id": "cus_acme"}
    client = client_for(request.getfixturevalue(who))
    response = client.post(reverse(name, args=[organization.slug]), {"plan": "team"})
    assert response.status_code == 403
    assert billing_on.state.requests == []


def test_the_owner_opens_the_customer_portal(organization, billing_on, client_for, owner):
    BillingAccount.objects.create(organization=organization, stripe_customer_id="cus_acme")
    billing_on.state.customers["cus_acme"] = {"id": "cus_acme"}
    client = client_for(owner)
    assert "Manage billing" in client.get(page_url(organization)).content.decode()

    response = client.post(reverse("billing-portal", args=[organization.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith("https://billing.stripe.test/p/session/")
    (call,) = billing_on.requests_to("/v1/billing_portal/sessions")
    assert call.params == {
        "customer": "cus_acme",
        "return_url": "http://testserver" + page_url(organization),
    }


def test_the_portal_without_a_customer_explains_itself(organization, billing_on, client_for, owner):
    response = client_for(owner).post(
        reverse("billing-portal", args=[organization.slug]), follow=True
    )
    assert "nothing to manage yet" in response.content.decode()
    assert billing_on.state.requests == []


def test_a_stripe_outage_at_checkout_is_a_message_not_a_500(
    organization, billing_on, client_for, owner
):
    billing_on.fail("/v1/customers", times=5)
    response = client_for(owner).post(
        reverse("billing-checkout", args=[organization.slug]), {"plan": "team"}, follow=True
    )
    assert response.status_code == 200
    assert "Stripe could not be reached" in response.content.decode()


@pytest.mark.parametrize("plan", ["enterprise", "unlimited", "free", "nope", ""])
def test_only_self_serve_plans_can_be_bought(organization, billing_on, client_for, owner, plan):
    response = client_for(owner).post(
        reverse("billing-checkout", args=[organization.slug]), {"plan": plan}, follow=True
    )
    assert response.status_code == 200
    assert "cannot be bought online" in response.content.decode()
    assert billing_on.state.requests == []


def test_a_second_checkout_reuses_the_customer(organization, billing_on, client_for, owner):
    client = client_for(owner)
    for _ in range(2):
        client.post(reverse("billing-checkout", args=[organization.slug]), {"plan": "team"})
    assert len(billing_on.requests_to("/v1/customers")) == 1
    assert len(billing_on.requests_to("/v1/checkout/sessions")) == 2


def test_with_billing_off_the_page_says_so_and_offers_nothing(
    organization, plans, client_for, owner
):
    client = client_for(owner)
    html = client.get(page_url(organization)).content.decode()
    assert "Billing is not configured" in html
    assert "Unlimited" in html
    assert "Upgrade" not in html
    response = client.post(
        reverse("billing-checkout", args=[organization.slug]), {"plan": "team"}, follow=True
    )
    assert "Billing is not configured" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(organization, client, billing_on):
    response = client.get(page_url(organization))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_organization_with_a_subscription_is_sent_to_the_portal_not_checkout(
    organization, subscribe, billing_on, client_for, owner
):
    subscribe(organization)
    sessions_before = len(billing_on.requests_to("/v1/checkout/sessions"))
    response = client_for(owner).post(
        reverse("billing-checkout", args=[organization.slug]), {"plan": "team"}, follow=True
    )
    assert "already has a subscription" in response.content.decode()
    assert len(billing_on.requests_to("/v1/checkout/sessions")) == sessions_before
