"""Series too short, empty, constant, or otherwise unusual, through the rules."""

import numpy as np
import pytest

from spc.engine import ZeroVariationError, nelson_rules, western_electric_rules


def test_an_empty_series_gives_empty_flags():
    flags = nelson_rules([], 0.0, 1.0)
    assert set(flags) == set(range(1, 9))
    assert all(f.shape == (0,) and f.dtype == bool for f in flags.values())
    assert all(f.shape == (0,) for f in western_electric_rules([], 0.0, 1.0).values())


def test_a_single_point_can_only_break_rule_1():
    flags = nelson_rules([5.0], 0.0, 1.0)
    assert flags[1].tolist() == [True]
    assert not any(flags[r].any() for r in range(2, 9))


def test_a_series_shorter_than_every_window_flags_nothing_but_rule_1():
    flags = nelson_rules([1.5, 1.5], 0.0, 1.0)
    assert not any(f.any() for f in flags.values())


def test_a_constant_series_on_the_centre_line_breaks_only_rule_7():
    flags = nelson_rules([100.0] * 20, 100.0, 2.0)
    assert np.flatnonzero(flags[7]).tolist() == list(range(14, 20))
    assert not any(flags[r].any() for r in (1, 2, 3, 4, 5, 6, 8))


def test_zero_or_negative_sigma_is_refused():
    with pytest.raises(ZeroVariationError):
        nelson_rules([1.0, 2.0], 0.0, 0.0)
    with pytest.raises(ValueError):
        nelson_rules([1.0, 2.0], 0.0, [1.0, -1.0])


@pytest.mark.parametrize(
    "center, sigma, message",
    [
        ([0.0, 0.0], 1.0, "center"),
        (0.0, [1.0], "sigma"),
        (float("nan"), 1.0, "center"),
        (0.0, float("inf"), "sigma"),
        (np.zeros((3, 1)), 1.0, "center"),
    ],
)
def test_limits_of_the_wrong_shape_or_non_finite_are_refused(center, sigma, message):
    with pytest.raises(ValueError, match=message):
        nelson_rules([1.0, 2.0, 3.0], center, sigma)


def test_huge_values_are_compared_without_overflow():
    flags = nelson_rules([1e308, -1e308, 1e308], 0.0, 1e307)
    assert flags[1].tolist() == [True, True, True]
