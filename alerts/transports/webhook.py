"""Webhook: the notification as JSON (schema `llmscope.notification`, version 1, see
docs/webhooks.md), signed per the Standard Webhooks spec with the channel's secret."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from alerts.transports.base import HttpPost, Outcome, SecretField, Transport


def signed_headers(secret: str, message_id: str, body: str) -> dict[str, str]:
    """webhook-id, webhook-timestamp, webhook-signature for `body` (Standard Webhooks)."""
    now = timezone.now()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }


class WebhookTransport(Transport):
    kind = "webhook"
    label = "Webhook"
    secret_fields = [
        SecretField("url", "URL"),
        SecretField("signing_secret", "Signing secret (whsec_…)"),
        SecretField("headers", "Custom headers", required=False),
    ]
    sends_acknowledgements = True

    def notify(self, channel, notification: dict[str, Any], delivery) -> Outcome:
        secrets = channel.secrets()
        body = json.dumps(notification, separators=(",", ":"), sort_keys=True)
        headers = dict(json.loads(secrets.get("headers") or "{}"))
        # The same webhook-id on every attempt: receivers drop a repeat by it.
        headers.update(
            signed_headers(secrets["signing_secret"], str(delivery.idempotency_key), body)
        )
        return HttpPost(secrets["url"], None, headers=headers, content=body.encode()).send()

    def describe(self, channel) -> str:
        return channel.secret_hints.get("url", "")
