"""Phase I baseline: drop flagged points, recompute, repeat until stable."""

import numpy as np
import pytest

from spc.engine import ZeroVariationError, individuals_limits, phase_one


def test_an_in_control_baseline_keeps_every_point():
    x = np.random.default_rng(0).normal(100, 5, size=100)
    lim, kept = phase_one(x)
    assert kept.all()
    assert lim == individuals_limits(x)


def test_outliers_are_dropped_and_limits_recomputed_from_the_rest():
    x = np.tile([98.0, 103.0, 101.0], 20)
    x[[10, 40]] = [400.0, 350.0]
    lim, kept = phase_one(x)
    assert not kept[10] and not kept[40]
    assert kept.sum() == 58
    assert lim == individuals_limits(x[kept])
    assert lim.ucl < 350.0


def test_iterates_until_no_kept_point_is_flagged():
    # the big spike hides the smaller one in round 1; round 2 exposes it
    x = np.r_[np.tile([10.0, 11.0], 15), 200.0, np.tile([10.0, 11.0], 15), 16.0, 10.0]
    lim, kept = phase_one(x)
    assert not kept[30] and not kept[61]
    assert kept.sum() == x.size - 2
    assert not (x[kept] > lim.ucl).any()


def test_max_iter_bounds_the_rounds():
    x = np.r_[np.tile([10.0, 11.0], 15), 200.0, np.tile([10.0, 11.0], 15), 16.0, 10.0]
    lim, kept = phase_one(x, max_iter=1)
    assert not kept[30] and kept[61]
    assert lim == individuals_limits(x[kept])


def test_other_rules_can_exclude_points():
    x = np.r_[np.tile([9.0, 11.0], 20), np.full(9, 10.5)]
    _, kept_rule1 = phase_one(x, rules=(1,))
    _, kept_rule2 = phase_one(x, rules=(1, 2), params={2: 9})
    assert kept_rule1.all()
    assert not kept_rule2[-1]


def test_kept_is_a_mask_as_long_as_the_values():
    _, kept = phase_one([1.0, 2.0, 3.0, 2.0])
    assert kept.dtype == bool and kept.shape == (4,)


def test_refuses_baselines_it_cannot_use():
    with pytest.raises(ValueError, match="at least 2"):
        phase_one([1.0])
    with pytest.raises(ZeroVariationError):
        phase_one([5.0] * 10)
    with pytest.raises(ValueError, match="max_iter"):
        phase_one([1.0, 2.0], max_iter=0)
