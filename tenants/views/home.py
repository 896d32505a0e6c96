"""The landing page, and where a logged-in user lands."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tenants.models import Organization


def home(request: HttpRequest) -> HttpResponse:
    """Anonymous: the landing page. Member: their last organization. No organization: create one."""
    if not request.user.is_authenticated:
        return render(request, "tenants/landing.html")
    organizations = Organization.objects.for_user(request.user)
    last = request.session.get("last_org")
    organization = organizations.filter(slug=last).first() if last else None
    organization = organization or organizations.first()
    if organization is None:
        return redirect("organization-create")
    return redirect("organization-home", org_slug=organization.slug)
