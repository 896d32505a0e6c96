"""Chart pages: list, create, edit, delete, reset baseline."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from spc.forms import RUN_LENGTH_RULES, ChartForm
from spc.models import STRUCTURAL_FIELDS, Chart, rebuild_chart
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
