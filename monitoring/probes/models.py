"""Synthetic probes: an LLM endpoint that LLMscope calls on a schedule.

A `Probe` holds what to call and when; each run is recorded as an ordinary
`monitoring.Event` with `source="probe"` and `probe_id`, so probe data flows through the same
charts, rules and exports as API traffic. Scheduling state lives on the probe row itself
(`next_run_at`, `lease_until`) so that claims are single conditional updates
(see scheduling.py).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from monitoring.models import Event
from tenants.models import Organization, Project

from .crypto import CredentialUnreadable, decrypt_secret, encrypt_secret
from .ssrf import UnsafeTarget, check_target
from .transports import STATUS_ERROR, TRANSPORTS, ErrorType, ProbeCall, ProbeMeasurement
from .transports import transport_for as _transport_for

# A lease outlives the probe's own timeout by this much before another worker may take the
# probe over: the run may still be writing its event after the call itself timed out.
LEASE_GRACE_S = 30
MAX_TIMEOUT_S = 300
MAX_INTERVAL_S = 24 * 3600
# Golden-ratio fractions spread consecutive ids evenly over the interval (a low-discrepancy
# sequence), so a thousand probes created at once do not all fire in the same second.
_GOLDEN = (math.sqrt(5) - 1) / 2


class Provider(models.TextChoices):
    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"
    OLLAMA = "ollama", "Ollama"
    OPENAI_COMPATIBLE = "openai_compatible", "OpenAI-compatible"
    DEMO = "demo", "Demo LLM (built in)"


def demo_base_url() -> str:
    """The built-in demo LLM, as reached from the workers (LLMSCOPE_PUBLIC_URL)."""
    return settings.LLMSCOPE_PUBLIC_URL.rstrip("/") + "/demo-llm/v1"


def default_base_url(provider: str) -> str:
    """The sensible base URL for a provider kind ('' when the user must give one)."""
    if provider == Provider.DEMO:
        return demo_base_url()
    transport = TRANSPORTS.get(provider)
    return transport.default_base_url if transport else ""


def min_interval_s() -> int:
    """The shortest interval users may set (10 s; tests lower it through the setting)."""
    return settings.LLMSCOPE_PROBE_MIN_INTERVAL_S


class ProbeQuerySet(models.QuerySet):
    def for_project(self, project: Project) -> ProbeQuerySet:
        return self.filter(project=project)

    def for_organization(self, organization: Organization) -> ProbeQuerySet:
        return self.filter(organization=organization)

    def due(self, now: datetime, horizon: datetime | None = None) -> ProbeQuerySet:
        """Active probes due by `horizon` (default: now) that nobody is running (no live
        lease at `now`)."""
        return self.filter(is_paused=False, next_run_at__lte=horizon or now).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lte=now)
        )


class Probe(models.Model):
    """One scheduled check of an LLM endpoint. Durations in seconds here, ms in events."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="probes")
    name = models.CharField(max_length=100)
    provider = models.CharField(max_length=32, choices=Provider.choices)
    base_url = models.URLField(max_length=500, blank=True)
    model = models.CharField(max_length=128)
    prompt = models.TextField(max_length=4000)
    max_tokens = models.PositiveIntegerField(
        default=64, validators=[MinValueValidator(1), MaxValueValidator(4096)]
    )
    temperature = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(2.0)]
    )
    interval_s = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(MAX_INTERVAL_S)]
    )
    timeout_s = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(MAX_TIMEOUT_S)]
    )
    stream = models.BooleanField(default=True)
    # Fernet token of the API key; the plaintext is never stored nor shown again.
    credential_token = models.TextField(blank=True, editable=False)
    credential_last4 = models.CharField(max_length=4, blank=True, editable=False)
    is_paused = models.BooleanField(default=False)
    next_run_at = models.DateTimeField(null=True, blank=True)
    # Set while a run is in flight; a probe with a live lease is never claimed again.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProbeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="probe_name_per_project")
        ]
        indexes = [
            # The beat's claim query: only active probes, by due time.
            models.Index(
                fields=["next_run_at"], condition=Q(is_paused=False), name="probe_due_idx"
            ),
            models.Index(fields=["organization", "project"], name="probe_tenant_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    # -- credential ----------------------------------------------------------------------
    def set_credential(self, plaintext: str) -> None:
        """Encrypt and keep `plaintext` ('' clears it); only its last 4 characters stay
        readable, to tell keys apart."""
        plaintext = plaintext.strip()
        self.credential_token = encrypt_secret(plaintext) if plaintext else ""
        self.credential_last4 = plaintext[-4:] if plaintext else ""

    def credential(self) -> str:
        """The decrypted credential ('' when none); raises CredentialUnreadable."""
        return decrypt_secret(self.credential_token) if self.credential_token else ""

    @property
    def has_credential(self) -> bool:
        return bool(self.credential_token)

    # -- schedule ------------------------------------------------------------------------
    def phase_offset_s(self) -> float:
        """This probe's fixed offset within its interval (spreads same-interval probes)."""
        return ((self.pk or 0) * _GOLDEN % 1.0) * self.interval_s

    def first_run_after(self, now: datetime) -> datetime:
        """The first slot at or after `now` on this probe's grid (epoch + phase + k·interval)."""
        epoch_s = now.timestamp()
        phase = self.phase_offset_s()
        # The millisecond of slack absorbs float and microsecond rounding, so a time already on
        # the grid maps to itself rather than to the following slot.
        k = math.ceil((epoch_s - phase - 0.001) / self.interval_s)
        return datetime.fromtimestamp(k * self.interval_s + phase, tz=now.tzinfo)

    def schedule(self, now: datetime | None = None, immediately: bool = False) -> None:
        """Put the probe on its grid (or due at once); call after create, edit or resume."""
        now = now or timezone.now()
        self.next_run_at = now if immediately else self.first_run_after(now)

    def pause(self) -> None:
        """Stop scheduling runs (a run already in flight finishes)."""
        self.is_paused = True
        self.save(update_fields=["is_paused", "updated_at"])

    def resume(self, now: datetime | None = None) -> None:
        """Schedule again from the next slot on the grid (missed slots are not replayed)."""
        self.is_paused = False
        self.schedule(now)
        self.save(update_fields=["is_paused", "next_run_at", "updated_at"])

    def recent_events(self, limit: int = 20):
        """This probe's last results, newest first."""
        return (
            Event.objects.for_project(self.project)
            .filter(source=Event.Source.PROBE, probe_id=self.pk)
            .order_by("-timestamp")[:limit]
        )

    def effective_base_url(self) -> str:
        if self.provider == Provider.DEMO:
            return demo_base_url()
        return self.base_url or default_base_url(self.provider)

    # -- running -------------------------------------------------------------------------
    def lease_duration(self) -> timedelta:
        return timedelta(seconds=self.timeout_s + LEASE_GRACE_S)

    def check_target(self) -> None:
        """Raise UnsafeTarget when the base URL may not be called from this instance."""
        if self.provider == Provider.DEMO:
            return  # our own built-in endpoint, not a user-supplied target
        check_target(self.effective_base_url(), settings.LLMSCOPE_ALLOW_PRIVATE_TARGETS)

    def measure(self) -> ProbeMeasurement:
        """Make one call and measure it. Never raises for a failing or refused target."""
        try:
            self.check_target()
        except UnsafeTarget as exc:
            return _refused(ErrorType.CONNECTION_ERROR, str(exc))
        try:
            api_key = self.credential()
        except CredentialUnreadable as exc:
            return _refused(ErrorType.AUTH_ERROR, str(exc))
        call = ProbeCall(
            base_url=self.effective_base_url(),
            model=self.model,
            prompt=self.prompt,
            api_key=api_key,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            timeout_s=float(self.timeout_s),
            stream=self.stream,
        )
        return _transport_for(self.provider).measure(call)


def _refused(error_type: str, message: str) -> ProbeMeasurement:
    return ProbeMeasurement(
        status=STATUS_ERROR, latency_ms=0.0, error_type=error_type, error_message=message
    )
