"""One small transport class per channel kind, and the registry that maps a kind to it.

Adding a kind: one module here with its Transport subclass (registered below), one form in
alerts/forms.py, and, where it renders text, one template.
"""

from __future__ import annotations

from alerts.transports.apprise_url import AppriseTransport
from alerts.transports.base import Outcome, SecretField, Transport
from alerts.transports.discord import DiscordTransport
from alerts.transports.email import EmailTransport
from alerts.transports.pagerduty import PagerDutyTransport
from alerts.transports.slack import SlackTransport
from alerts.transports.teams import TeamsTransport
from alerts.transports.webhook import WebhookTransport

TRANSPORTS: dict[str, Transport] = {
    t.kind: t
    for t in (
        EmailTransport(),
        SlackTransport(),
        WebhookTransport(),
        DiscordTransport(),
        TeamsTransport(),
        PagerDutyTransport(),
        AppriseTransport(),
    )
}


def transport_for(kind: str) -> Transport:
    """The transport of a channel kind (KeyError for an unknown kind)."""
    return TRANSPORTS[kind]


__all__ = ["TRANSPORTS", "Outcome", "SecretField", "Transport", "transport_for"]
