"""The Django side of SPC: charts over event series, their limits, points and violations.

All statistics come from `spc.engine`; this app stores, schedules and serves.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from spc.chart_metrics import (
    HARMFUL_DIRECTION,
    METRICS,
    PER_EVENT_TYPES,
    ChartType,
    Metric,
    Transform,
)
from spc.rules_text import rule_name
from tenants.models import Organization, Project

DEFAULT_RULES = [1, 2, 3, 5]
# Default baselines, sized for the estimation-error adjustment (spc.design): with 200
# individual points the adjusted rule-1 multiplier is within about 0.35σ of the one known
# parameters would need (20 points: 1.5σ; 50: 0.8σ; 500: 0.25σ for twice the wait), so a
# shift is found nearly as fast as with known limits; 50 subgroups pool enough calls that
# their σ is well known, and halve the 25-subgroup error of the centre line.
DEFAULT_BASELINE_POINTS = 200
DEFAULT_BASELINE_SUBGROUPS = 50
# Provisional limits are shown from this many points on, until the baseline is complete.
PROVISIONAL_MIN_POINTS = 20
RECENT_POINTS = 50  # an open violation among the last 50 points keeps a chart out of control


def canonical_filter(filter_: dict) -> str:
    """A stable text form of a chart filter, for uniqueness and lookups."""
    return json.dumps(filter_ or {}, sort_keys=True, separators=(",", ":"))


class ChartQuerySet(models.QuerySet):
    def for_project(self, project: Project) -> ChartQuerySet:
        return self.filter(project=project)


class Chart(models.Model):
    """A control chart of one metric over the events matching `filter`."""

    class Status(models.TextChoices):
        BASELINE = "baseline", "Collecting baseline"
        IN_CONTROL = "in_control", "In control"
        OUT_OF_CONTROL = "out_of_control", "Out of control"

    class RuleSet(models.TextChoices):
        NELSON = "nelson", "Nelson rules"
        WESTERN_ELECTRIC = "western_electric", "Western Electric rules"

    class LimitsMode(models.TextChoices):
        FROZEN = "frozen", "Frozen after the baseline"
        ROLLING = "rolling", "Rolling over the last N points"

    class JudgedSides(models.TextChoices):
        HARMFUL = "harmful", "Only the harmful direction"
        BOTH = "both", "Both directions"

    class LimitsDesign(models.TextChoices):
        BUDGET = "budget", "Under the false-alarm budget"
        CLASSIC = "classic", "Classic: 3σ and the rules as chosen"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="charts")
    name = models.CharField(max_length=200)
    metric = models.CharField(max_length=32, choices=Metric.choices)
    chart_type = models.CharField(max_length=16, choices=ChartType.choices)
    transform = models.CharField(max_length=8, choices=Transform.choices, default=Transform.NONE)
    filter = models.JSONField(default=dict, blank=True)
    filter_key = models.CharField(max_length=500, default="{}")
    subgroup_seconds = models.PositiveIntegerField(default=60)
    rule_set = models.CharField(max_length=20, choices=RuleSet.choices, default=RuleSet.NELSON)
    rules = models.JSONField(default=list)
    rule_params = models.JSONField(default=dict, blank=True)
    baseline_size = models.PositiveIntegerField(default=DEFAULT_BASELINE_POINTS)
    limits_design = models.CharField(
        max_length=8, choices=LimitsDesign.choices, default=LimitsDesign.BUDGET
    )
    # At most one false alarm per this many days (None: the project's default).
    false_alarm_budget_days = models.FloatField(null=True, blank=True)
    limits_mode = models.CharField(
        max_length=10, choices=LimitsMode.choices, default=LimitsMode.FROZEN
    )
    rolling_window = models.PositiveIntegerField(default=100)
    ewma_lambda = models.FloatField(default=0.2)
    ewma_l = models.FloatField(default=3.0)
    cusum_k = models.FloatField(default=0.5)
    cusum_h = models.FloatField(default=5.0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BASELINE)
    judged_sides = models.CharField(
        max_length=8, choices=JudgedSides.choices, default=JudgedSides.HARMFUL
    )
    auto_created = models.BooleanField(default=False)
    # Points before this moment do not count towards the current baseline (None: from the
    # first point on).
    baseline_started_at = models.DateTimeField(null=True, blank=True)
    # Incremental evaluation cursor: per-event charts by (received_at, event id); subgroup
    # charts by the start of the last closed subgroup evaluated.
    cursor_received_at = models.DateTimeField(null=True, blank=True)
    cursor_event_id = models.BigIntegerField(default=0)
    cursor_bucket = models.DateTimeField(null=True, blank=True)
    # The last point the rules have judged; later points are new to the rules.
    evaluated_point_id = models.BigIntegerField(default=0)
    dirty = models.BooleanField(default=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ChartQuerySet.as_manager()

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "metric", "chart_type", "filter_key"],
                condition=models.Q(auto_created=True),
                name="one_auto_chart_per_series",
            )
        ]
        indexes = [models.Index(fields=["dirty", "project"], name="chart_dirty")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.filter_key = canonical_filter(self.filter)
        if not self.rules:
            self.rules = list(DEFAULT_RULES)
        super().save(*args, **kwargs)

    @property
    def is_per_event(self) -> bool:
        return self.chart_type in PER_EVENT_TYPES

    @property
    def unit(self) -> str:
        return METRICS[self.metric].unit

    @property
    def harmful_sign(self) -> int:
        """+1 when higher values are worse, −1 when lower values are."""
        return HARMFUL_DIRECTION.get(self.metric, 1)

    def judges(self, sign: int) -> bool:
        """Whether a flag on side `sign` (+1 above, −1 below the centre) counts."""
        return self.judged_sides == Chart.JudgedSides.BOTH or sign == self.harmful_sign

    def phase_points(self) -> models.QuerySet:
        """The points of the current phase (since the last baseline reset)."""
        if self.baseline_started_at is None:
            return self.points.all()
        return self.points.filter(t__gte=self.baseline_started_at)

    @property
    def budget_days(self) -> float:
        """The false-alarm budget in force: the chart's own, else its project's."""
        if self.false_alarm_budget_days:
            return float(self.false_alarm_budget_days)
        return float(self.project.false_alarm_budget_days)

    @property
    def judged_side(self) -> str:
        """The engine's name for the judged sides: "upper", "lower" or "both"."""
        if self.judged_sides == Chart.JudgedSides.BOTH:
            return "both"
        return "upper" if self.harmful_sign > 0 else "lower"

    def current_limits(self) -> ControlLimits | None:
        """The limits the rules judge with (None while the baseline is collected)."""
        return (
            self.limits_history.filter(valid_to__isnull=True, provisional=False)
            .order_by("-computed_at")
            .first()
        )

    def provisional_limits(self) -> ControlLimits | None:
        """Limits from the baseline points so far, shown while it is short; never judged."""
        return (
            self.limits_history.filter(valid_to__isnull=True, provisional=True)
            .order_by("-computed_at")
            .first()
        )

    def status_under(self, limits: ControlLimits | None) -> str:
        """The status these limits give: baseline without limits, out of control while an open
        violation is among the last RECENT_POINTS points, else in control."""
        if limits is None:
            return Chart.Status.BASELINE
        recent = self.points.order_by("-id").values_list("id", flat=True)[
            RECENT_POINTS - 1 : RECENT_POINTS
        ]
        threshold = recent[0] if recent else 0
        open_recent = Violation.objects.filter(
            chart=self, status=Violation.Status.OPEN, judged=True, point_id__gte=threshold
        ).exists()
        return Chart.Status.OUT_OF_CONTROL if open_recent else Chart.Status.IN_CONTROL

    def refresh_status(self) -> None:
        """Recompute the status (after a violation was acknowledged or resolved), stored with
        a one-field UPDATE so that an evaluation holding the row is not overwritten."""
        status = self.status_under(self.current_limits())
        if status != self.status:
            Chart.objects.filter(pk=self.pk).update(status=status)
            self.status = status

    def reset_baseline(self) -> None:
        """Start a new baseline: the limits in force are closed (kept in the history)."""
        now = timezone.now()
        self.limits_history.filter(valid_to__isnull=True).update(valid_to=now)
        self.status = Chart.Status.BASELINE
        self.baseline_started_at = now
        self.dirty = True
        self.save(update_fields=["status", "baseline_started_at", "dirty"])


