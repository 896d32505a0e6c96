"""Apprise: one channel kind that reaches the long tail (Telegram, ntfy, Pushover, Matrix,
Opsgenie, Mattermost, …) through an Apprise URL, without a transport of our own for each."""

from __future__ import annotations

import logging
import time
from typing import Any

import apprise

from alerts.transports.base import Outcome, SecretField, Transport, guard_url

# Services whose URL names a host of the user's choosing: that host goes through the
# private-address guard. The others post to their own public API (api.telegram.org, …).
USER_HOST_SCHEMES = {
    "json", "jsons", "form", "forms", "xml", "xmls", "ntfy", "ntfys", "gotify", "gotifys",
    "matrix", "matrixs", "mmost", "mmosts", "rocket", "rockets", "apprise", "apprises",
    "nctalk", "nctalks", "ncloud", "nclouds", "signal", "signals", "kodi", "kodis", "xbmc",
    "xbmcs", "mqtt", "mqtts", "gchat", "lametric", "mastodon", "mastodons", "toot", "toots",
    "misskey", "misskeys", "synology", "synologys", "homeassistant", "hassio", "hassios",
}  # fmt: skip
NTFY_CLOUD = "ntfy.sh"


class InvalidAppriseUrl(ValueError):
    pass


def parse(url: str):
    """The Apprise plugin for `url`; InvalidAppriseUrl when Apprise does not know it."""
    plugin = apprise.Apprise.instantiate(url.strip())
    if plugin is None:
        raise InvalidAppriseUrl(
            "Apprise does not recognise this URL; see the Apprise wiki for the URL of "
            "each service (e.g. tgram://bottoken/chat_id, ntfy://topic)."
        )
    return plugin


def guard(url: str) -> None:
    """Raise UnsafeTarget when `url` points a user-chosen host at a private address."""
    plugin = parse(url)
    scheme = url.split("://", 1)[0].lower()
    host = getattr(plugin, "host", None)
    if scheme in USER_HOST_SCHEMES and host and host != NTFY_CLOUD:
        secure = scheme.endswith("s")
        port = f":{plugin.port}" if getattr(plugin, "port", None) else ""
        guard_url(f"{'https' if secure else 'http'}://{host}{port}/")


class AppriseTransport(Transport):
    kind = "apprise"
    label = "Apprise (90+ services)"
    secret_fields = [SecretField("url", "Apprise URL")]

    def notify(self, channel, notification: dict[str, Any], delivery) -> Outcome:
        from monitoring.probes.ssrf import UnsafeTarget

        started = time.monotonic()
        url = channel.secrets()["url"]
        try:
            guard(url)
        except (UnsafeTarget, InvalidAppriseUrl) as exc:
            return Outcome(ok=False, error=str(exc))
        sender = apprise.Apprise()
        sender.add(url)
        body = notification["text"]
        incident = notification.get("incident") or {}
        if incident.get("url"):
            body += f"\n\nIncident: {incident['url']}"
        if notification.get("chart_image_url"):
            body += f"\nChart: {notification['chart_image_url']}"
        notify_type = {
            "trigger": apprise.NotifyType.FAILURE,
            "renotify": apprise.NotifyType.WARNING,
            "resolve": apprise.NotifyType.SUCCESS,
        }.get(notification["event"], apprise.NotifyType.INFO)
        with apprise.LogCapture(level=logging.WARNING) as log:
            ok = sender.notify(body=body, title=notification["title"], notify_type=notify_type)
            errors = log.getvalue().strip()
        outcome = Outcome(
            ok=bool(ok),
            error="" if ok else (errors[-500:] or "Apprise could not deliver the notification."),
            # Apprise does not tell a refusal from an outage: try again, within the bound.
            retryable=not ok,
        )
        outcome.duration_ms = (time.monotonic() - started) * 1000.0
        return outcome

    def describe(self, channel) -> str:
        return channel.secret_hints.get("url", "")
