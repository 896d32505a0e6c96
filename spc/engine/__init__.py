"""LLMscope's SPC engine: numpy arrays in, numpy arrays out, no Django, no loops over points.

Public API::

    from spc.engine import (
        Limits, individuals_limits, xbar_r_limits, xbar_s_limits, p_limits,
        nelson_rules, western_electric_rules, ewma, cusum, phase_one,
        shewhart_arl, ewma_arl, cusum_arl,              # ARL by Markov chains
        design_shewhart, design_ewma, design_cusum,     # false-alarm budget → design
        adjusted_shewhart_k, baseline_draws,            # Gandy-Kvaløy adjustment
    )

Every statistical convention is stated in the docstring of the function that applies it;
the zone and flag conventions shared by all rules are in :mod:`spc.engine.rules`.
"""

from ._validation import ZeroVariationError
from .adjust import adjusted_shewhart_k, baseline_draws
from .arl import cusum_arl, ewma_arl, shewhart_arl
from .baseline import phase_one
from .budget import (
    ShewhartDesign,
    SmoothingDesign,
    describe_rate,
    design_cusum,
    design_ewma,
    design_shewhart,
    lag1_autocorrelation,
    target_arl,
)
from .constants import CONSTANTS, SubgroupConstants, constants_for
from .limits import (
    Limits,
    PLimits,
    XbarRLimits,
    XbarSLimits,
    c4,
    individuals_limits,
    p_limits,
    xbar_r_limits,
    xbar_s_limits,
    xbar_s_limits_from_summaries,
)
from .rules import (
    NELSON_DEFAULTS,
    NELSON_RULES,
    WESTERN_ELECTRIC_DEFAULTS,
    WESTERN_ELECTRIC_RULES,
    lookback,
    nelson_rules,
    western_electric_rules,
    window_length,
)
from .smoothing import CusumResult, EwmaResult, cusum, ewma

__all__ = [
    "CONSTANTS",
    "NELSON_DEFAULTS",
    "NELSON_RULES",
    "WESTERN_ELECTRIC_DEFAULTS",
    "WESTERN_ELECTRIC_RULES",
    "CusumResult",
    "EwmaResult",
    "Limits",
    "PLimits",
    "ShewhartDesign",
    "SmoothingDesign",
    "SubgroupConstants",
    "XbarRLimits",
    "XbarSLimits",
    "ZeroVariationError",
    "adjusted_shewhart_k",
    "baseline_draws",
    "c4",
    "constants_for",
    "cusum",
    "cusum_arl",
    "describe_rate",
    "design_cusum",
    "design_ewma",
    "design_shewhart",
    "ewma",
    "ewma_arl",
    "individuals_limits",
    "lag1_autocorrelation",
    "lookback",
    "nelson_rules",
    "p_limits",
    "phase_one",
    "shewhart_arl",
    "target_arl",
    "western_electric_rules",
    "window_length",
    "xbar_r_limits",
    "xbar_s_limits",
    "xbar_s_limits_from_summaries",
]
