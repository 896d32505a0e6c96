"""`{% open_incidents organization project %}`: the project's open incidents, for the
project page (which sits above alerts and renders this fragment)."""

from django import template

from alerts.models import Incident

register = template.Library()


@register.inclusion_tag("alerts/_open_incidents.html")
def open_incidents(organization, project, limit: int = 5) -> dict:
    incidents = Incident.objects.for_project(project).active().select_related("rule")[:limit]
    return {"organization": organization, "project": project, "open_incidents": list(incidents)}
