"""What can be charted: each metric names the Event column it reads and its defaults.

Latency-like metrics are right-skewed, so they are charted on a log scale by default (the
engine benchmark shows raw lognormal latencies raise rule 1's false alarms sevenfold).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Metric(models.TextChoices):
    LATENCY = "latency_ms", "Latency (ms)"
    TTFT = "ttft_ms", "Time to first token (ms)"
    TOKENS_PER_S = "output_tokens_per_s", "Output tokens/s"
    COST = "cost_usd", "Cost per call (USD)"
    ERROR_RATE = "error_rate", "Error rate"


class ChartType(models.TextChoices):
    INDIVIDUALS = "individuals", "Individuals (one point per call)"
    XBAR_S = "xbar_s", "X̄-S (mean per time subgroup)"
    P = "p", "p-chart (error proportion per time subgroup)"
    EWMA = "ewma", "EWMA (small sustained shifts)"
    CUSUM = "cusum", "CUSUM (small sustained shifts)"


class Transform(models.TextChoices):
    NONE = "none", "None"
    LOG = "log", "Log scale"


@dataclass(frozen=True)
class MetricSpec:
    column: str | None  # the Event field charted; None for error rate (counts status)
    default_transform: str
    unit: str


METRICS: dict[str, MetricSpec] = {
    Metric.LATENCY: MetricSpec("latency_ms", Transform.LOG, "ms"),
    Metric.TTFT: MetricSpec("ttft_ms", Transform.LOG, "ms"),
    Metric.TOKENS_PER_S: MetricSpec("output_tokens_per_s", Transform.NONE, "tokens/s"),
    Metric.COST: MetricSpec("cost_usd", Transform.NONE, "USD"),
    Metric.ERROR_RATE: MetricSpec(None, Transform.NONE, ""),
}

# The direction in which each metric gets worse (+1: up is bad, −1: down is bad). By default
# a chart judges only this side; flags on the other side are "unusual, in the good direction".
HARMFUL_DIRECTION: dict[str, int] = {
    Metric.LATENCY: 1,
    Metric.TTFT: 1,
    Metric.TOKENS_PER_S: -1,
    Metric.COST: 1,
    Metric.ERROR_RATE: 1,
}

# Chart types that plot one point per event; the others plot one point per time subgroup.
PER_EVENT_TYPES = {ChartType.INDIVIDUALS, ChartType.EWMA, ChartType.CUSUM}
SUBGROUP_SECONDS_CHOICES = [(60, "1 minute"), (300, "5 minutes"), (3600, "1 hour")]
