"""A claimed probe runs against a real (fake) server and becomes an ordinary Event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring.models import Event
from monitoring.probes.models import Probe
from monitoring.probes.runs import TRIGGER_MANUAL, run_claim
from monitoring.probes.scheduling import claim_due_probes, claim_for_manual_run

from .factories import make_probe
from .fake_llm import Behaviour, refused_url, running_fake_llm


def claimed(probe: Probe):
    probe.next_run_at = timezone.now() - timedelta(milliseconds=50)
    probe.save(update_fields=["next_run_at"])
    [claim] = claim_due_probes()
    return claim


@pytest.mark.django_db
def test_a_run_records_a_probe_event_with_its_measurements(project):
    with running_fake_llm(Behaviour(first_token_delay=0.2, token_delay=0.02)) as server:
        probe = make_probe(project, base_url=server.url + "/v1", credential="sk-abc-9876")
        claim = claimed(probe)
        event = run_claim(claim)

    assert event == Event.objects.for_project(project).get()
    assert event.source == "probe"
    assert event.probe_id == probe.pk
    assert event.organization_id == project.organization_id
    assert (event.provider, event.model, event.status) == ("openai_compatible", "test-model", "ok")
    assert event.http_status == 200
    assert (event.input_tokens, event.output_tokens) == (12, 4)
    assert event.ttft_ms >= 200.0
    assert event.latency_ms > event.ttft_ms
    assert event.output_tokens_per_s == pytest.approx(
        4 / ((event.latency_ms - event.ttft_ms) / 1000.0)
    )
    assert event.cost_usd is None  # no price table for this model
    assert event.tags["probe"] == probe.name
    assert event.tags["trigger"] == "schedule"
    assert event.tags["scheduled_for"] == claim.scheduled_for.isoformat()
    assert int(event.tags["schedule_lag_ms"]) >= 0
    assert len(event.prompt_hash) == 64
    assert event.prompt is None  # the prompt is the probe's own, kept on the probe
    assert event.completion == "Hello, world!"  # the reply, for the probe's page
    # The server saw the decrypted key.
    assert server.received[0].headers["authorization"] == "Bearer sk-abc-9876"
    probe.refresh_from_db()
    assert probe.lease_until is None
    assert probe.last_status == "ok"
    assert probe.last_run_at == event.timestamp


@pytest.mark.django_db
def test_a_failing_endpoint_is_an_error_event_not_a_crash(project):
    with running_fake_llm(Behaviour(status=429)) as server:
        probe = make_probe(project, base_url=server.url + "/v1")
        event = run_claim(claimed(probe))

    assert event.status == "error"
    assert event.error_type == "rate_limited"
    assert event.http_status == 429
    assert "429" in event.tags["error"]
    assert event.output_tokens_per_s is None
    probe.refresh_from_db()
    assert probe.lease_until is None
    assert probe.last_status == "error"


@pytest.mark.django_db
def test_a_timeout_is_an_error_event(project):
    with running_fake_llm(Behaviour(hang=10)) as server:
        probe = make_probe(project, base_url=server.url + "/v1", timeout_s=1)
        event = run_claim(claimed(probe))

    assert (event.status, event.error_type) == ("error", "timeout")


@pytest.mark.django_db
def test_a_refused_connection_is_an_error_event(project):
    probe = make_probe(project, base_url=refused_url() + "/v1")
    event = run_claim(claimed(probe))
    assert (event.status, event.error_type) == ("error", "connection_error")


@pytest.mark.django_db
def test_a_private_target_is_refused_at_run_time_when_the_instance_forbids_it(project, settings):
    with running_fake_llm() as server:
        probe = make_probe(project, base_url=server.url + "/v1")
        settings.LLMSCOPE_ALLOW_PRIVATE_TARGETS = False
        event = run_claim(claimed(probe))
        assert server.received == []  # no request left the building

    assert (event.status, event.error_type) == ("error", "connection_error")
    assert "loopback" in event.tags["error"]


@pytest.mark.django_db
def test_the_demo_probe_is_exempt_from_the_private_target_guard(project, settings):
    # The demo LLM is this instance itself; nothing listens here, but no refusal either.
    settings.LLMSCOPE_PUBLIC_URL = refused_url()
    settings.LLMSCOPE_ALLOW_PRIVATE_TARGETS = False
    probe = make_probe(project, provider="demo", base_url="")
    event = run_claim(claimed(probe))
    assert event.error_type == "connection_error"
    assert "loopback" not in event.tags["error"]


@pytest.mark.django_db
def test_an_unreadable_credential_is_an_auth_error_event(project, settings):
    from cryptography.fernet import Fernet

    settings.LLMSCOPE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    probe = make_probe(project, credential="sk-old")
    settings.LLMSCOPE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # key lost
    event = run_claim(claimed(probe))
    assert (event.status, event.error_type) == ("error", "auth_error")


@pytest.mark.django_db
def test_ollama_server_timings_land_in_the_event_tags(project):
    with running_fake_llm() as server:
        probe = make_probe(project, provider="ollama", base_url=server.url)
        event = run_claim(claimed(probe))

    assert event.tags["ollama_load_ms"] == "456.0"
    assert event.tags["ollama_eval_count"] == "4"


@pytest.mark.django_db
def test_a_probe_deleted_after_its_claim_runs_nothing(project):
    probe = make_probe(project)
    claim = claimed(probe)
    probe.delete()
    assert run_claim(claim) is None
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_manual_run_is_tagged_manual(project):
    with running_fake_llm() as server:
        probe = make_probe(project, base_url=server.url + "/v1")
        event = run_claim(claim_for_manual_run(probe), trigger=TRIGGER_MANUAL)
    assert event.tags["trigger"] == "manual"
    probe.refresh_from_db()
    assert probe.lease_until is None


@pytest.mark.django_db
def test_a_run_marks_the_probes_spc_charts_dirty(project, django_capture_on_commit_callbacks):
    from spc.models import Chart

    with running_fake_llm() as server:
        probe = make_probe(project, base_url=server.url + "/v1")
        charts = Chart.objects.filter(project=project, filter__probe_id=probe.pk)
        assert charts.count() == 4  # latency, TTFT, tokens/s, error rate: made on save
        charts.update(dirty=False)
        with django_capture_on_commit_callbacks(execute=False):
            run_claim(claimed(probe))

    assert charts.filter(dirty=True).count() == 4


@pytest.mark.django_db
def test_a_priced_model_gets_its_cost_from_the_price_table(project):
    # gpt-4o-mini is in the seeded public price table: $0.15 in, $0.60 out per million.
    with running_fake_llm(Behaviour(input_tokens=1000)) as server:
        probe = make_probe(
            project, provider="openai", model="gpt-4o-mini", base_url=server.url + "/v1"
        )
        event = run_claim(claimed(probe))

    assert event.status == "ok"
    assert (event.input_tokens, event.output_tokens) == (1000, 4)
    assert event.cost_usd == Decimal("0.0001524")  # 1000 x 0.15e-6 + 4 x 0.60e-6


@pytest.mark.django_db
def test_probe_events_count_in_the_rollups(project):
    from monitoring.models import EventRollup

    with running_fake_llm() as server:
        probe = make_probe(project, base_url=server.url + "/v1")
        run_claim(claimed(probe))

    assert EventRollup.objects.filter(project_id=project.pk).exists()
