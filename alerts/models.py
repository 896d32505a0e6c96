"""Alerts: notification channels, alert rules, incidents, deliveries, maintenance windows.

The loop: a rule fires (alerts.firing) → one incident per (rule, series) opens or is joined
→ one Delivery per channel is stored in the same transaction → after commit a Celery task
claims each delivery with a conditional UPDATE and sends it through its channel's transport
(alerts.transports), retrying with backoff up to a bound.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from monitoring.probes.crypto import decrypt_secret, encrypt_secret
from monitoring.probes.models import Probe
from spc.models import Chart, Violation
from tenants.models import Organization, Project


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"
    DISCORD = "discord", "Discord"
    TEAMS = "teams", "Microsoft Teams"
    PAGERDUTY = "pagerduty", "PagerDuty"
    APPRISE = "apprise", "Apprise (90+ services)"


class ChannelQuerySet(models.QuerySet):
    def for_organization(self, organization: Organization) -> ChannelQuerySet:
        return self.filter(organization=organization)


def mask(secret: str) -> str:
    """What the page shows of a saved secret: its kind of start and its last 4 characters."""
    if not secret:
        return ""
    return "••••" + secret[-4:] if len(secret) > 8 else "••••"


class Channel(models.Model):
    """Where notifications go: one destination of one kind, owned by the organization.

    `config` holds what may be shown (addresses, a Slack channel name); `secret_token` is the
    Fernet token of a JSON object with the secrets (URLs, tokens, keys), never shown again
    in full (see `masked_secrets`).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    name = models.CharField(max_length=100)
    config = models.JSONField(default=dict, blank=True)
    secret_token = models.TextField(blank=True, editable=False)
    # Shown instead of the secrets: {"field": "••••abcd"}.
    secret_hints = models.JSONField(default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_delivery_status = models.CharField(max_length=16, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "kind"], name="channel_org_kind")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    # -- secrets ---------------------------------------------------------------------------
    def set_secrets(self, values: dict[str, str]) -> None:
        """Encrypt the secret fields; only their masked hints stay readable."""
        values = {k: v for k, v in values.items() if v}
        self.secret_token = encrypt_secret(json.dumps(values)) if values else ""
        self.secret_hints = {k: mask(str(v)) for k, v in values.items()}

    def secrets(self) -> dict[str, str]:
        """The decrypted secrets (raises CredentialUnreadable when the key changed)."""
        return json.loads(decrypt_secret(self.secret_token)) if self.secret_token else {}

    # -- notifying -------------------------------------------------------------------------
    @property
    def transport(self):
        from alerts.transports import transport_for

        return transport_for(self.kind)

    def notify(self, incident: Incident | None, kind: str, payload: dict) -> Delivery:
        """Store one delivery of `payload` to this channel; it is sent after commit by a
        worker (alerts.delivery.queue_after_commit)."""
        from alerts.delivery import queue_after_commit

        delivery = Delivery.objects.create(
            organization_id=self.organization_id,
            channel=self,
            incident=incident,
            kind=kind,
            payload=payload,
            max_attempts=settings.LLMSCOPE_ALERT_MAX_ATTEMPTS,
        )
        queue_after_commit(delivery.pk)
        return delivery


class RuleKind(models.TextChoices):
    SPC = "spc", "SPC violation"
    THRESHOLD = "threshold", "Threshold on a window"
    PROBE_DOWN = "probe_down", "Probe down"


class ChartScope(models.TextChoices):
    ANY = "any", "Any chart of the project"
    CHOSEN = "chosen", "Chosen charts"
    MATCHING = "matching", "Charts of a metric matching a filter"


class Measure(models.TextChoices):
    LATENCY_P50 = "latency_p50", "Latency p50 above (ms)"
    LATENCY_P95 = "latency_p95", "Latency p95 above (ms)"
    LATENCY_P99 = "latency_p99", "Latency p99 above (ms)"
    TTFT_P50 = "ttft_p50", "Time to first token p50 above (ms)"
    TTFT_P95 = "ttft_p95", "Time to first token p95 above (ms)"
    TTFT_P99 = "ttft_p99", "Time to first token p99 above (ms)"
    ERROR_RATE = "error_rate", "Error rate above (%)"
    COST_HOUR = "cost_hour", "Cost per hour above (USD)"
    COST_DAY = "cost_day", "Cost per day above (USD)"
    COST_MONTH = "cost_month", "Monthly budget (USD; notifies at 50, 80 and 100 %)"
    TOKENS_PER_S = "tokens_per_s", "Output tokens/s below"
    TRAFFIC = "traffic", "Traffic below (calls per minute)"
    SILENCE = "silence", "No events at all for the window"


