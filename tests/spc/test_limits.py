"""Control limits: formulas, conventions, and refusal of bad input."""

import numpy as np
import pytest

from spc.engine import (
    Limits,
    ZeroVariationError,
    individuals_limits,
    nelson_rules,
    p_limits,
    xbar_r_limits,
    xbar_s_limits,
)


def test_individuals_limits_use_the_average_moving_range_over_1_128():
    x = [10.0, 12.0, 11.0, 15.0, 13.0]  # moving ranges 2, 1, 4, 2 -> MR̄ = 2.25
    lim = individuals_limits(x)
    assert isinstance(lim, Limits)
    assert lim.center == pytest.approx(12.2)
    assert lim.sigma == pytest.approx(2.25 / 1.128)
    assert lim.ucl == pytest.approx(12.2 + 3 * 2.25 / 1.128)
    assert lim.lcl == pytest.approx(12.2 - 3 * 2.25 / 1.128)
    # not the sample standard deviation
    assert lim.sigma != pytest.approx(np.std(x, ddof=1))


def test_median_moving_range_resists_one_wild_jump():
    x = [10.0, 11.0, 10.0, 11.0, 10.0, 60.0, 10.0, 11.0, 10.0]
    robust = individuals_limits(x, method="median_mr")
    assert robust.sigma == pytest.approx(1.0 / 0.954)
    assert individuals_limits(x).sigma > 10 * robust.sigma


def test_k_widens_the_limits():
    lim = individuals_limits([1.0, 2.0, 4.0], k=2.0)
    assert lim.ucl - lim.center == pytest.approx(2 * lim.sigma)


def test_limits_are_frozen():
    lim = individuals_limits([1.0, 2.0])
    with pytest.raises(AttributeError):
        lim.center = 0.0


@pytest.mark.parametrize("values", [[], [5.0]])
def test_fewer_than_two_baseline_points_are_refused(values):
    with pytest.raises(ValueError, match="at least 2"):
        individuals_limits(values)


def test_a_constant_baseline_raises_zero_variation():
    with pytest.raises(ZeroVariationError, match="no variation"):
        individuals_limits([250.0] * 30)
    # the error is a ValueError, so callers catching ValueError also catch it
    with pytest.raises(ValueError):
        individuals_limits([250, 250])


def test_median_mr_is_zero_when_most_consecutive_values_repeat():
    with pytest.raises(ZeroVariationError):
        individuals_limits([100, 100, 100, 101, 101, 101], method="median_mr")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_values_are_refused_with_their_index(bad):
    with pytest.raises(ValueError, match=r"values\[2\]"):
        individuals_limits([1.0, 2.0, bad, 3.0])
    with pytest.raises(ValueError, match=r"values\[1\]"):
        nelson_rules([1.0, bad], 0.0, 1.0)


