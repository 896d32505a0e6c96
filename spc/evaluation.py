"""Incremental, idempotent evaluation of one chart.

One evaluation, inside one transaction holding the chart row:
1. new events become points (`spc.series`);
2. limits: the baseline (phase I) is computed once enough points exist, then frozen; or
   recomputed over the last N points in rolling mode;
3. the rules run over the new points plus the look-back their runs need, with the limits in
   force; each flag becomes a Violation unless one exists for (chart, rule, point) — a
   unique constraint, so two evaluations racing cannot store it twice;
4. the chart's status is updated, and after commit the changes are pushed live and
   `spc.hooks.evaluation_committed` is sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from monitoring.models import HostSample
from spc import engine
from spc.chart_metrics import ChartType, Metric
from spc.display import display_limits
from spc.hooks import evaluation_committed
from spc.live import publish_evaluation
from spc.models import Chart, ChartPoint, ControlLimits, Violation
from spc.rules_text import SMOOTHING_SIGNAL, WESTERN_ELECTRIC_OFFSET
from spc.series import collect_points, events_for_chart, has_pending_events

logger = logging.getLogger(__name__)

CONTEXT_POINTS = 10
SMOOTHING_LOOKBACK = 500  # EWMA/CUSUM memory beyond this is below (1 − λ)^500: negligible
TELEMETRY_WINDOW = timedelta(seconds=60)
MAX_RELATED_EVENTS = 20


@dataclass
class Evaluation:
    chart: Chart
    new_points: list[ChartPoint] = field(default_factory=list)
    new_violations: list[Violation] = field(default_factory=list)
    new_limits: ControlLimits | None = None


def evaluate_chart(chart_id: int, now: datetime | None = None) -> Evaluation | None:
    """Evaluate one chart; None when another worker holds it (it will do the work)."""
    now = now or timezone.now()
    with transaction.atomic():
        chart = (
            Chart.objects.select_for_update(skip_locked=True)
            .select_related("project")
            .filter(pk=chart_id)
            .first()
        )
        if chart is None:
            return None
        result = Evaluation(chart=chart, new_points=collect_points(chart, now))
        limits = chart.current_limits()
        if not result.new_points and limits is not None:
            # Nothing new (yet: events may still be settling): only the dirty flag can change.
            chart.dirty = has_pending_events(chart)
            chart.evaluated_at = now
            chart.save(update_fields=["cursor_bucket", "dirty", "evaluated_at"])
            return result
        if limits is None:
            limits = result.new_limits = compute_baseline_limits(chart, now)
        elif chart.limits_mode == Chart.LimitsMode.ROLLING and result.new_points:
            limits = result.new_limits = compute_rolling_limits(chart, limits, now)
        if limits is not None:
            result.new_violations = judge_new_points(chart, limits)
        extend_contexts(chart)
        chart.status = chart.status_under(limits)
        chart.dirty = has_pending_events(chart)
        chart.evaluated_at = now
        chart.save(
            update_fields=[
                "cursor_event_id",
                "cursor_bucket",
                "evaluated_point_id",
                "status",
                "dirty",
                "evaluated_at",
            ]
        )
        if result.new_points or result.new_violations or result.new_limits:
            transaction.on_commit(lambda: after_commit(result))
    return result


def after_commit(result: Evaluation) -> None:
    """Push the evaluation to the live pages, then tell the apps above (`evaluation_committed`).
    A failing receiver is logged: it must not undo or break the evaluation."""
    try:
        publish_evaluation(result)
    finally:  # a live push that failed must not keep the alerts from hearing of it
        for receiver, error in evaluation_committed.send_robust(sender=Chart, result=result):
            if isinstance(error, Exception):
                logger.error(
                    "evaluation_committed receiver %r failed for chart %s",
                    receiver,
                    result.chart.pk,
                    exc_info=(type(error), error, error.__traceback__),
                )


# --- Limits ------------------------------------------------------------------------------


def _baseline_points(chart: Chart) -> list[ChartPoint]:
    return list(chart.phase_points().order_by("id")[: chart.baseline_size])


def _limits_from_points(
    chart: Chart, points: list[ChartPoint]
) -> tuple[float, float, float, float, float]:
    """(center, sigma, ucl, lcl, typical_n) from baseline points, out-of-control points
    excluded iteratively (phase I). Raises ValueError (ZeroVariationError) when impossible."""
    stats = np.array([p.stat for p in points])
    sizes = np.array([p.n for p in points], dtype=float)
    if chart.is_per_event:
        lim, _kept = engine.phase_one(stats, rules=(1,))
        return lim.center, lim.sigma, lim.ucl, lim.lcl, 1.0
    if chart.metric == Metric.ERROR_RATE:
        return _p_phase_one(np.array([p.defectives for p in points], dtype=float), sizes)
    return _xbar_phase_one(stats, np.array([p.spread for p in points]), sizes)


def _p_phase_one(defectives: np.ndarray, sizes: np.ndarray):
    keep = np.ones(sizes.size, dtype=bool)
    if defectives.sum() == 0:
        # No error in the whole baseline gives p̄ = 0 and σ = 0: count it as half an error
        # so the chart still works (the first errors then stand out, as they should).
        defectives = defectives.copy()
        defectives[0] = 0.5
    for _ in range(10):
        lim = engine.p_limits(defectives[keep], sizes[keep])
        unit_sigma = float(np.sqrt(lim.center * (1 - lim.center)))
        flags = engine.nelson_rules(
            defectives / sizes, lim.center, unit_sigma / np.sqrt(sizes), rules=(1,)
        )[1]
        if not (flags & keep).any() or (keep & ~flags).sum() < 2:
            break
        keep &= ~flags
    typical = float(np.round(sizes[keep].mean()))
    half = 3 * unit_sigma / np.sqrt(typical)
    return lim.center, unit_sigma, lim.center + half, max(0.0, lim.center - half), typical


def _xbar_phase_one(means: np.ndarray, spreads: np.ndarray, sizes: np.ndarray):
    keep = sizes >= 2  # a subgroup of one has no spread to pool
    if keep.sum() < 2:
        raise ValueError("fewer than 2 subgroups with 2 or more calls")
    for _ in range(10):
        lim = engine.xbar_s_limits_from_summaries(means[keep], spreads[keep], sizes[keep])
        flags = engine.nelson_rules(means, lim.center, lim.sigma / np.sqrt(sizes), rules=(1,))[1]
        if not (flags & keep).any() or (keep & ~flags).sum() < 2:
            break
        keep &= ~flags
    typical = float(np.round(sizes[keep].mean()))
    return lim.center, lim.sigma, lim.ucl, lim.lcl, typical


def _new_limits(chart: Chart, points, now: datetime, rolling: bool = False):
    """Phase I on `points`, stored as the chart's new limits; None when no limits can come of
    them (a baseline without variation: the chart keeps collecting)."""
    try:
        center, sigma, ucl, lcl, typical_n = _limits_from_points(chart, points)
    except ValueError as exc:
        logger.info("chart %s: no limits from these points yet (%s)", chart.pk, exc)
        return None
    return ControlLimits.objects.create(
        chart=chart,
        center=center,
        sigma=sigma,
        ucl=ucl,
        lcl=lcl,
        typical_n=typical_n,
        baseline_n=len(points),
        rolling=rolling,
        computed_at=now,
        valid_from=points[-1].t,
    )


def compute_baseline_limits(chart: Chart, now: datetime) -> ControlLimits | None:
    points = _baseline_points(chart)
    if len(points) < chart.baseline_size:
        return None
    limits = _new_limits(chart, points, now)
    if limits is not None:
        # Baseline points are the phase I sample: the rules judge only the points after it.
        chart.evaluated_point_id = max(chart.evaluated_point_id, points[-1].pk)
    return limits


def compute_rolling_limits(chart: Chart, current: ControlLimits, now: datetime):
    """Rolling mode: limits from the last N points judged so far (phase I on them)."""
    window = list(
        chart.phase_points()
        .filter(pk__lte=chart.evaluated_point_id)
        .order_by("-id")[: chart.rolling_window]
    )[::-1]
    if len(window) < 2:
        return current
    limits = _new_limits(chart, window, now, rolling=True)
    if limits is None:
        return current
    current.valid_to = now
    current.save(update_fields=["valid_to"])
    return limits


# --- Rules -------------------------------------------------------------------------------


def _rule_ids(chart: Chart) -> tuple[list[int], int]:
    """The engine's rule numbers for this chart, and the offset that stores them."""
    if chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC:
        return [r for r in chart.rules if 1 <= r <= 4] or [1, 2, 3, 4], WESTERN_ELECTRIC_OFFSET
    return [r for r in chart.rules if 1 <= r <= 8] or [1, 2, 3, 5], 0