class ControlLimits(models.Model):
    """Limits in force over a period, in the chart's transformed units.

    For subgroup charts `sigma` is the process sigma (X̄: zones at sigma/√n; p: the unit
    sigma √(p̄(1−p̄)), zones at sigma/√n), and `typical_n` is the baseline's median size,
    at which `ucl`/`lcl` are reported.
    """

    chart = models.ForeignKey(Chart, on_delete=models.CASCADE, related_name="limits_history")
    center = models.FloatField()
    sigma = models.FloatField()
    ucl = models.FloatField()
    lcl = models.FloatField()
    typical_n = models.FloatField(default=1)
    baseline_n = models.PositiveIntegerField()
    rolling = models.BooleanField(default=False)
    # Shown while the baseline is still short; the rules do not judge with them.
    provisional = models.BooleanField(default=False)
    # The design (spc.design): the rule-1 multiplier, the rules kept (in the chart's rule
    # numbering; empty: the chart's own) and why the others were turned off, the EWMA L
    # and CUSUM h (None: the chart's own), and the figures behind them (`design`).
    k = models.FloatField(default=3.0)
    rules = models.JSONField(default=list, blank=True)
    dropped_rules = models.JSONField(default=dict, blank=True)
    ewma_l = models.FloatField(null=True, blank=True)
    cusum_h = models.FloatField(null=True, blank=True)
    design = models.JSONField(default=dict, blank=True)
    # Baseline points that phase I left out (outside the limits it converged to).
    excluded_point_ids = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["computed_at"]

    def __str__(self) -> str:
        return f"{self.chart} limits {self.lcl:.4g}..{self.ucl:.4g}"