def test_two_dimensional_input_is_refused_where_a_series_is_expected():
    with pytest.raises(ValueError, match="1-D"):
        individuals_limits([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="1-D"):
        nelson_rules(np.ones((3, 3)), 0.0, 1.0)


def test_non_numeric_input_is_refused():
    with pytest.raises(ValueError, match="numeric"):
        individuals_limits(["a", "b"])


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        individuals_limits([1.0, 2.0], method="stdev")


def test_huge_values_do_not_overflow():
    lim = individuals_limits([1e300, 1.1e300, 0.9e300, 1e300])
    assert np.isfinite([lim.center, lim.sigma, lim.ucl, lim.lcl]).all()


def test_integer_latencies_are_accepted():
    lim = individuals_limits(np.array([120, 130, 125, 140], dtype=np.int64))
    assert lim.center == pytest.approx(128.75)


def test_xbar_r_uses_sigma_over_root_n_for_the_xbar_zones():
    rng = np.random.default_rng(0)
    x = rng.normal(10, 2, size=(30, 4))
    xr = xbar_r_limits(x)
    rbar = np.ptp(x, axis=1).mean()
    assert xr.sigma == pytest.approx(rbar / 2.059)
    assert xr.xbar.sigma == pytest.approx(xr.sigma / 2)
    assert xr.xbar.ucl == pytest.approx(x.mean() + 3 * xr.sigma / 2)
    assert xr.r.ucl == pytest.approx(2.282 * rbar) and xr.r.lcl == 0.0
    np.testing.assert_allclose(xr.ranges, np.ptp(x, axis=1))


def test_xbar_r_lower_range_limit_is_positive_from_n_7():
    x = np.random.default_rng(1).normal(size=(10, 7))
    xr = xbar_r_limits(x)
    assert xr.r.lcl == pytest.approx(0.076 * xr.r.center)


def test_xbar_s_with_equal_sizes_given_as_a_list_matches_the_2d_array():
    x = np.random.default_rng(2).normal(size=(12, 6))
    a = xbar_s_limits(x)
    b = xbar_s_limits([row for row in x])
    assert a.xbar == b.xbar and a.s == b.s and a.sigma == b.sigma


def test_xbar_s_other_k_uses_the_formula_floored_at_zero():
    x = np.random.default_rng(3).normal(size=(12, 3))
    xs = xbar_s_limits(x, k=2.0)
    c4 = 0.8862
    assert xs.s.ucl == pytest.approx(xs.s.center * (1 + 2 * np.sqrt(1 - c4**2) / c4))
    assert xs.s.lcl == 0.0


@pytest.mark.parametrize(
    "subgroups, message",
    [
        (np.ones(10), "2-D"),
        (np.ones((1, 5)), "at least 2 subgroups"),
        (np.ones((5, 1)), "between 2 and 25"),
        (np.ones((5, 26)), "between 2 and 25"),
        ([[1.0, 2.0], [1.0, float("nan")]], "finite"),
    ],
)
def test_bad_subgroups_are_refused(subgroups, message):
    with pytest.raises(ValueError, match=message):
        xbar_r_limits(subgroups)
    with pytest.raises(ValueError, match=message):
        xbar_s_limits(subgroups)


def test_subgroups_without_spread_raise_zero_variation():
    with pytest.raises(ZeroVariationError):
        xbar_r_limits(np.ones((4, 5)))
    with pytest.raises(ZeroVariationError):
        xbar_s_limits([np.ones(3), np.ones(4)])


def test_p_limits_vary_with_subgroup_size_and_floor_the_lcl_at_zero():
    d = np.array([5, 2, 30, 4])
    n = np.array([100, 20, 400, 50])
    pl = p_limits(d, n)
    pbar = d.sum() / n.sum()
    assert pl.center == pytest.approx(pbar)
    np.testing.assert_allclose(pl.sigma, np.sqrt(pbar * (1 - pbar) / n))
    np.testing.assert_allclose(pl.ucl, pbar + 3 * pl.sigma)
    np.testing.assert_allclose(pl.lcl, np.maximum(0, pbar - 3 * pl.sigma))
    assert pl.lcl[1] == 0.0 and pl.lcl[2] > 0
    np.testing.assert_allclose(pl.proportions, d / n)
    # per-point sigma drives the rules: the same proportion is out at n=400, in at n=20
    flags = nelson_rules([0.2, 0.2], pl.center, pl.sigma[[1, 2]], rules=(1,))
    assert flags[1].tolist() == [False, True]


@pytest.mark.parametrize(
    "d, n, message",
    [
        ([1, 2], [10], "same length"),
        ([1], [10], "at least 2"),
        ([1, 2], [10, 0], "> 0"),
        ([1, 11], [10, 10], "defectives"),
        ([-1, 1], [10, 10], "defectives"),
    ],
)
def test_bad_p_input_is_refused(d, n, message):
    with pytest.raises(ValueError, match=message):
        p_limits(d, n)


def test_a_baseline_without_errors_raises_zero_variation():
    with pytest.raises(ZeroVariationError, match="p-bar"):
        p_limits([0, 0, 0], [50, 50, 50])
