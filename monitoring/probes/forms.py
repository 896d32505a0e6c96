"""The probe form: every bad input gets a specific message on its own field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from billing import quota
from tenants.models import Project

from .models import MAX_INTERVAL_S, MAX_TIMEOUT_S, Probe, Provider, min_interval_s
from .models import default_base_url as provider_default_url
from .ssrf import UnsafeTarget, check_target
from .transports import TRANSPORTS


class ProbeForm(forms.ModelForm):
    """Create or edit a probe of `project`. The credential is write-only."""

    base_url = forms.URLField(
        label="Base URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": "Enter a full URL, like https://api.example.com/v1."},
    )
    credential = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    clear_credential = forms.BooleanField(label="Remove the stored API key", required=False)

    class Meta:
        model = Probe
        fields = [
            "name",
            "provider",
            "base_url",
            "model",
            "prompt",
            "max_tokens",
            "temperature",
            "interval_s",
            "timeout_s",
            "stream",
        ]
        labels = {
            "base_url": "Base URL",
            "interval_s": "Interval (seconds)",
            "timeout_s": "Timeout (seconds)",
            "stream": "Stream the answer (measures time to first token)",
        }
        widgets = {"prompt": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        minimum = min_interval_s()
        self.fields["interval_s"] = forms.IntegerField(
            label="Interval (seconds)",
            initial=60,
            min_value=minimum,
            max_value=MAX_INTERVAL_S,
            error_messages={
                "min_value": f"The interval must be at least {minimum} seconds.",
                "max_value": "The interval can be at most one day (86400 seconds).",
            },
        )
        self.fields["timeout_s"] = forms.IntegerField(
            label="Timeout (seconds)",
            initial=30,
            min_value=1,
            max_value=MAX_TIMEOUT_S,
            error_messages={
                "min_value": "The timeout must be at least 1 second.",
                "max_value": f"The timeout can be at most {MAX_TIMEOUT_S} seconds.",
            },
        )
        self.fields["max_tokens"].error_messages.update(
            {
                "min_value": "Ask for at least 1 token.",
                "max_value": "Ask for at most 4096 tokens.",
            }
        )
        self.fields["temperature"].error_messages.update(
            {
                "min_value": "The temperature cannot be negative.",
                "max_value": "The temperature can be at most 2.",
            }
        )
        defaults = ", ".join(
            f"{TRANSPORTS[kind].label}: {url}"
            for kind in Provider.values
            if (url := provider_default_url(kind)) and kind != Provider.DEMO
        )
        self.fields["base_url"].help_text = (
            f"Leave blank for the provider's default ({defaults}). Required for "
            "OpenAI-compatible servers; ignored for the demo LLM."
        )
        if self.instance.pk and self.instance.has_credential:
            self.fields["credential"].help_text = (
                f"A key ending in …{self.instance.credential_last4} is stored. "
                "Leave blank to keep it."
            )
        else:
            del self.fields["clear_credential"]  # nothing stored, nothing to remove
            self.fields["credential"].help_text = "Stored encrypted; never shown again."

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Probe.objects.for_project(self.project).filter(name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("This project already has a probe with this name.")
        return name

    def clean_interval_s(self) -> int:
        interval = self.cleaned_data["interval_s"]
        minimum = quota.min_probe_interval_s(self.project.organization_id)
        if interval < minimum:
            plan = quota.plan_for(self.project.organization_id)
            raise forms.ValidationError(
                f"The {plan.name} plan runs probes at most every {minimum} seconds. "
                "Upgrade on the organization's billing page for shorter intervals."
            )
        return interval

    def _check_probe_quota(self) -> None:
        if self.instance.pk:
            return
        used = Probe.objects.filter(organization_id=self.project.organization_id).count()
        try:
            quota.check(self.project.organization_id, "probes", 1, used=used)
        except quota.QuotaExceeded as exc:
            self.add_error(None, str(exc))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._check_probe_quota()
        provider = data.get("provider")
        if not provider:
            return data
        if provider == Provider.DEMO:
            data["base_url"] = ""  # the demo LLM's address comes from settings
        base_url = data.get("base_url") or provider_default_url(provider)
        if not base_url and "base_url" not in self.errors:
            self.add_error("base_url", "An OpenAI-compatible server needs its base URL.")
        elif base_url and provider != Provider.DEMO and "base_url" not in self.errors:
            try:
                check_target(base_url, settings.LLMSCOPE_ALLOW_PRIVATE_TARGETS)
            except UnsafeTarget as exc:
                self.add_error("base_url", str(exc))
        keeps_key = self.instance.pk and self.instance.has_credential
        keeps_key = keeps_key and not data.get("clear_credential")
        if TRANSPORTS[provider].needs_credential and not data.get("credential") and not keeps_key:
            self.add_error("credential", f"{TRANSPORTS[provider].label} needs an API key.")
        return data

    def save(self, commit: bool = True) -> Probe:
        probe: Probe = super().save(commit=False)
        probe.project = self.project
        probe.organization_id = self.project.organization_id
        if self.cleaned_data.get("credential"):
            probe.set_credential(self.cleaned_data["credential"])
        elif self.cleaned_data.get("clear_credential"):
            probe.set_credential("")
        reschedule = probe.pk is None or "interval_s" in self.changed_data
        if commit:
            probe.save()
            if reschedule and not probe.is_paused:
                # The phase offset depends on the id, so the grid is known only after saving.
                probe.schedule()
                probe.save(update_fields=["next_run_at"])
        return probe
