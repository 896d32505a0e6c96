"""Alert rule pages (per project): list, add, edit, mute, delete; maintenance windows."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alerts.forms import AlertRuleForm, MaintenanceWindowForm, MuteForm
from alerts.models import AlertRule, MaintenanceWindow, RuleKind
from tenants.access import project_view


def _rule(project, rule_id: int) -> AlertRule:
    return get_object_or_404(AlertRule.objects.for_project(project), pk=rule_id)


def _back(organization, project):
    return redirect("rule-list", org_slug=organization.slug, project_slug=project.slug)


@project_view()
def rule_list(request: HttpRequest, organization, project) -> HttpResponse:
    rules = AlertRule.objects.for_project(project).prefetch_related("channels")
    windows = MaintenanceWindow.objects.for_project(project)
    return render(
        request,
        "alerts/rule_list.html",
        {
            "organization": organization,
            "project": project,
            "rules": rules,
            "windows": windows,
            "kinds": RuleKind.choices,
            "mute_form": MuteForm(),
            "window_form": MaintenanceWindowForm(initial={"repeat": "once"}),
        },
    )


def _form_page(request, organization, project, form, rule=None, status=200):
    return render(
        request,
        "alerts/rule_form.html",
        {
            "organization": organization,
            "project": project,
            "form": form,
            "rule": rule,
            "kind": form.kind,
            "kind_label": RuleKind(form.kind).label,
        },
        status=status,
    )


@project_view(right="edit_monitoring")
def rule_create(request: HttpRequest, organization, project, kind: str) -> HttpResponse:
    if kind not in RuleKind.values:
        raise Http404
    form = AlertRuleForm(
        request.POST or None,
        project=project,
        kind=kind,
        instance=AlertRule(project=project, organization=organization, created_by=request.user),
    )
    if request.method == "POST":
        if not form.is_valid():
            return _form_page(request, organization, project, form, status=400)
        rule = form.save()
        messages.success(request, f"Rule “{rule.name}” created.")
        return _back(organization, project)
    return _form_page(request, organization, project, form)


@project_view(right="edit_monitoring")
def rule_edit(request: HttpRequest, organization, project, rule_id: int) -> HttpResponse:
    rule = _rule(project, rule_id)
    form = AlertRuleForm(request.POST or None, project=project, instance=rule)
    if request.method == "POST":
        if not form.is_valid():
            return _form_page(request, organization, project, form, rule, status=400)
        form.save()
        messages.success(request, "Rule saved.")
        return _back(organization, project)
    return _form_page(request, organization, project, form, rule)


@require_POST
@project_view(right="edit_monitoring")
def rule_mute(request: HttpRequest, organization, project, rule_id: int) -> HttpResponse:
    rule = _rule(project, rule_id)
    form = MuteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how long to mute the rule.")
        return _back(organization, project)
    rule.mute(form.until())
    messages.success(request, f"“{rule.name}” muted." if rule.muted_until else "Rule unmuted.")
    return _back(organization, project)


@require_POST
@project_view(right="edit_monitoring")
def rule_delete(request: HttpRequest, organization, project, rule_id: int) -> HttpResponse:
    rule = _rule(project, rule_id)
    rule.delete()
    messages.success(request, f"Rule “{rule.name}” deleted with its incidents.")
    return _back(organization, project)


@require_POST
@project_view(right="edit_monitoring")
def window_create(request: HttpRequest, organization, project) -> HttpResponse:
    form = MaintenanceWindowForm(
        request.POST, instance=MaintenanceWindow(project=project, organization=organization)
    )
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        messages.error(request, f"Maintenance window not saved: {errors}")
        return _back(organization, project)
    form.save()
    messages.success(request, "Maintenance window saved: nothing is sent while it runs.")
    return _back(organization, project)


@require_POST
@project_view(right="edit_monitoring")
def window_delete(request: HttpRequest, organization, project, window_id: int) -> HttpResponse:
    window = get_object_or_404(MaintenanceWindow.objects.for_project(project), pk=window_id)
    window.delete()
    messages.success(request, "Maintenance window deleted.")
    return _back(organization, project)
