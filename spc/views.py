"""Chart and violation pages: list, create, edit, delete, reset baseline; acknowledge, resolve."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from spc.forms import RUN_LENGTH_RULES, ChartForm
from spc.models import STRUCTURAL_FIELDS, Chart, Violation, rebuild_chart
from spc.rules_text import rule_explanation
from spc.triggers import mark_project_dirty
from tenants.access import project_view


def _chart(project, chart_id: int) -> Chart:
    return get_object_or_404(Chart.objects.for_project(project), pk=chart_id)


def _back(organization, project):
    return redirect("chart-list", org_slug=organization.slug, project_slug=project.slug)


@project_view()
def chart_list(request: HttpRequest, organization, project) -> HttpResponse:
    charts = Chart.objects.for_project(project).order_by("name")
    return render(
        request,
        "spc/chart_list.html",
        {"organization": organization, "project": project, "charts": charts},
    )


def _form_page(request, organization, project, form, chart=None, status=200):
    return render(
        request,
        "spc/chart_form.html",
        {
            "organization": organization,
            "project": project,
            "form": form,
            "chart": chart,
            "run_fields": [form[f"run_{r}"] for r in RUN_LENGTH_RULES],
        },
        status=status,
    )


@project_view(right="edit_monitoring")
def chart_create(request: HttpRequest, organization, project) -> HttpResponse:
    form = ChartForm(
        request.POST or None, instance=Chart(project=project, organization=organization)
    )
    if request.method == "POST":
        if form.is_valid():
            chart = form.save()
            mark_project_dirty(project.pk)
            messages.success(request, f"Chart “{chart.name}” created; it starts with a baseline.")
            return _back(organization, project)
        return _form_page(request, organization, project, form, status=400)
    return _form_page(request, organization, project, form)


@project_view(right="edit_monitoring")
def chart_edit(request: HttpRequest, organization, project, chart_id: int) -> HttpResponse:
    chart = _chart(project, chart_id)
    before = {f: getattr(chart, f) for f in STRUCTURAL_FIELDS}
    form = ChartForm(request.POST or None, instance=chart)
    if request.method == "POST":
        if form.is_valid():
            chart = form.save()
            if any(getattr(chart, f) != before[f] for f in STRUCTURAL_FIELDS):
                rebuild_chart(chart)
                messages.info(
                    request, "The series changed: the chart starts over with a new baseline."
                )
            mark_project_dirty(project.pk)
            messages.success(request, "Chart saved.")
            return _back(organization, project)
        return _form_page(request, organization, project, form, chart, status=400)
    return _form_page(request, organization, project, form, chart)


@require_POST
@project_view(right="edit_monitoring")
def chart_delete(request: HttpRequest, organization, project, chart_id: int) -> HttpResponse:
    chart = _chart(project, chart_id)
    chart.delete()
    messages.success(request, f"Chart “{chart.name}” deleted.")
    return _back(organization, project)


@require_POST
@project_view(right="edit_monitoring")
def chart_reset(request: HttpRequest, organization, project, chart_id: int) -> HttpResponse:
    chart = _chart(project, chart_id)
    chart.reset_baseline()
    messages.success(
        request, f"“{chart.name}” collects a new baseline; the old limits stay in its history."
    )
    return _back(organization, project)


@project_view()
def violation_detail(request: HttpRequest, organization, project, violation_id: int):
    violation = get_object_or_404(
        Violation.objects.for_project(project).select_related(
            "chart", "acknowledged_by", "resolved_by"
        ),
        pk=violation_id,
    )
    template = "spc/_violation_detail.html" if request.htmx else "spc/violation_detail.html"
    response = render(
        request,
        template,
        {
            "organization": organization,
            "project": project,
            "violation": violation,
            "explanation": rule_explanation(violation.rule),
        },
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@project_view(right="edit_monitoring")
def violation_action(request: HttpRequest, organization, project, violation_id: int, action: str):
    violation = get_object_or_404(Violation.objects.for_project(project), pk=violation_id)
    note = request.POST.get("note", "").strip()[:2000]
    try:
        changed = violation.act(action, request.user, note)
    except ValueError:
        return render(request, "404.html", status=404)
    if not changed:
        messages.info(
            request, f"This violation was already {violation.get_status_display().lower()}."
        )
    return redirect(
        "violation-detail",
        org_slug=organization.slug,
        project_slug=project.slug,
        violation_id=violation.pk,
    )
