"""A chart's limits designed under its false-alarm budget (the Django side of
`spc.engine.budget`).

At the end of a baseline (and for the provisional limits shown while it is collected) the
chart gets:

- its sampling rate (:func:`sampling_rate`): a probe's interval, the subgroup interval, or
  for other per-event charts the rate at which the baseline's points arrived;
- a design meeting "at most one false alarm per N days" (the chart's budget, else its
  project's) on the sides it judges, adjusted for the baseline's size so that the budget
  holds with 90 % probability (Gandy & Kvaløy 2013, see `spc.engine.adjust`): the rule-1
  multiplier k and the run rules kept (the others with the reason they were turned off),
  EWMA's L or CUSUM's h, or for p charts a limit from the exact binomial tail;
- the lag-1 autocorrelation of the baseline, with a warning when it makes the limits too
  tight.

Charts set to the classic design keep 3σ and the rules they chose; their expected false
alarms are still stated. Designs depend on the data only through the sampling rate and the
baseline's size, so they are cached: a thousand charts re-baselining share a few designs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from monitoring.probes.models import Probe
from spc import engine
from spc.chart_metrics import ChartType, Metric
from spc.engine.arl import run_rule_rate, shewhart_arl
from spc.engine.budget import (
    AUTOCORRELATION_WARNING,
    describe_rate,
    design_cusum,
    design_ewma,
    design_p,
    design_shewhart,
    false_alarms_per_week,
)
from spc.models import Chart
from spc.rules_text import WESTERN_ELECTRIC_OFFSET

SECONDS_PER_DAY = 86_400.0
# Per-event points whose timestamps span no time (a batch stamped at once): assume a point
# every 10 s, the shortest probe interval, which errs towards wider limits.
FALLBACK_POINTS_PER_DAY = 8_640.0
# Designs are made for baseline sizes on this grid (rounded down: a smaller baseline gives
# wider limits, so the budget still holds), which lets charts share cached designs.
BASELINE_GRID = (2, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000)
# Western Electric rules in Nelson's numbering (WE 4, 8 in a row, is Nelson 2 with K = 8).
WE_TO_NELSON = {1: 1, 2: 5, 3: 6, 4: 2}
NELSON_TO_WE = {v: k for k, v in WE_TO_NELSON.items()}
AUTOCORRELATION_REMEDY = (
    "Consecutive points are correlated (lag-1 autocorrelation {r:.2f}), so the moving range "
    "underestimates σ and the limits are too tight: expect more false alarms than the "
    "budget. Remedy: chart per time subgroup with a longer interval (an X̄ chart), or an "
    "EWMA of the residuals."
)


@dataclass
class ChartDesign:
    """What the limits carry (see ControlLimits): k, the rules kept (chart numbering), the
    reasons for those turned off, EWMA L / CUSUM h, and the figures in `info`."""

    k: float = 3.0
    rules: list[int] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    ewma_l: float | None = None
    cusum_h: float | None = None
    info: dict = field(default_factory=dict)


def sampling_rate(chart: Chart, times: list) -> tuple[float, str]:
    """Points per day, and where the figure comes from, in words."""
    if not chart.is_per_event:
        return SECONDS_PER_DAY / chart.subgroup_seconds, (
            f"one subgroup every {_duration(chart.subgroup_seconds)}"
        )
    probe_id = (chart.filter or {}).get("probe_id")
    if isinstance(probe_id, int):
        interval = Probe.objects.filter(pk=probe_id).values_list("interval_s", flat=True).first()
        if interval:
            return SECONDS_PER_DAY / interval, f"a probe call every {_duration(interval)}"
    if len(times) >= 2:
        span = (max(times) - min(times)).total_seconds()
        if span > 0:
            per_day = (len(times) - 1) / span * SECONDS_PER_DAY
            return per_day, f"about {_rate_words(per_day)}, as observed in the baseline"
    return FALLBACK_POINTS_PER_DAY, "not yet known (assumed: a point every 10 s)"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:g} s"
    if seconds < 5400:
        return f"{seconds / 60:g} minutes"
    return f"{seconds / 3600:g} hours"


def _rate_words(per_day: float) -> str:
    if per_day >= 1440 * 1.5:
        return f"{per_day / 1440:.0f} points a minute"
    if per_day >= 24 * 1.5:
        return f"{per_day / 24:.0f} points an hour"
    return f"{per_day:.0f} points a day"


def _grid(n: int) -> int:
    return max([g for g in BASELINE_GRID if g <= max(n, 2)])


def _round_rate(per_day: float) -> float:
    """Two significant digits, rounded up (a higher rate asks for wider limits)."""
    scale = 10 ** (math.floor(math.log10(per_day)) - 1)
    return math.ceil(per_day / scale) * scale


def design_chart(chart: Chart, points: list, center: float, typical_n: float) -> ChartDesign:
    """The design for limits from `points` (the baseline so far, model instances or rows
    with `.t`, `.stat`, `.n`, `.defectives`)."""
    per_day, source = sampling_rate(chart, [p.t for p in points])
    budget = chart.budget_days
    side = chart.judged_side
    n = len(points)
    info: dict = {
        "points_per_day": per_day,
        "rate_source": source,
        "budget_days": budget,
        "side": side,
        "baseline_n": n,
        "method": chart.limits_design,
    }
    if chart.limits_design == Chart.LimitsDesign.CLASSIC:
        design = _classic(chart)
        arl0 = _classic_arl(chart, side)
    elif chart.chart_type == ChartType.EWMA:
        d = _ewma(_round_rate(per_day), budget, chart.ewma_lambda, side, _grid(n))
        design, arl0 = ChartDesign(ewma_l=d.threshold), d.arl0_known
        info["threshold_known"] = d.threshold_known
    elif chart.chart_type == ChartType.CUSUM:
        d = _cusum(_round_rate(per_day), budget, chart.cusum_k, side, _grid(n))
        design, arl0 = ChartDesign(cusum_h=d.threshold), d.arl0_known
        info["threshold_known"] = d.threshold_known
    elif chart.metric == Metric.ERROR_RATE:
        trials = float(sum(p.n for p in points))
        d = design_p(_round_rate(per_day), budget, center, trials, typical_n)
        design, arl0 = ChartDesign(k=d.k, rules=[1]), d.arl0
        dropped = [r for r in chart.rules if r != 1]
        design.dropped = {
            str(r): "error counts are judged by their exact binomial limit alone" for r in dropped
        }
        info["failures_to_flag"] = d.count
        info["typical_n"] = typical_n
        side = "upper"
    else:
        design, arl0 = _shewhart(chart, per_day, budget, side, n, typical_n)
    per_week = false_alarms_per_week(arl0, per_day)
    info.update(
        {
            "arl0": arl0 if np.isfinite(arl0) else None,
            "false_alarms_per_week": per_week,
            "false_alarms_words": describe_rate(per_week),
        }
    )
    r1 = engine.lag1_autocorrelation([p.stat for p in points]) if chart.is_per_event else 0.0
    info["autocorrelation"] = r1
    if r1 > AUTOCORRELATION_WARNING:
        info["autocorrelation_warning"] = AUTOCORRELATION_REMEDY.format(r=r1)
    design.info = info
    return design


def _classic(chart: Chart) -> ChartDesign:
    params = {int(k): v for k, v in (chart.rule_params or {}).items()}
    return ChartDesign(k=float(params.get(1, 3.0)), rules=[])


def _classic_arl(chart: Chart, side: str) -> float:
    """In-control ARL of the chart as set (known parameters), for the words on the page."""
    try:
        if chart.chart_type == ChartType.EWMA:
            return float(engine.ewma_arl(chart.ewma_lambda, chart.ewma_l, side=side))
        if chart.chart_type == ChartType.CUSUM:
            return float(engine.cusum_arl(chart.cusum_k, chart.cusum_h, side=side))
        nelson, params = _nelson_rules(chart, chart.rules)
        k = float(params.get(1, 3.0))
        zone = tuple(r for r in nelson if r in (1, 2, 5, 6)) or (1,)
        arl = float(shewhart_arl(k, zone, params, side=side))
        rate = sum(run_rule_rate(r, params) for r in nelson if r not in (1, 2, 5, 6))
        if side != "both":
            rate /= 2.0
        return 1.0 / (1.0 / arl + rate)
    except ValueError:
        return float("nan")


def _nelson_rules(chart: Chart, rules: list[int]) -> tuple[list[int], dict[int, float]]:
    """The chart's rules and K parameters in Nelson's numbering."""
    params = {int(k): v for k, v in (chart.rule_params or {}).items()}
    if chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC:
        nelson = [WE_TO_NELSON[r] for r in rules if r in WE_TO_NELSON]
        mapped = {WE_TO_NELSON[r]: v for r, v in params.items() if r in WE_TO_NELSON}
        if 4 in rules and 2 not in mapped:
            mapped[2] = 8
        return nelson, mapped
    return [r for r in rules if 1 <= r <= 8], params


def _shewhart(chart, per_day, budget, side, n, typical_n) -> tuple[ChartDesign, float]:
    asked = [r for r in chart.rules] or [1]
    nelson, params = _nelson_rules(chart, asked)
    params.pop(1, None)  # the budget chooses k
    if chart.is_per_event:
        estimator, size = "mr", 1
    else:
        estimator, size = "xbar", max(2, round(typical_n))
    d = _shewhart_cached(
        _round_rate(per_day),
        budget,
        tuple(nelson),
        tuple(sorted(params.items())),
        side,
        _grid(n),
        estimator,
        size,
    )
    back = NELSON_TO_WE if chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC else None
    kept = [back[r] if back else r for r in d.rules if not back or r in back]
    dropped = {str(back[r] if back else r): why for r, why in d.dropped.items()}
    return ChartDesign(k=d.k, rules=kept, dropped=dropped), d.arl0_known


@lru_cache(maxsize=512)
def _shewhart_cached(per_day, budget, rules, params, side, n, estimator, size):
    return design_shewhart(
        per_day,
        budget,
        rules=rules,
        params=dict(params) or None,
        side=side,
        baseline_n=n,
        estimator=estimator,
        subgroup_size=size,
    )


@lru_cache(maxsize=256)
def _ewma(per_day, budget, lam, side, n):
    return design_ewma(per_day, budget, lam, side=side, baseline_n=n)


@lru_cache(maxsize=256)
def _cusum(per_day, budget, k, side, n):
    return design_cusum(per_day, budget, k, side=side, baseline_n=n)


def stored_rule(chart: Chart, rule: int) -> int:
    """The number a rule of the chart is stored under (Western Electric rules offset)."""
    if chart.rule_set == Chart.RuleSet.WESTERN_ELECTRIC:
        return rule + WESTERN_ELECTRIC_OFFSET
    return rule
