"""`manage.py demo` sets up the demo login, organization and project, and is idempotent."""

from django.core.management import call_command

from tenants.models import Membership, Organization, Project, Role


def test_demo_creates_a_login_org_and_project_and_can_run_twice(client, db, capsys):
    call_command("demo")
    call_command("demo")
    out = capsys.readouterr().out
    assert "demo@llmscope.local" in out
    org = Organization.objects.get(slug="demo")
    assert Project.objects.filter(organization=org, slug="demo").count() == 1
    assert Membership.objects.get(organization=org).role == Role.OWNER
    login = client.post(
        "/accounts/login/", {"login": "demo@llmscope.local", "password": "demo-llmscope"}
    )
    assert login.status_code == 302 and "_auth_user_id" in client.session
    assert client.get("/o/demo/p/demo/").status_code == 200


def test_demo_has_a_probe_whose_charts_need_a_short_baseline(db):
    from monitoring.probes.models import Probe
    from spc.models import Chart

    call_command("demo")
    probe = Probe.objects.get(project__slug="demo")
    charts = Chart.objects.filter(filter__probe_id=probe.pk)
    assert sorted(charts.values_list("metric", flat=True)) == [
        "error_rate",
        "latency_ms",
        "output_tokens_per_s",
        "ttft_ms",
    ]
    assert set(charts.filter(chart_type="individuals").values_list("baseline_size", flat=True)) == {
        20
    }
