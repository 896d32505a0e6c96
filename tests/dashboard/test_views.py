"""Dashboard pages and fragments: they work, honour roles, and answer 404 across tenants."""

from __future__ import annotations

import pytest
from django.urls import reverse

from spc.models import Violation
from tenants.models import ApiKey
from tests.tenancy import assert_cross_tenant_404

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, project, **kw):
    return reverse(name, kwargs={"org_slug": "acme", "project_slug": project.slug, **kw})


def test_the_project_page_shows_the_cards_of_the_window(client_for, owner, with_traffic):
    response = client_for(owner).get(url("project-home", with_traffic) + "?window=1h")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="card-requests"' in html
    cards = {c["key"]: c for c in response.context["cards"]}
    assert cards["requests"]["value"] == "22"  # the 90-minute-old calls are outside 1 h
    assert cards["error_rate"]["value"] == "9.09%"
    assert cards["latency_p95"]["value"].endswith("ms")
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_a_wider_window_counts_more_and_compares_with_the_window_before(
    client_for, owner, with_traffic
):
    client = client_for(owner)
    one_hour = {c["key"]: c for c in client.get(url("project-home", with_traffic)).context["cards"]}
    assert one_hour["requests"]["value"] == "32"
    short = client.get(url("project-home", with_traffic) + "?window=1h").context["cards"]
    requests = next(c for c in short if c["key"] == "requests")
    assert requests["change"] == "+120%"  # 22 calls against the 10 of the hour before