def _params(chart: Chart) -> dict[int, float]:
    return {int(k): v for k, v in (chart.rule_params or {}).items()}


def point_sigma(chart: Chart, limits: ControlLimits, sizes: np.ndarray) -> np.ndarray | float:
    """σ of the plotted statistic at each point: σ/√n for subgroup charts."""
    if chart.is_per_event:
        return limits.sigma
    return limits.sigma / np.sqrt(sizes)


def _project_sends_telemetry(project_id: int) -> bool:
    return HostSample.objects.filter(project_id=project_id).exists()


@dataclass(frozen=True)
class PointRow:
    """A point as the rules see it: lighter than a model instance, thousands at a time."""

    pk: int
    t: datetime
    value: float
    stat: float
    n: int
    key: int


POINT_FIELDS = ("id", "t", "value", "stat", "n", "key")


def judge_new_points(chart: Chart, limits: ControlLimits) -> list[Violation]:
    new = [
        PointRow(*row)
        for row in chart.points.filter(pk__gt=chart.evaluated_point_id)
        .order_by("id")
        .values_list(*POINT_FIELDS)
    ]
    if not new:
        return []
    rules, offset = _rule_ids(chart)
    if chart.chart_type in (ChartType.EWMA, ChartType.CUSUM):
        depth = SMOOTHING_LOOKBACK
    elif chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC:
        depth = max(8, CONTEXT_POINTS)
    else:
        depth = max(engine.lookback(rules, _params(chart)), CONTEXT_POINTS)
    before = [
        PointRow(*row)
        for row in chart.phase_points()
        .filter(pk__lte=chart.evaluated_point_id)
        .order_by("-id")
        .values_list(*POINT_FIELDS)[:depth]
    ][::-1]
    window = before + new
    stats = np.array([p.stat for p in window])
    sigma = point_sigma(chart, limits, np.array([p.n for p in window], dtype=float))
    flags = _flags(chart, stats, limits, sigma, rules)
    first_new = len(before)
    telemetry = None
    violations = []
    for rule, mask in flags.items():
        for index in np.flatnonzero(mask[first_new:]) + first_new:
            if telemetry is None:
                telemetry = _project_sends_telemetry(chart.project_id)
            violations.append(
                _violation(chart, limits, window, int(index), rule + offset, telemetry)
            )
    chart.evaluated_point_id = new[-1].pk
    if violations:
        Violation.objects.bulk_create(violations, ignore_conflicts=True)
        keys = {(v.rule, v.point_id) for v in violations}
        stored = Violation.objects.filter(chart=chart, point__in=[v.point_id for v in violations])
        return [v for v in stored if (v.rule, v.point_id) in keys]
    return []


