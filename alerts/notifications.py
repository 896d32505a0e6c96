"""What a notification says, as one JSON-able dict shared by every transport (and sent
as-is by the webhook kind: schema `llmscope.notification`, version 1, docs/webhooks.md).

Words for people who are not statisticians: what happened, the value against its limits
or threshold, since when, on which series, with links to the incident and the chart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from alerts import links
from alerts.models import Incident

SCHEMA = "llmscope.notification"
SCHEMA_VERSION = 1
EVENT_TYPES = {
    "trigger": "incident.opened",
    "renotify": "incident.reminder",
    "acknowledge": "incident.acknowledged",
    "resolve": "incident.resolved",
    "test": "test",
}


def when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration_words(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


def _title(incident: Incident, event: str) -> str:
    prefix = {
        "renotify": "Still open: ",
        "acknowledge": "Acknowledged: ",
        "resolve": "Resolved: ",
    }.get(event, "")
    return prefix + incident.title


def _text(incident: Incident, event: str) -> str:
    details = incident.details or {}
    if event == "resolve":
        lasted = (incident.resolved_at or timezone.now()) - incident.opened_at
        return (
            f"Back to normal at {when(incident.resolved_at)}: "
            f"{details.get('resolved_because', 'the condition cleared')}. "
            f"It had been open for {duration_words(lasted.total_seconds())}."
        )
    if event == "acknowledge":
        who = incident.acknowledged_by.email if incident.acknowledged_by else "Someone"
        return f"{who} acknowledged it at {when(incident.acknowledged_at)}; reminders stop."
    text = details.get("what", incident.title)
    if details.get("explanation"):
        text += " " + details["explanation"]
    if event == "renotify":
        text = f"Open since {when(incident.opened_at)} and not acknowledged. " + text
    return text


def _facts(incident: Incident) -> list[dict[str, str]]:
    details = incident.details or {}
    facts = [
        {"label": "Project", "value": incident.project.name},
        {"label": "Series", "value": incident.series_label or incident.series_key},
    ]
    if details.get("value_text"):
        facts.append({"label": "Value", "value": details["value_text"]})
    if details.get("compared_with"):
        facts.append({"label": "Compared with", "value": details["compared_with"]})
    facts.append({"label": "Since", "value": when(incident.opened_at)})
    facts.append({"label": "Rule", "value": incident.rule.name})
    if incident.firing_count > 1:
        facts.append({"label": "Fired", "value": f"{incident.firing_count} times"})
    return facts


def incident_notification(incident: Incident, event: str) -> dict[str, Any]:
    """The notification for one event of an incident (trigger, renotify, acknowledge,
    resolve)."""
    project = incident.project
    details = incident.details or {}
    has_picture = bool(details.get("context"))
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "type": EVENT_TYPES[event],
        "event": event,
        "title": _title(incident, event),
        "text": _text(incident, event),
        "facts": _facts(incident),
        "series": incident.series_label or incident.series_key,
        "value": incident.value,
        "unit": details.get("unit", ""),
        "limits": details.get("limits"),
        "threshold": details.get("threshold"),
        "chart_image_url": links.image_url(incident) if has_picture else None,
        "incident": {
            "id": incident.pk,
            "status": incident.status,
            "url": links.incident_url(incident),
            "acknowledge_url": links.acknowledge_url(incident),
            "opened_at": incident.opened_at.isoformat(),
            "acknowledged_at": incident.acknowledged_at.isoformat()
            if incident.acknowledged_at
            else None,
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
            "firing_count": incident.firing_count,
        },
        "rule": {
            "id": incident.rule_id,
            "name": incident.rule.name,
            "kind": incident.rule.kind,
            "explanation": details.get("explanation", ""),
        },
        "project": {"id": project.pk, "name": project.name, "slug": project.slug},
        "organization": {
            "id": project.organization_id,
            "name": project.organization.name,
            "slug": project.organization.slug,
        },
    }


def test_notification(channel) -> dict[str, Any]:
    """What "Send a test notification" sends: clearly a test, in the same shape."""
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "type": EVENT_TYPES["test"],
        "event": "test",
        "title": "Test notification from LLMscope",
        "text": f"This is a test of the channel “{channel.name}”. When a rule fires, "
        "its notifications arrive here.",
        "facts": [{"label": "Channel", "value": channel.name}],
        "series": "",
        "value": None,
        "unit": "",
        "limits": None,
        "threshold": None,
        "chart_image_url": None,
        "incident": None,
        "rule": None,
        "project": None,
        "organization": {
            "id": channel.organization_id,
            "name": channel.organization.name,
            "slug": channel.organization.slug,
        },
    }
