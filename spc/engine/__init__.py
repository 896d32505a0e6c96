"""LLMscope's SPC engine: numpy arrays in, numpy arrays out, no Django, no loops over points.

Public API::

    from spc.engine import (
        Limits, individuals_limits, xbar_r_limits, xbar_s_limits, p_limits,
        nelson_rules, western_electric_rules, ewma, cusum, phase_one,
    )

Every statistical convention is stated in the docstring of the function that applies it;
the zone and flag conventions shared by all rules are in :mod:`spc.engine.rules`.
"""

from ._validation import ZeroVariationError
from .baseline import phase_one
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
    "SubgroupConstants",
    "XbarRLimits",
    "XbarSLimits",
    "ZeroVariationError",
    "c4",
    "constants_for",
    "cusum",
    "ewma",
    "individuals_limits",
    "lookback",
    "nelson_rules",
    "p_limits",
    "phase_one",
    "western_electric_rules",
    "window_length",
    "xbar_r_limits",
    "xbar_s_limits",
    "xbar_s_limits_from_summaries",
]
