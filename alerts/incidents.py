"""Opening, joining, acknowledging and resolving incidents, and who hears about it.

A firing opens one incident per (rule, series) or joins the active one (a partial unique
constraint decides races). Muted rules, maintenance windows and the cooldown after a
resolution record the incident and say why nothing was sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from alerts.models import AlertRule, Delivery, Incident, IncidentEvent, in_maintenance
from alerts.notifications import incident_notification, when
from spc.models import Chart, Violation


@dataclass
class Firing:
    """A rule's condition met on one series: what the incident will say."""

    series_key: str
    series_label: str
    title: str
    value: float | None = None
    details: dict = field(default_factory=dict)
    chart: Chart | None = None
    violations: list[Violation] = field(default_factory=list)
    step: int = 0  # a budget's % step reached (50, 80, 100)
    # Threshold checks repeat every 30 s while breached: counted, not each put on the timeline.
    record_join: bool = True


def suppression(rule: AlertRule, series_key: str, now: datetime) -> tuple[str, str] | None:
    """(reason, sentence) when a new incident must not notify, else None."""
    if rule.is_muted(now):
        return "muted", f"Not sent: the rule is muted until {when(rule.muted_until)}."
    window = in_maintenance(rule.project_id, now)
    if window is not None:
        return "maintenance", f"Not sent: maintenance window ({window.describe()})."
    if rule.cooldown_minutes:
        since = now - timedelta(minutes=rule.cooldown_minutes)
        recent = Incident.objects.filter(
            rule=rule,
            series_key=series_key,
            status=Incident.Status.RESOLVED,
            resolved_at__gte=since,
        ).exists()
        if recent:
            return "cooldown", (
                f"Not sent: cooldown ({rule.cooldown_minutes} min after the last resolution)."
            )
    return None


def quiet_now(rule: AlertRule, now: datetime) -> tuple[str, str] | None:
    """Mute and maintenance, for the notifications after the first (no cooldown)."""
    if rule.is_muted(now):
        return "muted", f"Not sent: the rule is muted until {when(rule.muted_until)}."
    window = in_maintenance(rule.project_id, now)
    if window is not None:
        return "maintenance", f"Not sent: maintenance window ({window.describe()})."
    return None


def notify_channels(incident: Incident, kind: str) -> list[Delivery]:
    """One delivery per channel of the incident's rule (sent after commit)."""
    payload = incident_notification(incident, kind)
    deliveries = []
    for channel in incident.rule.channels.all():
        if kind == Delivery.Kind.ACKNOWLEDGE and not channel.transport.sends_acknowledgements:
            continue
        deliveries.append(channel.notify(incident, kind, payload))
    return deliveries


def open_or_join(rule: AlertRule, firing: Firing, now: datetime | None = None) -> Incident:
    """Open an incident for the firing, or join the active one on the same series."""
    now = now or timezone.now()
    with transaction.atomic():
        active = _active(rule, firing.series_key)
        if active is not None:
            _join(active, firing, now)
            return active
        try:
            with transaction.atomic():
                incident = Incident.objects.create(
                    organization_id=rule.organization_id,
                    project_id=rule.project_id,
                    rule=rule,
                    series_key=firing.series_key,
                    series_label=firing.series_label[:300],
                    title=firing.title[:300],
                    chart=firing.chart,
                    value=firing.value,
                    details=firing.details,
                    step=firing.step,
                    opened_at=now,
                )
        except IntegrityError:  # another worker opened it a moment ago: join theirs
            active = _active(rule, firing.series_key)
            _join(active, firing, now)
            return active
        if firing.violations:
            incident.violations.add(*firing.violations)
        incident.record(IncidentEvent.Kind.OPENED, firing.details.get("what", firing.title))
        quiet = suppression(rule, firing.series_key, now)
        if quiet is not None:
            incident.suppressed = quiet[0]
            incident.save(update_fields=["suppressed"])
            incident.record(IncidentEvent.Kind.SUPPRESSED, quiet[1])
        else:
            if rule.renotify_minutes:
                incident.next_renotify_at = now + timedelta(minutes=rule.renotify_minutes)
                incident.save(update_fields=["next_renotify_at"])
            notify_channels(incident, Delivery.Kind.TRIGGER)
    return incident


