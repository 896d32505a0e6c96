"""Recent calls for the project page: newest first, keyset-paginated, filtered like the page."""

from __future__ import annotations

import json
from datetime import datetime

from django.db.models import Q

from dashboard.params import DashboardQuery
from monitoring import analytics
from monitoring.models import Event
from tenants.models import Project

PAGE_SIZE = 25
STATUSES = ("ok", "error")


def recent_events(
    project: Project,
    query: DashboardQuery,
    now: datetime,
    status: str = "",
    cursor: str = "",
) -> tuple[list[dict], str | None, list[str]]:
    """(rows, next cursor, problems). A bad cursor or status is ignored and reported."""
    problems = []
    qs = Event.objects.for_project(project).filter(timestamp__gte=now - query.span)
    qs = qs.filter(**{k: v for k, v in query.filters().items() if v})
    if status:
        if status in STATUSES:
            qs = qs.filter(status=status)
        else:
            problems.append(f"Unknown status “{status[:20]}”: showing every call.")
    if cursor:
        try:
            moment, pk = analytics.decode_cursor(cursor)
            qs = qs.filter(Q(timestamp__lt=moment) | Q(timestamp=moment, pk__lt=pk))
        except analytics.BadCursor:
            problems.append("That page link is not valid any more: showing the newest calls.")
    page = list(qs.order_by("-timestamp", "-pk")[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    rows = [
        {
            "event": e,
            "full": json.dumps(analytics.event_as_dict(e), indent=2, default=str),
        }
        for e in page
    ]
    return rows, (analytics.encode_cursor(page[-1]) if more else None), problems


def related_events(project: Project, ids: list[int]) -> list[Event]:
    """The events behind a violation (ids stored with it), through the project's scope."""
    return list(Event.objects.for_project(project).filter(pk__in=ids[:20]).order_by("timestamp"))
