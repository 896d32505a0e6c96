"""Create, view, rename, delete and leave organizations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenants import audit, team
from tenants.access import organization_view
from tenants.forms import DeleteConfirmationForm, OrganizationForm
from tenants.models import AuditAction, AuditLogEntry, Organization


@login_required
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = Organization.create_with_owner(form.cleaned_data["name"], request.user)
        audit.record(org, request.user, AuditAction.ORGANIZATION_CREATED, org.name)
        messages.success(request, f"Organization “{org.name}” created. Now add a project.")
        return redirect("project-create", org_slug=org.slug)
    has_orgs = Organization.objects.for_user(request.user).exists()
    return render(request, "tenants/organization_create.html", {"form": form, "has_orgs": has_orgs})


@organization_view()
def organization_settings(request: HttpRequest, organization: Organization) -> HttpResponse:
    membership = request.membership
    form = OrganizationForm(initial={"name": organization.name})
    if request.method == "POST":
        if not membership.has_right("rename_organization"):
            raise PermissionDenied("Your role cannot rename the organization.")
        form = OrganizationForm(request.POST)
        if form.is_valid():
            old = organization.name
            organization.name = form.cleaned_data["name"]
            organization.save(update_fields=["name"])
            audit.record(
                organization,
                request.user,
                AuditAction.ORGANIZATION_RENAMED,
                organization.name,
                old=old,
            )
            messages.success(request, "Organization renamed.")
            return redirect("organization-settings", org_slug=organization.slug)
    delete_form = DeleteConfirmationForm(expected=organization.name)
    return render(
        request,
        "tenants/organization_settings.html",
        {"organization": organization, "form": form, "delete_form": delete_form},
    )


@require_POST
@organization_view(right="delete_organization")
def organization_delete(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = DeleteConfirmationForm(request.POST, expected=organization.name)
    if not form.is_valid():
        return render(
            request,
            "tenants/organization_settings.html",
            {
                "organization": organization,
                "form": OrganizationForm(initial={"name": organization.name}),
                "delete_form": form,
            },
            status=400,
        )
    name = organization.name
    organization.delete()
    messages.success(request, f"Organization “{name}” and all its data were deleted.")
    return redirect("home")


@require_POST
@organization_view()
def organization_leave(request: HttpRequest, organization: Organization) -> HttpResponse:
    try:
        team.leave(request.membership)
    except team.TeamError as exc:
        messages.error(request, str(exc))
        return redirect("organization-members", org_slug=organization.slug)
    messages.success(request, f"You left {organization.name}.")
    return redirect("home")


@organization_view(right="view_audit_log")
def audit_log(request: HttpRequest, organization: Organization) -> HttpResponse:
    entries = AuditLogEntry.objects.for_organization(organization).select_related("actor")[:200]
    return render(
        request, "tenants/audit_log.html", {"organization": organization, "entries": entries}
    )
