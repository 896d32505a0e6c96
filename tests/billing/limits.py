"""Observing the limits in force the way a user meets them: through the pages."""

from __future__ import annotations

from django.urls import reverse

from tests.monitoring.probes.test_views import valid_data


def create_probe(client, project, name: str, interval_s: int):
    """POST the probe form; returns the response (302 created, 400 refused)."""
    url = reverse("probe-create", args=[project.organization.slug, project.slug])
    return client.post(url, valid_data(name=name, interval_s=interval_s, provider="demo"))


def invite(client, organization, email: str):
    """POST the invitation form; returns the response (302 sent, 400 refused)."""
    url = reverse("member-invite", args=[organization.slug])
    return client.post(url, {"email": email, "role": "member"})
