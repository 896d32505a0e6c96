"""Microsoft Teams: a Workflows webhook ("Post to a channel when a webhook request is
received") with an Adaptive Card. The retired Office 365 connectors are not supported."""

from __future__ import annotations

from typing import Any

from alerts.transports.base import HttpPost, Outcome, SecretField, Transport

CARD_COLORS = {"trigger": "attention", "renotify": "warning", "resolve": "good"}


def adaptive_card(n: dict[str, Any]) -> dict:
    incident = n.get("incident") or {}
    body: list[dict] = [
        {
            "type": "TextBlock",
            "text": n["title"],
            "weight": "bolder",
            "size": "medium",
            "wrap": True,
            "color": CARD_COLORS.get(n["event"], "default"),
        },
        {"type": "TextBlock", "text": n["text"], "wrap": True},
    ]
    if n.get("facts"):
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": f["label"], "value": str(f["value"])} for f in n["facts"]],
            }
        )
    if n.get("chart_image_url"):
        body.append({"type": "Image", "url": n["chart_image_url"], "altText": "The chart"})
    actions = []
    if incident.get("url"):
        actions.append(
            {"type": "Action.OpenUrl", "title": "Open the incident", "url": incident["url"]}
        )
    if incident.get("acknowledge_url") and n["event"] in ("trigger", "renotify"):
        actions.append(
            {"type": "Action.OpenUrl", "title": "Acknowledge", "url": incident["acknowledge_url"]}
        )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


class TeamsTransport(Transport):
    kind = "teams"
    label = "Microsoft Teams"
    secret_fields = [SecretField("webhook_url", "Workflows webhook URL")]

    def notify(self, channel, notification: dict[str, Any], delivery) -> Outcome:
        return HttpPost(channel.secrets()["webhook_url"], adaptive_card(notification)).send()
