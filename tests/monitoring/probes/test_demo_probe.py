"""`manage.py demo` creates a demo probe against the built-in demo LLM, due at once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from monitoring.probes.demo import DEMO_PROBE_NAME, ensure_demo_probe
from monitoring.probes.models import Probe

pytestmark = pytest.mark.django_db


def test_the_demo_probe_is_due_at_once_every_10_seconds(project, settings):
    settings.LLMSCOPE_PUBLIC_URL = "http://127.0.0.1:8123"
    before = timezone.now()
    probe = ensure_demo_probe(project)

    assert probe.provider == "demo"
    assert probe.interval_s == 10
    assert probe.stream is True
    assert before <= probe.next_run_at <= timezone.now()
    assert probe.effective_base_url() == "http://127.0.0.1:8123/demo-llm/v1"


def test_ensuring_it_again_changes_nothing(project):
    first = ensure_demo_probe(project)
    again = ensure_demo_probe(project)
    assert first.pk == again.pk
    assert Probe.objects.count() == 1


def test_the_demo_command_creates_it(capsys):
    call_command("demo")
    call_command("demo")  # idempotent
    probe = Probe.objects.get(name=DEMO_PROBE_NAME)
    assert probe.project.slug == "demo"
    assert probe.organization.slug == "demo"
