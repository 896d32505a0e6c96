"""Probe pages: each works, answers 404 to other organizations, 403 to roles without the right."""

from __future__ import annotations

import pytest
from django.urls import reverse

from monitoring.models import Event
from monitoring.probes.models import Probe
from tests.tenancy import assert_cross_tenant_404

from .factories import make_probe
from .fake_llm import Behaviour, running_fake_llm

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, project, probe=None) -> str:
    args = [project.organization.slug, project.slug] + ([probe.pk] if probe else [])
    return reverse(name, args=args)


def valid_data(**overrides) -> dict:
    data = {
        "name": "Chat latency",
        "provider": "openai",
        "base_url": "",
        "model": "gpt-4o-mini",
        "prompt": "Say hello",
        "max_tokens": 64,
        "temperature": 0,
        "interval_s": 60,
        "timeout_s": 30,
        "stream": "on",
        "credential": "sk-proj-secretvalue-WXYZ",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def probe(project):
    return make_probe(project, name="Existing", credential="sk-existing-key-7777")


# -- list -------------------------------------------------------------------------------------
def test_the_list_shows_the_projects_probes(client_for, member, project, probe, other_project):
    make_probe(other_project, name="Not mine")
    response = client_for(member).get(url("probe-list", project))
    assert response.status_code == 200
    assert b"Existing" in response.content
    assert b"Not mine" not in response.content


def test_a_viewer_sees_the_list_without_edit_actions(client_for, viewer, project, probe):
    response = client_for(viewer).get(url("probe-list", project))
    assert response.status_code == 200
    assert b"Existing" in response.content
    assert b"New probe" not in response.content
    assert b"Pause" not in response.content


# -- create -----------------------------------------------------------------------------------
def test_a_member_creates_a_probe_with_defaults_and_an_encrypted_key(client_for, member, project):
    response = client_for(member).post(url("probe-create", project), valid_data())
    probe = Probe.objects.get(name="Chat latency")
    assert response.status_code == 302
    assert response["Location"] == url("probe-detail", project, probe)
    assert probe.project == project
    assert probe.organization == project.organization
    assert (probe.max_tokens, probe.temperature, probe.stream) == (64, 0.0, True)
    assert probe.effective_base_url() == "https://api.openai.com/v1"
    assert probe.credential() == "sk-proj-secretvalue-WXYZ"
    assert "secretvalue" not in probe.credential_token
    assert probe.next_run_at is not None  # scheduled on its grid


def test_the_form_has_the_documented_defaults(client_for, member, project):
    response = client_for(member).get(url("probe-create", project))
    form = response.context["form"]
    assert response.status_code == 200
    assert form["max_tokens"].value() == 64
    assert form["temperature"].value() == 0.0
    assert form["interval_s"].value() == 60
    assert form["timeout_s"].value() == 30
    assert form["stream"].value() is True


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"interval_s": -5}, "interval_s", "at least 10 seconds"),
        ({"interval_s": 3}, "interval_s", "at least 10 seconds"),
        ({"interval_s": "soon"}, "interval_s", "Enter a whole number"),
        ({"timeout_s": 0}, "timeout_s", "at least 1 second"),
        ({"timeout_s": 9999}, "timeout_s", "at most 300 seconds"),
        ({"max_tokens": 0}, "max_tokens", "at least 1 token"),
        ({"temperature": -1}, "temperature", "cannot be negative"),
        ({"provider": "gopher"}, "provider", "not one of the available choices"),
        ({"base_url": "not a url at all"}, "base_url", "Enter a full URL"),
        ({"base_url": "ftp://example.com/v1"}, "base_url", "Only http:// and https://"),
        ({"name": ""}, "name", "required"),
        ({"model": ""}, "model", "required"),
        ({"credential": ""}, "credential", "OpenAI needs an API key"),
        (
            {"provider": "anthropic", "credential": ""},
            "credential",
            "Anthropic needs an API key",
        ),
        (
            {"provider": "openai_compatible", "base_url": ""},
            "base_url",
            "needs its base URL",
        ),
        ({"name": "existing"}, "name", "already has a probe with this name"),
    ],
)
def test_bad_input_gets_a_specific_error_and_nothing_is_stored(
    client_for, member, project, probe, overrides, field, message
):
    before = Probe.objects.count()
    response = client_for(member).post(url("probe-create", project), valid_data(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in e for e in errors[field]), errors[field]
    assert Probe.objects.count() == before


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:11434", "http://10.0.0.1/v1", "http://169.254.169.254/latest"],
)
def test_private_targets_are_refused_on_the_form_when_the_instance_forbids_them(
    client_for, member, project, settings, target
):
    settings.LLMSCOPE_ALLOW_PRIVATE_TARGETS = False
    data = valid_data(provider="openai_compatible", base_url=target, credential="")
    response = client_for(member).post(url("probe-create", project), data)
    assert response.status_code == 400
    [error] = response.context["form"].errors["base_url"]
    assert "does not call private, loopback or link-local targets" in error
    assert not Probe.objects.filter(name="Chat latency").exists()


