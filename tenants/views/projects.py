"""Create, view, rename and delete projects."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenants import audit
from tenants.access import organization_view, project_view
from tenants.forms import DeleteConfirmationForm, ProjectForm
from tenants.models import AuditAction, Organization, Project


@organization_view(right="edit_monitoring")
def project_create(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = ProjectForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        project = Project.create_in(
            organization, form.cleaned_data["name"], form.cleaned_data["slug"]
        )
        audit.record(organization, request.user, AuditAction.PROJECT_CREATED, project.name)
        messages.success(request, f"Project “{project.name}” created.")
        return redirect("project-home", org_slug=organization.slug, project_slug=project.slug)
    return render(
        request,
        "tenants/project_create.html",
        {"organization": organization, "form": form},
        status=400 if form.errors else 200,
    )


@project_view()
def project_settings(request: HttpRequest, organization: Organization, project: Project):
    form = ProjectForm(
        initial={"name": project.name, "slug": project.slug},
        organization=organization,
        instance=project,
    )
    status = 200
    if request.method == "POST":
        if not request.membership.has_right("edit_monitoring"):
            raise PermissionDenied("Your role cannot change projects.")
        form = ProjectForm(request.POST, organization=organization, instance=project)
        if form.is_valid():
            old = project.name
            project.name = form.cleaned_data["name"]
            project.slug = form.cleaned_data["slug"] or project.slug
            project.save(update_fields=["name", "slug"])
            audit.record(
                organization, request.user, AuditAction.PROJECT_RENAMED, project.name, old=old
            )
            messages.success(request, "Project saved.")
            return redirect(
                "project-settings", org_slug=organization.slug, project_slug=project.slug
            )
        status = 400
    return render(
        request,
        "tenants/project_settings.html",
        {
            "organization": organization,
            "project": project,
            "form": form,
            "delete_form": DeleteConfirmationForm(expected=project.name),
        },
        status=status,
    )


@require_POST
@project_view(right="edit_monitoring")
def project_delete(request: HttpRequest, organization: Organization, project: Project):
    form = DeleteConfirmationForm(request.POST, expected=project.name)
    if not form.is_valid():
        messages.error(request, form.errors["confirm_name"][0])
        return redirect("project-settings", org_slug=organization.slug, project_slug=project.slug)
    name = project.name
    project.delete()
    audit.record(organization, request.user, AuditAction.PROJECT_DELETED, name)
    messages.success(request, f"Project “{name}” and its data were deleted.")
    return redirect("organization-home", org_slug=organization.slug)
