"""Forms for channels (one per kind), alert rules, mutes and maintenance windows.

Every field is checked with a clear message; a channel's secret fields left blank on edit
keep the saved value (they are never shown again, only masked).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.utils import timezone

from alerts.models import (
    AlertRule,
    Channel,
    ChannelKind,
    ChartScope,
    MaintenanceWindow,
    Measure,
    RuleKind,
)
from alerts.transports.apprise_url import InvalidAppriseUrl
from alerts.transports.apprise_url import guard as guard_apprise
from monitoring.probes.models import Probe
from monitoring.probes.ssrf import UnsafeTarget, check_target
from spc.chart_metrics import Metric
from spc.models import Chart
from spc.rules_text import (
    NELSON_RULE_NAMES,
    SMOOTHING_NAMES,
    WESTERN_ELECTRIC_NAMES,
    WESTERN_ELECTRIC_OFFSET,
)
from tenants.models import Membership

HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{0,63}$")
RESERVED_HEADERS = {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type",
                    "content-length", "host", "user-agent"}  # fmt: skip
PAGERDUTY_KEY = re.compile(r"^[A-Za-z0-9]{32}$")


def guarded_url(value: str, allowed_hosts: tuple[str, ...] = (), example: str = "") -> str:
    """A URL this instance may call: http(s), public unless private targets are allowed,
    on one of `allowed_hosts` (production) when given."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise forms.ValidationError(f"Enter a full https:// URL{example}.")
    if allowed_hosts and not settings.LLMSCOPE_ALLOW_PRIVATE_TARGETS:
        host = parts.hostname.lower()
        if parts.scheme != "https" or not any(
            host == h or host.endswith("." + h) for h in allowed_hosts
        ):
            raise forms.ValidationError(f"This is not a URL of the service{example}.")
    try:
        check_target(value, settings.LLMSCOPE_ALLOW_PRIVATE_TARGETS)
    except UnsafeTarget as exc:
        raise forms.ValidationError(str(exc)) from None
    return value


class ChannelForm(forms.Form):
    """Base of the per-kind forms: `config_fields` are stored in the clear, `secret_names`
    encrypted."""

    kind: str = ""
    secret_names: tuple[str, ...] = ()
    config_names: tuple[str, ...] = ()

    name = forms.CharField(max_length=100)

    def __init__(self, *args, organization=None, channel: Channel | None = None, **kwargs):
        self.organization = organization
        self.channel = channel
        initial = kwargs.pop("initial", {}) or {}
        if channel is not None:
            initial = {"name": channel.name, **self.initial_config(channel.config), **initial}
        super().__init__(*args, initial=initial, **kwargs)
        if channel is not None:
            for name in self.secret_names:
                field = self.fields[name]
                field.required = False
                hint = channel.secret_hints.get(name)
                if hint:
                    field.help_text = f"Saved: {hint}. Leave blank to keep it."

    def initial_config(self, config: dict) -> dict:
        return dict(config)

    def config(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.config_names}

    def secret_values(self) -> dict[str, str]:
        """The secrets to store: new values, or the saved ones for fields left blank."""
        saved = self.channel.secrets() if self.channel is not None else {}
        values = {}
        for name in self.secret_names:
            value = self.cleaned_data.get(name)
            values[name] = value if value else saved.get(name, "")
        return values

    def apply(self, channel: Channel) -> Channel:
        channel.kind = self.kind
        channel.name = self.cleaned_data["name"]
        channel.config = self.config()
        channel.set_secrets(self.secret_values())
        return channel


class EmailChannelForm(ChannelForm):
    kind = ChannelKind.EMAIL
    config_names = ("member_ids", "addresses")

    member_ids = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Members"
    )
    addresses = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Other addresses",
        help_text="One address per line.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(organization=self.organization).select_related("user")
        self.fields["member_ids"].choices = [(m.user_id, m.user.email) for m in members]

    def initial_config(self, config: dict) -> dict:
        return {
            "member_ids": config.get("member_ids", []),
            "addresses": "\n".join(config.get("addresses", [])),
        }

    def clean_addresses(self) -> list[str]:
        addresses = []
        for line in self.cleaned_data["addresses"].splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                validate_email(line)
            except forms.ValidationError:
                raise forms.ValidationError(f"“{line}” is not an email address.") from None
            addresses.append(line.lower())
        if len(addresses) > 50:
            raise forms.ValidationError("At most 50 addresses.")
        return addresses

    def clean(self):
        data = super().clean()
        if not data.get("member_ids") and not data.get("addresses"):
            raise forms.ValidationError("Choose at least one member or enter an address.")
        return data