def test_htmx_gets_the_body_alone(client_for, owner, with_traffic):
    response = client_for(owner).get(url("project-home", with_traffic) + "?window=6h", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="cards"' in html
    assert "HX-Request" in response["Vary"]


def test_filters_narrow_the_cards(client_for, owner, with_traffic):
    page = client_for(owner).get(url("project-home", with_traffic) + "?model=gpt-4o")
    requests = next(c for c in page.context["cards"] if c["key"] == "requests")
    assert requests["value"] == "2"
    by_source = client_for(owner).get(url("project-home", with_traffic) + "?source=probe")
    assert next(c for c in by_source.context["cards"] if c["key"] == "requests")["value"] == "0"


@pytest.mark.parametrize(
    "query",
    [
        "window=2y",
        "window=%00",
        "source=carrier-pigeon",
        "model=" + "x" * 500,
        "chart=abc",
        "chart=999999",
        "environment=<script>",
    ],
)
def test_bad_query_values_fall_back_to_safe_defaults(client_for, owner, project, query):
    response = client_for(owner).get(url("project-home", project) + "?" + query)
    assert response.status_code == 200
    assert response.context["query"].window in ("24h",)


def test_filter_values_are_escaped(client_for, owner, project):
    html = client_for(owner).get(url("project-home", project) + "?environment=<script>x")
    assert "&lt;script&gt;x" in html.content.decode()
    assert "<script>x" not in html.content.decode()


def test_unknown_window_is_reported(client_for, owner, project):
    html = client_for(owner).get(url("project-home", project) + "?window=2y").content.decode()
    assert "Unknown time window" in html


def test_the_chart_data_has_points_stepped_limits_and_violations(client_for, owner, violation):
    chart = violation.chart
    response = client_for(owner).get(
        url("dashboard-chart", chart.project, chart_id=chart.pk) + "?window=24h"
    )
    data = response.json()
    assert response.status_code == 200
    assert len(data["x"]) == len(data["value"]) == len(data["ucl"]) == 51
    assert data["rules"][-1] == [1]
    assert data["lcl"][0] < data["m2"][0] < data["m1"][0] < data["center"][0]
    assert data["center"][0] < data["p1"][0] < data["p2"][0] < data["ucl"][0]
    assert data["log"] is True and data["rule_names"] == {"1": "Beyond 3σ"}


def test_limits_step_where_the_baseline_was_reset(client_for, owner, violation):

    from django.utils import timezone

    from spc.evaluation import evaluate_chart
    from tests.spc.factories import add_events

    chart = violation.chart
    chart.reset_baseline()
    add_events(chart.project, [800.0 + i % 7 for i in range(60)], start=timezone.now())
    evaluate_chart(chart.pk)
    data = (
        client_for(owner)
        .get(url("dashboard-chart", chart.project, chart_id=chart.pk) + "?window=24h")
        .json()
    )
    assert len(data["resets"]) == 1
    assert data["center"][0] != data["center"][-1]


def test_the_violation_log_and_modal(client_for, owner, violation):
    client = client_for(owner)
    log = client.get(url("dashboard-violations", violation.project), **HTMX)
    assert "Beyond 3σ" in log.content.decode()
    modal = client.get(
        url("dashboard-violation", violation.project, violation_id=violation.pk), **HTMX
    )
    html = modal.content.decode()
    assert modal.status_code == 200 and "<html" not in html
    assert "further than 3 standard deviations" in html
    assert 'id="violation-context"' in html and "Acknowledge" in html
    assert len(modal.context["context_chart"]["points"]) == 11
    page = client.get(url("dashboard-violation", violation.project, violation_id=violation.pk))
    assert "<html" in page.content.decode()


def test_a_member_acknowledges_then_resolves_with_a_note(client_for, member, violation):
    client = client_for(member)
    base = {"project": violation.project, "violation_id": violation.pk}
    ack = client.post(
        url(
            "dashboard-violation-action",
            base["project"],
            violation_id=violation.pk,
            action="acknowledge",
        ),
        {"note": "deploy 42 <b>rolled back</b>"},
        **HTMX,
    )
    assert ack.status_code == 200 and ack["HX-Trigger"] == "llmscope:violation-changed"
    assert "deploy 42 &lt;b&gt;rolled back&lt;/b&gt;" in ack.content.decode()
    violation.refresh_from_db()
    assert violation.status == Violation.Status.ACKNOWLEDGED
    client.post(
        url(
            "dashboard-violation-action",
            base["project"],
            violation_id=violation.pk,
            action="resolve",
        ),
        {"note": ""},
        **HTMX,
    )
    violation.refresh_from_db()
    assert violation.status == Violation.Status.RESOLVED
    assert violation.note == "deploy 42 <b>rolled back</b>"


def test_a_viewer_reads_but_cannot_acknowledge(client_for, viewer, violation):
    client = client_for(viewer)
    modal = client.get(
        url("dashboard-violation", violation.project, violation_id=violation.pk), **HTMX
    )
    assert modal.status_code == 200 and "Acknowledge" not in modal.content.decode()
    response = client.post(
        url(
            "dashboard-violation-action",
            violation.project,
            violation_id=violation.pk,
            action="acknowledge",
        ),
        **HTMX,
    )
    assert response.status_code == 403
    violation.refresh_from_db()
    assert violation.status == Violation.Status.OPEN


def test_an_unknown_action_is_404(client_for, member, violation):
    response = client_for(member).post(
        url(
            "dashboard-violation-action",
            violation.project,
            violation_id=violation.pk,
            action="delete",
        )
    )
    assert response.status_code == 404


def test_recent_calls_paginate_and_filter(client_for, owner, with_traffic):
    client = client_for(owner)
    first = client.get(url("dashboard-events", with_traffic) + "?window=6h", **HTMX)
    assert len(first.context["events"]) == 25 and first.context["next_cursor"]
    cursor = first.context["next_cursor"]
    second = client.get(
        url("dashboard-events", with_traffic) + f"?window=6h&cursor={cursor}", **HTMX
    )
    assert len(second.context["events"]) == 7 and second.context["next_cursor"] is None
    errors = client.get(url("dashboard-events", with_traffic) + "?status=error", **HTMX)
    assert [r["event"].status for r in errors.context["events"]] == ["error", "error"]
    assert '"error_type": "timeout"' in errors.content.decode().replace("&quot;", '"')


def test_a_bad_cursor_or_status_is_reported_not_a_500(client_for, owner, with_traffic):
    response = client_for(owner).get(
        url("dashboard-events", with_traffic) + "?cursor=%%%&status=weird", **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "not valid any more" in html and "Unknown status" in html


def test_the_organization_home_has_a_card_per_project(client_for, viewer, with_traffic, violation):
    response = client_for(viewer).get(reverse("organization-home", args=["acme"]))
    assert response.status_code == 200
    (card,) = response.context["cards"]
    assert card["status"] == "out_of_control" and card["open_violations"] == 1
    assert card["requests"] == "32" and card["error_rate"] == "6.25%"
    assert card["sparkline"]
    assert "<polyline" in response.content.decode()


def test_the_wizard_gives_a_snippet_per_path(client_for, owner, project):
    client = client_for(owner)
    for via, needle in [
        ("rest", "curl -X POST"),
        ("sdk", "llmscope.instrument_openai(OpenAI())"),
        ("python", "import requests"),
        ("otel", "OTEL_EXPORTER_OTLP_HEADERS"),
        ("probe", "Create a probe"),
    ]:
        html = client.get(url("dashboard-wizard", project) + f"?via={via}").content.decode()
        assert needle in html, via
    assert client.get(url("dashboard-wizard", project) + "?via=<x>").status_code == 200


def test_the_wizard_shows_a_new_key_once(client_for, owner, project):
    client = client_for(owner)
    response = client.post(url("dashboard-wizard", project) + "?via=rest", {"via": "rest"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(project=project)
    assert key.scopes == ["ingest", "read"]
    html = response.content.decode()
    plaintext = html.split('id="new-key">')[1].split("<")[0]
    assert ApiKey.authenticate(plaintext) == key
    assert f"Bearer {plaintext}" in html
    again = client.get(url("dashboard-wizard", project) + "?via=rest").content.decode()
    assert plaintext not in again


def test_a_member_cannot_create_keys_in_the_wizard(client_for, member, project):
    response = client_for(member).post(url("dashboard-wizard", project), {"via": "rest"})
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_the_wizard_status_says_when_data_arrived(client_for, owner, with_traffic, project):
    html = client_for(owner).get(url("dashboard-wizard-status", project), **HTMX).content.decode()
    assert "Data is arriving" in html and "32 events" in html


def test_a_new_project_without_data_points_to_the_wizard(client_for, owner, project):
    html = client_for(owner).get(url("project-home", project)).content.decode()
    assert "No data yet" in html and url("dashboard-wizard", project) in html


def test_pages_need_a_login(client, project):
    response = client.get(url("project-home", project))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_page_and_fragment_answers_404_across_tenants(client_for, outsider, violation):
    project = violation.project
    client = client_for(outsider)
    vid = violation.pk
    cid = violation.chart_id
    for path in [
        url("project-home", project),
        url("dashboard-chart", project, chart_id=cid),
        url("dashboard-events", project),
        url("dashboard-violations", project),
        url("dashboard-violation", project, violation_id=vid),
        url("dashboard-wizard", project),
        url("dashboard-wizard-status", project),
        url("dashboard-events-csv", project),
        reverse("organization-home", args=["acme"]),
    ]:
        assert_cross_tenant_404(client, path)
        assert_cross_tenant_404(client, path, HTTP_HX_REQUEST="true")
    for action in ("acknowledge", "resolve"):
        assert_cross_tenant_404(
            client,
            url("dashboard-violation-action", project, violation_id=vid, action=action),
            method="post",
        )
    assert_cross_tenant_404(client, url("dashboard-wizard", project), method="post")


def test_another_projects_objects_are_404_inside_the_same_organization(
    client_for, owner, organization, violation
):
    from tenants.models import Project

    other = Project.objects.create(organization=organization, name="Other", slug="other")
    client = client_for(owner)
    assert (
        client.get(url("dashboard-violation", other, violation_id=violation.pk)).status_code == 404
    )
    assert client.get(url("dashboard-chart", other, chart_id=violation.chart_id)).status_code == 404


def test_the_events_export_follows_the_page_filters(client_for, viewer, with_traffic):
    client = client_for(viewer)
    response = client.get(url("dashboard-events-csv", with_traffic) + "?window=1h&model=gpt-4o")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("id,timestamp,received_at,source")
    assert len(lines) == 3 and all(",gpt-4o," in line for line in lines[1:])
    everything = client.get(url("dashboard-events-csv", with_traffic) + "?window=6h&status=ok")
    assert len(b"".join(everything.streaming_content).decode().strip().splitlines()) == 31


def test_the_export_links_carry_the_window(client_for, owner, with_traffic):
    html = client_for(owner).get(url("project-home", with_traffic) + "?window=6h").content.decode()
    assert "/dashboard/export/events.csv?window=6h" in html
    assert "/api/export/violations.csv?since=" in html
