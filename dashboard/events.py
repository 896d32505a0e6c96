"""Recent calls for the project page: newest first, keyset-paginated, filtered like the page."""

from __future__ import annotations

import json
from datetime import datetime

from dashboard.params import DashboardQuery
from llmscope_site.pagination import BadCursor, keyset_page
from monitoring import analytics
from monitoring.models import Event
from tenants.models import Project

PAGE_SIZE = 25
STATUSES = ("ok", "error")


def page_events(project: Project, query: DashboardQuery, since: datetime, status: str = ""):
    """The calls the page shows: its window, filters and (a known) status."""
    qs = Event.objects.for_project(project).filter(timestamp__gte=since)
    qs = qs.filter(**{k: v for k, v in query.filters().items() if v})
    if status in STATUSES:
        qs = qs.filter(status=status)
    return qs


def recent_events(
    project: Project,
    query: DashboardQuery,
    now: datetime,
    status: str = "",
    cursor: str = "",
) -> tuple[list[dict], str | None, list[str]]:
    """(rows, next cursor, problems). A bad cursor or status is ignored and reported."""
    problems = []
    if status and status not in STATUSES:
        problems.append(f"Unknown status “{status[:20]}”: showing every call.")
    qs = page_events(project, query, now - query.span, status)
    try:
        page = keyset_page(qs, "timestamp", PAGE_SIZE, cursor)
    except BadCursor:
        problems.append("That page link is not valid any more: showing the newest calls.")
        page = keyset_page(qs, "timestamp", PAGE_SIZE)
    rows = [
        {
            "event": e,
            "full": json.dumps(analytics.event_as_dict(e), indent=2, default=str),
        }
        for e in page.items
    ]
    return rows, page.next, problems


def related_events(project: Project, ids: list[int]) -> list[Event]:
    """The events behind a violation (ids stored with it), through the project's scope."""
    return list(Event.objects.for_project(project).filter(pk__in=ids[:20]).order_by("timestamp"))
