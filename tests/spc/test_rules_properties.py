"""The vectorized rules must agree exactly with the plain loop-based reference."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spc.engine import nelson_rules, western_electric_rules

from .reference_rules import reference_nelson, reference_western_electric

# Small integers and half-steps around centre 0 / sigma 1 land exactly on the centre line and
# on every zone line, and repeat often (ties); long lists give runs and trends.
grid_values = st.lists(
    st.integers(min_value=-8, max_value=8).map(lambda v: v / 2), min_size=0, max_size=80
)
integer_values = st.lists(st.integers(min_value=95, max_value=105), min_size=0, max_size=80)
float_values = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=0,
    max_size=60,
)
params_strategy = st.fixed_dictionaries(
    {},
    optional={
        1: st.sampled_from([1.5, 2.0, 3.0]),
        2: st.integers(1, 10),
        3: st.integers(2, 8),
        4: st.integers(3, 15),
        5: st.integers(1, 20),
        6: st.integers(1, 20),
        7: st.integers(1, 16),
        8: st.integers(1, 9),
    },
)


def assert_same(values, center, sigma, params=None, both=False):
    got = nelson_rules(values, center, sigma, params=params, rule8_both_sides=both)
    want = reference_nelson(values, center, sigma, params=params, rule8_both_sides=both)
    for rule in range(1, 9):
        np.testing.assert_array_equal(got[rule], np.array(want[rule], dtype=bool), f"rule {rule}")


@settings(max_examples=300, deadline=None)
@given(grid_values, params_strategy, st.booleans())
def test_grid_values_on_zone_lines(values, params, both):
    assert_same(values, 0.0, 1.0, params, both)


@settings(max_examples=200, deadline=None)
@given(integer_values, st.sampled_from([1.0, 1.5, 2.0]), params_strategy)
def test_whole_millisecond_latencies(values, sigma, params):
    assert_same(values, 100, sigma, params)


@settings(max_examples=200, deadline=None)
@given(float_values, st.floats(-1e3, 1e3), st.floats(1e-3, 1e6))
def test_arbitrary_floats(values, center, sigma):
    assert_same(values, center, sigma)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_per_point_limits(data):
    n = data.draw(st.integers(0, 60))
    values = data.draw(st.lists(st.integers(-6, 6).map(float), min_size=n, max_size=n))
    center = data.draw(st.lists(st.integers(-2, 2).map(float), min_size=n, max_size=n))
    sigma = data.draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=n, max_size=n))
    params = data.draw(params_strategy)
    assert_same(values, np.array(center), np.array(sigma), params)


@settings(max_examples=100, deadline=None)
@given(grid_values)
def test_western_electric_matches_reference(values):
    got = western_electric_rules(values, 0.0, 1.0)
    want = reference_western_electric(values, 0.0, 1.0)
    for rule in range(1, 5):
        np.testing.assert_array_equal(got[rule], np.array(want[rule], dtype=bool))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from([1e300, -1e300, 5e299, 0.0, 1e308]), max_size=40))
def test_huge_values(values):
    assert_same(values, 0.0, 1e299)


def test_long_random_series_agree():
    # a few long series exercise windows far from the start
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = np.round(rng.normal(size=3000) * 2) / 2
        assert_same(x.tolist(), 0.0, 1.0)