class SlackChannelForm(ChannelForm):
    kind = ChannelKind.SLACK
    secret_names = ("webhook_url", "bot_token")
    config_names = ("channel",)

    webhook_url = forms.CharField(
        required=False,
        max_length=500,
        label="Incoming webhook URL",
        help_text="https://hooks.slack.com/services/…; or use a bot token below.",
    )
    bot_token = forms.CharField(
        required=False, max_length=200, label="Bot token", widget=forms.PasswordInput
    )
    channel = forms.CharField(
        required=False, max_length=80, label="Slack channel", help_text="#alerts or a channel id"
    )

    def clean_webhook_url(self) -> str:
        value = self.cleaned_data["webhook_url"].strip()
        if not value:
            return ""
        return guarded_url(value, ("hooks.slack.com",), " (https://hooks.slack.com/services/…)")

    def clean_bot_token(self) -> str:
        value = self.cleaned_data["bot_token"].strip()
        if value and not value.startswith("xox"):
            raise forms.ValidationError("A Slack bot token starts with “xoxb-”.")
        return value

    def clean(self):
        data = super().clean()
        saved = self.channel.secret_hints if self.channel is not None else {}
        has_webhook = bool(data.get("webhook_url") or saved.get("webhook_url"))
        has_bot = bool(data.get("bot_token") or saved.get("bot_token"))
        if data.get("webhook_url") and data.get("bot_token"):
            raise forms.ValidationError("Give a webhook URL or a bot token, not both.")
        if not has_webhook and not has_bot:
            raise forms.ValidationError("Give an incoming webhook URL, or a bot token and channel.")
        if (data.get("bot_token") or (has_bot and not data.get("webhook_url"))) and not data.get(
            "channel"
        ):
            self.add_error("channel", "A bot token needs the channel to post to.")
        return data

    def secret_values(self) -> dict[str, str]:
        values = super().secret_values()
        # Switching from one mode to the other drops the old mode's secret.
        if self.cleaned_data.get("webhook_url"):
            values["bot_token"] = ""
        elif self.cleaned_data.get("bot_token"):
            values["webhook_url"] = ""
        return values

    def config(self) -> dict:
        if self.secret_values().get("webhook_url"):
            return {"channel": ""}
        return super().config()


class WebhookChannelForm(ChannelForm):
    kind = ChannelKind.WEBHOOK
    secret_names = ("url", "headers")

    url = forms.CharField(max_length=500, label="URL")
    headers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Custom headers",
        help_text="One “Name: value” per line, e.g. Authorization: Bearer …",
    )

    def clean_url(self) -> str:
        value = self.cleaned_data["url"].strip()
        return guarded_url(value) if value else ""

    def clean_headers(self) -> str:
        headers = {}
        for line in self.cleaned_data["headers"].splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if not sep or not HEADER_NAME.match(name):
                raise forms.ValidationError(f"“{line.strip()[:40]}” is not “Name: value”.")
            if name.lower() in RESERVED_HEADERS:
                raise forms.ValidationError(f"The header {name} is set by LLMscope.")
            if "\n" in value or "\r" in value or len(value) > 2000:
                raise forms.ValidationError(f"The value of {name} is too long or has a newline.")
            headers[name] = value
        if len(headers) > 20:
            raise forms.ValidationError("At most 20 custom headers.")
        return json.dumps(headers) if headers else ""

    def secret_values(self) -> dict[str, str]:
        values = super().secret_values()
        saved = self.channel.secrets() if self.channel is not None else {}
        if self.channel is not None and not self.cleaned_data.get("headers"):
            values["headers"] = saved.get("headers", "")
        values["signing_secret"] = saved.get("signing_secret") or new_signing_secret()
        return values


def new_signing_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class DiscordChannelForm(ChannelForm):
    kind = ChannelKind.DISCORD
    secret_names = ("webhook_url",)
    webhook_url = forms.CharField(max_length=500, label="Webhook URL")

    def clean_webhook_url(self) -> str:
        value = self.cleaned_data["webhook_url"].strip()
        if not value:
            return ""
        return guarded_url(
            value, ("discord.com", "discordapp.com"), " (https://discord.com/api/webhooks/…)"
        )


