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
from spc.design import design_chart
from spc.display import display_limits
from spc.engine.budget import binomial_upper_tail
from spc.hooks import evaluation_committed
from spc.live import publish_evaluation
from spc.models import PROVISIONAL_MIN_POINTS, Chart, ChartPoint, ControlLimits, Signal, Violation
from spc.rules_text import SMOOTHING_SIGNAL, WESTERN_ELECTRIC_OFFSET
from spc.series import collect_points, events_for_chart, has_pending_events

logger = logging.getLogger(__name__)

CONTEXT_POINTS = 10
SMOOTHING_LOOKBACK = 500  # EWMA/CUSUM memory beyond this is below (1 − λ)^500: negligible
SIGNAL_GAP = 5  # a flag within 5 points of the last flag of an open signal joins it
TELEMETRY_WINDOW = timedelta(seconds=60)
MAX_RELATED_EVENTS = 20


@dataclass
class Evaluation:
    chart: Chart
    new_points: list[ChartPoint] = field(default_factory=list)
    new_violations: list[Violation] = field(default_factory=list)
    new_limits: ControlLimits | None = None
    # While the baseline is short: the provisional limits now shown (never judged with).
    provisional_limits: ControlLimits | None = None
    # Signals this evaluation opened, and earlier open signals it extended; only those with
    # `judged=True` (the harmful side, or either side of a two-sided chart) should alert.
    opened_signals: list[Signal] = field(default_factory=list)
    updated_signals: list[Signal] = field(default_factory=list)


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
            if limits is None and result.new_points:
                result.provisional_limits = compute_provisional_limits(chart, now)
        elif chart.limits_mode == Chart.LimitsMode.ROLLING and result.new_points:
            limits = result.new_limits = compute_rolling_limits(chart, limits, now)
        if limits is not None:
            result.new_violations = judge_new_points(chart, limits, result)
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


def _first_estimates(chart: Chart, points) -> tuple[float, float]:
    """(p̄ or 0, typical subgroup size) before phase I: what a p chart's design needs."""
    sizes = np.array([p.n for p in points], dtype=float)
    typical = float(max(1.0, np.round(sizes.mean()))) if sizes.size else 1.0
    if chart.metric != Metric.ERROR_RATE or chart.is_per_event:
        return 0.0, typical
    defectives = float(sum(p.defectives for p in points))
    return max(defectives, 0.5) / max(float(sizes.sum()), 1.0), typical


def _limits_from_points(
    chart: Chart, points: list[ChartPoint], k: float
) -> tuple[float, float, float, np.ndarray]:
    """(center, sigma, typical_n, kept mask) from baseline points, points beyond ±kσ excluded
    iteratively (phase I). Raises ValueError (ZeroVariationError) when impossible."""
    stats = np.array([p.stat for p in points])
    sizes = np.array([p.n for p in points], dtype=float)
    if chart.is_per_event:
        lim, kept = engine.phase_one(stats, rules=(1,), k=k)
        return lim.center, lim.sigma, 1.0, kept
    if chart.metric == Metric.ERROR_RATE:
        return _p_phase_one(np.array([p.defectives for p in points], dtype=float), sizes, k)
    return _xbar_phase_one(stats, np.array([p.spread for p in points]), sizes, k)


def _p_phase_one(defectives: np.ndarray, sizes: np.ndarray, k: float):
    keep = np.ones(sizes.size, dtype=bool)
    if defectives.sum() == 0:
        # No error in the whole baseline gives p̄ = 0 and σ = 0: count it as half an error
        # so the chart still works (the first errors then stand out, as they should).
        defectives = defectives.copy()
        defectives[0] = 0.5
    for _ in range(10):
        # p̄ = Σ failures / Σ calls over the kept subgroups (half a failure if none is left)
        center = max(float(defectives[keep].sum()), 0.5) / float(sizes[keep].sum())
        unit_sigma = float(np.sqrt(center * (1 - center)))
        flags = engine.nelson_rules(
            defectives / sizes, center, unit_sigma / np.sqrt(sizes), rules=(1,), params={1: k}
        )[1]
        if not (flags & keep).any() or (keep & ~flags).sum() < 2:
            break
        keep &= ~flags
    typical = float(np.round(sizes[keep].mean()))
    return center, unit_sigma, typical, keep


