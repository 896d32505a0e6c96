"""New events tell the project's live pages that their cards changed (after commit)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from monitoring.signals import events_recorded
from tenants.groups import broadcast_to_project


@receiver(events_recorded, dispatch_uid="dashboard-events-recorded")
def on_events_recorded(sender, project, series=(), **kwargs) -> None:
    project_id = project.pk
    transaction.on_commit(lambda: broadcast_to_project(project_id, {"type": "dashboard.activity"}))