def test_the_interval_floor_follows_the_setting(client_for, member, project, settings):
    settings.LLMSCOPE_PROBE_MIN_INTERVAL_S = 1
    response = client_for(member).post(url("probe-create", project), valid_data(interval_s=2))
    assert response.status_code == 302
    assert Probe.objects.get(name="Chat latency").interval_s == 2


def test_a_demo_probe_ignores_the_base_url_and_needs_no_key(client_for, member, project):
    data = valid_data(provider="demo", base_url="http://10.9.9.9/", credential="")
    response = client_for(member).post(url("probe-create", project), data)
    assert response.status_code == 302
    probe = Probe.objects.get(name="Chat latency")
    assert probe.base_url == ""
    assert probe.effective_base_url().endswith("/demo-llm/v1")


def test_a_viewer_cannot_create(client_for, viewer, project):
    client = client_for(viewer)
    assert client.get(url("probe-create", project)).status_code == 403
    assert client.post(url("probe-create", project), valid_data()).status_code == 403
    assert not Probe.objects.exists()


# -- edit -------------------------------------------------------------------------------------
def test_editing_keeps_the_stored_key_and_never_shows_it(client_for, member, project, probe):
    client = client_for(member)
    page = client.get(url("probe-edit", project, probe))
    assert page.status_code == 200
    assert b"sk-existing-key-7777" not in page.content
    assert b"7777" in page.content  # only the last four, to tell keys apart

    data = valid_data(name="Renamed", provider="openai_compatible", credential="")
    data["base_url"] = "http://127.0.0.1:9/v1"
    response = client.post(url("probe-edit", project, probe), data)
    assert response.status_code == 302
    probe.refresh_from_db()
    assert probe.name == "Renamed"
    assert probe.credential() == "sk-existing-key-7777"


def test_editing_can_replace_or_clear_the_key(client_for, member, project, probe):
    client = client_for(member)
    data = valid_data(provider="openai_compatible", base_url="http://127.0.0.1:9/v1")
    data["name"] = probe.name
    client.post(url("probe-edit", project, probe), {**data, "credential": "sk-new-0001"})
    probe.refresh_from_db()
    assert (probe.credential(), probe.credential_last4) == ("sk-new-0001", "0001")

    cleared = {**data, "credential": "", "clear_credential": "on"}
    client.post(url("probe-edit", project, probe), cleared)
    probe.refresh_from_db()
    assert (probe.credential(), probe.credential_last4) == ("", "")


def test_changing_the_interval_reschedules(client_for, member, project, probe):
    probe.next_run_at = None
    probe.save()
    data = valid_data(name=probe.name, provider="openai_compatible", interval_s=120)
    data["base_url"] = "http://127.0.0.1:9/v1"
    client_for(member).post(url("probe-edit", project, probe), data)
    probe.refresh_from_db()
    assert probe.interval_s == 120
    assert probe.next_run_at is not None


def test_a_viewer_cannot_edit(client_for, viewer, project, probe):
    client = client_for(viewer)
    assert client.get(url("probe-edit", project, probe)).status_code == 403
    response = client.post(url("probe-edit", project, probe), valid_data(name="Hijacked"))
    assert response.status_code == 403
    probe.refresh_from_db()
    assert probe.name == "Existing"


# -- pause, resume, delete --------------------------------------------------------------------
def test_pause_and_resume_swap_the_row(client_for, member, project, probe):
    client = client_for(member)
    response = client.post(url("probe-pause", project, probe), **HTMX)
    assert response.status_code == 200
    assert b"Resume" in response.content
    probe.refresh_from_db()
    assert probe.is_paused

    response = client.post(url("probe-resume", project, probe), **HTMX)
    assert b"Pause" in response.content
    probe.refresh_from_db()
    assert not probe.is_paused
    assert probe.next_run_at is not None


def test_pause_without_htmx_redirects_to_the_list(client_for, member, project, probe):
    response = client_for(member).post(url("probe-pause", project, probe))
    assert response.status_code == 302
    assert response["Location"] == url("probe-list", project)


def test_state_changes_need_post(client_for, member, project, probe):
    client = client_for(member)
    for name in ("probe-pause", "probe-resume", "probe-delete", "probe-run"):
        assert client.get(url(name, project, probe)).status_code == 405