def _p_design_and_phase_one(chart: Chart, points):
    """p chart under the budget. Phase I by the exact binomial tail at the classic 3σ level
    (a subgroup whose failures are less likely than 0.135 % under p̄ of the kept ones is left
    out, until none is): an error burst in the baseline must not inflate p̄ and with it the
    limit. Then the design (spc.engine.budget.design_p) from the calm subgroups."""
    defectives = np.array([p.defectives for p in points], dtype=float)
    sizes = np.array([p.n for p in points], dtype=float)
    keep = np.ones(sizes.size, dtype=bool)
    for _ in range(10):
        center = max(float(defectives[keep].sum()), 0.5) / float(sizes[keep].sum())
        tails = np.array(
            [
                binomial_upper_tail(int(n), center)[int(d)]
                for d, n in zip(defectives, sizes, strict=True)
            ]
        )
        unusual = tails < 0.00135
        if not (unusual & keep).any() or (keep & ~unusual).sum() < 2:
            break
        keep &= ~unusual
    calm = [p for p, k in zip(points, keep, strict=True) if k]
    design = design_chart(chart, calm, center, float(np.round(sizes[keep].mean())))
    sigma = float(np.sqrt(center * (1 - center)))
    return design, center, sigma, float(np.round(sizes[keep].mean())), keep


def _xbar_phase_one(means: np.ndarray, spreads: np.ndarray, sizes: np.ndarray, k: float):
    keep = sizes >= 2  # a subgroup of one has no spread to pool
    if keep.sum() < 2:
        raise ValueError("fewer than 2 subgroups with 2 or more calls")
    for _ in range(10):
        lim = engine.xbar_s_limits_from_summaries(means[keep], spreads[keep], sizes[keep])
        flags = engine.nelson_rules(
            means, lim.center, lim.sigma / np.sqrt(sizes), rules=(1,), params={1: k}
        )[1]
        if not (flags & keep).any() or (keep & ~flags).sum() < 2:
            break
        keep &= ~flags
    typical = float(np.round(sizes[keep].mean()))
    return lim.center, lim.sigma, typical, keep


def _new_limits(
    chart: Chart, points, now: datetime, rolling: bool = False, provisional: bool = False
):
    """Limits designed under the chart's budget (`spc.design`), phase I on `points` at the
    designed multiplier; stored as the chart's new limits (or its provisional ones). None
    when no limits can come of them (a baseline without variation: the chart keeps
    collecting)."""
    try:
        if chart.metric == Metric.ERROR_RATE and chart.limits_design == Chart.LimitsDesign.BUDGET:
            design, center, sigma, typical_n, kept = _p_design_and_phase_one(chart, points)
        else:
            design = design_chart(chart, points, *_first_estimates(chart, points))
            center, sigma, typical_n, kept = _limits_from_points(chart, points, design.k)
    except ValueError as exc:
        logger.info("chart %s: no limits from these points yet (%s)", chart.pk, exc)
        return None
    half = design.k * (sigma if chart.is_per_event else sigma / np.sqrt(typical_n))
    lcl = center - half
    if chart.metric == Metric.ERROR_RATE:
        lcl = max(0.0, lcl)
    fields = {
        "center": center,
        "sigma": sigma,
        "ucl": center + half,
        "lcl": lcl,
        "typical_n": typical_n,
        "baseline_n": len(points),
        "rolling": rolling,
        "provisional": provisional,
        "computed_at": now,
        "valid_from": points[-1].t,
        "k": design.k,
        "rules": design.rules,
        "dropped_rules": design.dropped,
        "ewma_l": design.ewma_l,
        "cusum_h": design.cusum_h,
        "design": design.info,
        "excluded_point_ids": [p.pk for p, keep in zip(points, kept, strict=True) if not keep],
    }
    if provisional:
        current = chart.provisional_limits()
        if current is not None:
            for name, value in fields.items():
                setattr(current, name, value)
            current.save()
            return current
    return ControlLimits.objects.create(chart=chart, **fields)


def compute_baseline_limits(chart: Chart, now: datetime) -> ControlLimits | None:
    points = _baseline_points(chart)
    if len(points) < chart.baseline_size:
        return None
    limits = _new_limits(chart, points, now)
    if limits is not None:
        # Baseline points are the phase I sample: the rules judge only the points after it.
        chart.evaluated_point_id = max(chart.evaluated_point_id, points[-1].pk)
        chart.limits_history.filter(provisional=True).delete()
    return limits


def compute_provisional_limits(chart: Chart, now: datetime) -> ControlLimits | None:
    """While the baseline is short: limits from the points so far, designed for their number
    (so wider than the final ones), shown and labelled provisional. The rules do not judge
    with them: a point flagged against limits that will still move would be a flag to
    retract, and every baseline point is judged by phase I once the baseline is complete."""
    points = _baseline_points(chart)
    if len(points) < min(PROVISIONAL_MIN_POINTS, chart.baseline_size):
        return None
    return _new_limits(chart, points, now, provisional=True)


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


