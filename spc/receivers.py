"""Where events enter SPC: new events mark charts dirty; new probes get their charts; a saved
chart drops the memo of chart filters."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from monitoring.probes.models import Probe
from monitoring.signals import events_recorded
from spc.autocreate import ensure_probe_charts, ensure_series_charts
from spc.models import Chart
from spc.triggers import forget_chart_filters, mark_series_dirty


@receiver(events_recorded, dispatch_uid="spc-events-recorded")
def on_events_recorded(sender, project, series=(), probe_ids=None, **kwargs) -> None:
    """`series`: (model, environment, source, has_ttft) tuples the new events belong to."""
    for model, environment, source, has_ttft in series:
        if source in ("api", "otlp"):
            ensure_series_charts(project, model, environment, has_ttft)
    mark_series_dirty(project.pk, series, probe_ids)


@receiver(post_save, sender=Probe, dispatch_uid="spc-probe-charts")
def on_probe_saved(sender, instance, **kwargs) -> None:
    """Every probe gets its charts when it is saved."""
    ensure_probe_charts(instance)


@receiver(post_save, sender=Chart, dispatch_uid="spc-chart-saved")
def on_chart_saved(sender, instance, **kwargs) -> None:
    """A chart saved in this process drops the memo of its project's chart filters."""
    forget_chart_filters(instance.project_id)
