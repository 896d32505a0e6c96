"""Chart pages: create, edit (a structural change starts over), delete, reset; roles and other
organizations. Violations are read and acted on from the project page (tests/dashboard)."""

import pytest

from spc.models import Chart, ControlLimits, Violation
from tests.spc.test_evaluation import latency_chart
from tests.tenancy import assert_cross_tenant_404

pytestmark = pytest.mark.django_db

BASE = "/o/acme/p/web"


def form_data(**overrides):
    data = {
        "name": "p95 latency of search",
        "metric": "latency_ms",
        "chart_type": "individuals",
        "transform": "log",
        "subgroup_seconds": 60,
        "rule_set": "nelson",
        "nelson_rules": [1, 2, 3, 5],
        "baseline_size": 50,
        "limits_mode": "frozen",
        "rolling_window": 100,
        "model_filter": "gpt-4o",
        "tag_filter": "feature=search",
    }
    data.update(overrides)
    return data


def test_a_member_creates_a_chart_with_a_filter(client_for, member, project):
    response = client_for(member).post(f"{BASE}/charts/new/", form_data(run_2="7"))
    assert response.status_code == 302
    chart = Chart.objects.get()
    assert chart.filter == {"model": "gpt-4o", "tags": {"feature": "search"}}
    assert chart.rules == [1, 2, 3, 5] and chart.rule_params == {"2": 7}
    assert chart.organization == project.organization and not chart.auto_created


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"metric": "error_rate", "chart_type": "individuals"},
            "Error rate is charted as a p-chart",
        ),
        ({"chart_type": "p"}, "A p-chart charts the error rate"),
        ({"nelson_rules": []}, "Choose at least one rule"),
        ({"nelson_rules": [9]}, "Select a valid choice"),
        ({"baseline_size": 2}, "between 5 and 1000"),
        ({"tag_filter": "no-equals-sign"}, "is not key=value"),
        ({"metric": "speed"}, "Select a valid choice"),
        ({"run_2": "1"}, "greater than or equal to 2"),
        ({"false_alarm_budget_days": "0"}, "between 0.1 and 365 days"),
        ({"limits_design": "loose"}, "Select a valid choice"),
    ],
)
def test_bad_chart_settings_are_explained(client_for, member, project, overrides, message):
    response = client_for(member).post(f"{BASE}/charts/new/", form_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Chart.objects.exists()


def test_a_chart_can_set_its_own_budget_and_judge_both_directions(client_for, member, project):
    data = form_data(false_alarm_budget_days="30", judged_sides="both")
    assert client_for(member).post(f"{BASE}/charts/new/", data).status_code == 302
    chart = Chart.objects.get()
    assert chart.budget_days == 30.0 and chart.judged_side == "both"
    assert chart.limits_design == Chart.LimitsDesign.BUDGET


def test_the_form_explains_each_rule_in_plain_words(client_for, member, project):
    html = client_for(member).get(f"{BASE}/charts/new/").content.decode()
    assert "Nine points in a row sit on the same side of the centre line" in html
    assert "Fourteen points in a row alternate" in html


def test_a_viewer_cannot_change_charts(client_for, viewer, project):
    chart = latency_chart(project)
    client = client_for(viewer)
    assert client.post(f"{BASE}/charts/new/", form_data()).status_code == 403
    assert client.post(f"{BASE}/charts/{chart.pk}/delete/").status_code == 403
    assert client.post(f"{BASE}/charts/{chart.pk}/reset/").status_code == 403
    assert client.get(f"{BASE}/charts/").status_code == 200


def test_changing_the_filter_starts_the_chart_over(
    client_for, member, project, chart_with_violation
):
    chart = chart_with_violation
    response = client_for(member).post(
        f"{BASE}/charts/{chart.pk}/edit/", form_data(name="latency", model_filter="gpt-4.1")
    )
    assert response.status_code == 302
    chart.refresh_from_db()
    assert chart.filter["model"] == "gpt-4.1" and chart.status == "baseline"
    assert not chart.points.exists() and not Violation.objects.exists()


def test_changing_only_the_rules_keeps_the_history(
    client_for, member, project, chart_with_violation
):
    chart = chart_with_violation
    client_for(member).post(
        f"{BASE}/charts/{chart.pk}/edit/",
        form_data(name="latency", tag_filter="", nelson_rules=[1, 2]),
    )
    chart.refresh_from_db()
    assert chart.rules == [1, 2] and chart.points.count() == 51


def test_reset_and_delete(client_for, member, project, chart_with_violation):
    chart = chart_with_violation
    client = client_for(member)
    client.post(f"{BASE}/charts/{chart.pk}/reset/")
    chart.refresh_from_db()
    assert chart.status == "baseline" and ControlLimits.objects.get().valid_to is not None
    client.post(f"{BASE}/charts/{chart.pk}/delete/")
    assert not Chart.objects.exists()


def test_chart_pages_of_another_organization_are_404(
    client_for, outsider, project, other_project, chart_with_violation
):
    chart = chart_with_violation
    client = client_for(outsider)
    for method, url in [
        ("get", f"{BASE}/charts/"),
        ("get", f"{BASE}/charts/new/"),
        ("get", f"{BASE}/charts/{chart.pk}/edit/"),
        ("post", f"{BASE}/charts/{chart.pk}/delete/"),
        ("post", f"{BASE}/charts/{chart.pk}/reset/"),
        ("get", f"/o/globex/p/web/charts/{chart.pk}/edit/"),
    ]:
        assert_cross_tenant_404(client, url, method)
    assert Chart.objects.filter(pk=chart.pk).exists()
