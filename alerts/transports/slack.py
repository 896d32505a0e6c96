"""Slack: an incoming-webhook URL, or a bot token and channel through the official
`slack_sdk` (`chat.postMessage`); Block Kit either way."""

from __future__ import annotations

import time
import urllib.error
from typing import Any

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts.transports.base import HttpPost, Outcome, SecretField, Transport, retry_after_seconds
from alerts.transports.style import EMOJI, is_public_url


def slack_blocks(n: dict[str, Any]) -> list[dict]:
    """The Block Kit message: headline, plain-words text, facts, chart picture, links."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": n["title"][:150]}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"{EMOJI.get(n['event'], '')} {n['text']}"[:3000]},
        },
    ]
    facts = [
        {"type": "mrkdwn", "text": f"*{f['label']}*\n{f['value']}"[:2000]}
        for f in n.get("facts", [])[:10]
    ]
    if facts:
        blocks.append({"type": "section", "fields": facts})
    image = n.get("chart_image_url")
    if image and is_public_url(image):
        blocks.append({"type": "image", "image_url": image, "alt_text": "The chart around it"})
    links = []
    incident = n.get("incident") or {}
    if incident.get("url"):
        links.append(f"<{incident['url']}|Open the incident>")
    if incident.get("acknowledge_url") and n["event"] in ("trigger", "renotify"):
        links.append(f"<{incident['acknowledge_url']}|Acknowledge>")
    if image and not is_public_url(image):
        links.append(f"<{image}|Chart picture>")
    if links:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]}
        )
    return blocks


class SlackTransport(Transport):
    kind = "slack"
    label = "Slack"
    secret_fields = [
        SecretField("webhook_url", "Incoming webhook URL", required=False),
        SecretField("bot_token", "Bot token (xoxb-…)", required=False),
    ]

    def notify(self, channel, notification: dict[str, Any], delivery) -> Outcome:
        secrets = channel.secrets()
        text = f"{notification['title']}: {notification['text']}"[:3000]
        blocks = slack_blocks(notification)
        if secrets.get("webhook_url"):
            return HttpPost(secrets["webhook_url"], {"text": text, "blocks": blocks}).send()
        return self._post_message(
            secrets.get("bot_token", ""), channel.config.get("channel", ""), text, blocks
        )

    def _post_message(self, token: str, slack_channel: str, text: str, blocks) -> Outcome:
        started = time.monotonic()
        client = WebClient(
            token=token,
            base_url=settings.LLMSCOPE_SLACK_API_URL,
            timeout=int(settings.LLMSCOPE_ALERT_TIMEOUT_S),
        )
        try:
            response = client.chat_postMessage(channel=slack_channel, text=text, blocks=blocks)
            outcome = Outcome(ok=True, status_code=response.status_code)
        except SlackApiError as exc:
            status = exc.response.status_code
            retryable = status == 429 or status >= 500
            outcome = Outcome(
                ok=False,
                status_code=status,
                error=f"Slack answered {status}: {exc.response.get('error', '')}",
                retryable=retryable,
                retry_after=retry_after_seconds(exc.response.headers.get("Retry-After"))
                if retryable
                else None,
            )
        except (urllib.error.URLError, OSError) as exc:
            outcome = Outcome(ok=False, error=f"Connection failed: {exc}"[:500], retryable=True)
        outcome.duration_ms = (time.monotonic() - started) * 1000.0
        return outcome

    def describe(self, channel) -> str:
        if channel.config.get("channel"):
            return f"bot → {channel.config['channel']}"
        return f"webhook {channel.secret_hints.get('webhook_url', '')}"