class TeamsChannelForm(ChannelForm):
    kind = ChannelKind.TEAMS
    secret_names = ("webhook_url",)
    webhook_url = forms.CharField(
        max_length=1000,
        label="Workflows webhook URL",
        help_text="From the Teams workflow “Post to a channel when a webhook request is received”.",
    )

    def clean_webhook_url(self) -> str:
        value = self.cleaned_data["webhook_url"].strip()
        if not value:
            return ""
        if "webhook.office.com" in value:
            raise forms.ValidationError(
                "Office 365 connectors are retired; create a Teams Workflows webhook instead."
            )
        return guarded_url(value)


class PagerDutyChannelForm(ChannelForm):
    kind = ChannelKind.PAGERDUTY
    secret_names = ("routing_key",)
    routing_key = forms.CharField(
        max_length=64,
        label="Integration key",
        help_text="The 32-character routing key of an Events API v2 integration.",
        widget=forms.PasswordInput,
    )

    def clean_routing_key(self) -> str:
        value = self.cleaned_data["routing_key"].strip()
        if value and not PAGERDUTY_KEY.match(value):
            raise forms.ValidationError(
                "An Events API v2 integration key is 32 letters and digits."
            )
        return value


class AppriseChannelForm(ChannelForm):
    kind = ChannelKind.APPRISE
    secret_names = ("url",)
    url = forms.CharField(
        max_length=1000,
        label="Apprise URL",
        help_text="e.g. tgram://bottoken/chat_id, ntfys://ntfy.sh/topic, pover://user@token",
    )

    def clean_url(self) -> str:
        value = self.cleaned_data["url"].strip()
        if not value:
            return ""
        try:
            guard_apprise(value)
        except (InvalidAppriseUrl, UnsafeTarget) as exc:
            raise forms.ValidationError(str(exc)) from None
        return value


CHANNEL_FORMS: dict[str, type[ChannelForm]] = {
    form.kind: form
    for form in (
        EmailChannelForm,
        SlackChannelForm,
        WebhookChannelForm,
        DiscordChannelForm,
        TeamsChannelForm,
        PagerDutyChannelForm,
        AppriseChannelForm,
    )
}

SPC_RULE_CHOICES = (
    [(n, f"{n}. {name}") for n, name in NELSON_RULE_NAMES.items()]
    + [(n + WESTERN_ELECTRIC_OFFSET, name) for n, name in WESTERN_ELECTRIC_NAMES.items()]
    + list(SMOOTHING_NAMES.items())
)


