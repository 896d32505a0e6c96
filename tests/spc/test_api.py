"""The SPC read API of API.md: charts, one chart, violations (filters, cursor), acknowledge,
CSV; scopes, bad input, and other tenants' objects answering 404."""

import csv
import io
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from spc.evaluation import evaluate_chart
from spc.models import Violation
from tests.spc.factories import add_events
from tests.spc.test_evaluation import baseline_values, latency_chart
from tests.tenancy import assert_cross_tenant_404

pytestmark = pytest.mark.django_db


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_it_lists_the_projects_charts(api_client, project, make_api_key, chart_with_violation):
    body = api_client.get("/api/v1/spc/charts", **auth(make_api_key(project))).json()
    assert body["results"] == [
        {
            "id": chart_with_violation.pk,
            "name": "latency",
            "metric": "latency_ms",
            "filter": {"model": "gpt-4o"},
            "chart_type": "individuals",
            "transform": "log",
            "status": "out_of_control",
        }
    ]


def test_one_chart_has_limits_in_milliseconds_and_points_with_their_rules(
    api_client, project, make_api_key, chart_with_violation
):
    body = api_client.get(
        f"/api/v1/spc/charts/{chart_with_violation.pk}?window=24h", **auth(make_api_key(project))
    ).json()
    limits = chart_with_violation.current_limits()
    assert body["limits"]["center"] == pytest.approx(np.expm1(limits.center))
    assert body["limits"]["ucl"] == pytest.approx(np.expm1(limits.center + limits.k * limits.sigma))
    assert body["limits"]["baseline_n"] == 50
    assert body["limits"]["computed_at"].endswith("Z")
    assert len(body["points"]) == 51
    assert body["points"][-1] == {"t": body["points"][-1]["t"], "v": 9000.0, "violations": [1]}
    assert all(p["violations"] == [] for p in body["points"][:-1])


def test_the_window_limits_the_points(api_client, project, make_api_key, chart_with_violation):
    body = api_client.get(
        f"/api/v1/spc/charts/{chart_with_violation.pk}?window=1h", **auth(make_api_key(project))
    ).json()
    assert [p["v"] for p in body["points"]] == [9000.0]


def test_violations_are_listed_with_context_and_filtered(
    api_client, project, make_api_key, chart_with_violation
):
    key = make_api_key(project)
    body = api_client.get("/api/v1/violations", **auth(key)).json()
    (item,) = body["results"]
    assert body["next"] is None
    assert item["rule"] == 1 and item["rule_name"] == "Beyond 3σ"
    assert item["chart"] == chart_with_violation.pk and item["value"] == 9000.0
    assert item["status"] == "open"
    assert item["context"][-1]["v"] == 9000.0 and len(item["context"]) == 11
    assert set(item["limits"]) >= {"center", "ucl", "lcl", "sigma"}
    assert "telemetry" in item
    assert api_client.get("/api/v1/violations?rule=2", **auth(key)).json()["results"] == []
    assert api_client.get("/api/v1/violations?status=resolved", **auth(key)).json()["results"] == []
    future = (timezone.now() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert api_client.get(f"/api/v1/violations?since={future}", **auth(key)).json()["results"] == []


def test_violations_paginate_with_a_cursor(api_client, project, make_api_key):
    chart = latency_chart(project, rules=[1])
    add_events(project, baseline_values())
    evaluate_chart(chart.pk)
    for i in range(105):
        add_events(
            project, [400.0, 20000.0], start=timezone.now() - timedelta(minutes=50 - i * 0.1)
        )
    evaluate_chart(chart.pk)
    key = make_api_key(project)
    first = api_client.get("/api/v1/violations", **auth(key)).json()
    assert len(first["results"]) == 100 and first["next"]
    second = api_client.get(f"/api/v1/violations?cursor={first['next']}", **auth(key)).json()
    assert len(second["results"]) == 5 and second["next"] is None
    ids = [v["id"] for v in first["results"] + second["results"]]
    assert len(set(ids)) == 105 == Violation.objects.count()


def test_acknowledging_a_violation(api_client, project, make_api_key, chart_with_violation):
    violation = Violation.objects.get()
    body = api_client.post(
        f"/api/v1/violations/{violation.pk}/acknowledge",
        {"note": "deploy 42"},
        format="json",
        **auth(make_api_key(project)),
    ).json()
    assert body["status"] == "acknowledged" and body["note"] == "deploy 42"
    chart_with_violation.refresh_from_db()
    assert chart_with_violation.status == "in_control"


def test_the_violations_csv_has_a_header_and_one_row_per_violation(
    api_client, project, make_api_key, chart_with_violation
):
    response = api_client.get("/api/v1/export/violations.csv", **auth(make_api_key(project)))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:6] == ["id", "chart_id", "chart", "rule", "rule_name", "t"]
    assert len(rows) == 2 and rows[1][3] == "1" and float(rows[1][6]) == 9000.0


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/spc/charts/{id}?window=2h", "window"),
        ("/api/v1/violations?status=closed", "status"),
        ("/api/v1/violations?rule=abc", "rule"),
        ("/api/v1/violations?since=yesterday", "since"),
        ("/api/v1/violations?cursor=%%%", "cursor"),
        ("/api/v1/export/violations.csv?status=nope", "status"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(
    api_client, project, make_api_key, chart_with_violation, url, field
):
    response = api_client.get(url.format(id=chart_with_violation.pk), **auth(make_api_key(project)))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["details"][0]["field"] == field


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/spc/charts"),
        ("get", "/api/v1/spc/charts/{chart}"),
        ("get", "/api/v1/violations"),
        ("post", "/api/v1/violations/{violation}/acknowledge"),
        ("get", "/api/v1/export/violations.csv"),
    ],
)
def test_an_ingest_only_key_is_refused_and_no_key_is_401(
    api_client, project, make_api_key, chart_with_violation, method, url
):
    url = url.format(chart=chart_with_violation.pk, violation=Violation.objects.get().pk)
    response = getattr(api_client, method)(url, **auth(make_api_key(project, scopes=("ingest",))))
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert getattr(api_client, method)(url).status_code == 401