class AlertRuleQuerySet(models.QuerySet):
    def for_project(self, project: Project) -> AlertRuleQuerySet:
        return self.filter(project=project)

    def active(self) -> AlertRuleQuerySet:
        return self.filter(is_active=True)


class AlertRule(models.Model):
    """When to open an incident, and which channels hear about it.

    One table for the three kinds (as healthchecks keeps one Check for its kinds): the
    fields of the other kinds stay at their defaults; the per-kind logic lives in
    alerts/firing.py (SPC), alerts/thresholds.py and alerts/probes.py.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    channels = models.ManyToManyField(Channel, blank=True, related_name="rules")
    is_active = models.BooleanField(default=True)
    # SPC
    chart_scope = models.CharField(max_length=10, choices=ChartScope.choices, default="any")
    charts = models.ManyToManyField(Chart, blank=True, related_name="+")
    metric = models.CharField(max_length=32, blank=True)
    filter = models.JSONField(default=dict, blank=True)  # also the threshold's series filter
    spc_rules = models.JSONField(default=list, blank=True)  # [] means any rule
    min_violations = models.PositiveIntegerField(default=1)
    within_minutes = models.PositiveIntegerField(default=60)
    # Threshold
    measure = models.CharField(max_length=16, choices=Measure.choices, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    window_minutes = models.PositiveIntegerField(default=5)
    recovery_minutes = models.PositiveIntegerField(default=5)
    # Probe down
    probe = models.ForeignKey(Probe, null=True, blank=True, on_delete=models.CASCADE)
    failures = models.PositiveIntegerField(default=3)
    recoveries = models.PositiveIntegerField(default=2)
    # Noise control
    renotify_minutes = models.PositiveIntegerField(null=True, blank=True)
    cooldown_minutes = models.PositiveIntegerField(default=0)
    muted_until = models.DateTimeField(null=True, blank=True)
    # Threshold rules are evaluated by a beat task; this claims each check once.
    next_check_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AlertRuleQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["project", "kind"], name="rule_project_kind"),
            models.Index(fields=["kind", "next_check_at"], name="rule_kind_due"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_muted(self, now: datetime | None = None) -> bool:
        return self.muted_until is not None and self.muted_until > (now or timezone.now())

    def mute(self, until: datetime | None) -> None:
        self.muted_until = until
        self.save(update_fields=["muted_until"])


class MaintenanceWindowQuerySet(models.QuerySet):
    def for_project(self, project: Project) -> MaintenanceWindowQuerySet:
        return self.filter(project=project)


class MaintenanceWindow(models.Model):
    """A time during which incidents are recorded but nothing is sent: one-off (`starts_at`
    to `ends_at`) or weekly (`weekday` at `start_time` UTC for `duration_minutes`)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)  # Monday is 0
    start_time = models.TimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MaintenanceWindowQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "weekday", "start_time"]

    def __str__(self) -> str:
        return self.describe()

    @property
    def is_weekly(self) -> bool:
        return self.weekday is not None

    def describe(self) -> str:
        if self.is_weekly:
            day = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays",
                   "Sundays"][self.weekday]  # fmt: skip
            return f"{day} at {self.start_time:%H:%M} UTC for {self.duration_minutes} min"
        return f"{self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M} UTC"

    def covers(self, moment: datetime) -> bool:
        """True when `moment` falls inside this window."""
        if not self.is_weekly:
            return self.starts_at <= moment < self.ends_at
        duration = timedelta(minutes=self.duration_minutes or 0)
        # The occurrence that started most recently at or before `moment` (this week's or
        # last week's: a window may span midnight into the next week).
        days_back = (moment.weekday() - self.weekday) % 7
        for extra in (0, 7):
            day = (moment - timedelta(days=days_back + extra)).date()
            start = datetime.combine(day, self.start_time, tzinfo=moment.tzinfo)
            if start <= moment < start + duration:
                return True
        return False


def in_maintenance(project_id: int, moment: datetime) -> MaintenanceWindow | None:
    """The maintenance window covering `moment` for the project, if any."""
    for window in MaintenanceWindow.objects.filter(project_id=project_id):
        if window.covers(moment):
            return window
    return None


