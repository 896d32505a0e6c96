"""Monitoring data: one Event per LLM call, from probes, the REST API or OpenTelemetry."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from tenants.models import Organization, Project


class EventQuerySet(models.QuerySet):
    def for_project(self, project: Project) -> EventQuerySet:
        return self.filter(project=project)

    def for_organization(self, organization: Organization) -> EventQuerySet:
        return self.filter(organization=organization)


class Event(models.Model):
    """One LLM call. Durations in milliseconds, money in USD as Decimal, time in UTC.

    `organization` is stored next to `project` so that every key starts with the tenant and
    the table can be distributed by organization without a schema change. `probe_id` is a
    plain column, not a foreign key: events are history and outlive a deleted probe.
    """

    class Source(models.TextChoices):
        PROBE = "probe", "Probe"
        API = "api", "REST API"
        OTLP = "otlp", "OpenTelemetry"

    class Operation(models.TextChoices):
        CHAT = "chat", "Chat"
        COMPLETION = "completion", "Completion"
        EMBEDDING = "embedding", "Embedding"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OK = "ok", "OK"
        ERROR = "error", "Error"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    event_id = models.UUIDField(default=uuid.uuid4)
    timestamp = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    probe_id = models.BigIntegerField(null=True, blank=True)
    provider = models.CharField(max_length=64, blank=True)
    model = models.CharField(max_length=128)
    operation = models.CharField(max_length=16, choices=Operation.choices, default=Operation.CHAT)
    environment = models.CharField(max_length=64, default="production")
    latency_ms = models.FloatField()
    ttft_ms = models.FloatField(null=True, blank=True)
    input_tokens = models.IntegerField(null=True, blank=True)
    output_tokens = models.IntegerField(null=True, blank=True)
    cached_input_tokens = models.IntegerField(null=True, blank=True)
    cache_creation_input_tokens = models.IntegerField(null=True, blank=True)
    reasoning_tokens = models.IntegerField(null=True, blank=True)
    output_tokens_per_s = models.FloatField(null=True, blank=True)
    cost_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OK)
    error_type = models.CharField(max_length=128, blank=True)
    http_status = models.SmallIntegerField(null=True, blank=True)
    trace_id = models.CharField(max_length=32, blank=True)
    span_id = models.CharField(max_length=16, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    prompt_hash = models.CharField(max_length=64, blank=True)
    # None means "not stored" (the project does not keep text), distinct from an empty prompt.
    prompt = models.TextField(null=True, blank=True)  # noqa: DJ001
    completion = models.TextField(null=True, blank=True)  # noqa: DJ001

    objects = EventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "event_id"], name="event_id_per_project")
        ]
        indexes = [
            models.Index(fields=["project", "timestamp"], name="event_project_time"),
            models.Index(fields=["project", "model", "timestamp"], name="event_project_model_time"),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.latency_ms:.0f} ms at {self.timestamp:%Y-%m-%d %H:%M:%S}"

    @staticmethod
    def tokens_per_second(output_tokens: int | None, latency_ms: float, ttft_ms: float | None):
        """Output tokens per second of generation: output / (latency - TTFT), or over the whole
        latency when TTFT is unknown. None when there is nothing to divide."""
        if not output_tokens or latency_ms is None:
            return None
        generation_ms = latency_ms - (ttft_ms or 0.0)
        if generation_ms <= 0:
            return None
        return output_tokens / (generation_ms / 1000.0)
