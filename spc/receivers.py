"""Where events enter SPC: new events mark charts dirty; new probes get their charts."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from monitoring.signals import events_recorded
from spc.autocreate import ensure_series_charts
from spc.triggers import mark_series_dirty


@receiver(events_recorded, dispatch_uid="spc-events-recorded")
def on_events_recorded(sender, project, series=(), probe_ids=None, **kwargs) -> None:
    """`series`: (model, environment, source, has_ttft) tuples the new events belong to."""
    for model, environment, source, has_ttft in series:
        if source in ("api", "otlp"):
            ensure_series_charts(project, model, environment, has_ttft)
    mark_series_dirty(project.pk, series, probe_ids)


def connect_probe_charts() -> None:
    """Every probe gets its charts when it is saved."""
    try:
        from monitoring.probes.models import Probe
    except ImportError:
        return
    from spc.autocreate import ensure_probe_charts

    @receiver(post_save, sender=Probe, weak=False, dispatch_uid="spc-probe-charts")
    def on_probe_saved(sender, instance, **kwargs) -> None:
        ensure_probe_charts(instance)


connect_probe_charts()