def _active(rule: AlertRule, series_key: str) -> Incident | None:
    return (
        Incident.objects.select_for_update()
        .select_related("project__organization", "rule")
        .filter(rule=rule, series_key=series_key, status__in=Incident.ACTIVE)
        .first()
    )


def _join(incident: Incident, firing: Firing, now: datetime) -> None:
    """A later firing on an open incident: counted and kept, not sent again; a budget's
    next step (80 %, 100 %) is the exception: it notifies."""
    Incident.objects.filter(pk=incident.pk).update(
        firing_count=F("firing_count") + 1, clear_since=None
    )
    incident.refresh_from_db()
    if firing.violations:
        incident.violations.add(*firing.violations)
    if firing.step > incident.step:
        incident.step = firing.step
        incident.title = firing.title[:300]
        incident.value = firing.value
        incident.details = firing.details
        incident.save(update_fields=["step", "title", "value", "details"])
        incident.record(IncidentEvent.Kind.ESCALATED, firing.details.get("what", firing.title))
        quiet = quiet_now(incident.rule, now)
        if quiet is not None:
            incident.record(IncidentEvent.Kind.SUPPRESSED, quiet[1])
        elif not incident.suppressed:
            notify_channels(incident, Delivery.Kind.TRIGGER)
        return
    if firing.record_join:
        incident.record(IncidentEvent.Kind.JOINED, firing.details.get("what", firing.title))


def acknowledge_incident(incident: Incident, user=None, via: str = "page") -> bool:
    """Open → acknowledged; reminders stop; PagerDuty and webhooks hear of it."""
    now = timezone.now()
    with transaction.atomic():
        changed = Incident.objects.filter(pk=incident.pk, status=Incident.Status.OPEN).update(
            status=Incident.Status.ACKNOWLEDGED,
            acknowledged_at=now,
            acknowledged_by=user,
            next_renotify_at=None,
        )
        incident.refresh_from_db()
        if not changed:
            return False
        who = user.email if user is not None else "Someone with the link"
        incident.record(IncidentEvent.Kind.ACKNOWLEDGED, f"{who} acknowledged it ({via}).", user)
        if not incident.suppressed:
            notify_channels(incident, Delivery.Kind.ACKNOWLEDGE)
    return True


def resolve_incident(incident: Incident, because: str, now: datetime | None = None) -> bool:
    """Active → resolved, with a "resolved" notification to the channels that heard of it."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = Incident.objects.filter(pk=incident.pk, status__in=Incident.ACTIVE).update(
            status=Incident.Status.RESOLVED,
            resolved_at=now,
            next_renotify_at=None,
            details={**(incident.details or {}), "resolved_because": because},
        )
        if not changed:
            return False
        incident.refresh_from_db()
        incident.record(IncidentEvent.Kind.RESOLVED, f"Resolved: {because}.")
        if incident.suppressed:
            return True
        quiet = quiet_now(incident.rule, now)
        if quiet is not None:
            incident.record(IncidentEvent.Kind.SUPPRESSED, quiet[1])
        else:
            notify_channels(incident, Delivery.Kind.RESOLVE)
    return True


def send_reminders(now: datetime | None = None) -> int:
    """Re-notify open, unacknowledged incidents whose rule asks for it; each reminder is
    claimed by a conditional UPDATE of `next_renotify_at`."""
    now = now or timezone.now()
    sent = 0
    due = Incident.objects.filter(
        status=Incident.Status.OPEN, next_renotify_at__lte=now
    ).select_related("rule", "project__organization")[:500]
    for incident in due:
        minutes = incident.rule.renotify_minutes
        following = now + timedelta(minutes=minutes) if minutes else None
        with transaction.atomic():
            claimed = Incident.objects.filter(
                pk=incident.pk,
                status=Incident.Status.OPEN,
                next_renotify_at=incident.next_renotify_at,
            ).update(next_renotify_at=following)
            if not claimed:
                continue
            quiet = quiet_now(incident.rule, now)
            if quiet is not None:
                incident.record(
                    IncidentEvent.Kind.SUPPRESSED, "Reminder " + quiet[1][0].lower() + quiet[1][1:]
                )
                continue
            notify_channels(incident, Delivery.Kind.RENOTIFY)
            sent += 1
    return sent