def _rule_ids(chart: Chart, limits: ControlLimits | None = None) -> tuple[list[int], int]:
    """The engine's rule numbers for this chart (those its limits' design kept, else the
    chart's own), and the offset that stores them."""
    chosen = (limits.rules if limits is not None else None) or chart.rules
    if chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC:
        return [r for r in chosen if 1 <= r <= 4] or [1, 2, 3, 4], WESTERN_ELECTRIC_OFFSET
    return [r for r in chosen if 1 <= r <= 8] or [1, 2, 3, 5], 0


def _params(chart: Chart, limits: ControlLimits | None = None) -> dict[int, float]:
    """The rules' K; rule 1's multiplier is the limits' k (3 in the classic design)."""
    params = {int(k): v for k, v in (chart.rule_params or {}).items()}
    if limits is not None:
        params[1] = limits.k
    return params


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


def judge_new_points(
    chart: Chart, limits: ControlLimits, result: Evaluation | None = None
) -> list[Violation]:
    new = [
        PointRow(*row)
        for row in chart.points.filter(pk__gt=chart.evaluated_point_id)
        .order_by("id")
        .values_list(*POINT_FIELDS)
    ]
    if not new:
        return []
    rules, offset = _rule_ids(chart, limits)
    if chart.chart_type in (ChartType.EWMA, ChartType.CUSUM):
        depth = SMOOTHING_LOOKBACK
    elif chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC:
        depth = max(8, CONTEXT_POINTS)
    else:
        depth = max(engine.lookback(rules, _params(chart, limits)), CONTEXT_POINTS)
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
    flags, sides = _flags(chart, stats, limits, sigma, rules)
    first_new = len(before)
    telemetry = None
    violations = []
    for rule, mask in flags.items():
        for index in np.flatnonzero(mask[first_new:]) + first_new:
            if telemetry is None:
                telemetry = _project_sends_telemetry(chart.project_id)
            violation = _violation(chart, limits, window, int(index), rule + offset, telemetry)
            violation.side = int(sides[index])
            violation.judged = chart.judges(violation.side)
            violations.append(violation)
    chart.evaluated_point_id = new[-1].pk
    stored: list[Violation] = []
    if violations:
        Violation.objects.bulk_create(violations, ignore_conflicts=True)
        keys = {(v.rule, v.point_id) for v in violations}
        stored = [
            v
            for v in Violation.objects.filter(
                chart=chart, point__in=[v.point_id for v in violations]
            )
            if (v.rule, v.point_id) in keys
        ]
    deviation = (stats - limits.center) / sigma
    group_into_signals(chart, window, stored, result, deviation)
    return stored


