"""Incidents API: list (filters, cursor), one incident, acknowledge. Each endpoint exists
with an API key under /api/v1/… and for a logged-in member under /o/<org>/p/<project>/api/…,
same shapes (as the SPC endpoints)."""

from __future__ import annotations

from typing import ClassVar

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import links
from alerts.models import Incident, RuleKind
from llmscope_site.pagination import BadCursor, keyset_page
from spc.api import parse_int, parse_time
from tenants.api import ProjectAPIView, SessionProjectAPIView

PAGE_SIZE = 100


def iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def incident_payload(incident: Incident, timeline: bool = False) -> dict:
    details = incident.details or {}
    data = {
        "id": incident.pk,
        "status": incident.status,
        "title": incident.title,
        "rule": {"id": incident.rule_id, "name": incident.rule.name, "kind": incident.rule.kind},
        "series": incident.series_label or incident.series_key,
        "chart": incident.chart_id,
        "summary": details.get("what", ""),
        "value": incident.value,
        "compared_with": details.get("compared_with", ""),
        "firing_count": incident.firing_count,
        "suppressed": incident.suppressed or None,
        "opened_at": iso(incident.opened_at),
        "acknowledged_at": iso(incident.acknowledged_at),
        "acknowledged_by": incident.acknowledged_by.email if incident.acknowledged_by else None,
        "resolved_at": iso(incident.resolved_at),
        "url": links.incident_url(incident),
    }
    if timeline:
        data["violations"] = list(incident.violations.order_by("t").values_list("id", flat=True))
        data["timeline"] = [
            {
                "at": iso(e.at),
                "kind": e.kind,
                "message": e.message,
                "delivery": (
                    {
                        "id": e.delivery_id,
                        "channel": e.delivery.channel.name,
                        "status": e.delivery.status,
                        "response_code": e.delivery.response_code,
                        "attempts": e.delivery.attempts,
                    }
                    if e.delivery_id
                    else None
                ),
            }
            for e in incident.timeline()
        ]
    return data


_RULE = inline_serializer(
    "IncidentRule",
    {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "kind": serializers.ChoiceField(choices=RuleKind.choices),
    },
)
_INCIDENT_FIELDS = {
    "id": serializers.IntegerField(),
    "status": serializers.ChoiceField(choices=Incident.Status.choices),
    "title": serializers.CharField(),
    "rule": _RULE,
    "series": serializers.CharField(),
    "chart": serializers.IntegerField(allow_null=True),
    "summary": serializers.CharField(),
    "value": serializers.FloatField(allow_null=True),
    "compared_with": serializers.CharField(),
    "firing_count": serializers.IntegerField(),
    "suppressed": serializers.CharField(allow_null=True, help_text="muted, maintenance, cooldown"),
    "opened_at": serializers.DateTimeField(),
    "acknowledged_at": serializers.DateTimeField(allow_null=True),
    "acknowledged_by": serializers.CharField(allow_null=True),
    "resolved_at": serializers.DateTimeField(allow_null=True),
    "url": serializers.URLField(),
}
INCIDENT = inline_serializer("Incident", _INCIDENT_FIELDS)
INCIDENT_DETAIL = inline_serializer(
    "IncidentDetail",
    {
        **_INCIDENT_FIELDS,
        "violations": serializers.ListField(child=serializers.IntegerField()),
        "timeline": serializers.ListField(
            child=inline_serializer(
                "IncidentTimelineEntry",
                {
                    "at": serializers.DateTimeField(),
                    "kind": serializers.CharField(),
                    "message": serializers.CharField(),
                    "delivery": serializers.DictField(allow_null=True),
                },
            )
        ),
    },
)
INCIDENT_PAGE = inline_serializer(
    "IncidentPage",
    {
        "results": serializers.ListField(child=INCIDENT),
        "next": serializers.CharField(allow_null=True),
    },
)


def _bad(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def filtered_incidents(project, params):
    qs = Incident.objects.for_project(project).select_related(
        "rule", "acknowledged_by", "project__organization"
    )
    status = params.get("status")
    if status:
        if status not in Incident.Status.values:
            raise _bad("status", f"Use one of {', '.join(Incident.Status.values)}.")
        qs = qs.filter(status=status)
    rule = parse_int(params.get("rule"), "rule")
    if rule is not None:
        qs = qs.filter(rule_id=rule)
    chart = parse_int(params.get("chart"), "chart")
    if chart is not None:
        qs = qs.filter(chart_id=chart)
    since = parse_time(params.get("since"), "since")
    if since is not None:
        qs = qs.filter(opened_at__gte=since)
    return qs.order_by("-opened_at", "-id")


def _incident(project, incident_id: int) -> Incident:
    incident = (
        Incident.objects.for_project(project)
        .select_related("rule", "acknowledged_by", "project__organization")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise exceptions.NotFound()
    return incident


class _IncidentList:
    @extend_schema(
        summary="Incidents, newest first, cursor-paginated",
        parameters=[
            OpenApiParameter("status", str, enum=list(Incident.Status.values)),
            OpenApiParameter("rule", int),
            OpenApiParameter("chart", int),
            OpenApiParameter("since", str, description="RFC 3339; opened at or after"),
            OpenApiParameter("cursor", str),
        ],
        responses=INCIDENT_PAGE,
    )
    def get(self, request: Request, **kwargs) -> Response:
        qs = filtered_incidents(self.project, request.query_params)
        try:
            page = keyset_page(qs, "opened_at", PAGE_SIZE, request.query_params.get("cursor"))
        except BadCursor as exc:
            raise exceptions.ValidationError({"cursor": [str(exc)]}) from None
        return Response({"results": [incident_payload(i) for i in page.items], "next": page.next})


class _IncidentDetail:
    @extend_schema(
        summary="One incident with its violations and timeline", responses=INCIDENT_DETAIL
    )
    def get(self, request: Request, incident_id: int, **kwargs) -> Response:
        return Response(incident_payload(_incident(self.project, incident_id), timeline=True))


class _Acknowledge:
    parser_classes: ClassVar = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Acknowledge an incident (stops reminders)", request=None, responses=INCIDENT
    )
    def post(self, request: Request, incident_id: int, **kwargs) -> Response:
        incident = _incident(self.project, incident_id)
        membership = getattr(self, "membership", None)
        if membership is not None and not membership.has_right("edit_monitoring"):
            raise exceptions.PermissionDenied("Viewers cannot acknowledge incidents.")
        user = request.user if request.user.is_authenticated else None
        incident.acknowledge(user, via="API")
        incident.refresh_from_db()
        return Response(incident_payload(incident))


class IncidentListView(_IncidentList, ProjectAPIView):
    required_scopes: ClassVar = {"GET": "read"}


class IncidentDetailView(_IncidentDetail, ProjectAPIView):
    required_scopes: ClassVar = {"GET": "read"}


class IncidentAcknowledgeView(_Acknowledge, ProjectAPIView):
    required_scopes: ClassVar = {"POST": "read"}  # as violations' acknowledge


class SessionIncidentListView(_IncidentList, SessionProjectAPIView):
    pass


class SessionIncidentDetailView(_IncidentDetail, SessionProjectAPIView):
    pass


class SessionIncidentAcknowledgeView(_Acknowledge, SessionProjectAPIView):
    pass
