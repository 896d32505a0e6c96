"""The chart settings form: metric, chart type, filter, rules and baseline, with clear errors."""

from __future__ import annotations

import re

from django import forms

from spc.chart_metrics import (
    PER_EVENT_TYPES,
    SUBGROUP_SECONDS_CHOICES,
    ChartType,
    Metric,
    Transform,
)
from spc.models import Chart
from spc.rules_text import NELSON_RULE_EXPLANATIONS, NELSON_RULE_NAMES, WESTERN_ELECTRIC_NAMES

TAG_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
# Rules whose run length can be changed, with Minitab's default.
RUN_LENGTH_RULES = {2: 9, 3: 6, 4: 14, 7: 15, 8: 8}


class ChartForm(forms.ModelForm):
    model_filter = forms.CharField(required=False, max_length=128, label="Model")
    environment_filter = forms.CharField(required=False, max_length=64, label="Environment")
    provider_filter = forms.CharField(required=False, max_length=64, label="Provider")
    source_filter = forms.ChoiceField(
        required=False,
        label="Source",
        choices=[("", "Any"), ("probe", "Probes"), ("api", "REST API"), ("otlp", "OpenTelemetry")],
    )
    probe_filter = forms.IntegerField(required=False, min_value=1, label="Probe id")
    tag_filter = forms.CharField(
        required=False, max_length=200, label="Tag", help_text="key=value, e.g. tenant=acme"
    )
    nelson_rules = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Nelson rules",
        choices=[
            (n, f"{n}. {NELSON_RULE_NAMES[n]} — {NELSON_RULE_EXPLANATIONS[n]}") for n in range(1, 9)
        ],
    )
    we_rules = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Western Electric rules",
        choices=[(n, WESTERN_ELECTRIC_NAMES[n]) for n in range(1, 5)],
    )

    class Meta:
        model = Chart
        fields = [
            "name",
            "metric",
            "chart_type",
            "transform",
            "subgroup_seconds",
            "rule_set",
            "baseline_size",
            "limits_mode",
            "rolling_window",
            "limits_design",
            "judged_sides",
            "false_alarm_budget_days",
        ]
        widgets = {"subgroup_seconds": forms.Select(choices=SUBGROUP_SECONDS_CHOICES)}
        labels = {"false_alarm_budget_days": "At most one false alarm per … days"}
        help_texts = {
            "false_alarm_budget_days": "Empty: the project's default. Applies from the next "
            "baseline (reset the baseline to apply it now).",
            "judged_sides": "Flags in the other direction are shown as unusual, in the good "
            "direction, and never alert.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Older clients and API-less scripts may leave them out: the defaults apply.
        self.fields["limits_design"].required = False
        self.fields["judged_sides"].required = False
        for rule, default in RUN_LENGTH_RULES.items():
            self.fields[f"run_{rule}"] = forms.IntegerField(
                required=False,
                min_value=2,
                max_value=50,
                label=f"Run length of rule {rule}",
                help_text=f"default {default}",
            )
        chart = self.instance
        if chart.pk:
            f = chart.filter or {}
            self.initial.update(
                {
                    "model_filter": f.get("model", ""),
                    "environment_filter": f.get("environment", ""),
                    "provider_filter": f.get("provider", ""),
                    "source_filter": f.get("source") if isinstance(f.get("source"), str) else "",
                    "probe_filter": f.get("probe_id"),
                    "tag_filter": ",".join(f"{k}={v}" for k, v in (f.get("tags") or {}).items()),
                }
            )
            target = (
                "we_rules" if chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC else "nelson_rules"
            )
            self.initial[target] = chart.rules
            for rule in RUN_LENGTH_RULES:
                self.initial[f"run_{rule}"] = (chart.rule_params or {}).get(str(rule))
        else:
            self.initial.setdefault("nelson_rules", [1, 2, 3, 5])

    def clean_baseline_size(self) -> int:
        size = self.cleaned_data["baseline_size"]
        if not 5 <= size <= 1000:
            raise forms.ValidationError("A baseline needs between 5 and 1000 points.")
        return size

    def clean_limits_design(self) -> str:
        return self.cleaned_data["limits_design"] or Chart.LimitsDesign.BUDGET

    def clean_judged_sides(self) -> str:
        return self.cleaned_data["judged_sides"] or Chart.JudgedSides.HARMFUL

    def clean_false_alarm_budget_days(self) -> float | None:
        days = self.cleaned_data["false_alarm_budget_days"]
        if days is not None and not 0.1 <= days <= 365:
            raise forms.ValidationError("A budget is between 0.1 and 365 days.")
        return days

    def clean_rolling_window(self) -> int:
        size = self.cleaned_data["rolling_window"]
        if not 10 <= size <= 5000:
            raise forms.ValidationError("A rolling window holds between 10 and 5000 points.")
        return size

    def clean_tag_filter(self) -> dict:
        raw = self.cleaned_data["tag_filter"].strip()
        tags = {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            key, sep, value = part.partition("=")
            if not sep or not TAG_PATTERN.match(key.strip()) or not value.strip():
                raise forms.ValidationError(
                    f"“{part}” is not key=value (keys: letters, digits, _ . -)."
                )
            tags[key.strip()] = value.strip()
        return tags

    def clean(self):
        data = super().clean()
        metric, chart_type = data.get("metric"), data.get("chart_type")
        if metric == Metric.ERROR_RATE and chart_type != ChartType.P:
            self.add_error(
                "chart_type", "Error rate is charted as a p-chart (errors per subgroup)."
            )
        if chart_type == ChartType.P and metric != Metric.ERROR_RATE:
            self.add_error("chart_type", "A p-chart charts the error rate; choose that metric.")
        if data.get("transform") == Transform.LOG and metric == Metric.ERROR_RATE:
            self.add_error("transform", "Proportions are not log-transformed.")
        rule_set = data.get("rule_set")
        rules = (
            data.get("we_rules")
            if rule_set == Chart.RuleSet.WESTERN_ELECTRIC
            else data.get("nelson_rules")
        )
        if chart_type in PER_EVENT_TYPES - {ChartType.INDIVIDUALS}:
            rules = rules or [1]
        elif not rules:
            self.add_error(None, "Choose at least one rule for this rule set.")
        data["rules"] = sorted(rules or [])
        return data

    def save(self, commit: bool = True) -> Chart:
        chart = super().save(commit=False)
        data = self.cleaned_data
        filter_: dict = {}
        for field, key in (
            ("model_filter", "model"),
            ("environment_filter", "environment"),
            ("provider_filter", "provider"),
            ("source_filter", "source"),
        ):
            if data.get(field):
                filter_[key] = data[field]
        if data.get("probe_filter"):
            filter_["probe_id"] = data["probe_filter"]
        if data.get("tag_filter"):
            filter_["tags"] = data["tag_filter"]
        chart.filter = filter_
        chart.rules = data["rules"]
        chart.rule_params = {
            str(r): data[f"run_{r}"] for r in RUN_LENGTH_RULES if data.get(f"run_{r}")
        }
        if commit:
            chart.save()
        return chart
