"""Building probes for tests."""

from __future__ import annotations

from monitoring.probes.models import Probe


def make_probe(project, **fields) -> Probe:
    """A saved probe of `project` with sensible defaults (openai_compatible, 60 s)."""
    credential = fields.pop("credential", "")
    defaults = {
        "name": f"probe-{Probe.objects.count() + 1}",
        "provider": "openai_compatible",
        "base_url": "http://127.0.0.1:9/v1",
        "model": "test-model",
        "prompt": "Say hello",
        "interval_s": 60,
        "timeout_s": 5,
    }
    probe = Probe(project=project, organization=project.organization, **{**defaults, **fields})
    if credential:
        probe.set_credential(credential)
    probe.save()
    return probe
