"""Incident pages: the list (filters), one incident with its chart, violations and
timeline, acknowledging; the signed acknowledge link and the chart picture."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from alerts import links
from alerts.images import incident_png
from alerts.models import AlertRule, Incident
from tenants.access import project_view

PAGE = 100


@project_view()
def incident_list(request: HttpRequest, organization, project) -> HttpResponse:
    status = request.GET.get("status", "")
    incidents = Incident.objects.for_project(project).select_related("rule")
    if status in Incident.Status.values:
        incidents = incidents.filter(status=status)
    elif status == "active":
        incidents = incidents.active()
    rule_id = request.GET.get("rule", "")
    if rule_id.isdigit():
        incidents = incidents.filter(rule_id=int(rule_id))
    context = {
        "organization": organization,
        "project": project,
        "incidents": incidents[:PAGE],
        "status": status,
        "rule_id": rule_id,
        "rules": AlertRule.objects.for_project(project),
        "statuses": Incident.Status.choices,
    }
    template = "alerts/_incident_rows.html" if request.htmx else "alerts/incident_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@project_view()
def incident_detail(request: HttpRequest, organization, project, incident_id: int):
    incident = get_object_or_404(
        Incident.objects.for_project(project).select_related("rule", "chart", "acknowledged_by"),
        pk=incident_id,
    )
    return render(
        request,
        "alerts/incident_detail.html",
        {
            "organization": organization,
            "project": project,
            "incident": incident,
            "timeline": incident.timeline(),
            "violations": incident.violations.select_related("chart").order_by("t")[:200],
            "image_url": links.image_url(incident) if incident.details.get("context") else "",
        },
    )


@require_POST
@project_view(right="edit_monitoring")
def incident_acknowledge(request: HttpRequest, organization, project, incident_id: int):
    incident = get_object_or_404(Incident.objects.for_project(project), pk=incident_id)
    if not incident.acknowledge(request.user, via="page"):
        messages.info(
            request, f"This incident was already {incident.get_status_display().lower()}."
        )
    return redirect(
        "incident-detail",
        org_slug=organization.slug,
        project_slug=project.slug,
        incident_id=incident.pk,
    )


def acknowledge_link(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link in notifications: GET asks (mail scanners follow links), POST acts."""
    incident_id = links.incident_from_ack_token(token)
    incident = (
        Incident.objects.select_related("project__organization").filter(pk=incident_id).first()
        if incident_id
        else None
    )
    if incident is None:
        raise Http404
    done = False
    if request.method == "POST":
        user = request.user if request.user.is_authenticated else None
        done = incident.acknowledge(user, via="link in a notification")
        incident.refresh_from_db()
    return render(request, "alerts/acknowledge_link.html", {"incident": incident, "done": done})


@cache_control(private=True, max_age=3600)
def chart_png(request: HttpRequest, token: str) -> HttpResponse:
    """The chart picture of an incident, at an unguessable URL that expires."""
    found = links.incident_from_image_token(token)
    if found is None:
        raise Http404
    incident = Incident.objects.filter(pk=found[0], image_key=found[1]).first()
    png = incident_png(incident) if incident is not None else None
    if png is None:
        raise Http404
    return HttpResponse(png, content_type="image/png")
