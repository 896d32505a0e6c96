"""Server-side fixes of the newcomer pass: unpriced cost, the chart shown first, the wizard's
key hint, the violation history, commands in the audit log, the help page, the favicon and
the probe page's reply and schedule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dashboard.management.commands.demo import ensure_demo
from monitoring.models import Event
from monitoring.pricing import cost_usd
from monitoring.probes.demo import DEMO_MODEL, ensure_demo_probe
from spc.chart_metrics import ChartType, Metric, Transform
from spc.models import Chart, ChartPoint, Violation
from tenants.models import AuditAction, AuditLogEntry, Organization
from tests.dashboard.conftest import individuals_chart, post_events, traffic
from tests.tenancy import assert_cross_tenant_404

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, project, **kw):
    return reverse(name, kwargs={"org_slug": "acme", "project_slug": project.slug, **kw})


def cards_of(response) -> dict:
    return {c["key"]: c for c in response.context["cards"]}


# --- Cost: unpriced is not $0 ------------------------------------------------------------


def test_cost_reads_unpriced_when_no_call_has_a_price(
    client, client_for, owner, project, make_api_key
):
    key = make_api_key(project)
    unpriced = traffic(10, 4, model="in-house-llm", provider="acme")
    assert post_events(client, key, unpriced).status_code == 202
    page = client_for(owner).get(url("project-home", project))
    cost = cards_of(page)["cost_usd"]
    assert cost["value"] == "unpriced"
    assert "$0.00" not in cost["value"]
    assert page.context["by_model"]["cost"][0]["value"] == "unpriced"
    home = client_for(owner).get("/o/acme/").content.decode()
    assert "unpriced" in home and "$0.00" not in home


def test_a_partly_priced_window_shows_the_sum_and_the_unpriced_count(
    client, client_for, owner, project, make_api_key
):
    key = make_api_key(project)
    assert post_events(client, key, traffic(10, 3)).status_code == 202  # gpt-4o-mini: priced
    assert post_events(client, key, traffic(8, 2, model="in-house-llm")).status_code == 202
    cost = cards_of(client_for(owner).get(url("project-home", project)))["cost_usd"]
    assert cost["value"].startswith("$") and cost["value"] != "$0.00"
    assert "+2 unpriced" in cost["change"]


def test_the_demo_prices_its_llm_so_the_demo_shows_cost(db):
    project = ensure_demo()
    cost = cost_usd(
        organization=project.organization,
        provider="demo",
        model=DEMO_MODEL,
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        on=timezone.now().date(),
    )
    assert cost == Decimal("2.00")  # $0.50 in + $1.50 out per million tokens
    ensure_demo()  # again: still one price row, no error
    assert cost_usd(
        organization=project.organization,
        provider="demo",
        model=DEMO_MODEL,
        input_tokens=1_000_000,
        output_tokens=0,
        on=timezone.now().date(),
    ) == Decimal("0.50")


# --- Commands write audit entries --------------------------------------------------------


def test_the_demo_command_records_what_it_created_once(db):
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    organization = Organization.objects.get(slug="demo")
    actions = list(
        AuditLogEntry.objects.filter(organization=organization).values_list("action", "actor_email")
    )
    assert (AuditAction.ORGANIZATION_CREATED, "command line") in actions
    assert (AuditAction.PROJECT_CREATED, "command line") in actions
    assert (AuditAction.MEMBER_JOINED, "command line") in actions
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AuditLogEntry.objects.filter(organization=organization).count() == len(actions)


def test_create_api_key_is_in_the_audit_log(client_for, owner, project, capsys):
    call_command("create_api_key", "acme", project.slug, "--name", "deploy", "--scopes", "ingest")
    assert capsys.readouterr().out.startswith("lls_")
    entry = AuditLogEntry.objects.get(action=AuditAction.KEY_CREATED)
    assert (entry.target, entry.actor_email) == ("deploy", "command line")
    assert entry.data["via"] == "manage.py create_api_key"
    assert entry.data["scopes"] == ["ingest"]
    html = client_for(owner).get("/o/acme/audit/").content.decode()
    assert "deploy" in html and "command line" in html


# --- The chart shown first ---------------------------------------------------------------


def test_latency_comes_first_then_ttft_then_error_rate(client_for, owner, project):
    common = {"organization": project.organization, "project": project, "filter": {}}
    errors = Chart.objects.create(
        name="A errors", metric=Metric.ERROR_RATE, chart_type=ChartType.P, **common
    )
    Chart.objects.filter(pk=errors.pk).update(status=Chart.Status.OUT_OF_CONTROL)
    ttft = Chart.objects.create(
        name="B ttft", metric=Metric.TTFT, chart_type=ChartType.INDIVIDUALS, **common
    )
    latency = Chart.objects.create(
        name="C latency",
        metric=Metric.LATENCY,
        chart_type=ChartType.INDIVIDUALS,
        transform=Transform.LOG,
        **common,
    )
    page = client_for(owner).get(url("project-home", project))
    assert page.context["chart"] == latency
    assert [c.pk for c in page.context["charts"]][:3] == [latency.pk, ttft.pk, errors.pk]
    asked = client_for(owner).get(url("project-home", project) + f"?chart={errors.pk}")
    assert asked.context["chart"] == errors


# --- Wizard ------------------------------------------------------------------------------


def test_after_a_reload_the_wizard_says_how_to_set_the_key(client_for, owner, project):
    page = client_for(owner).get(url("dashboard-wizard", project) + "?via=python")
    html = page.content.decode()
    assert "export LLMSCOPE_KEY=lls_" in html
    assert 'os.environ["LLMSCOPE_KEY"]' in html.replace("&quot;", '"')
    assert '"$LLMSCOPE_KEY"' not in html.replace("&quot;", '"')  # never a literal in Python
    assert 'aria-current="page">Overview' not in html  # the setup page is not the Overview
    assert "/api/docs/" in html
    assert "1. How data arrives" in html and "3. First event" in html


def test_a_new_key_goes_into_the_snippet_and_the_hint_goes_away(client_for, owner, project):
    page = client_for(owner).post(url("dashboard-wizard", project) + "?via=rest", {"via": "rest"})
    html = page.content.decode()
    assert "Bearer lls_" in html and "export LLMSCOPE_KEY" not in html


def test_the_first_event_moves_the_step_indicator(client_for, owner, project):
    Event.objects.create(
        organization=project.organization, project=project, model="m", latency_ms=5
    )
    fragment = client_for(owner).get(url("dashboard-wizard-status", project) + "?via=rest", **HTMX)
    html = fragment.content.decode()
    assert 'id="wizard-steps" hx-swap-oob="true"' in html
    assert '<li aria-current="step" class="done">3. First event</li>' in html
    assert "Data is arriving" in html


# --- Violation history -------------------------------------------------------------------


@pytest.fixture
def many_violations(project):
    chart = individuals_chart(project)
    other = individuals_chart(project, name="Other chart")
    base = timezone.now() - timedelta(hours=1)
    rows = []
    for i in range(60):
        on = chart if i % 2 else other
        t = base + timedelta(seconds=i)
        point = ChartPoint.objects.create(chart=on, key=i, t=t, value=900.0 + i, stat=0.0)
        rows.append(
            Violation(
                organization=project.organization,
                project=project,
                chart=on,
                point=point,
                rule=1 if i % 3 else 2,
                t=t,
                value=900.0 + i,
                status=Violation.Status.OPEN if i % 4 else Violation.Status.RESOLVED,
            )
        )
    Violation.objects.bulk_create(rows)
    old = Violation.objects.filter(chart=chart).order_by("t").first()
    Violation.objects.filter(pk=old.pk).update(t=timezone.now() - timedelta(days=3))
    return chart, other


def test_the_history_pages_every_violation_with_a_cursor(
    client_for, viewer, project, many_violations
):
    client = client_for(viewer)
    first = client.get(url("dashboard-violation-history", project))
    assert first.status_code == 200
    seen = [v.pk for v in first.context["violations"]]
    assert len(seen) == 50
    cursor = first.context["next_cursor"]
    assert cursor
    older = client.get(url("dashboard-violation-history", project) + f"?cursor={cursor}", **HTMX)
    assert older.status_code == 200
    seen += [v.pk for v in older.context["violations"]]
    assert older.context["next_cursor"] is None
    assert len(seen) == len(set(seen)) == 60  # no row twice, none lost
    ts = [v.t for v in Violation.objects.filter(pk__in=seen)]
    assert sorted(ts, reverse=True) == [Violation.objects.get(pk=pk).t for pk in seen]
    assert "Load older violations" in first.content.decode()


def test_the_history_filters_by_chart_rule_status_and_time(
    client_for, viewer, project, many_violations
):
    chart, _ = many_violations
    client = client_for(viewer)
    base = url("dashboard-violation-history", project)
    by_chart = client.get(f"{base}?chart={chart.pk}").context["violations"]
    assert by_chart and all(v.chart_id == chart.pk for v in by_chart)
    by_rule = client.get(f"{base}?rule=2").context["violations"]
    assert by_rule and all(v.rule == 2 for v in by_rule)
    resolved = client.get(f"{base}?status=resolved").context["violations"]
    assert resolved and all(v.status == "resolved" for v in resolved)
    recent = client.get(f"{base}?chart={chart.pk}&window=24h").context["violations"]
    assert len(recent) == len(by_chart) - 1  # the 3-day-old one is outside


@pytest.mark.parametrize(
    "query", ["chart=abc", "chart=999999", "rule=x", "status=nope", "window=2y", "cursor=%%%"]
)
def test_bad_history_filters_are_explained_not_500(
    client_for, viewer, project, many_violations, query
):
    response = client_for(viewer).get(url("dashboard-violation-history", project) + "?" + query)
    assert response.status_code == 200
    assert response.context["filters"].problems
    assert 'role="alert"' in response.content.decode()


def test_the_history_is_404_to_another_organization(
    client_for, outsider, project, other_organization
):
    assert_cross_tenant_404(client_for(outsider), url("dashboard-violation-history", project))


def test_the_project_page_links_the_history(client_for, member, project):
    html = client_for(member).get(url("project-home", project)).content.decode()
    assert url("dashboard-violation-history", project) in html


# --- Help, favicon, footer ---------------------------------------------------------------


def test_the_help_page_explains_the_jargon_to_anyone(client):
    html = client.get("/help/spc/").content.decode()
    for words in ("UCL", "σ", "baseline", "X̄-S", "p-chart", "Nelson rules", "not a threshold"):
        assert words in html, words
    assert "Nine points in a row" in html


def test_the_chart_is_explained_beside_it_with_a_link_to_help(client_for, member, project):
    individuals_chart(project)
    html = client_for(member).get(url("project-home", project)).content.decode()
    assert "What does this chart mean?" in html and 'href="/help/spc/"' in html
    assert 'title="Upper and lower control limits' in html


def test_favicon_and_footer_links(client, client_for, owner, project):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in icon.content
    html = client_for(owner).get(reverse("project-keys", args=["acme", project.slug])).content
    assert html.count(b'href="/api/docs/"') >= 2  # the keys page and the footer


# --- Probe page --------------------------------------------------------------------------


def test_the_probe_page_shows_the_reply_and_a_fresh_schedule(client_for, member, project):
    probe = ensure_demo_probe(project)
    probe.last_run_at = timezone.now()
    probe.last_status = "ok"
    probe.save(update_fields=["last_run_at", "last_status"])
    Event.objects.create(
        organization=project.organization,
        project=project,
        source=Event.Source.PROBE,
        probe_id=probe.pk,
        model=DEMO_MODEL,
        latency_ms=900,
        completion="Latency is skewed, so a log scale makes its spread symmetric.",
    )
    client = client_for(member)
    detail = client.get(reverse("probe-detail", args=["acme", project.slug, probe.pk]), **HTMX)
    html = detail.content.decode()
    assert "Last 1 result" in html and "a log scale makes its spread symmetric" in html
    assert 'id="probe-next-run"' in html and "Next run at" in html  # refreshed with the rows
    assert "just now" in html and "0 minutes" not in html
    listing = client.get(reverse("probe-list", args=["acme", project.slug])).content.decode()
    assert "just now" in listing and "0\xa0minutes" not in listing


def test_a_probe_without_results_says_when_they_come(client_for, member, project):
    probe = ensure_demo_probe(project)
    html = client_for(member).get(reverse("probe-detail", args=["acme", project.slug, probe.pk]))
    text = html.content.decode()
    assert "Last 0 results" not in text and "No results yet" in text
