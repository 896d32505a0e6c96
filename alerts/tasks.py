"""Alert tasks: thin wrappers over alerts.delivery, alerts.spc_rules, alerts.thresholds and
alerts.probe_rules, which are tested on their own."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from alerts import delivery, incidents, probe_rules, spc_rules, thresholds
from spc.models import Chart, Violation


@shared_task(name="alerts.tasks.send_delivery", acks_late=True)
def send_delivery_task(delivery_id: int) -> None:
    delivery.send_delivery(delivery_id)


@shared_task(name="alerts.tasks.decide_spc")
def decide_spc_task(chart_id: int, violation_ids: list[int]) -> int:
    chart = Chart.objects.select_related("project").filter(pk=chart_id).first()
    if chart is None:
        return 0
    violations = list(Violation.objects.filter(chart=chart, pk__in=violation_ids))
    return spc_rules.decide_chart(chart, violations)


@shared_task(name="alerts.tasks.check_probe_rules")
def check_probe_rules_task(probe_ids: list[int]) -> int:
    return probe_rules.check_probes(probe_ids)


@shared_task(name="alerts.tasks.check_threshold_rules")
def check_threshold_rules() -> int:
    return thresholds.check_due_rules(timezone.now())


@shared_task(name="alerts.tasks.sweep")
def sweep() -> int:
    """Reminders that are due, and deliveries that are due but not in flight."""
    now = timezone.now()
    incidents.send_reminders(now)
    return delivery.sweep(now)
