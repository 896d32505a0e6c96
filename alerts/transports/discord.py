"""Discord: a channel webhook, the notification as one embed."""

from __future__ import annotations

from typing import Any

from alerts.transports.base import HttpPost, Outcome, SecretField, Transport
from alerts.transports.style import color


def discord_message(n: dict[str, Any]) -> dict:
    incident = n.get("incident") or {}
    embed: dict[str, Any] = {
        "title": n["title"][:256],
        "description": n["text"][:4000],
        "color": color(n),
        "fields": [
            {"name": f["label"][:256], "value": str(f["value"])[:1024] or "—", "inline": True}
            for f in n.get("facts", [])[:25]
        ],
    }
    if incident.get("url"):
        embed["url"] = incident["url"]
    if n.get("chart_image_url"):
        embed["image"] = {"url": n["chart_image_url"]}
    if incident.get("acknowledge_url") and n["event"] in ("trigger", "renotify"):
        embed["description"] += f"\n\n[Acknowledge]({incident['acknowledge_url']})"
    return {"username": "LLMscope", "allowed_mentions": {"parse": []}, "embeds": [embed]}


class DiscordTransport(Transport):
    kind = "discord"
    label = "Discord"
    secret_fields = [SecretField("webhook_url", "Webhook URL")]

    def notify(self, channel, notification: dict[str, Any], delivery) -> Outcome:
        url = channel.secrets()["webhook_url"]
        return HttpPost(url, discord_message(notification)).send()