def _flags(chart, stats, limits, sigma, rules) -> dict[int, np.ndarray]:
    if chart.chart_type == ChartType.EWMA:
        result = engine.ewma(
            stats, limits.center, limits.sigma, lam=chart.ewma_lambda, L=chart.ewma_l
        )
        return {SMOOTHING_SIGNAL: result.flags}
    if chart.chart_type == ChartType.CUSUM:
        result = engine.cusum(stats, limits.center, limits.sigma, k=chart.cusum_k, h=chart.cusum_h)
        return {SMOOTHING_SIGNAL: result.flags}
    if chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC:
        return engine.western_electric_rules(
            stats, limits.center, sigma, rules=rules, params=_params(chart)
        )
    return engine.nelson_rules(stats, limits.center, sigma, rules=rules, params=_params(chart))


def _violation(chart, limits, window, index, rule, with_telemetry: bool) -> Violation:
    point = window[index]
    context = [
        {"t": p.t.isoformat(), "v": p.value}
        for p in window[max(0, index - CONTEXT_POINTS) : index + 1]
    ]
    return Violation(
        organization_id=chart.organization_id,
        project_id=chart.project_id,
        chart=chart,
        point_id=point.pk,
        rule=rule,
        t=point.t,
        value=point.value,
        limits=display_limits(chart, limits, point.n),
        context=context,
        context_after_pending=CONTEXT_POINTS,
        telemetry=nearest_host_sample(chart.project_id, point.t) if with_telemetry else None,
        event_ids=related_event_ids(chart, point),
    )


def related_event_ids(chart: Chart, point: ChartPoint) -> list[int]:
    if chart.is_per_event:
        return [point.key]
    end = point.t + timedelta(seconds=chart.subgroup_seconds)
    qs = events_for_chart(chart).filter(timestamp__gte=point.t, timestamp__lt=end)
    if chart.metric == Metric.ERROR_RATE:
        qs = qs.filter(status="error")
    return list(qs.order_by("timestamp").values_list("id", flat=True)[:MAX_RELATED_EVENTS])


def nearest_host_sample(project_id: int, t: datetime) -> dict | None:
    """The host telemetry sample nearest to `t` within 60 s, if the project sends any."""
    window = HostSample.objects.filter(
        project_id=project_id,
        timestamp__gte=t - TELEMETRY_WINDOW,
        timestamp__lte=t + TELEMETRY_WINDOW,
    )
    before = window.filter(timestamp__lte=t).order_by("-timestamp").first()
    after = window.filter(timestamp__gt=t).order_by("timestamp").first()
    candidates = [s for s in (before, after) if s is not None]
    if not candidates:
        return None
    sample = min(candidates, key=lambda s: abs((s.timestamp - t).total_seconds()))
    fields = [
        "host",
        "cpu_percent",
        "memory_percent",
        "gpu_percent",
        "gpu_memory_percent",
        "gpu_temperature_c",
    ]
    data = {f: getattr(sample, f, None) for f in fields}
    data["timestamp"] = sample.timestamp.isoformat()
    return data


def extend_contexts(chart: Chart) -> None:
    """Append the points that came after each recent violation, up to 10 of them."""
    changed = []
    for violation in Violation.objects.filter(chart=chart, context_after_pending__gt=0):
        after = list(
            chart.points.filter(pk__gt=violation.point_id)
            .order_by("id")
            .values_list("t", "value")[:CONTEXT_POINTS]
        )
        fresh = after[CONTEXT_POINTS - violation.context_after_pending :]
        if not fresh:
            continue
        violation.context = violation.context + [{"t": t.isoformat(), "v": v} for t, v in fresh]
        violation.context_after_pending = CONTEXT_POINTS - len(after)
        changed.append(violation)
    if changed:
        Violation.objects.bulk_update(changed, ["context", "context_after_pending"])
