"""Probe pages: list, create, edit, pause/resume, delete, run now, results.

Every view resolves the project through `project_view` (404 to outsiders, 403 to a role
without the right) and the probe through `_probe()` scoped to that project. HTMX requests get
fragments (a table row, the results block); plain requests get full pages or redirects.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from tenants.access import project_view
from tenants.models import Organization, Project

from .forms import ProbeForm
from .models import Probe
from .runs import TRIGGER_MANUAL, run_claim
from .scheduling import claim_for_manual_run


def _probe(project: Project, probe_id: int) -> Probe:
    probe = Probe.objects.for_project(project).filter(pk=probe_id).first()
    if probe is None:
        raise Http404
    return probe


def _list_url(project: Project) -> str:
    return reverse("probe-list", args=[project.organization.slug, project.slug])


def _detail_url(probe: Probe) -> str:
    return reverse(
        "probe-detail", args=[probe.project.organization.slug, probe.project.slug, probe.pk]
    )


@project_view(right="view")
def probe_list(request: HttpRequest, organization: Organization, project: Project):
    probes = Probe.objects.for_project(project).order_by("name")
    return render(
        request,
        "probes/list.html",
        {"organization": organization, "project": project, "probes": probes},
    )


@project_view(right="edit_monitoring")
def probe_create(request: HttpRequest, organization: Organization, project: Project):
    form = ProbeForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            probe = form.save()
        except IntegrityError:  # a concurrent create took the name between check and insert
            form.add_error("name", "This project already has a probe with this name.")
        else:
            messages.success(request, f"Probe “{probe.name}” created.")
            return redirect(_detail_url(probe))
    return render(
        request,
        "probes/form.html",
        {"organization": organization, "project": project, "form": form, "probe": None},
        status=400 if form.errors else 200,
    )


@project_view(right="edit_monitoring")
def probe_edit(request: HttpRequest, organization: Organization, project: Project, probe_id: int):
    probe = _probe(project, probe_id)
    form = ProbeForm(request.POST or None, instance=probe, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except IntegrityError:
            form.add_error("name", "This project already has a probe with this name.")
        else:
            messages.success(request, f"Probe “{probe.name}” saved.")
            return redirect(_detail_url(probe))
    return render(
        request,
        "probes/form.html",
        {"organization": organization, "project": project, "form": form, "probe": probe},
        status=400 if form.errors else 200,
    )


@project_view(right="view")
@vary_on_headers("HX-Request")
def probe_detail(request: HttpRequest, organization: Organization, project: Project, probe_id: int):
    probe = _probe(project, probe_id)
    context = {
        "organization": organization,
        "project": project,
        "probe": probe,
        "events": probe.recent_events(20),
    }
    # HTMX polls only the results block; a full load renders the page around it.
    template = "probes/_results.html" if request.htmx else "probes/detail.html"
    return render(request, template, context)


@project_view(right="edit_monitoring")
@require_POST
def probe_pause(request: HttpRequest, organization: Organization, project: Project, probe_id: int):
    probe = _probe(project, probe_id)
    probe.pause()
    return _row_or_redirect(request, organization, project, probe)


@project_view(right="edit_monitoring")
@require_POST
def probe_resume(request: HttpRequest, organization: Organization, project: Project, probe_id: int):
    probe = _probe(project, probe_id)
    probe.resume()
    return _row_or_redirect(request, organization, project, probe)


@project_view(right="edit_monitoring")
@require_POST
def probe_delete(request: HttpRequest, organization: Organization, project: Project, probe_id: int):
    probe = _probe(project, probe_id)
    name = probe.name
    probe.delete()  # its events stay: they are history (Event.probe_id is no foreign key)
    if request.htmx:
        return HttpResponse("")  # the row's outerHTML swap removes it
    messages.success(request, f"Probe “{name}” deleted.")
    return redirect(_list_url(project))


@project_view(right="edit_monitoring")
@require_POST
def probe_run(request: HttpRequest, organization: Organization, project: Project, probe_id: int):
    """Run the probe now and show the result. The call is bounded by the probe's timeout;
    the user asked to wait for exactly this measurement, so it runs in the request (a sync
    view: the ASGI server gives it a thread, the event loop is not blocked)."""
    probe = _probe(project, probe_id)
    claim = claim_for_manual_run(probe)
    event = run_claim(claim, trigger=TRIGGER_MANUAL) if claim else None
    if not request.htmx:
        if claim is None:
            messages.error(request, "This probe is running right now; try again in a moment.")
        return redirect(_detail_url(probe))
    context = {
        "organization": organization,
        "project": project,
        "probe": probe,
        "events": probe.recent_events(20),
        "run_event": event,
        "busy": claim is None,
    }
    return render(request, "probes/_results.html", context)


def _row_or_redirect(
    request: HttpRequest, organization: Organization, project: Project, probe: Probe
) -> HttpResponse:
    if request.htmx:
        context = {
            "organization": organization,
            "project": project,
            "probe": probe,
            "updated": True,
        }
        return render(request, "probes/_probe_row.html", context)
    return redirect(_list_url(project))
