"""SPC tasks: thin wrappers over `spc.evaluation`, tested on their own; and queueing them,
coalesced to at most one queued or running evaluation per project."""

from __future__ import annotations

from collections.abc import Iterable

from celery import shared_task
from django.core.cache import cache

from spc.evaluation import evaluate_chart
from spc.models import Chart
from spc.series import settle_seconds

# A queued evaluation that never ran (a lost task) stops blocking new ones after this.
QUEUED_TIMEOUT_SECONDS = 30


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


def _queued_key(project_id: int) -> str:
    return f"spc:queued:{project_id}"


def _again_key(project_id: int) -> str:
    return f"spc:again:{project_id}"


def queue_project_evaluation(project_id: int) -> None:
    """Queue one evaluation of the project, coalescing bursts without losing the last event.

    Embedded (eager tasks): evaluate now. Otherwise at most one task is queued or running per
    project (`cache.add` is atomic); an event arriving meanwhile leaves a note, and the task
    queues itself once more when it ends. The task starts after the settle window, so the
    events that asked for it are visible to it.
    """
    if evaluate_project.app.conf.task_always_eager:
        evaluate_project(project_id)
        return
    if cache.add(_queued_key(project_id), 1, timeout=QUEUED_TIMEOUT_SECONDS):
        evaluate_project.apply_async((project_id,), countdown=settle_seconds() + 0.1)
    else:
        cache.set(_again_key(project_id), 1, timeout=QUEUED_TIMEOUT_SECONDS)


def evaluation_finished(project_id: int) -> None:
    """Free the project's slot; if events asked for an evaluation meanwhile (or just before
    this one started, too recent for its settle window), queue one more."""
    cache.delete(_queued_key(project_id))
    if cache.get(_again_key(project_id)):
        cache.delete(_again_key(project_id))
        queue_project_evaluation(project_id)


def dirty_chart_ids(limit: int = 1000) -> Iterable[int]:
    return (
        Chart.objects.filter(dirty=True)
        .order_by("evaluated_at")
        .values_list("id", flat=True)[:limit]
    )
