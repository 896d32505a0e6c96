"""PagerDuty Events API v2: trigger, acknowledge and resolve with `dedup_key` = our
incident, so PagerDuty's incident follows ours."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from alerts.transports.base import HttpPost, Outcome, SecretField, Transport

ACTIONS = {
    "trigger": "trigger",
    "renotify": "trigger",  # same dedup_key: PagerDuty folds it into its open incident
    "acknowledge": "acknowledge",
    "resolve": "resolve",
    "test": "trigger",
}


def dedup_key(notification: dict[str, Any], delivery) -> str:
    incident = notification.get("incident") or {}
    if incident.get("id"):
        return f"llmscope-incident-{incident['id']}"
    return f"llmscope-test-{delivery.idempotency_key}"


def pagerduty_event(routing_key: str, n: dict[str, Any], delivery) -> dict:
    action = ACTIONS[n["event"]]
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": dedup_key(n, delivery),
    }
    if action == "trigger":
        project = n.get("project") or {}
        event["payload"] = {
            "summary": f"{n['title']}: {n['text']}"[:1024],
            "source": f"llmscope/{project.get('slug', '')}",
            "severity": "info" if n["event"] == "test" else "critical",
            "timestamp": (n.get("incident") or {}).get("opened_at") or n.get("sent_at"),
            "component": n.get("series", ""),
            "custom_details": {f["label"]: f["value"] for f in n.get("facts", [])},
        }
        incident = n.get("incident") or {}
        if incident.get("url"):
            event["links"] = [{"href": incident["url"], "text": "The incident in LLMscope"}]
        if n.get("chart_image_url"):
            event["images"] = [{"src": n["chart_image_url"], "alt": "The chart"}]
    return event


class PagerDutyTransport(Transport):
    kind = "pagerduty"
    label = "PagerDuty"
    secret_fields = [SecretField("routing_key", "Integration (routing) key")]
    sends_acknowledgements = True

    def notify(self, channel, notification: dict[str, Any], delivery) -> Outcome:
        routing_key = channel.secrets()["routing_key"]
        url = settings.LLMSCOPE_PAGERDUTY_EVENTS_URL
        # Our own configured endpoint, not a user-supplied one: no private-address guard.
        outcome = HttpPost(
            url, pagerduty_event(routing_key, notification, delivery), guarded=False
        ).send()
        if notification["event"] == "test" and outcome.ok:
            # A test should not leave an incident open on the receiving side.
            resolve = {**notification, "event": "resolve"}
            HttpPost(url, pagerduty_event(routing_key, resolve, delivery), guarded=False).send()
        return outcome
