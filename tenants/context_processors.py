"""Navigation context: the user's organizations and the current organization and project."""

from django.http import HttpRequest

from tenants.invitations import pending_invitation
from tenants.models import Organization, Project


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        session = getattr(request, "session", None)
        pending = pending_invitation(session) if session is not None else None
        return {"pending_invitation": pending[1]} if pending else {}
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match else {}
    organizations = list(Organization.objects.for_user(user))
    current = next((o for o in organizations if o.slug == kwargs.get("org_slug")), None)
    membership = getattr(request, "membership", None)
    projects = list(Project.objects.for_organization(current)) if current else []
    current_project = next((p for p in projects if p.slug == kwargs.get("project_slug")), None)
    return {
        "nav_organizations": organizations,
        "nav_organization": current,
        "nav_projects": projects,
        "nav_project": current_project,
        "nav_rights": membership.rights if membership else frozenset(),
    }
