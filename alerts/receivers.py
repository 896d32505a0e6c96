"""Where alerts listen: SPC's committed evaluations and monitoring's recorded probe events.

Both hand the decision to a task after commit, so neither the evaluation nor the probe run
waits for rules, incidents or channels.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import receiver

from alerts.spc_rules import needs_decision
from alerts.tasks import check_probe_rules_task, decide_spc_task
from monitoring.signals import events_recorded
from spc.hooks import evaluation_committed

logger = logging.getLogger(__name__)


@receiver(evaluation_committed, dispatch_uid="alerts-evaluation-committed")
def on_evaluation_committed(sender, result, **kwargs) -> None:
    violation_ids = [v.pk for v in result.new_violations]
    if needs_decision(result.chart, violation_ids):
        decide_spc_task.delay(result.chart.pk, violation_ids)


@receiver(events_recorded, dispatch_uid="alerts-probe-events")
def on_events_recorded(sender, project, probe_ids=None, **kwargs) -> None:
    if not probe_ids:
        return
    from alerts.probe_rules import has_probe_rules

    ids = sorted(probe_ids)
    if has_probe_rules(ids):
        transaction.on_commit(lambda: _queue_probe_check(ids))


def _queue_probe_check(probe_ids: list[int]) -> None:
    try:
        check_probe_rules_task.delay(probe_ids)
    except Exception:  # never fail a probe run because alerts could not be queued
        logger.exception("could not queue the probe-down check of %s", probe_ids)
