"""CSV export of the calls the page shows (window, model, environment, source, status).

Same columns as the API's events.csv; streamed in keyset pages, asynchronously under ASGI so
that Django does not buffer the whole file.
"""

from __future__ import annotations

import io
import json
from datetime import datetime

from asgiref.sync import sync_to_async
from django.db.models import Q

from dashboard.events import STATUSES
from dashboard.params import DashboardQuery
from llmscope_site.spreadsheet import csv_writer
from monitoring import analytics
from monitoring.models import Event
from tenants.models import Project

CHUNK = 2000


def _line(values) -> str:
    buffer = io.StringIO()
    csv_writer(buffer).writerow(values)
    return buffer.getvalue()


def _queryset(project: Project, query: DashboardQuery, since: datetime, status: str):
    qs = Event.objects.for_project(project).filter(timestamp__gte=since)
    qs = qs.filter(**{k: v for k, v in query.filters().items() if v})
    if status in STATUSES:
        qs = qs.filter(status=status)
    return qs.order_by("-timestamp", "-pk")


def _page(qs, after: tuple | None) -> tuple[str, tuple | None]:
    if after is not None:
        qs = qs.filter(Q(timestamp__lt=after[0]) | Q(timestamp=after[0], pk__lt=after[1]))
    events = list(qs[:CHUNK])
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    for event in events:
        row = analytics.event_as_dict(event)
        row["tags"] = json.dumps(row["tags"], separators=(",", ":"))
        writer.writerow(["" if row[f] is None else row[f] for f in analytics.EVENT_FIELDS])
    more = len(events) == CHUNK
    return buffer.getvalue(), ((events[-1].timestamp, events[-1].pk) if more else None)


def csv_chunks(project, query, since, status):
    qs = _queryset(project, query, since, status)
    yield _line(analytics.EVENT_FIELDS)
    text, after = _page(qs, None)
    yield text
    while after is not None:
        text, after = _page(qs, after)
        yield text


async def csv_chunks_async(project, query, since, status):
    qs = _queryset(project, query, since, status)
    yield _line(analytics.EVENT_FIELDS)
    text, after = await sync_to_async(_page)(qs, None)
    yield text
    while after is not None:
        text, after = await sync_to_async(_page)(qs, after)
        yield text
