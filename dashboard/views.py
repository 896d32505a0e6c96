"""Dashboard pages and their HTMX fragments.

Every view resolves the organization and project through the caller's membership
(`tenants.access`), so another organization's objects answer 404. A view that serves both a
full page and a fragment picks by `request.htmx` and says so with `Vary: HX-Request`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard import cards as card_data
from dashboard import organization as org_data
from dashboard.charts import chart_payload, context_lines, default_chart, ordered_charts
from dashboard.events import STATUSES, recent_events, related_events
from dashboard.export import csv_chunks, csv_chunks_async
from dashboard.params import SOURCES, WINDOW_LABELS, parse_query
from dashboard.signals import signal_rows
from dashboard.violation_history import (
    HISTORY_WINDOWS,
    history_page,
    parse_filters,
    rule_choices,
)
from dashboard.wizard import PATHS, snippets
from monitoring.analytics import WINDOWS, minute_of
from monitoring.models import Event, EventRollup
from spc.models import Chart, Violation
from spc.rules_text import NELSON_RULE_NAMES, rule_explanation
from tenants import audit
from tenants.access import organization_view, project_view
from tenants.models import ApiKey, AuditAction, Organization, Project

CHOICES_SECONDS = 60


def _fragment_wanted(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _render(request, full: str, fragment: str, context: dict, status: int = 200):
    template = fragment if _fragment_wanted(request) else full
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _now() -> datetime:
    return datetime.now(UTC)


def _filter_choices(project: Project) -> dict:
    """Models and environments seen in the last 30 days (from the rollups, not raw events),
    remembered for a minute: a new model shows up in the menu at most a minute late."""
    key = f"dashboard:choices:{project.pk}"
    choices = cache.get(key)
    if choices is None:
        first = minute_of(_now()) - WINDOWS["30d"]
        rows = EventRollup.objects.filter(project=project, minute__gte=first)
        pairs = set(rows.values_list("model", "environment").distinct())
        choices = {
            "models": sorted({m for m, _ in pairs}),
            "environments": sorted({e for _, e in pairs}),
        }
        cache.set(key, choices, CHOICES_SECONDS)
    return choices


def _base_context(request, organization, project, query) -> dict:
    return {
        "organization": organization,
        "project": project,
        "query": query,
        "can_edit": request.membership.has_right("edit_monitoring"),
    }


@project_view()
def project_home(request: HttpRequest, organization: Organization, project: Project):
    """The project page; the body alone for HTMX."""
    request.session["last_org"] = organization.slug
    query = parse_query(request.GET)
    now = _now()
    charts = ordered_charts(list(Chart.objects.for_project(project)))
    try:
        wanted = int(request.GET.get("chart", ""))
    except ValueError:
        wanted = None
    chart = default_chart(charts, wanted)
    cards = card_data.project_cards(project, query, now)
    events, next_cursor, _ = recent_events(project, query, now)
    context = {
        **_base_context(request, organization, project, query),
        "cards": cards["cards"],
        "by_model": card_data.by_model_rows(cards["summary"]),
        "charts": charts,
        "chart": chart,
        "chart_data": chart_payload(chart, now - query.span) if chart else None,
        "signals": signal_rows(project),
        "events": events,
        "next_cursor": next_cursor,
        "windows": WINDOW_LABELS,
        "sources": SOURCES,
        "choices": _filter_choices(project),
        "rule_names": {str(k): v for k, v in NELSON_RULE_NAMES.items()},
        "has_events": bool(events) or Event.objects.for_project(project).exists(),
        "live_url": f"/ws/o/{organization.slug}/p/{project.slug}/",
        "window_start": (now - query.span).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return _render(request, "dashboard/project.html", "dashboard/_body.html", context)


@require_GET
@project_view()
def chart_data(request: HttpRequest, organization, project, chart_id: int) -> JsonResponse:
    """One chart's points and stepped limits over the page's window, as uPlot wants them."""
    chart = get_object_or_404(Chart.objects.for_project(project), pk=chart_id)
    query = parse_query(request.GET)
    response = JsonResponse(chart_payload(chart, _now() - query.span))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@project_view()
def event_list(request: HttpRequest, organization, project) -> HttpResponse:
    """Recent calls, one page; HTMX asks for the next page with `cursor`."""
    query = parse_query(request.GET)
    status = request.GET.get("status", "")
    events, next_cursor, problems = recent_events(
        project, query, _now(), status, request.GET.get("cursor", "")
    )
    context = {
        **_base_context(request, organization, project, query),
        "events": events,
        "next_cursor": next_cursor,
        "status": status if status in STATUSES else "",
        "problems": query.problems + problems,
        "appending": bool(request.GET.get("cursor")),
    }
    return _render(request, "dashboard/events_page.html", "dashboard/_events.html", context)


@require_GET
@project_view()
def event_export(request: HttpRequest, organization, project) -> StreamingHttpResponse:
    """The calls of the page's window and filters (and status) as CSV."""
    query = parse_query(request.GET)
    since = _now() - query.span
    status = request.GET.get("status", "")
    chunks = csv_chunks_async if isinstance(request, ASGIRequest) else csv_chunks
    response = StreamingHttpResponse(
        chunks(project, query, since, status), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-events.csv"'
    return response


@require_GET
@project_view()
def violation_list(request: HttpRequest, organization, project) -> HttpResponse:
    status = request.GET.get("status", "")
    context = {
        **_base_context(request, organization, project, parse_query(request.GET)),
        "signals": signal_rows(project, status),
        "violation_status": status if status in Violation.Status.values else "",
    }
    return _render(request, "dashboard/violations_page.html", "dashboard/_violations.html", context)


@require_GET
@project_view()
def violation_history(request: HttpRequest, organization, project) -> HttpResponse:
    """Every violation, filtered and paged by a keyset cursor; HTMX asks for older pages."""
    charts = ordered_charts(list(Chart.objects.for_project(project)))
    filters = parse_filters(request.GET, charts)
    cursor = request.GET.get("cursor", "")
    violations, next_cursor = history_page(project, filters, _now(), cursor)
    context = {
        **_base_context(request, organization, project, parse_query({})),
        "violations": violations,
        "next_cursor": next_cursor,
        "filters": filters,
        "charts": charts,
        "rules": rule_choices(project),
        "statuses": Violation.Status.choices,
        "windows": HISTORY_WINDOWS,
        "appending": bool(cursor),
    }
    full, rows = "dashboard/violation_history.html", "dashboard/_violation_history_rows.html"
    return _render(request, full, rows, context)


def _violation(project: Project, violation_id: int) -> Violation:
    return get_object_or_404(
        Violation.objects.for_project(project).select_related(
            "chart", "point", "acknowledged_by", "resolved_by"
        ),
        pk=violation_id,
    )


def _violation_context(request, organization, project, violation) -> dict:
    flagged_t = violation.t.timestamp()
    context_points = []
    for p in violation.context:
        try:
            t = datetime.fromisoformat(p["t"]).timestamp()
        except (KeyError, TypeError, ValueError):
            continue
        context_points.append({"t": t, "v": p.get("v")})
    return {
        **_base_context(request, organization, project, parse_query(request.GET)),
        "violation": violation,
        "explanation": rule_explanation(violation.rule),
        "related": related_events(project, violation.event_ids or []),
        "context_chart": {
            "points": context_points,
            "flagged": flagged_t,
            "rule": violation.rule,
            "lines": context_lines(violation.chart, violation.limits),
            "unit": violation.chart.unit,
            "log": violation.chart.transform == "log",
        },
    }


@require_GET
@project_view()
def violation_detail(request: HttpRequest, organization, project, violation_id: int):
    """The violation modal's content (HTMX), or the same as a page."""
    violation = _violation(project, violation_id)
    context = _violation_context(request, organization, project, violation)
    return _render(request, "dashboard/violation_page.html", "dashboard/_violation.html", context)


@require_POST
@project_view(right="edit_monitoring")
def violation_action(request: HttpRequest, organization, project, violation_id: int, action: str):
    """Acknowledge or resolve with a note; answers the refreshed modal content."""
    violation = _violation(project, violation_id)
    note = request.POST.get("note", "").strip()[:2000]
    try:
        changed = violation.act(action, request.user, note)
    except ValueError:
        return render(request, "404.html", status=404)
    if not _fragment_wanted(request):
        return redirect(
            "dashboard-violation",
            org_slug=organization.slug,
            project_slug=project.slug,
            violation_id=violation.pk,
        )
    violation = _violation(project, violation_id)
    context = _violation_context(request, organization, project, violation)
    context["unchanged"] = not changed
    response = _render(
        request, "dashboard/violation_page.html", "dashboard/_violation.html", context
    )
    # The log row shows the new status too.
    response["HX-Trigger"] = "llmscope:violation-changed"
    return response


@require_http_methods(["GET", "POST"])
@project_view()
def setup_wizard(request: HttpRequest, organization, project) -> HttpResponse:
    """Choose how data arrives, get a key (shown once) and a snippet, wait for the first event."""
    via = request.GET.get("via") or request.POST.get("via") or ""
    if via not in PATHS:
        via = ""
    plaintext = None
    if request.method == "POST":
        if not request.membership.has_right("manage_keys"):
            raise PermissionDenied("Only admins and owners can create API keys.")
        scopes = ["ingest", "read"]
        key, plaintext = ApiKey.create_for(project, "Setup wizard", scopes, request.user)
        audit.record(
            organization,
            request.user,
            AuditAction.KEY_CREATED,
            key.name,
            project=project.slug,
            prefix=key.prefix,
            scopes=key.scopes,
        )
    base_url = f"{request.scheme}://{request.get_host()}"
    context = {
        "organization": organization,
        "project": project,
        "paths": PATHS,
        "via": via,
        "plaintext": plaintext,
        "can_create_keys": request.membership.has_right("manage_keys"),
        "snippets": snippets(via, base_url, plaintext) if via else None,
        "has_events": Event.objects.for_project(project).exists(),
        "live_url": f"/ws/o/{organization.slug}/p/{project.slug}/",
        "status_url": reverse("dashboard-wizard-status", args=[organization.slug, project.slug]),
    }
    response = render(request, "dashboard/wizard.html", context)
    if plaintext:
        response["Cache-Control"] = "no-store"  # the key is in this response only
    return response


@require_GET
@project_view()
def wizard_status(request: HttpRequest, organization, project) -> HttpResponse:
    """Whether the first event has arrived (polled once per live message by the wizard)."""
    first = Event.objects.for_project(project).order_by("received_at").first()
    count = Event.objects.for_project(project).count() if first else 0
    context = {
        "organization": organization,
        "project": project,
        "first": first,
        "count": count,
        "via": request.GET.get("via", ""),
        "swap_steps": True,
    }
    return _render(
        request, "dashboard/wizard_status_page.html", "dashboard/_wizard_status.html", context
    )


@organization_view()
def organization_home(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The organization home: a card per project."""
    request.session["last_org"] = organization.slug
    context = {
        "organization": organization,
        "cards": org_data.project_cards(organization),
        "can_edit": request.membership.has_right("edit_monitoring"),
    }
    return render(request, "dashboard/organization.html", context)


def spc_help(request: HttpRequest) -> HttpResponse:
    """How LLMscope judges a service, in plain words (public: linked from every page)."""
    rules = [
        {"number": n, "name": name, "text": rule_explanation(n)}
        for n, name in NELSON_RULE_NAMES.items()
    ]
    return render(request, "dashboard/help_spc.html", {"rules": rules})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on every page: the SVG icon."""
    path = finders.find("favicon.svg")
    with open(path, "rb") as icon:
        response = HttpResponse(icon.read(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
