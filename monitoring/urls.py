"""Ingestion and read API URLs (absolute paths: they are the public contract, API.md)."""

from django.urls import path

from monitoring.api import ingest_views, read_views

# Session twins for project members: /o/<org>/p/<project>/api/… (as spc/urls.py does).
MEMBER = "o/<slug:org_slug>/p/<slug:project_slug>/api/"

urlpatterns = [
    path("api/v1/events", ingest_views.EventsView.as_view(), name="api-events"),
    path("v1/traces", ingest_views.OtlpTracesView.as_view(), name="otlp-traces"),
    path("api/v1/telemetry", ingest_views.TelemetryView.as_view(), name="api-telemetry"),
    path("api/v1/metrics/summary", read_views.SummaryView.as_view(), name="api-summary"),
    path("api/v1/metrics/timeseries", read_views.TimeseriesView.as_view(), name="api-timeseries"),
    path("api/v1/export/events.csv", read_views.EventExportView.as_view(), name="api-events-csv"),
    path(f"{MEMBER}metrics/summary", read_views.MemberSummaryView.as_view(), name="member-summary"),
    path(
        f"{MEMBER}metrics/timeseries",
        read_views.MemberTimeseriesView.as_view(),
        name="member-timeseries",
    ),
    path(f"{MEMBER}events", read_views.MemberEventListView.as_view(), name="member-events"),
    path(
        f"{MEMBER}export/events.csv",
        read_views.MemberEventExportView.as_view(),
        name="member-events-csv",
    ),
]
