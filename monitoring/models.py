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
    # No single-column index: (project, timestamp) and (project, event_id) start with it, and
    # every index costs on each ingested row.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="events", db_index=False
    )
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
    # True when the client sent cost_usd: kept as sent, never re-priced.
    cost_from_client = models.BooleanField(default=False)
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


class HostSample(models.Model):
    """One host telemetry sample (percentages 0 to 100), shown next to violations as context."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="host_samples")
    host = models.CharField(max_length=255)
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    cpu_percent = models.FloatField(null=True, blank=True)
    memory_percent = models.FloatField(null=True, blank=True)
    gpu_percent = models.FloatField(null=True, blank=True)
    gpu_memory_percent = models.FloatField(null=True, blank=True)
    gpu_temperature_c = models.FloatField(null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["project", "timestamp"], name="hostsample_project_time"),
            models.Index(fields=["project", "host", "timestamp"], name="hostsample_project_host"),
        ]

    def __str__(self) -> str:
        return f"{self.host} at {self.timestamp:%Y-%m-%d %H:%M:%S}"


class ModelPriceQuerySet(models.QuerySet):
    def public(self) -> ModelPriceQuerySet:
        return self.filter(organization__isnull=True)

    def for_organization(self, organization: Organization) -> ModelPriceQuerySet:
        """The organization's own rows."""
        return self.filter(organization=organization)

    def applicable_to(self, organization_id: int) -> ModelPriceQuerySet:
        """Public rows and the organization's own (which win when both match)."""
        return self.filter(
            models.Q(organization__isnull=True) | models.Q(organization_id=organization_id)
        )


class ModelPrice(models.Model):
    """USD per million tokens for a provider's models matching `model_pattern`, from a date.

    `organization` null is the public price list (seeded from monitoring/pricing/seed.py);
    an organization's rows win over it. `valid_until` (exclusive) bounds a re-priced period.
    A null rate for cached input, cache writes or reasoning falls back to the base rate.
    """

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    provider = models.CharField(max_length=64)
    model_pattern = models.CharField(max_length=128)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    input_per_million = models.DecimalField(max_digits=14, decimal_places=6)
    output_per_million = models.DecimalField(max_digits=14, decimal_places=6)
    cached_input_per_million = models.DecimalField(
        max_digits=14, decimal_places=6, null=True, blank=True
    )
    cache_write_per_million = models.DecimalField(
        max_digits=14, decimal_places=6, null=True, blank=True
    )
    reasoning_per_million = models.DecimalField(
        max_digits=14, decimal_places=6, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ModelPriceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "model_pattern", "valid_from"],
                condition=models.Q(organization__isnull=True),
                name="public_price_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "provider", "model_pattern", "valid_from"],
                condition=models.Q(organization__isnull=False),
                name="organization_price_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="price_period_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model_pattern} from {self.valid_from}"


class EventRollup(models.Model):
    """Per-minute aggregate of one series (model, environment, source) of a project.

    `minute` is minutes since the Unix epoch, so that coarser intervals are integer division
    on every database. Sums are exact: tokens as integers, cost in units of 1e-10 USD.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.BigIntegerField()
    model = models.CharField(max_length=128)
    environment = models.CharField(max_length=64)
    source = models.CharField(max_length=8)
    # Concurrent writers add to different shards of the same minute (see ROLLUP_SHARDS), so
    # they do not queue on one row lock; readers sum the shards.
    shard = models.SmallIntegerField(default=0)
    count = models.BigIntegerField(default=0)
    errors = models.BigIntegerField(default=0)
    latency_sum = models.FloatField(default=0)
    latency_sumsq = models.FloatField(default=0)
    latency_min = models.FloatField(null=True)
    latency_max = models.FloatField(null=True)
    ttft_count = models.BigIntegerField(default=0)
    ttft_sum = models.FloatField(default=0)
    ttft_sumsq = models.FloatField(default=0)
    ttft_min = models.FloatField(null=True)
    ttft_max = models.FloatField(null=True)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cached_input_tokens = models.BigIntegerField(default=0)
    cache_creation_input_tokens = models.BigIntegerField(default=0)
    reasoning_tokens = models.BigIntegerField(default=0)
    cost_usd_e10 = models.BigIntegerField(default=0)
    priced_count = models.BigIntegerField(default=0)
    unpriced_count = models.BigIntegerField(default=0)
    tps_count = models.BigIntegerField(default=0)
    tps_sum = models.FloatField(default=0)

    objects = EventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "minute", "model", "environment", "source", "shard"],
                name="rollup_series_minute_shard",
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} minute {self.minute}: {self.count}"


class EventRollupBucket(models.Model):
    """Histogram counts of one rollup: `metric` 'l' (latency) or 't' (TTFT), log bucket index
    as defined in monitoring/histogram.py."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.BigIntegerField()
    model = models.CharField(max_length=128)
    environment = models.CharField(max_length=64)
    source = models.CharField(max_length=8)
    shard = models.SmallIntegerField(default=0)
    metric = models.CharField(max_length=1)
    bucket = models.SmallIntegerField()
    count = models.BigIntegerField(default=0)

    objects = EventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "project",
                    "minute",
                    "model",
                    "environment",
                    "source",
                    "shard",
                    "metric",
                    "bucket",
                ],
                name="rollup_bucket_shard_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} minute {self.minute} {self.metric}[{self.bucket}]={self.count}"


class OrganizationUsage(models.Model):
    """Events accepted per organization and calendar month (UTC): what plan quotas count.
    Read it with `monitoring.usage.events_this_month`."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month.")
    shard = models.SmallIntegerField(default=0)  # as EventRollup.shard: sum them
    events = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month", "shard"], name="usage_org_month_shard"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month:%Y-%m}: {self.events}"


class ApiKeyRateLimit(models.Model):
    """A per-key override of the instance's request rate limit (LLMSCOPE_API_RATE_LIMIT)."""

    api_key = models.OneToOneField(
        "tenants.ApiKey", on_delete=models.CASCADE, related_name="rate_limit"
    )
    requests_per_second = models.FloatField()
    burst = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requests_per_second__gt=0), name="rate_limit_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.requests_per_second}/s (burst {self.burst})"
