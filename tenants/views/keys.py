"""Project API keys: list, create (the key is shown once), revoke."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tenants import audit
from tenants.access import project_view
from tenants.forms import ApiKeyForm
from tenants.models import ApiKey, AuditAction, Organization, Project


def _keys_context(organization, project, **extra) -> dict:
    return {
        "organization": organization,
        "project": project,
        "keys": ApiKey.objects.for_project(project).select_related("created_by"),
        "form": extra.pop("form", ApiKeyForm()),
        **extra,
    }


@project_view()
def key_list(request: HttpRequest, organization: Organization, project: Project):
    return render(request, "tenants/keys.html", _keys_context(organization, project))


@require_POST
@project_view(right="manage_keys")
def key_create(request: HttpRequest, organization: Organization, project: Project):
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        context = _keys_context(organization, project, form=form)
        return render(request, "tenants/keys.html", context, status=400)
    key, plaintext = ApiKey.create_for(
        project, form.cleaned_data["name"], form.cleaned_data["scopes"], request.user
    )
    audit.record(
        organization,
        request.user,
        AuditAction.KEY_CREATED,
        key.name,
        project=project.slug,
        prefix=key.prefix,
        scopes=key.scopes,
    )
    # The plaintext goes into this one response and nowhere else.
    context = _keys_context(organization, project, new_key=key, plaintext=plaintext)
    response = render(request, "tenants/keys.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@project_view(right="manage_keys")
def key_revoke(request: HttpRequest, organization: Organization, project: Project, key_id: int):
    key = get_object_or_404(ApiKey.objects.for_project(project), pk=key_id)
    if key.revoke():
        audit.record(
            organization,
            request.user,
            AuditAction.KEY_REVOKED,
            key.name,
            project=project.slug,
            prefix=key.prefix,
        )
    if request.htmx:
        return render(
            request,
            "tenants/_key_row.html",
            {"key": key, "project": project, "organization": organization},
        )
    return redirect("project-keys", org_slug=organization.slug, project_slug=project.slug)
