"""Stripe webhook events: each processed once, in the transaction of its effects.

Handlers never trust the event's copy of a subscription: they fetch the subscription from
Stripe and mirror it, so events arriving late or out of order end in Stripe's current state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction

from billing.models import StripeEvent
from billing.subscriptions import refresh_subscription

log = logging.getLogger(__name__)


def _subscription_of_invoice(invoice: dict[str, Any]) -> str | None:
    # Older API versions name it on the invoice; newer ones under parent.subscription_details.
    sub = invoice.get("subscription")
    if not sub:
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        sub = details.get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    return sub or None


def _on_checkout_completed(session: dict[str, Any]) -> None:
    if session.get("mode") == "subscription" and session.get("subscription"):
        sub = session["subscription"]
        refresh_subscription(sub if isinstance(sub, str) else sub["id"])


def _on_subscription_changed(subscription: dict[str, Any]) -> None:
    refresh_subscription(subscription["id"])


def _on_invoice(invoice: dict[str, Any]) -> None:
    # invoice.paid ends a grace period, invoice.payment_failed starts one: both are the
    # subscription's status (active / past_due), read from Stripe.
    subscription_id = _subscription_of_invoice(invoice)
    if subscription_id:
        refresh_subscription(subscription_id)


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "checkout.session.completed": _on_checkout_completed,
    "customer.subscription.created": _on_subscription_changed,
    "customer.subscription.updated": _on_subscription_changed,
    "customer.subscription.deleted": _on_subscription_changed,
    "invoice.paid": _on_invoice,
    "invoice.payment_failed": _on_invoice,
}


def process_event(event: dict[str, Any]) -> bool:
    """Apply a verified event; False if it was processed before (a replay does nothing).

    Raises whatever a handler raises, with nothing stored, so the endpoint answers 500 and
    Stripe retries. Event types without a handler are recorded and ignored.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(
                    id=event["id"],
                    type=event["type"],
                    created=datetime.fromtimestamp(event["created"], UTC),
                )
        except IntegrityError:
            return False
        handler = HANDLERS.get(event["type"])
        if handler is not None:
            handler(event["data"]["object"])
    return True