def group_into_signals(
    chart: Chart,
    window: list[PointRow],
    flags: list[Violation],
    result: Evaluation | None,
    deviation: np.ndarray | None = None,
) -> None:
    """Fold new flags into signals. A flag joins the open signal of its side if that signal
    is still alive, else it opens a new signal. A signal stays alive while fewer than
    SIGNAL_GAP points in a row pass without either a flag on its side or a point beyond 1σ
    on its side (`deviation`: each point's distance from the centre in σ): a shift that
    goes on, flagged only now and then, stays one signal; once the points are back near
    the centre for SIGNAL_GAP points, it closes."""
    position = {p.pk: i for i, p in enumerate(window)}
    by_pk = {p.pk: p for p in window}
    if deviation is None:
        deviation = np.zeros(len(window))
    open_signals: dict[int, Signal] = {}
    alive: dict[int, int] = {}  # side → position of the last point that kept it alive
    for signal in Signal.objects.filter(chart=chart, state=Signal.State.OPEN):
        last = position.get(signal.last_seen_point_id or signal.end_point_id)
        if last is None:  # left the look-back behind long ago
            _close(signal)
        else:
            open_signals[signal.side], alive[signal.side] = signal, last
    opened: dict[int, Signal] = {}
    touched: dict[int, Signal] = {}
    flags_at: dict[int, list[Violation]] = {}
    for flag in sorted(flags, key=lambda v: (position.get(v.point_id, -1), v.rule)):
        flags_at.setdefault(position[flag.point_id], []).append(flag)
    starts = [a + 1 for a in alive.values()] + list(flags_at)
    for here in range(min(starts, default=len(window)), len(window)):
        for side in list(open_signals):
            if here - alive[side] > SIGNAL_GAP:
                _close(open_signals.pop(side))
                alive.pop(side)
            elif side * deviation[here] > 1.0:
                alive[side] = here
        for flag in flags_at.get(here, []):
            point = by_pk[flag.point_id]
            current = open_signals.get(flag.side)
            if current is None:
                current = Signal.objects.create(
                    organization_id=chart.organization_id,
                    project_id=chart.project_id,
                    chart=chart,
                    side=flag.side,
                    judged=flag.judged,
                    direction=Signal.Direction.HARMFUL
                    if flag.side == chart.harmful_sign
                    else Signal.Direction.GOOD,
                    start_point_id=point.pk,
                    end_point_id=point.pk,
                    worst_point_id=point.pk,
                    last_seen_point_id=point.pk,
                    start_t=point.t,
                    end_t=point.t,
                    worst_value=point.value,
                    rules=[flag.rule],
                )
                open_signals[flag.side] = current
                opened[current.pk] = current
            else:
                if flag.rule not in current.rules:
                    current.rules = sorted([*current.rules, flag.rule])
                if point.pk != current.end_point_id:
                    first = position.get(current.start_point_id)
                    current.flagged_count += 1
                    current.end_point_id, current.end_t = point.pk, point.t
                    current.point_count = (
                        here - first + 1 if first is not None else current.point_count + 1
                    )
                if (point.value - current.worst_value) * _display_side(chart, flag.side) > 0:
                    current.worst_point_id, current.worst_value = point.pk, point.value
                current.updated_at = timezone.now()
                if current.pk not in opened:
                    touched[current.pk] = current
            alive[flag.side] = here
            flag.signal_id = current.pk
    for side, signal in open_signals.items():
        seen = window[alive[side]].pk
        if seen != signal.last_seen_point_id:
            signal.last_seen_point_id = seen
            if signal.pk not in opened and signal.pk not in touched:
                Signal.objects.filter(pk=signal.pk).update(last_seen_point_id=seen)
    for signal in {**opened, **touched}.values():
        signal.save()
    by_signal: dict[int, list[int]] = {}
    for flag in flags:
        by_signal.setdefault(flag.signal_id, []).append(flag.pk)
    for signal_id, pks in by_signal.items():
        Violation.objects.filter(pk__in=pks).update(signal_id=signal_id)
    if result is not None:
        result.opened_signals = list(opened.values())
        result.updated_signals = list(touched.values())


def _close(signal: Signal) -> None:
    Signal.objects.filter(pk=signal.pk).update(state=Signal.State.CLOSED)
    signal.state = Signal.State.CLOSED


def _display_side(chart: Chart, side: int) -> int:
    """Display values keep the order of the statistic (log1p is increasing)."""
    return side


def _flags(chart, stats, limits, sigma, rules) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """The rules' flags per point, and the side (+1 above, −1 below) of each point: of the
    point against the centre line, of the EWMA statistic, or of the CUSUM that fired."""
    side = np.where(stats >= limits.center, 1, -1)
    if chart.chart_type == ChartType.EWMA:
        L = limits.ewma_l or chart.ewma_l
        result = engine.ewma(stats, limits.center, limits.sigma, lam=chart.ewma_lambda, L=L)
        side = np.where(result.statistic >= limits.center, 1, -1)
        return {SMOOTHING_SIGNAL: result.flags}, side
    if chart.chart_type == ChartType.CUSUM:
        h = limits.cusum_h or chart.cusum_h
        result = engine.cusum(stats, limits.center, limits.sigma, k=chart.cusum_k, h=h)
        side = np.where(result.upper >= result.lower, 1, -1)
        return {SMOOTHING_SIGNAL: result.flags}, side
    if chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC:
        flags = engine.western_electric_rules(
            stats, limits.center, sigma, rules=rules, params=_params(chart, limits)
        )
    else:
        flags = engine.nelson_rules(
            stats, limits.center, sigma, rules=rules, params=_params(chart, limits)
        )
    if 3 in flags and chart.rule_set == Chart.RuleSet.NELSON:
        # a trend's direction is that of its last step, wherever it sits
        trend_side = np.concatenate([[1], np.where(np.diff(stats) >= 0, 1, -1)])
        side = np.where(flags[3] & ~_any_other(flags, 3), trend_side, side)
    return flags, side


def _any_other(flags: dict[int, np.ndarray], rule: int) -> np.ndarray:
    out = np.zeros_like(next(iter(flags.values())))
    for r, f in flags.items():
        if r != rule:
            out |= f
    return out


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
