"""EWMA and CUSUM against the plain recursions, with their limit conventions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spc.engine import cusum, ewma

from .reference_rules import reference_cusum, reference_ewma

series = st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=0, max_size=400)


@settings(max_examples=150, deadline=None)
@given(series, st.floats(-100, 100), st.sampled_from([0.05, 0.1, 0.2, 0.3, 0.5, 1.0]))
def test_ewma_matches_the_recursion(values, target, lam):
    e = ewma(values, target, 1.0, lam=lam)
    want = reference_ewma(values, target, lam)
    np.testing.assert_allclose(e.statistic, want, rtol=1e-9, atol=1e-9)


def test_ewma_matches_the_recursion_over_many_blocks():
    x = np.random.default_rng(5).normal(size=10_007)
    e = ewma(x, 0.0, 1.0, lam=0.05)
    np.testing.assert_allclose(e.statistic, reference_ewma(x.tolist(), 0.0, 0.05), atol=1e-12)


def test_ewma_limits_are_exact_and_time_varying():
    e = ewma(np.zeros(50), 10.0, 2.0, lam=0.2, L=3.0)
    i = np.arange(1, 51)
    half = 3.0 * 2.0 * np.sqrt(0.2 / 1.8 * (1 - 0.8 ** (2 * i)))
    np.testing.assert_allclose(e.ucl, 10.0 + half)
    np.testing.assert_allclose(e.lcl, 10.0 - half)
    assert e.ucl[0] == pytest.approx(10.0 + 3.0 * 2.0 * 0.2)  # first point: L·σ·λ
    assert e.ucl[-1] == pytest.approx(10.0 + 6.0 * np.sqrt(0.2 / 1.8), rel=1e-9)


def test_ewma_flags_are_strict_and_catch_a_sustained_shift():
    x = np.r_[np.zeros(20), np.full(30, 2.0)]
    e = ewma(x, 0.0, 1.0, lam=0.2, L=3.0)
    assert not e.flags[:20].any() and e.flags[-1]
    # λ = 1 is a Shewhart chart: a value exactly on the limit is not flagged
    assert not ewma([3.0], 0.0, 1.0, lam=1.0, L=3.0).flags[0]
    assert ewma([3.0000001], 0.0, 1.0, lam=1.0, L=3.0).flags[0]


@settings(max_examples=150, deadline=None)
@given(series, st.floats(-10, 10), st.floats(0.1, 10), st.sampled_from([0.0, 0.25, 0.5, 1.0]))
def test_cusum_matches_the_recursion(values, target, sigma, k):
    c = cusum(values, target, sigma, k=k, h=5.0)
    up, lo = reference_cusum(values, target, sigma, k, 5.0)
    np.testing.assert_allclose(c.upper, up, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(c.lower, lo, rtol=1e-9, atol=1e-6)


def test_cusum_matches_the_recursion_over_many_blocks():
    x = np.random.default_rng(6).normal(0.3, 1.0, size=20_011)
    c = cusum(x, 0.0, 1.0)
    up, lo = reference_cusum(x.tolist(), 0.0, 1.0, 0.5, 5.0)
    np.testing.assert_allclose(c.upper, up, atol=1e-9)
    np.testing.assert_allclose(c.lower, lo, atol=1e-9)


def test_cusum_decision_interval_is_strict():
    # each point adds exactly 1 to C+ (x − (μ0 + K) = 1.5 − 0.5): 5 points reach H = 5
    c = cusum([1.5] * 6, 0.0, 1.0, k=0.5, h=5.0)
    assert c.upper.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert c.flags.tolist() == [False] * 5 + [True]
    assert c.decision_interval == 5.0
    d = cusum([-1.5] * 6, 0.0, 1.0)
    assert d.lower[-1] == 6.0 and d.flags[-1] and not d.upper.any()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lam": 0.0}, "lam"),
        ({"lam": 1.5}, "lam"),
        ({"L": -1.0}, "L"),
        ({"sigma": 0.0}, "sigma"),
        ({"target": float("nan")}, "target"),
    ],
)
def test_bad_ewma_parameters_are_refused(kwargs, message):
    args = {"target": 0.0, "sigma": 1.0} | kwargs
    with pytest.raises(ValueError, match=message):
        ewma([1.0, 2.0], **args)


def test_bad_cusum_parameters_are_refused():
    with pytest.raises(ValueError, match="h"):
        cusum([1.0], 0.0, 1.0, h=0.0)
    with pytest.raises(ValueError, match="k"):
        cusum([1.0], 0.0, 1.0, k=-0.5)
    with pytest.raises(ValueError, match="finite"):
        cusum([1.0, float("inf")], 0.0, 1.0)


def test_empty_series_give_empty_results():
    assert ewma([], 0.0, 1.0).statistic.shape == (0,)
    assert cusum([], 0.0, 1.0).flags.shape == (0,)
