"""Probe-down rules: N consecutive failed runs open an incident; M successes in a row
resolve it. Read from the probe's own events (indexed by project, probe, time)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from alerts.incidents import Firing, open_or_join, resolve_incident
from alerts.models import AlertRule, Incident, RuleKind
from monitoring.models import Event


def has_probe_rules(probe_ids: list[int]) -> bool:
    return (
        AlertRule.objects.active().filter(kind=RuleKind.PROBE_DOWN, probe_id__in=probe_ids).exists()
    )


def recent_results(rule: AlertRule, n: int) -> list[Event]:
    return list(
        Event.objects.filter(
            project_id=rule.project_id, source=Event.Source.PROBE, probe_id=rule.probe_id
        ).order_by("-timestamp", "-id")[:n]
    )


def check_rule(rule: AlertRule, now: datetime | None = None) -> str | None:
    """ "fired", "resolved" or None, from the probe's latest runs."""
    now = now or timezone.now()
    probe = rule.probe
    results = recent_results(rule, max(rule.failures, rule.recoveries))
    failed = [e for e in results[: rule.failures] if e.status == Event.Status.ERROR]
    if len(results) >= rule.failures and len(failed) == rule.failures:
        last = results[0]
        error = last.tags.get("error") or last.error_type or f"HTTP {last.http_status}"
        what = (
            f"The probe “{probe.name}” failed its last {rule.failures} runs "
            f"(the latest at {last.timestamp:%H:%M:%S} UTC: {error})."
        )
        open_or_join(
            rule,
            Firing(
                series_key=f"probe:{probe.pk}",
                series_label=f"Probe {probe.name} ({probe.model})",
                title=f"Probe “{probe.name}” is down",
                record_join=False,
                details={
                    "kind": RuleKind.PROBE_DOWN,
                    "what": what,
                    "value_text": f"{rule.failures} failed runs in a row",
                    "compared_with": f"down after {rule.failures} failures, "
                    f"recovered after {rule.recoveries} successes",
                },
            ),
            now,
        )
        return "fired"
    ok = results[: rule.recoveries]
    if len(ok) == rule.recoveries and all(e.status == Event.Status.OK for e in ok):
        resolved = 0
        for incident in (
            Incident.objects.active()
            .filter(rule=rule)
            .select_related("rule", "project__organization")
        ):
            resolved += resolve_incident(
                incident, f"the probe succeeded {rule.recoveries} times in a row", now
            )
        return "resolved" if resolved else None
    return None


def check_probes(probe_ids: list[int]) -> int:
    """Check every active probe-down rule of these probes; returns how many changed."""
    changed = 0
    rules = AlertRule.objects.active().filter(kind=RuleKind.PROBE_DOWN, probe_id__in=probe_ids)
    for rule in rules.select_related("probe", "project"):
        changed += check_rule(rule) is not None
    return changed
