"""Marking charts dirty when events arrive, and asking for their evaluation.

Ingestion and probe runs announce new events (with the series they touched); the charts of
those series are flagged dirty in one UPDATE and an evaluation is queued after commit, at
most one queued or running per project (`spc.tasks`). A periodic sweep evaluates whatever is
still dirty (late subgroups, charts whose queued task was lost), so nothing depends on one
message.
"""

from __future__ import annotations

import time

from django.db import transaction

from spc.models import Chart
from spc.tasks import queue_project_evaluation


def mark_project_dirty(project_id: int) -> None:
    """Flag every chart of the project dirty and queue one evaluation pass after commit."""
    Chart.objects.filter(project_id=project_id, dirty=False).update(dirty=True)
    transaction.on_commit(lambda: queue_project_evaluation(project_id), robust=True)


def _matches(value, wanted) -> bool:
    return value in wanted if isinstance(wanted, list) else value == wanted


def chart_may_see(filter_: dict, model: str, environment: str, source: str, probe_ids=None) -> bool:
    """Whether a chart with `filter_` may chart events of this series. Fields the series does
    not carry (probe, provider, tags) count as a possible match: dirty is only a hint."""
    if "model" in filter_ and not _matches(model, filter_["model"]):
        return False
    if "environment" in filter_ and not _matches(environment, filter_["environment"]):
        return False
    if "source" in filter_ and not _matches(source, filter_["source"]):
        return False
    if "probe_id" in filter_:
        if source != "probe":
            return False
        return probe_ids is None or filter_["probe_id"] in probe_ids
    return True


def mark_series_dirty(project_id: int, series, probe_ids=None) -> None:
    """Flag dirty only the charts that may see the new events, then queue an evaluation."""
    if not series:
        return mark_project_dirty(project_id)
    ids = [
        chart_id
        for chart_id, filter_ in _chart_filters(project_id)
        if any(chart_may_see(filter_ or {}, m, e, s, probe_ids) for m, e, s, *_ in series)
    ]
    if ids:
        Chart.objects.filter(pk__in=ids, dirty=False).update(dirty=True)
        # robust: a broker hiccup must not turn an accepted ingest into an error; the sweep
        # evaluates the dirty charts anyway.
        transaction.on_commit(lambda: queue_project_evaluation(project_id), robust=True)
    return None


# (project id) -> (expires at, [(chart id, filter)]): the ingest path asks for every batch.
_filters_memo: dict[int, tuple[float, list]] = {}
FILTERS_MEMO_SECONDS = 2.0


def _chart_filters(project_id: int) -> list:
    """The project's chart filters, remembered a few seconds. Charts saved in this process
    drop the memo; a chart created elsewhere starts dirty, so the sweep evaluates it."""
    now = time.monotonic()
    memo = _filters_memo.get(project_id)
    if memo is None or memo[0] < now:
        rows = list(Chart.objects.filter(project_id=project_id).values_list("id", "filter"))
        memo = _filters_memo[project_id] = (now + FILTERS_MEMO_SECONDS, rows)
    return memo[1]


def forget_chart_filters(project_id: int | None = None) -> None:
    """Drop the memo (of one project): called when a chart of it is saved in this process."""
    if project_id is None:
        _filters_memo.clear()
    else:
        _filters_memo.pop(project_id, None)
