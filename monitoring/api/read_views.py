"""Read endpoints (scope `read`), and their twins for logged-in members under
/o/<org>/p/<project>/api/… (same shapes). Each view parses its query, calls one function of
monitoring/analytics.py and renders the answer."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from llmscope_site.api_errors import ApiValidationError
from llmscope_site.spreadsheet import csv_writer
from monitoring import analytics
from monitoring.api.ratelimit import ApiKeyRateThrottle
from tenants.api import ProjectAPIView, SessionProjectAPIView

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def _problem(field: str, message: str) -> ApiValidationError:
    return ApiValidationError([{"index": None, "field": field, "message": message}])


def _choice(request: Request, name: str, choices, default: str | None = None) -> str | None:
    value = request.query_params.get(name) or default
    if value is not None and value not in choices:
        raise _problem(name, f"must be one of: {', '.join(choices)} (got “{value}”)")
    return value


def _datetime(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _problem(
            name, "must be an RFC 3339 date-time with a timezone, e.g. 2025-01-31T12:00:00Z"
        )
    return moment.astimezone(UTC)


def _text(request: Request, name: str, max_length: int) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and len(value) > max_length:
        raise _problem(name, f"must be at most {max_length} characters")
    return value


def _event_filters(request: Request) -> analytics.EventFilters:
    filters = analytics.EventFilters(
        model=_text(request, "model", 128),
        status=_choice(request, "status", ("ok", "error")),
        since=_datetime(request, "since"),
        until=_datetime(request, "until"),
    )
    if filters.since and filters.until and filters.since >= filters.until:
        raise _problem("until", "must be after since")
    return filters


_window_param = OpenApiParameter("window", str, enum=list(analytics.WINDOWS), default="24h")
_model_param = OpenApiParameter("model", str)
_env_param = OpenApiParameter("environment", str)
_event_params = [
    _model_param,
    OpenApiParameter("status", str, enum=["ok", "error"]),
    OpenApiParameter("since", OpenApiTypes.DATETIME),
    OpenApiParameter("until", OpenApiTypes.DATETIME),
]


class SummaryMixin:
    @extend_schema(
        summary="Requests, errors, latency, TTFT, tokens and cost over a window",
        parameters=[_window_param, _model_param, _env_param],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        window = _choice(request, "window", analytics.WINDOWS, default="24h")
        return Response(
            analytics.summary(
                self.project,
                window,
                model=_text(request, "model", 128),
                environment=_text(request, "environment", 64),
            )
        )


class TimeseriesMixin:
    @extend_schema(
        summary="One metric per interval",
        parameters=[
            OpenApiParameter("metric", str, enum=list(analytics.METRICS), required=True),
            OpenApiParameter("interval", str, enum=list(analytics.INTERVALS), default="5m"),
            OpenApiParameter("start", OpenApiTypes.DATETIME),
            OpenApiParameter("end", OpenApiTypes.DATETIME),
            _model_param,
        ],
        responses=inline_serializer(
            "Timeseries",
            {
                "metric": serializers.CharField(),
                "interval": serializers.CharField(),
                "points": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        if not request.query_params.get("metric"):
            raise _problem("metric", f"is required; one of: {', '.join(analytics.METRICS)}")
        metric = _choice(request, "metric", analytics.METRICS)
        interval = _choice(request, "interval", analytics.INTERVALS, default="5m")
        end = _datetime(request, "end") or timezone.now()
        start = _datetime(request, "start") or end - timedelta(
            minutes=analytics.DEFAULT_SPANS[interval]
        )
        if start >= end:
            raise _problem("start", "must be before end")
        if analytics.count_points(interval, start, end) > analytics.MAX_POINTS:
            raise _problem(
                "interval",
                f"too fine for this range: at most {analytics.MAX_POINTS} points; "
                "use a coarser interval or a shorter range",
            )
        return Response(
            analytics.timeseries(
                self.project, metric, interval, start, end, model=_text(request, "model", 128)
            )
        )


class EventListMixin:
    @extend_schema(
        summary="Events, newest first, with cursor pagination",
        parameters=[
            OpenApiParameter("cursor", str),
            OpenApiParameter("limit", int, default=DEFAULT_LIMIT),
            *_event_params,
        ],
        responses=inline_serializer(
            "EventPage",
            {
                "results": serializers.ListField(child=serializers.DictField()),
                "next": serializers.CharField(allow_null=True),
            },
        ),
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        raw_limit = request.query_params.get("limit") or str(DEFAULT_LIMIT)
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise _problem("limit", f"must be an integer between 1 and {MAX_LIMIT}")
        filters = _event_filters(request)
        try:
            page, next_cursor = analytics.events_page(
                self.project, filters, int(raw_limit), request.query_params.get("cursor")
            )
        except analytics.BadCursor as exc:
            raise _problem("cursor", str(exc)) from None
        return Response(
            {"results": [analytics.event_as_dict(e) for e in page], "next": next_cursor}
        )


class EventExportMixin:
    @extend_schema(
        summary="All matching events as CSV (streamed)",
        parameters=_event_params,
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request, **kwargs: Any) -> StreamingHttpResponse:
        filters = _event_filters(request)
        # Under ASGI an async iterator streams; a sync one would be buffered whole by Django.
        chunks = _csv_chunks_async if isinstance(request._request, ASGIRequest) else _csv_chunks
        response = StreamingHttpResponse(
            chunks(self.project, filters), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="events.csv"'
        return response


CSV_CHUNK_EVENTS = 2000


def _csv_page(project, filters: analytics.EventFilters, cursor: str | None):
    """(CSV text of one keyset page of events, next cursor)."""
    page, cursor = analytics.events_page(project, filters, CSV_CHUNK_EVENTS, cursor)
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    for event in page:
        row = analytics.event_as_dict(event)
        row["tags"] = json.dumps(row["tags"], separators=(",", ":"))
        writer.writerow(["" if row[f] is None else row[f] for f in analytics.EVENT_FIELDS])
    return buffer.getvalue(), cursor


def _csv_chunks(project, filters: analytics.EventFilters):
    """CSV text page by page: memory stays flat however many events match."""
    yield _csv_line(analytics.EVENT_FIELDS)
    text, cursor = _csv_page(project, filters, None)
    yield text
    while cursor is not None:
        text, cursor = _csv_page(project, filters, cursor)
        yield text


async def _csv_chunks_async(project, filters: analytics.EventFilters):
    yield _csv_line(analytics.EVENT_FIELDS)
    text, cursor = await sync_to_async(_csv_page)(project, filters, None)
    yield text
    while cursor is not None:
        text, cursor = await sync_to_async(_csv_page)(project, filters, cursor)
        yield text


def _csv_line(values) -> str:
    buffer = io.StringIO()
    csv_writer(buffer).writerow(values)
    return buffer.getvalue()


class ReadAPIView(ProjectAPIView):
    required_scopes: ClassVar = {"GET": "read"}
    throttle_classes: ClassVar = [ApiKeyRateThrottle]


class SummaryView(SummaryMixin, ReadAPIView):
    pass


class TimeseriesView(TimeseriesMixin, ReadAPIView):
    pass


class EventExportView(EventExportMixin, ReadAPIView):
    pass


class MemberSummaryView(SummaryMixin, SessionProjectAPIView):
    pass


class MemberTimeseriesView(TimeseriesMixin, SessionProjectAPIView):
    pass


class MemberEventListView(EventListMixin, SessionProjectAPIView):
    pass


class MemberEventExportView(EventExportMixin, SessionProjectAPIView):
    pass
