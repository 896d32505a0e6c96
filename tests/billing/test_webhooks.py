"""POST /billing/stripe/webhook/: signed, processed once, order-independent, never half-done."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from billing import quota
from billing.models import BillingAccount, StripeEvent
from tests.billing.conftest import WEBHOOK_URL
from tests.billing.fake_stripe import sign, stripe_event

pytestmark = pytest.mark.django_db


def test_a_replayed_event_is_processed_once(organization, subscribe, billing_on, deliver):
    sub = subscribe(organization)
    event = stripe_event("customer.subscription.updated", sub, event_id="evt_replayed")
    fetches_before = len(billing_on.requests_to("/v1/subscriptions/"))

    first = deliver(event)
    second = deliver(event)

    assert first.status_code == second.status_code == 200
    assert first.json()["duplicate"] is False
    assert second.json()["duplicate"] is True
    assert StripeEvent.objects.filter(id="evt_replayed").count() == 1
    # Only the first delivery did any work (one fetch of the subscription).
    assert len(billing_on.requests_to("/v1/subscriptions/")) == fetches_before + 1


def test_deleted_before_updated_ends_cancelled(organization, subscribe, billing_on, deliver):
    sub = subscribe(organization)
    assert quota.plan_for(organization).slug == "team"
    updated_payload = dict(sub, cancel_at_period_end=True)  # what the late event carries
    # In Stripe the subscription is now cancelled; its events arrive in the wrong order.
    cancelled = billing_on.put_subscription(
        "sub_team", customer=sub["customer"], status="canceled", created=sub["created"]
    )
    assert deliver(stripe_event("customer.subscription.deleted", cancelled)).status_code == 200
    assert (
        deliver(stripe_event("customer.subscription.updated", updated_payload)).status_code == 200
    )

    account = BillingAccount.objects.get(organization=organization)
    assert account.subscription_status == "canceled"
    assert account.plan is None
    assert quota.plan_for(organization).slug == "free"


def test_an_older_subscriptions_late_event_does_not_replace_the_newer_one(
    organization, subscribe, billing_on, deliver
):
    old = subscribe(organization, sub_id="sub_old", created=int(time.time()) - 3600)
    subscribe(organization, sub_id="sub_new")
    billing_on.put_subscription(
        "sub_old", customer=old["customer"], status="canceled", created=old["created"]
    )
    deliver(stripe_event("customer.subscription.deleted", old))

    account = BillingAccount.objects.get(organization=organization)
    assert account.stripe_subscription_id == "sub_new"
    assert quota.plan_for(organization).slug == "team"


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "stale timestamp", "missing header", "tampered body"],
)
def test_a_bad_signature_answers_400_and_changes_nothing(organization, billing_on, deliver, how):
    sub = billing_on.put_subscription(
        "sub_x", customer="cus_x", metadata={"llmscope_organization": str(organization.pk)}
    )
    event = stripe_event("customer.subscription.created", sub)
    payload = json.dumps(event).encode()
    if how == "wrong secret":
        response = deliver(event, secret="whsec_not_the_one")
    elif how == "stale timestamp":  # Stripe's tolerance is 5 minutes
        response = deliver(event, timestamp=int(time.time()) - 301)
    elif how == "missing header":
        response = deliver(event, signature="")
    else:
        header = sign(payload.replace(b"active", b"trialing"), "whsec_llmscope_test_secret")
        response = deliver(event, signature=header)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_signature"
    assert not StripeEvent.objects.exists()
    assert not BillingAccount.objects.exists()
    assert billing_on.requests_to("/v1/subscriptions/") == []


def test_a_signed_body_that_is_not_an_event_answers_400(billing_on, client):
    for payload in (b"not json", b"[1, 2]", b'{"id": "evt_1"}'):
        response = client.post(
            WEBHOOK_URL,
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_llmscope_test_secret"),
        )
        assert response.status_code == 400, payload
        assert response.json()["error"] in ("invalid_json", "validation_error")
    assert not StripeEvent.objects.exists()


def test_an_unknown_event_type_answers_200_and_is_ignored(organization, billing_on, deliver):
    response = deliver(stripe_event("customer.tax_id.created", {"id": "txi_1"}))
    assert response.status_code == 200
    assert not BillingAccount.objects.exists()
    assert billing_on.state.requests == []


def test_a_failing_handler_answers_500_and_a_retry_succeeds(organization, billing_on, deliver):
    sub = billing_on.put_subscription(
        "sub_y", customer="cus_y", metadata={"llmscope_organization": str(organization.pk)}
    )
    event = stripe_event("customer.subscription.created", sub, event_id="evt_retry")
    billing_on.fail("/v1/subscriptions/", times=1)

    failed = deliver(event)
    assert failed.status_code == 500
    assert failed.json()["error"] == "processing_failed"
    assert not StripeEvent.objects.exists()  # so Stripe's retry is not taken for a replay
    assert quota.plan_for(organization).slug == "free"

    assert deliver(event).status_code == 200
    assert quota.plan_for(organization).slug == "team"


def test_the_endpoint_needs_no_session_and_no_csrf_token(organization, billing_on):
    csrf_client = Client(enforce_csrf_checks=True)
    sub = billing_on.put_subscription(
        "sub_z", customer="cus_z", metadata={"llmscope_organization": str(organization.pk)}
    )
    payload = json.dumps(stripe_event("customer.subscription.created", sub)).encode()
    response = csrf_client.post(
        WEBHOOK_URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_llmscope_test_secret"),
    )
    assert response.status_code == 200


def test_with_billing_off_the_endpoint_does_not_exist(client, plans):
    response = client.post(WEBHOOK_URL, data=b"{}", content_type="application/json")
    assert response.status_code == 404


def test_get_is_not_allowed(billing_on, client):
    assert client.get(WEBHOOK_URL).status_code == 405
