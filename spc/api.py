"""SPC read API (API.md "Read"): charts, one chart's points and limits, violations,
acknowledging, and the violations CSV. Each endpoint exists twice: with an API key under
/api/v1/…, and for a logged-in member under /o/<org>/p/<project>/api/…, same shapes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from llmscope_site.spreadsheet import csv_writer
from monitoring import analytics
from spc.models import Chart, Signal, Violation
from spc.serializers import (
    chart_limits_payload,
    chart_summary,
    iso,
    signal_payload,
    violation_payload,
)
from tenants.api import ProjectAPIView, SessionProjectAPIView

# The same windows as the metrics endpoints (monitoring.analytics, in minutes).
WINDOWS = {key: timedelta(minutes=minutes) for key, minutes in analytics.WINDOWS.items()}
MAX_POINTS = 5000
PAGE_SIZE = 100


def _bad(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def parse_window(value: str | None, default: str = "24h") -> timedelta:
    key = value or default
    if key not in WINDOWS:
        raise _bad("window", f"Unknown window “{key}”; use one of {', '.join(WINDOWS)}.")
    return WINDOWS[key]


def parse_time(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise _bad(field, "Use an RFC 3339 time, such as 2026-11-24T08:00:00Z.")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_int(value: str | None, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise _bad(field, "Must be a whole number.") from None


def encode_cursor(t: datetime, pk: int) -> str:
    raw = json.dumps([t.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, int]:
    try:
        padded = value + "=" * (-len(value) % 4)
        t, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = parse_datetime(t)
        if parsed is None:
            raise ValueError
        return parsed, int(pk)
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise _bad("cursor", "Invalid cursor; use the `next` value of a previous page.") from None


def chart_detail(chart: Chart, window: timedelta) -> dict:
    since = timezone.now() - window
    points = list(
        chart.points.filter(t__gte=since).order_by("-id").values("id", "t", "value")[:MAX_POINTS]
    )[::-1]
    rules_by_point: dict[int, list[int]] = {}
    for point_id, rule in Violation.objects.filter(
        chart=chart, point_id__in=[p["id"] for p in points]
    ).values_list("point_id", "rule"):
        rules_by_point.setdefault(point_id, []).append(rule)
    history = [
        chart_limits_payload(chart, lim)
        for lim in chart.limits_history.filter(valid_to__isnull=True)
        | chart.limits_history.filter(valid_to__gte=since)
    ]
    return {
        **chart_summary(chart),
        "unit": chart.unit,
        "limits": chart_limits_payload(chart, chart.current_limits()),
        "limits_history": history,
        "points": [
            {
                "t": iso(p["t"]),
                "v": p["value"],
                "violations": sorted(rules_by_point.get(p["id"], [])),
            }
            for p in points
        ],
    }


def filtered_violations(project, params) -> list[Violation]:
    qs = Violation.objects.for_project(project).select_related("chart")
    status = params.get("status")
    if status:
        if status not in Violation.Status.values:
            raise _bad("status", f"Use one of {', '.join(Violation.Status.values)}.")
        qs = qs.filter(status=status)
    rule = parse_int(params.get("rule"), "rule")
    if rule is not None:
        qs = qs.filter(rule=rule)
    chart = parse_int(params.get("chart"), "chart")
    if chart is not None:
        qs = qs.filter(chart_id=chart)
    since = parse_time(params.get("since"), "since")
    if since is not None:
        qs = qs.filter(t__gte=since)
    return qs.order_by("-t", "-id")


class _ChartList:
    @extend_schema(summary="The project's control charts")
    def get(self, request: Request, **kwargs) -> Response:
        charts = Chart.objects.for_project(self.project).order_by("name")
        return Response({"results": [chart_summary(c) for c in charts]})


class _ChartDetail:
    @extend_schema(
        summary="One chart: limits and points",
        parameters=[OpenApiParameter("window", str, enum=list(WINDOWS))],
    )
    def get(self, request: Request, chart_id: int, **kwargs) -> Response:
        window = parse_window(request.query_params.get("window"))
        chart = Chart.objects.for_project(self.project).filter(pk=chart_id).first()
        if chart is None:
            raise exceptions.NotFound()
        return Response(chart_detail(chart, window))


class _ViolationList:
    @extend_schema(
        summary="Violations, newest first, cursor-paginated",
        parameters=[
            OpenApiParameter("status", str, enum=list(Violation.Status.values)),
            OpenApiParameter("rule", int),
            OpenApiParameter("chart", int),
            OpenApiParameter("since", str),
            OpenApiParameter("cursor", str),
        ],
    )
    def get(self, request: Request, **kwargs) -> Response:
        qs = filtered_violations(self.project, request.query_params)
        cursor = request.query_params.get("cursor")
        if cursor:
            t, pk = decode_cursor(cursor)
            qs = qs.filter(Q(t__lt=t) | Q(t=t, id__lt=pk))
        page = list(qs[: PAGE_SIZE + 1])
        more = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE]
        return Response(
            {
                "results": [violation_payload(v) for v in page],
                "next": encode_cursor(page[-1].t, page[-1].pk) if more else None,
            }
        )


def filtered_signals(project, params):
    qs = Signal.objects.for_project(project)
    direction = params.get("direction")
    if direction:
        if direction not in Signal.Direction.values:
            raise _bad("direction", f"Use one of {', '.join(Signal.Direction.values)}.")
        qs = qs.filter(direction=direction)
    state = params.get("state")
    if state:
        if state not in Signal.State.values:
            raise _bad("state", f"Use one of {', '.join(Signal.State.values)}.")
        qs = qs.filter(state=state)
    chart = parse_int(params.get("chart"), "chart")
    if chart is not None:
        qs = qs.filter(chart_id=chart)
    since = parse_time(params.get("since"), "since")
    if since is not None:
        qs = qs.filter(end_t__gte=since)
    return qs.order_by("-start_t", "-id")


class _SignalList:
    @extend_schema(
        summary="Signals (runs of flagged points), newest first, cursor-paginated",
        parameters=[
            OpenApiParameter("direction", str, enum=list(Signal.Direction.values)),
            OpenApiParameter("state", str, enum=list(Signal.State.values)),
            OpenApiParameter("chart", int),
            OpenApiParameter("since", str),
            OpenApiParameter("cursor", str),
        ],
    )
    def get(self, request: Request, **kwargs) -> Response:
        qs = filtered_signals(self.project, request.query_params)
        cursor = request.query_params.get("cursor")
        if cursor:
            t, pk = decode_cursor(cursor)
            qs = qs.filter(Q(start_t__lt=t) | Q(start_t=t, id__lt=pk))
        page = list(qs[: PAGE_SIZE + 1])
        more = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE]
        flags: dict[int, list[Violation]] = {}
        for v in Violation.objects.filter(signal__in=page).order_by("t", "rule"):
            flags.setdefault(v.signal_id, []).append(v)
        return Response(
            {
                "results": [signal_payload(s, flags.get(s.pk, [])) for s in page],
                "next": encode_cursor(page[-1].start_t, page[-1].pk) if more else None,
            }
        )


class _Acknowledge:
    # A note may come as JSON or as a form post from a page; no body at all is fine too.
    parser_classes: ClassVar = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(summary="Acknowledge a violation")
    def post(self, request: Request, violation_id: int, **kwargs) -> Response:
        violation = Violation.objects.for_project(self.project).filter(pk=violation_id).first()
        if violation is None:
            raise exceptions.NotFound()
        membership = getattr(self, "membership", None)
        if membership is not None and not membership.has_right("edit_monitoring"):
            raise exceptions.PermissionDenied("Viewers cannot acknowledge violations.")
        note = request.data.get("note", "") if isinstance(request.data, dict) else ""
        if not isinstance(note, str) or len(note) > 2000:
            raise _bad("note", "A note is text of at most 2000 characters.")
        user = request.user if request.user.is_authenticated else None
        violation.acknowledge(user=user, note=note)
        violation.refresh_from_db()
        return Response(violation_payload(violation))


class CsvRenderer(BaseRenderer):
    """Lets clients ask for text/csv; errors are still the JSON of API.md."""

    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


class _ViolationsCsv:
    renderer_classes: ClassVar = [JSONRenderer, CsvRenderer]

    @extend_schema(summary="Violations as CSV (same filters)", responses={(200, "text/csv"): str})
    def get(self, request: Request, **kwargs):
        rows = filtered_violations(self.project, request.query_params)
        return csv_response("violations.csv", violation_csv_rows(rows.iterator(chunk_size=500)))


def violation_csv_rows(violations):
    yield [
        "id",
        "chart_id",
        "chart",
        "rule",
        "rule_name",
        "t",
        "value",
        "center",
        "ucl",
        "lcl",
        "status",
        "acknowledged_at",
        "resolved_at",
        "note",
    ]
    for v in violations:
        yield [
            v.pk,
            v.chart_id,
            v.chart.name,
            v.rule,
            v.rule_name,
            iso(v.t),
            v.value,
            v.limits.get("center"),
            v.limits.get("ucl"),
            v.limits.get("lcl"),
            v.status,
            iso(v.acknowledged_at),
            iso(v.resolved_at),
            v.note,
        ]


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, rows) -> StreamingHttpResponse:
    writer = csv_writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(r) for r in rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ChartListView(_ChartList, ProjectAPIView):
    required_scopes: ClassVar = {"GET": "read"}


class ChartDetailView(_ChartDetail, ProjectAPIView):
    required_scopes: ClassVar = {"GET": "read"}


class ViolationListView(_ViolationList, ProjectAPIView):
    required_scopes: ClassVar = {"GET": "read"}


class SignalListView(_SignalList, ProjectAPIView):
    required_scopes: ClassVar = {"GET": "read"}


class SessionSignalListView(_SignalList, SessionProjectAPIView):
    pass


class AcknowledgeView(_Acknowledge, ProjectAPIView):
    required_scopes: ClassVar = {"POST": "read"}  # API.md lists it with the read endpoints


class ViolationsCsvView(_ViolationsCsv, ProjectAPIView):
    required_scopes: ClassVar = {"GET": "read"}


class SessionChartListView(_ChartList, SessionProjectAPIView):
    pass


class SessionChartDetailView(_ChartDetail, SessionProjectAPIView):
    pass


class SessionViolationListView(_ViolationList, SessionProjectAPIView):
    pass


class SessionAcknowledgeView(_Acknowledge, SessionProjectAPIView):
    pass


class SessionViolationsCsvView(_ViolationsCsv, SessionProjectAPIView):
    pass
