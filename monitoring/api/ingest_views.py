"""Ingest endpoints: REST event batches, OTLP/HTTP traces, host telemetry (API.md, "Ingest")."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from billing import quota
from llmscope_site.api_errors import ApiValidationError, InvalidJSON, QuotaExceeded
from monitoring.api.bodies import read_body
from monitoring.api.ratelimit import ApiKeyRateThrottle
from monitoring.api.read_views import EventListMixin
from monitoring.ingest import otlp
from monitoring.ingest.schema import BatchInvalid, MalformedJSON, TimeWindow, decode_event_batch
from monitoring.ingest.service import ingest_events
from monitoring.ingest.telemetry import decode_telemetry, store_host_samples
from monitoring.prometheus import INGEST_LATENCY, INGESTED_EVENTS
from tenants.api import ProjectAPIView
from tenants.models import Project

JSON = "application/json"

_accepted = inline_serializer(
    "IngestAccepted",
    {"accepted": serializers.IntegerField(), "duplicates": serializers.IntegerField()},
)


def accepted_times(project: Project) -> TimeWindow:
    """Timestamps the project takes now: within its retention, at most the skew ahead."""
    return TimeWindow(
        now=timezone.now(),
        max_age=timedelta(days=project.retention_days),
        max_skew=timedelta(seconds=settings.LLMSCOPE_MAX_CLOCK_SKEW_SECONDS),
    )


def ingest_or_refuse(project, events, source: str):
    """Store the batch, or answer 429 quota_exceeded (Retry-After: the month's end)."""
    try:
        return ingest_events(project, events, source=source)
    except quota.QuotaExceeded as exc:
        INGESTED_EVENTS.labels(source, "over_quota").inc(len(events))
        error = QuotaExceeded(exc.retry_after or 60, str(exc))
        error.details = exc.as_details()
        raise error from None


class IngestAPIView(ProjectAPIView):
    required_scopes: ClassVar = {"POST": "ingest"}
    throttle_classes: ClassVar = [ApiKeyRateThrottle]


class EventBatchMixin:
    """`POST /api/v1/events`: 1 to 1000 events, all or nothing, 202 after commit."""

    @extend_schema(
        summary="Send a batch of LLM call events",
        request=inline_serializer("EventBatch", {"events": serializers.ListField()}),
        responses={
            202: _accepted,
            400: OpenApiResponse(description="invalid_json / validation_error"),
            429: OpenApiResponse(description="rate_limited / quota_exceeded (Retry-After)"),
        },
        examples=[
            OpenApiExample(
                "One event",
                value={"events": [{"model": "gpt-4o", "latency_ms": 812.5, "output_tokens": 120}]},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        started = time.perf_counter()
        body, _ = read_body(request, (JSON,))
        try:
            events = decode_event_batch(body, window=accepted_times(self.project))
        except MalformedJSON as exc:
            raise InvalidJSON(f"The request body is not valid JSON: {exc}") from None
        except BatchInvalid as exc:
            INGESTED_EVENTS.labels("api", "rejected").inc()
            raise ApiValidationError([e.as_dict() for e in exc.errors]) from None
        result = ingest_or_refuse(self.project, events, "api")
        INGEST_LATENCY.labels("events").observe(time.perf_counter() - started)
        return Response(
            {"accepted": result.accepted, "duplicates": result.duplicates},
            status=status.HTTP_202_ACCEPTED,
        )


class EventsView(EventBatchMixin, EventListMixin, ProjectAPIView):
    """`/api/v1/events`: POST a batch (scope ingest), GET the list (scope read)."""

    required_scopes: ClassVar = {"GET": "read", "POST": "ingest"}
    throttle_classes: ClassVar = [ApiKeyRateThrottle]


class OtlpTracesView(IngestAPIView):
    """`POST /v1/traces`: OTLP/HTTP, protobuf or JSON; GenAI spans become events."""

    @extend_schema(
        summary="OpenTelemetry OTLP/HTTP traces (GenAI spans become events)",
        request={
            "application/x-protobuf": bytes,
            "application/json": inline_serializer(
                "ExportTraceServiceRequest", {"resourceSpans": serializers.ListField()}
            ),
        },
        responses={200: OpenApiResponse(description="ExportTraceServiceResponse")},
    )
    def post(self, request: Request) -> HttpResponse:
        started = time.perf_counter()
        body, kind = read_body(request, (otlp.PROTOBUF, otlp.JSON))
        try:
            export = otlp.parse_request(body, kind)
        except otlp.MalformedOTLP as exc:
            raise InvalidJSON(str(exc)) from None
        mapped = otlp.map_request(export, window=accepted_times(self.project))
        if mapped.events:
            ingest_or_refuse(self.project, mapped.events, "otlp")
        if mapped.rejected:
            INGESTED_EVENTS.labels("otlp", "rejected").inc(mapped.rejected)
        message = "; ".join(mapped.reasons[:5])
        INGEST_LATENCY.labels("otlp").observe(time.perf_counter() - started)
        return HttpResponse(
            otlp.encode_response(mapped.rejected, message, kind), content_type=kind, status=200
        )


class TelemetryView(IngestAPIView):
    """`POST /api/v1/telemetry`: host samples (cpu, memory, gpu)."""

    @extend_schema(
        summary="Send host telemetry samples",
        request=inline_serializer(
            "TelemetryBatch", {"host": serializers.CharField(), "samples": serializers.ListField()}
        ),
        responses={
            202: inline_serializer("TelemetryAccepted", {"accepted": serializers.IntegerField()})
        },
    )
    def post(self, request: Request) -> Response:
        body, _ = read_body(request, (JSON,))
        try:
            batch = decode_telemetry(body, window=accepted_times(self.project))
        except MalformedJSON as exc:
            raise InvalidJSON(f"The request body is not valid JSON: {exc}") from None
        except BatchInvalid as exc:
            raise ApiValidationError([e.as_dict() for e in exc.errors]) from None
        accepted = store_host_samples(self.project, batch)
        return Response({"accepted": accepted}, status=status.HTTP_202_ACCEPTED)
