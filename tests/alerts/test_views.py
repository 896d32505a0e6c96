"""Pages and API of channels, rules and incidents: they work, another organization gets
404 everywhere, and roles without the right are refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alerts.models import AlertRule, Channel, Incident
from tests.tenancy import assert_cross_tenant_404

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(violated_chart, make_rule, fire, make_channel):
    make_rule([make_channel("email", config={"addresses": ["a@example.com"]})])
    return fire(violated_chart)[0]


def org_urls(organization, channel):
    o = organization.slug
    return [
        ("get", reverse("channel-list", args=[o])),
        ("get", reverse("channel-create", args=[o, "slack"])),
        ("get", reverse("channel-edit", args=[o, channel.pk])),
        ("post", reverse("channel-test", args=[o, channel.pk])),
        ("post", reverse("channel-delete", args=[o, channel.pk])),
        ("get", reverse("channel-deliveries", args=[o, channel.pk])),
    ]


def project_urls(project, rule, incident):
    args = [project.organization.slug, project.slug]
    return [
        ("get", reverse("rule-list", args=args)),
        ("get", reverse("rule-create", args=[*args, "spc"])),
        ("get", reverse("rule-edit", args=[*args, rule.pk])),
        ("post", reverse("rule-mute", args=[*args, rule.pk])),
        ("post", reverse("rule-delete", args=[*args, rule.pk])),
        ("post", reverse("maintenance-create", args=args)),
        ("get", reverse("incident-list", args=args)),
        ("get", reverse("incident-detail", args=[*args, incident.pk])),
        ("post", reverse("incident-acknowledge", args=[*args, incident.pk])),
        ("get", reverse("session-api-incidents", args=args)),
        ("get", reverse("session-api-incident", args=[*args, incident.pk])),
        ("post", reverse("session-api-incident-acknowledge", args=[*args, incident.pk])),
    ]


def test_pages_work_for_the_owner(client_for, owner, organization, project, incident):
    client = client_for(owner)
    channel = Channel.objects.get()
    for _method, url in org_urls(organization, channel)[:3] + org_urls(organization, channel)[5:]:
        assert client.get(url).status_code == 200, url
    for method, url in project_urls(project, incident.rule, incident):
        if method == "get":
            assert client.get(url).status_code == 200, url
    page = client.get(
        reverse("incident-detail", args=["acme", "web", incident.pk])
    ).content.decode()
    assert "Beyond 3σ" in page and "Timeline" in page and "/alerts/charts/" in page


def test_every_page_and_endpoint_is_404_to_another_organization(
    client_for, outsider, organization, project, incident
):
    client = client_for(outsider)
    channel = Channel.objects.get()
    for method, url in project_urls(project, incident.rule, incident) + org_urls(
        organization, channel
    ):
        assert_cross_tenant_404(client, url, method)
    assert Channel.objects.exists() and AlertRule.objects.exists()


def test_the_key_api_answers_404_for_another_projects_incident(
    api_client, other_project, make_api_key, incident
):
    key = make_api_key(other_project)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert_cross_tenant_404(api_client, f"/api/v1/incidents/{incident.pk}", **auth)
    assert_cross_tenant_404(
        api_client, f"/api/v1/incidents/{incident.pk}/acknowledge", "post", **auth
    )
    assert api_client.get("/api/v1/incidents", **auth).json()["results"] == []


def test_viewers_cannot_create_or_change_rules_or_channels(
    client_for, viewer, organization, project, incident
):
    client = client_for(viewer)
    channel = Channel.objects.get()
    for method, url in project_urls(project, incident.rule, incident)[1:6]:
        assert getattr(client, method)(url).status_code == 403, url
    response = client.post(
        reverse("session-api-incident-acknowledge", args=["acme", "web", incident.pk])
    )
    assert response.status_code == 403
    for method, url in org_urls(organization, channel)[1:5]:
        assert getattr(client, method)(url).status_code == 403, url


def test_members_manage_rules_but_not_organization_channels(
    client_for, member, organization, project, incident
):
    client = client_for(member)
    channel = Channel.objects.get()
    for method, url in org_urls(organization, channel)[1:6]:
        assert getattr(client, method)(url).status_code == 403, url
    created = client.post(
        reverse("rule-create", args=["acme", "web", "threshold"]),
        {"name": "slow", "measure": "latency_p95", "threshold": "800", "window_minutes": "5",
         "recovery_minutes": "5", "chart_scope": "any", "min_violations": "1",
         "within_minutes": "60", "failures": "3", "recoveries": "2", "cooldown_minutes": "0",
         "channels": [channel.pk]},
    )  # fmt: skip
    assert created.status_code == 302
    rule = AlertRule.objects.get(name="slow")
    assert (
        rule.kind == "threshold"
        and rule.threshold == 800
        and list(rule.channels.all()) == [channel]
    )


def test_a_threshold_rule_without_threshold_is_refused_with_a_clear_message(
    client_for, member, project
):
    response = client_for(member).post(
        reverse("rule-create", args=["acme", "web", "threshold"]),
        {"name": "x", "measure": "latency_p95", "window_minutes": "5", "recovery_minutes": "5",
         "chart_scope": "any", "min_violations": "1", "within_minutes": "60", "failures": "3",
         "recoveries": "2", "cooldown_minutes": "0"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Give the threshold this rule compares with." in response.content.decode()
    assert not AlertRule.objects.exists()


def test_a_rule_cannot_use_another_organizations_channel_or_chart(
    client_for, member, project, make_channel, other_organization
):
    foreign = make_channel("email", config={"addresses": ["x@example.com"]}, org=other_organization)
    response = client_for(member).post(
        reverse("rule-create", args=["acme", "web", "spc"]),
        {"name": "x", "chart_scope": "any", "min_violations": "1", "within_minutes": "60",
         "window_minutes": "5", "recovery_minutes": "5", "failures": "3", "recoveries": "2",
         "cooldown_minutes": "0", "channels": [foreign.pk]},
    )  # fmt: skip
    assert response.status_code == 400 and not AlertRule.objects.exists()


def test_admin_adds_a_slack_channel_and_the_test_shows_the_outcome(
    client_for, admin_user, organization
):
    from tests.alerts.receivers import Answer, Receiver

    client = client_for(admin_user)
    with Receiver(default=Answer(404, b"no_service")) as slack:
        response = client.post(
            reverse("channel-create", args=["acme", "slack"]),
            {"name": "ops", "webhook_url": slack.url + "/services/x"},
        )
        assert response.status_code == 302
        channel = Channel.objects.get()
        outcome = client.post(
            reverse("channel-test", args=["acme", channel.pk]), HTTP_HX_REQUEST="true"
        ).content.decode()
    assert "Test failed" in outcome and "HTTP 404" in outcome and "no_service" in outcome
    listing = client.get(reverse("channel-list", args=["acme"])).content.decode()
    assert slack.url not in listing and "••••" in listing  # masked after saving


def test_an_invalid_slack_url_gets_a_clear_error(client_for, admin_user, organization):
    response = client_for(admin_user).post(
        reverse("channel-create", args=["acme", "slack"]), {"name": "ops", "webhook_url": "nope"}
    )
    assert response.status_code == 400
    assert "Enter a full https:// URL" in response.content.decode()
    assert not Channel.objects.exists()


def test_api_lists_filters_pages_and_acknowledges(api_client, project, make_api_key, incident):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {make_api_key(project)}"}
    listed = api_client.get("/api/v1/incidents?status=open", **auth).json()
    assert [i["id"] for i in listed["results"]] == [incident.pk] and listed["next"] is None
    assert api_client.get("/api/v1/incidents?status=resolved", **auth).json()["results"] == []
    bad = api_client.get("/api/v1/incidents?status=nope", **auth)
    assert bad.status_code == 400 and bad.json()["error"] == "validation_error"
    assert api_client.get("/api/v1/incidents?cursor=%%%", **auth).status_code == 400
    detail = api_client.get(f"/api/v1/incidents/{incident.pk}", **auth).json()
    assert [e["kind"] for e in detail["timeline"]][:2] == ["opened", "notified"]
    assert detail["violations"] == [v.pk for v in incident.violations.all()]
    acked = api_client.post(f"/api/v1/incidents/{incident.pk}/acknowledge", **auth).json()
    assert acked["status"] == "acknowledged"
    assert Incident.objects.get().status == "acknowledged"


def test_the_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in ("/api/v1/incidents", "/api/v1/incidents/{incident_id}",
                 "/api/v1/incidents/{incident_id}/acknowledge"):  # fmt: skip
        assert path in schema["paths"]
    assert "IncidentDetail" in schema["components"]["schemas"]


def test_the_signed_acknowledge_link_asks_then_acknowledges(client, incident):
    from alerts.links import acknowledge_url

    path = acknowledge_url(incident).split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and Incident.objects.get().status == "open"
    client.post("/" + path)
    assert Incident.objects.get().status == "acknowledged"
    assert client.get("/alerts/ack/forged-token/").status_code == 404


def test_the_chart_picture_is_a_png_at_a_signed_url(client, incident):
    from alerts.links import image_url

    path = "/" + image_url(incident).split("://", 1)[1].split("/", 1)[1]
    response = client.get(path)
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    assert client.get(path.replace(".png", "x.png")).status_code == 404
    assert client.get(f"/alerts/charts/{incident.pk}.png").status_code == 404
