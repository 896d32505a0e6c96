"""SPC tasks: thin wrappers over `spc.evaluation`, tested on their own."""

from __future__ import annotations

from celery import shared_task

from spc.evaluation import evaluate_chart
from spc.models import Chart
from spc.triggers import dirty_chart_ids, evaluation_finished


@shared_task(name="spc.tasks.evaluate_project")
def evaluate_project(project_id: int) -> int:
    """Evaluate the dirty charts of one project; returns how many points were added."""
    added = 0
    coalesced = not evaluate_project.app.conf.task_always_eager
    try:
        dirty = Chart.objects.filter(project_id=project_id, dirty=True).values_list("id", flat=True)
        for chart_id in list(dirty):
            result = evaluate_chart(chart_id)
            added += len(result.new_points) if result else 0
    finally:
        if coalesced:
            evaluation_finished(project_id)
    return added


@shared_task(name="spc.tasks.evaluate_chart")
def evaluate_chart_task(chart_id: int) -> None:
    evaluate_chart(chart_id)


@shared_task(name="spc.tasks.evaluate_dirty_charts")
def evaluate_dirty_charts() -> int:
    """The safety-net sweep: queue every dirty chart (subgroups close without new events)."""
    ids = list(dirty_chart_ids())
    for chart_id in ids:
        evaluate_chart_task.delay(chart_id)
    return len(ids)