class ChartPoint(models.Model):
    """One plotted point: an event (per-event charts) or a closed time subgroup.

    `value` is in display units (ms, USD, proportion); `stat` is what the rules see (the
    transformed value, the subgroup mean of transformed values, or the EWMA input).
    """

    chart = models.ForeignKey(Chart, on_delete=models.CASCADE, related_name="points")
    key = models.BigIntegerField()  # event id, or the subgroup start as epoch seconds
    t = models.DateTimeField()
    value = models.FloatField()
    stat = models.FloatField()
    n = models.PositiveIntegerField(default=1)
    defectives = models.PositiveIntegerField(default=0)
    spread = models.FloatField(default=0.0)  # subgroup sample std of the transformed values

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chart", "key"], name="one_point_per_key")]
        indexes = [models.Index(fields=["chart", "t"], name="point_chart_time")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.chart_id}@{self.t:%H:%M:%S}={self.value:.4g}"


class ViolationQuerySet(models.QuerySet):
    def for_project(self, project: Project) -> ViolationQuerySet:
        return self.filter(project=project)


class Violation(models.Model):
    """One special cause: a rule that fired on a point, stored once (a unique constraint)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="violations")
    chart = models.ForeignKey(Chart, on_delete=models.CASCADE, related_name="violations")
    point = models.ForeignKey(ChartPoint, on_delete=models.CASCADE, related_name="violations")
    signal = models.ForeignKey(
        "Signal", null=True, blank=True, on_delete=models.SET_NULL, related_name="flags"
    )
    # +1: the point is above the centre line (for EWMA/CUSUM: the statistic), −1 below
    side = models.SmallIntegerField(default=1)
    # whether the chart judges that side (False: "unusual, in the good direction")
    judged = models.BooleanField(default=True)
    rule = models.PositiveSmallIntegerField()
    t = models.DateTimeField()
    value = models.FloatField()
    limits = models.JSONField(default=dict)
    # The points before and after, as [{"t", "v"}]; the later ones are appended as they come.
    context = models.JSONField(default=list)
    context_after_pending = models.PositiveSmallIntegerField(default=0)
    telemetry = models.JSONField(null=True, blank=True)
    event_ids = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ViolationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["chart", "rule", "point"], name="one_violation_per_rule_point"
            )
        ]
        indexes = [
            models.Index(fields=["project", "-t"], name="violation_project_time"),
            models.Index(fields=["chart", "status"], name="violation_chart_status"),
        ]
        ordering = ["-t", "-id"]

    def __str__(self) -> str:
        return f"{self.chart}: {self.rule_name} at {self.t:%Y-%m-%d %H:%M:%S}"

    @property
    def rule_name(self) -> str:
        return rule_name(self.rule)

    def acknowledge(self, user=None, note: str = "") -> bool:
        """Open → acknowledged; False if it was not open. A conditional update, race-free."""
        now = timezone.now()
        changed = Violation.objects.filter(pk=self.pk, status=self.Status.OPEN).update(
            status=self.Status.ACKNOWLEDGED,
            acknowledged_by=user,
            acknowledged_at=now,
            note=note or self.note,
        )
        if changed:
            self.refresh_from_db()
        self._refresh_chart_status()
        return bool(changed)

    def resolve(self, user=None, note: str = "") -> bool:
        """Open or acknowledged → resolved; False if it already was."""
        now = timezone.now()
        changed = (
            Violation.objects.filter(pk=self.pk)
            .exclude(status=self.Status.RESOLVED)
            .update(
                status=self.Status.RESOLVED,
                resolved_by=user,
                resolved_at=now,
                note=note or self.note,
            )
        )
        if changed:
            self.refresh_from_db()
        self._refresh_chart_status()
        return bool(changed)

    ACTIONS = ("acknowledge", "resolve")

    def act(self, action: str, user=None, note: str = "") -> bool:
        """Apply an action named on a page ("acknowledge" or "resolve"); ValueError otherwise."""
        if action not in self.ACTIONS:
            raise ValueError(f"unknown violation action {action!r}")
        return getattr(self, action)(user, note)

    def _refresh_chart_status(self) -> None:
        # Acknowledging or resolving can bring the chart back in control.
        self.chart.refresh_status()


class SignalQuerySet(models.QuerySet):
    def for_project(self, project: Project) -> SignalQuerySet:
        return self.filter(project=project)


class Signal(models.Model):
    """One special cause as a person sees it: consecutive flagged points of one chart (any
    rule, same side) within a short gap, stored once and growing while flags continue.

    The per-point flags (`Violation`) stay inside it (`flags`). A signal on a side the
    chart does not judge is "unusual, in the good direction": shown, but it neither changes
    the chart's status nor alerts.
    """

    class Direction(models.TextChoices):
        HARMFUL = "harmful", "Harmful direction"
        GOOD = "good", "Unusual, in the good direction"

    class State(models.TextChoices):
        OPEN = "open", "Open (still growing)"
        CLOSED = "closed", "Closed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="signals")
    chart = models.ForeignKey(Chart, on_delete=models.CASCADE, related_name="signals")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    side = models.SmallIntegerField()
    judged = models.BooleanField(default=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    start_point = models.ForeignKey(ChartPoint, on_delete=models.CASCADE, related_name="+")
    end_point = models.ForeignKey(ChartPoint, on_delete=models.CASCADE, related_name="+")
    worst_point = models.ForeignKey(ChartPoint, on_delete=models.CASCADE, related_name="+")
    # The last point that kept the signal alive: a flag, or a point beyond 1σ on its side.
    last_seen_point = models.ForeignKey(
        ChartPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start_t = models.DateTimeField()
    end_t = models.DateTimeField()
    worst_value = models.FloatField()
    rules = models.JSONField(default=list)
    point_count = models.PositiveIntegerField(default=1)  # points covered, start to end
    flagged_count = models.PositiveIntegerField(default=1)  # of which flagged
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SignalQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["project", "-start_t"], name="signal_project_time"),
            models.Index(fields=["chart", "state"], name="signal_chart_state"),
        ]
        ordering = ["-start_t", "-id"]

    def __str__(self) -> str:
        return f"{self.chart}: signal from {self.start_t:%Y-%m-%d %H:%M:%S}"

    @property
    def rule_names(self) -> list[str]:
        return [rule_name(r) for r in self.rules]


STRUCTURAL_FIELDS = ("metric", "chart_type", "transform", "filter", "subgroup_seconds")


def rebuild_chart(chart: Chart) -> None:
    """Forget a chart's points, limits and violations and start over from the events (after a
    change of metric, type, transform, filter or subgroup made them meaningless)."""
    chart.points.all().delete()
    chart.limits_history.all().delete()
    Chart.objects.filter(pk=chart.pk).update(
        cursor_event_id=0,
        cursor_bucket=None,
        evaluated_point_id=0,
        baseline_started_at=None,
        status=Chart.Status.BASELINE,
        dirty=True,
    )