def test_delete_removes_the_probe_but_keeps_its_events(client_for, member, project, probe):
    Event.objects.create(
        organization=project.organization,
        project=project,
        source="probe",
        probe_id=probe.pk,
        model="m",
        latency_ms=5,
    )
    response = client_for(member).post(url("probe-delete", project, probe), **HTMX)
    assert response.status_code == 200
    assert response.content == b""
    assert not Probe.objects.filter(pk=probe.pk).exists()
    assert Event.objects.filter(probe_id=probe.pk).count() == 1


@pytest.mark.parametrize("name", ["probe-pause", "probe-resume", "probe-delete", "probe-run"])
def test_a_viewer_cannot_change_a_probe(client_for, viewer, project, probe, name):
    response = client_for(viewer).post(url(name, project, probe), **HTMX)
    assert response.status_code == 403
    probe.refresh_from_db()
    assert not probe.is_paused
    assert not Event.objects.exists()


# -- detail and run now -----------------------------------------------------------------------
def test_the_detail_page_shows_the_last_20_results(client_for, viewer, project, probe):
    for i in range(25):
        Event.objects.create(
            organization=project.organization,
            project=project,
            source="probe",
            probe_id=probe.pk,
            model="m",
            latency_ms=1000 + i,
            status="error" if i == 24 else "ok",
            error_type="timeout" if i == 24 else "",
        )
    response = client_for(viewer).get(url("probe-detail", project, probe))
    assert response.status_code == 200
    assert len(response.context["events"]) == 20
    assert b"Last 20 results" in response.content
    assert b"timeout" in response.content
    assert b"sk-existing-key-7777" not in response.content
    assert b"Run now" not in response.content  # viewers may look, not run


def test_htmx_polling_gets_only_the_results_block(client_for, member, project, probe):
    response = client_for(member).get(url("probe-detail", project, probe), **HTMX)
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<div id="results"')
    assert "HX-Request" in response["Vary"]


def test_run_now_measures_and_shows_the_result_inline(client_for, member, project):
    with running_fake_llm(Behaviour(first_token_delay=0.1)) as server:
        probe = make_probe(project, name="Live", base_url=server.url + "/v1")
        response = client_for(member).post(url("probe-run", project, probe), **HTMX)

    assert response.status_code == 200
    event = response.context["run_event"]
    assert event.status == "ok"
    assert event.tags["trigger"] == "manual"
    assert b"Run now:" in response.content
    assert b"first token after" in response.content
    probe.refresh_from_db()
    assert probe.lease_until is None


def test_run_now_shows_a_failure_inline(client_for, member, project):
    with running_fake_llm(Behaviour(status=500)) as server:
        probe = make_probe(project, name="Broken", base_url=server.url + "/v1")
        response = client_for(member).post(url("probe-run", project, probe), **HTMX)

    assert response.status_code == 200
    assert b"server_error" in response.content
    assert b"HTTP 500" in response.content


def test_run_now_while_running_says_so(client_for, member, project, probe):
    from monitoring.probes.scheduling import claim_for_manual_run

    claim_for_manual_run(probe)
    response = client_for(member).post(url("probe-run", project, probe), **HTMX)
    assert response.status_code == 200
    assert b"running right now" in response.content
    assert not Event.objects.exists()


# -- tenancy ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("probe-detail", "get"),
        ("probe-edit", "get"),
        ("probe-edit", "post"),
        ("probe-pause", "post"),
        ("probe-resume", "post"),
        ("probe-delete", "post"),
        ("probe-run", "post"),
    ],
)
def test_another_organizations_probe_is_404(client_for, outsider, project, probe, name, method):
    assert_cross_tenant_404(client_for(outsider), url(name, project, probe), method=method)
    probe.refresh_from_db()
    assert not probe.is_paused


@pytest.mark.parametrize("name", ["probe-list", "probe-create"])
def test_another_organizations_project_pages_are_404(client_for, outsider, project, name):
    assert_cross_tenant_404(client_for(outsider), url(name, project))
    assert_cross_tenant_404(client_for(outsider), url(name, project), method="post")


def test_a_probe_id_from_another_project_is_404_even_for_a_member(
    client_for, member, project, other_project
):
    foreign = make_probe(other_project, name="Foreign")
    # The member's own organization and project in the URL, someone else's probe id.
    detail = reverse("probe-detail", args=[project.organization.slug, project.slug, foreign.pk])
    assert client_for(member).get(detail).status_code == 404
    run = reverse("probe-run", args=[project.organization.slug, project.slug, foreign.pk])
    assert client_for(member).post(run).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, project, probe):
    response = client.get(url("probe-list", project))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
