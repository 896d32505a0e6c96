"""The embedded demo's probe: the built-in demo LLM, every 10 seconds, first run at once."""

from __future__ import annotations

from django.utils import timezone

from tenants.models import Project

from .models import Probe, Provider

DEMO_PROBE_NAME = "Demo LLM"
DEMO_MODEL = "demo-llm-1"
DEMO_PROMPT = "Explain in two sentences why latency is charted on a log scale."


def ensure_demo_probe(project: Project) -> Probe:
    """Create (or find) the demo probe of `project`; it is due at once when created, so
    `make run` shows data within seconds. Safe to call again."""
    probe, created = Probe.objects.get_or_create(
        project=project,
        name=DEMO_PROBE_NAME,
        defaults={
            "organization_id": project.organization_id,
            "provider": Provider.DEMO,
            "model": DEMO_MODEL,
            "prompt": DEMO_PROMPT,
            "max_tokens": 64,
            "interval_s": 10,
            "timeout_s": 30,
            "stream": True,
        },
    )
    if created:
        probe.schedule(timezone.now(), immediately=True)
        probe.save(update_fields=["next_run_at"])
    return probe