class IncidentQuerySet(models.QuerySet):
    def for_project(self, project: Project) -> IncidentQuerySet:
        return self.filter(project=project)

    def active(self) -> IncidentQuerySet:
        return self.filter(status__in=Incident.ACTIVE)


class Incident(models.Model):
    """One problem as people see it: a rule firing on one series, from opening to
    resolution. Later firings on the same (rule, series) join the open incident."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED)

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="incidents")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="incidents")
    series_key = models.CharField(max_length=200)
    series_label = models.CharField(max_length=300, blank=True)
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    chart = models.ForeignKey(Chart, null=True, blank=True, on_delete=models.SET_NULL)
    violations = models.ManyToManyField(Violation, blank=True, related_name="+")
    firing_count = models.PositiveIntegerField(default=1)
    # What the notification tells: the value and what it is compared with, in plain words.
    value = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # Why nothing was sent when it opened ("muted", "maintenance", "cooldown"), or "".
    suppressed = models.CharField(max_length=16, blank=True)
    step = models.PositiveSmallIntegerField(default=0)  # budget: the highest % step reached
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    clear_since = models.DateTimeField(null=True, blank=True)  # threshold recovery
    next_renotify_at = models.DateTimeField(null=True, blank=True)
    image_key = models.CharField(max_length=32, default="", blank=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # One active incident per (rule, series): the insert that loses the race joins.
            models.UniqueConstraint(
                fields=["rule", "series_key"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="one_active_incident_per_series",
            )
        ]
        indexes = [
            models.Index(fields=["project", "status", "-opened_at"], name="incident_project"),
            models.Index(fields=["status", "next_renotify_at"], name="incident_renotify"),
            models.Index(fields=["chart", "status"], name="incident_chart"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.image_key:
            self.image_key = secrets.token_urlsafe(18)
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def record(self, kind: str, message: str = "", actor=None, delivery=None) -> IncidentEvent:
        return IncidentEvent.objects.create(
            incident=self, kind=kind, message=message, actor=actor, delivery=delivery
        )

    def timeline(self):
        return self.events.select_related("actor", "delivery__channel").order_by("at", "id")

    def acknowledge(self, user=None, via: str = "page") -> bool:
        """Open → acknowledged (stops re-notification); False if it was not open."""
        from alerts.incidents import acknowledge_incident

        return acknowledge_incident(self, user, via)


class IncidentEvent(models.Model):
    """One line of an incident's timeline."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        JOINED = "joined", "Fired again"
        ESCALATED = "escalated", "Escalated"
        NOTIFIED = "notified", "Notification"
        SUPPRESSED = "suppressed", "Not sent"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery = models.ForeignKey("Delivery", null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:60]}"


class DeliveryQuerySet(models.QuerySet):
    def for_organization(self, organization: Organization) -> DeliveryQuerySet:
        return self.filter(organization=organization)


class Delivery(models.Model):
    """One notification to one channel, sent at least once.

    `idempotency_key` is the same for every attempt (the webhook's `webhook-id`), so a
    receiver can drop a repeat; `payload` is the notification as it was when the incident
    changed, so a retry sends the same words.
    """

    class Kind(models.TextChoices):
        TRIGGER = "trigger", "Trigger"
        RENOTIFY = "renotify", "Reminder"
        ACKNOWLEDGE = "acknowledge", "Acknowledged"
        RESOLVE = "resolve", "Resolved"
        TEST = "test", "Test"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Retrying"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    PENDING = (Status.QUEUED, Status.RETRYING)

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(default=dict)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["channel", "-created_at"], name="delivery_channel"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "retrying", "sending"]),
                name="delivery_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.channel_id}: {self.status}"

    def claim(self, now: datetime, lease: timedelta) -> bool:
        """Take this delivery for one attempt: a conditional UPDATE, so two workers never
        send the same attempt. A lease left by a worker that died can be taken over."""
        due = Q(status__in=self.PENDING, next_attempt_at__lte=now) | Q(
            status=self.Status.SENDING, lease_until__lte=now
        )
        changed = (
            Delivery.objects.filter(due, pk=self.pk)
            .filter(attempts__lt=F("max_attempts"))
            .update(status=self.Status.SENDING, lease_until=now + lease, attempts=F("attempts") + 1)
        )
        if changed:
            self.refresh_from_db()
        return bool(changed)
