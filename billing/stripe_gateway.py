"""The one transport to Stripe: the official `stripe` client, pointed at STRIPE_API_BASE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import stripe
from django.conf import settings

TIMEOUT_S = 20.0


class StripeGateway:
    """The Stripe calls LLMscope makes. Each method is one API request."""

    def __init__(self) -> None:
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            # Retried POSTs carry the same Idempotency-Key (the library adds one).
            max_network_retries=2,
            http_client=stripe.HTTPXClient(timeout=TIMEOUT_S, allow_sync_methods=True),
        )

    def create_customer(self, organization_id: int, name: str, email: str) -> str:
        customer = self.client.v1.customers.create(
            params={
                "name": name,
                "email": email,
                "metadata": {"llmscope_organization": str(organization_id)},
            },
            # Two clicks on "Upgrade" make one customer.
            options={"idempotency_key": f"llmscope-customer-{organization_id}"},
        )
        return customer.id

    def create_checkout_session(
        self,
        *,
        customer_id: str,
        organization_id: int,
        plan_slug: str,
        prices: list[str],
        metered_prices: list[str],
        anchor: datetime,
        success_url: str,
        cancel_url: str,
    ) -> str:
        metadata = {"llmscope_organization": str(organization_id), "llmscope_plan": plan_slug}
        line_items: list[dict[str, Any]] = [{"price": p, "quantity": 1} for p in prices]
        line_items += [{"price": p} for p in metered_prices]  # metered: no quantity
        session = self.client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer_id,
                "client_reference_id": str(organization_id),
                "line_items": line_items,
                "metadata": metadata,
                "subscription_data": {
                    "metadata": metadata,
                    "billing_cycle_anchor": int(anchor.timestamp()),
                },
                "success_url": success_url,
                "cancel_url": cancel_url,
            }
        )
        return session.url

    def create_portal_session(self, customer_id: str, return_url: str) -> str:
        session = self.client.v1.billing_portal.sessions.create(
            params={"customer": customer_id, "return_url": return_url}
        )
        return session.url

    def retrieve_subscription(self, subscription_id: str) -> dict[str, Any]:
        """The subscription as Stripe has it now, as plain data."""
        return self.client.v1.subscriptions.retrieve(subscription_id).to_dict()

    def report_meter_event(
        self, *, customer_id: str, value: int, identifier: str, timestamp: datetime
    ) -> bool:
        """Send one meter event; False if Stripe already holds its identifier (delivered by
        an earlier attempt, so nothing more is billed)."""
        try:
            self.client.v1.billing.meter_events.create(
                params={
                    "event_name": settings.STRIPE_METER_EVENT_NAME,
                    "payload": {"stripe_customer_id": customer_id, "value": str(value)},
                    "identifier": identifier,
                    "timestamp": int(timestamp.timestamp()),
                }
            )
        except stripe.InvalidRequestError as exc:
            # Stripe rejects a repeated identifier: "An event already exists with identifier …"
            if "already exists with identifier" in (exc.user_message or str(exc)):
                return False
            raise
        return True


def construct_event(payload: bytes, signature: str) -> dict[str, Any]:
    """Verify a webhook's `Stripe-Signature` (5-minute tolerance) and parse its event into
    plain data. Raises stripe.SignatureVerificationError or ValueError (malformed payload)."""
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300
        )
    except (AttributeError, TypeError) as exc:  # signed JSON that is not an object
        raise ValueError(f"not a Stripe event: {exc}") from None
    return event.to_dict()
