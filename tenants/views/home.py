"""The landing page, and where a logged-in user lands."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tenants.invitations import pending_invitation
from tenants.models import Organization


def home(request: HttpRequest) -> HttpResponse:
    """Anonymous: the landing page. An invitation opened before signing in: that invitation.
    Member: their last organization. No organization: create one."""
    if not request.user.is_authenticated:
        return render(request, "tenants/landing.html")
    pending = pending_invitation(request.session)
    if pending is not None:  # back from sign-up or sign-in: the invitation comes first
        return redirect("invitation-accept", token=pending[0])
    organizations = Organization.objects.for_user(request.user)
    last = request.session.get("last_org")
    organization = organizations.filter(slug=last).first() if last else None
    organization = organization or organizations.first()
    if organization is None:
        return redirect("organization-create")
    return redirect("organization-home", org_slug=organization.slug)
