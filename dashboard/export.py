"""CSV export of the calls the page shows (window, model, environment, source, status): the
same columns as the API's events.csv, streamed in keyset pages."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, StreamingHttpResponse

from dashboard.events import page_events
from dashboard.params import DashboardQuery
from llmscope_site.csv_export import csv_response
from monitoring import analytics
from tenants.models import Project


def events_csv(
    request: HttpRequest, project: Project, query: DashboardQuery, since: datetime, status: str
) -> StreamingHttpResponse:
    return csv_response(
        request,
        f"{project.slug}-events.csv",
        analytics.EVENT_FIELDS,
        lambda: analytics.event_pages(page_events(project, query, since, status)),
    )