def test_another_projects_key_gets_404_and_sees_nothing(
    api_client, other_project, make_api_key, chart_with_violation
):
    key = auth(make_api_key(other_project))
    violation = Violation.objects.get()
    assert_cross_tenant_404(api_client, f"/api/v1/spc/charts/{chart_with_violation.pk}", **key)
    assert_cross_tenant_404(
        api_client, f"/api/v1/violations/{violation.pk}/acknowledge", "post", **key
    )
    assert api_client.get("/api/v1/spc/charts", **key).json()["results"] == []
    assert api_client.get("/api/v1/violations", **key).json()["results"] == []
    assert (
        api_client.get(f"/api/v1/violations?chart={chart_with_violation.pk}", **key).json()[
            "results"
        ]
        == []
    )
    violation.refresh_from_db()
    assert violation.status == "open"


def test_members_read_the_same_shapes_through_their_session(
    client_for, viewer, project, chart_with_violation
):
    client = client_for(viewer)
    base = "/o/acme/p/web/api"
    assert client.get(f"{base}/spc/charts").json()["results"][0]["id"] == chart_with_violation.pk
    assert (
        client.get(f"{base}/spc/charts/{chart_with_violation.pk}").json()["limits"]["baseline_n"]
        == 50
    )
    assert len(client.get(f"{base}/violations").json()["results"]) == 1
    assert client.get(f"{base}/export/violations.csv").status_code == 200
    violation = Violation.objects.get()
    assert client.post(f"{base}/violations/{violation.pk}/acknowledge").status_code == 403


def test_a_member_acknowledges_through_the_session(
    client_for, member, project, chart_with_violation
):
    violation = Violation.objects.get()
    response = client_for(member).post(f"/o/acme/p/web/api/violations/{violation.pk}/acknowledge")
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"


def test_session_api_of_another_organization_is_404(
    client_for, outsider, project, other_project, chart_with_violation
):
    client = client_for(outsider)
    violation = Violation.objects.get()
    for url in (
        "spc/charts",
        f"spc/charts/{chart_with_violation.pk}",
        "violations",
        "export/violations.csv",
    ):
        assert_cross_tenant_404(client, f"/o/acme/p/web/api/{url}")
    assert_cross_tenant_404(
        client, f"/o/acme/p/web/api/violations/{violation.pk}/acknowledge", "post"
    )
    # Through the outsider's own project, Acme's chart id is unknown too.
    assert_cross_tenant_404(client, f"/o/globex/p/web/api/spc/charts/{chart_with_violation.pk}")


@pytest.mark.parametrize(
    "path", ["/api/v1/export/violations.csv", "/o/acme/p/web/api/export/violations.csv"]
)
def test_the_violations_csv_neutralises_formulas(
    api_client, client, owner, project, make_api_key, chart_with_violation, path
):
    chart_with_violation.name = '=HYPERLINK("http://evil.example")'
    chart_with_violation.save()
    chart_with_violation.violations.update(note="\tcmd|' /C calc'!A0")
    if path.startswith("/o/"):
        client.force_login(owner)
        response = client.get(path)
    else:
        response = api_client.get(path, **auth(make_api_key(project)))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][2] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][-1] == "'\tcmd|' /C calc'!A0"