class AlertRuleForm(forms.ModelForm):
    """One form for the three kinds; `kind` is fixed when the rule is created."""

    filter_model = forms.CharField(required=False, max_length=128, label="Model")
    filter_environment = forms.CharField(required=False, max_length=64, label="Environment")
    spc_rules = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        choices=SPC_RULE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label="Only these SPC rules",
        help_text="None checked: any rule.",
    )

    class Meta:
        model = AlertRule
        fields = [
            "name",
            "channels",
            "chart_scope",
            "charts",
            "metric",
            "spc_rules",
            "min_violations",
            "within_minutes",
            "measure",
            "threshold",
            "window_minutes",
            "recovery_minutes",
            "probe",
            "failures",
            "recoveries",
            "renotify_minutes",
            "cooldown_minutes",
        ]
        widgets = {
            "channels": forms.CheckboxSelectMultiple,
            "charts": forms.CheckboxSelectMultiple,
        }
        labels = {
            "min_violations": "Only after this many violations",
            "within_minutes": "within (minutes)",
            "window_minutes": "Window (minutes)",
            "recovery_minutes": "Resolve after (minutes back to normal)",
            "failures": "Down after this many failed runs in a row",
            "recoveries": "Recovered after this many successes in a row",
            "renotify_minutes": "Remind every (minutes, blank for never)",
            "cooldown_minutes": "Quiet after a resolution (minutes)",
        }

    def __init__(self, *args, project=None, kind: str = RuleKind.SPC, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.kind = self.instance.kind or kind
        self.fields["channels"].queryset = Channel.objects.for_organization(project.organization)
        self.fields["charts"].queryset = Chart.objects.for_project(project)
        self.fields["probe"].queryset = Probe.objects.for_project(project)
        self.fields["metric"] = forms.ChoiceField(
            required=False, choices=[("", "Any metric"), *Metric.choices], label="Metric"
        )
        self.fields["measure"].required = self.kind == RuleKind.THRESHOLD
        self.fields["probe"].required = self.kind == RuleKind.PROBE_DOWN
        f = self.instance.filter or {}
        self.initial.setdefault("filter_model", f.get("model", ""))
        self.initial.setdefault("filter_environment", f.get("environment", ""))
        for name in ("min_violations", "failures", "recoveries", "within_minutes"):
            self.fields[name].min_value = 1
            self.fields[name].widget.attrs["min"] = 1

    def clean(self):
        data = super().clean()
        chosen = data.get("chart_scope") == ChartScope.CHOSEN
        if self.kind == RuleKind.SPC and chosen and not data.get("charts"):
            self.add_error("charts", "Choose at least one chart, or apply to any chart.")
        if self.kind == RuleKind.THRESHOLD:
            measure = data.get("measure")
            if measure and measure != Measure.SILENCE and data.get("threshold") is None:
                self.add_error("threshold", "Give the threshold this rule compares with.")
            if data.get("threshold") is not None and data["threshold"] < 0:
                self.add_error("threshold", "A threshold cannot be negative.")
            if measure in (Measure.ERROR_RATE,) and (data.get("threshold") or 0) > 100:
                self.add_error("threshold", "An error rate is at most 100 %.")
            window = data.get("window_minutes")
            if not window or window < 1 or window > 7 * 1440:
                self.add_error("window_minutes", "A window is 1 minute to 7 days.")
        for name in ("min_violations", "failures", "recoveries", "within_minutes"):
            if data.get(name) is not None and data[name] < 1:
                self.add_error(name, "At least 1.")
        if data.get("renotify_minutes") is not None and data["renotify_minutes"] < 1:
            self.add_error("renotify_minutes", "At least 1 minute, or blank for never.")
        return data

    def save(self, commit: bool = True) -> AlertRule:
        rule = super().save(commit=False)
        rule.kind = self.kind
        rule.project = self.project
        rule.organization = self.project.organization
        rule.filter = {
            k: v
            for k, v in (
                ("model", self.cleaned_data.get("filter_model", "").strip()),
                ("environment", self.cleaned_data.get("filter_environment", "").strip()),
            )
            if v
        }
        rule.spc_rules = sorted(self.cleaned_data.get("spc_rules") or [])
        rule.next_check_at = None  # checked again at the next tick, with the new settings
        if commit:
            rule.save()
            self.save_m2m()
        return rule


class MuteForm(forms.Form):
    minutes = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (60, "1 hour"),
            (240, "4 hours"),
            (1440, "1 day"),
            (10080, "1 week"),
            (0, "Unmute"),
        ],
    )

    def until(self):
        minutes = self.cleaned_data["minutes"]
        return timezone.now() + timedelta(minutes=minutes) if minutes else None


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class MaintenanceWindowForm(forms.ModelForm):
    repeat = forms.ChoiceField(choices=[("once", "Once"), ("weekly", "Every week")])
    weekday = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        choices=[(None, "—"), *enumerate(WEEKDAYS)],
    )

    class Meta:
        model = MaintenanceWindow
        fields = ["reason", "starts_at", "ends_at", "weekday", "start_time", "duration_minutes"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "start_time": forms.TimeInput(attrs={"type": "time"}),
        }
        labels = {"starts_at": "Starts (UTC)", "ends_at": "Ends (UTC)",
                  "start_time": "Weekly start (UTC)"}  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("repeat") == "weekly":
            for name in ("weekday", "start_time", "duration_minutes"):
                if data.get(name) in (None, ""):
                    self.add_error(name, "Needed for a weekly window.")
            if data.get("duration_minutes") is not None and not (
                1 <= data["duration_minutes"] <= 7 * 1440
            ):
                self.add_error("duration_minutes", "1 minute to 7 days.")
            data["starts_at"] = data["ends_at"] = None
        else:
            if not data.get("starts_at"):
                self.add_error("starts_at", "When does it start?")
            if not data.get("ends_at"):
                self.add_error("ends_at", "When does it end?")
            if (
                data.get("starts_at")
                and data.get("ends_at")
                and data["ends_at"] <= data["starts_at"]
            ):
                self.add_error("ends_at", "The end comes after the start.")
            data["weekday"] = data["start_time"] = data["duration_minutes"] = None
        return data
