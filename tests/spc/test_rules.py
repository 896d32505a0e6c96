"""One hand-built series per rule convention (centre 0, sigma 1 unless stated)."""

import numpy as np
import pytest

from spc.engine import lookback, nelson_rules, western_electric_rules, window_length


def flagged(values, rule, center=0.0, sigma=1.0, **kwargs):
    """Indices flagged by one Nelson rule."""
    flags = nelson_rules(values, center, sigma, rules=(rule,), **kwargs)
    return np.flatnonzero(flags[rule]).tolist()


def test_rule1_is_strict_beyond_three_sigma():
    assert flagged([0, 3.0, 3.0000001, -3.0, -3.5], 1) == [2, 4]


def test_rule1_k_is_settable():
    assert flagged([0, 2.5, -2.1, 1.9], 1, params={1: 2.0}) == [1, 2]


def test_a_point_exactly_on_a_line_is_judged_by_the_line_not_by_a_z_score():
    # 0.7 + 2 * 0.15 == 1.0 in floats, but (1.0 - 0.7) / 0.15 == 2.0000000000000004: a z-score
    # would put the point beyond 2 sigma; compared with the line it is on it, hence inside.
    center, sigma = 0.7, 0.15
    x = center + 2 * sigma
    assert x == 1.0 and (x - center) / sigma > 2
    assert flagged([x, center, x], 5, center, sigma) == []
    # one ulp further out is beyond
    beyond = np.nextafter(x, np.inf)
    assert flagged([beyond, center, beyond], 5, center, sigma) == [2]


def test_rule2_a_21_point_run_flags_points_9_to_21():
    assert flagged([1.0] * 21, 2) == list(range(8, 21))
    assert flagged([-0.5] * 21, 2) == list(range(8, 21))


def test_rule2_a_point_on_the_centre_line_breaks_the_run():
    # whole-millisecond latencies often sit exactly on an integer centre line
    series = [101] * 8 + [100] + [101] * 9
    assert flagged(series, 2, center=100, sigma=2) == [17]
    assert flagged([101] * 8 + [100] + [101] * 8, 2, center=100, sigma=2) == []


def test_rule2_needs_a_full_window_and_one_side():
    assert flagged([1.0] * 8, 2) == []
    assert flagged([1.0] * 4 + [-1.0] + [1.0] * 4, 2) == []


def test_rule3_six_points_five_strict_increases_from_the_very_start():
    assert flagged([1, 2, 3, 4, 5, 6], 3) == [5]
    assert flagged([6, 5, 4, 3, 2, 1, 0], 3) == [5, 6]
    assert flagged([1, 2, 3, 4, 5], 3) == []


def test_rule3_a_tie_breaks_the_trend():
    assert flagged([1, 2, 3, 3, 4, 5, 6, 7], 3) == []
    assert flagged([1, 2, 3, 3, 4, 5, 6, 7, 8], 3) == [8]


def test_rule4_fourteen_alternating_points():
    series = [0.0, 1.0] * 7
    assert flagged(series, 4) == [13]
    assert flagged([*series, 0.0], 4) == [13, 14]
    assert flagged(series[:13], 4) == []


def test_rule4_a_tie_breaks_the_alternation():
    series = [0.0, 1.0] * 3 + [1.0] + [0.0, 1.0] * 4
    assert flagged(series, 4) == []


def test_rule5_a_point_exactly_on_two_sigma_is_not_beyond():
    assert flagged([2.0, 2.0, 2.0], 5) == []
    assert flagged([2.5, 0.0, 2.5], 5) == [2]


def test_rule5_the_flagged_point_is_one_of_the_two():
    assert flagged([0.0, 2.5, 2.5, 0.0], 5) == [2]
    assert flagged([2.5, 2.5, 0.0, 0.0], 5) == []  # window at index 1 is not yet full


def test_rule5_same_side_only_and_beyond_three_sigma_counts():
    assert flagged([2.5, -2.5, 0.0, -2.1], 5) == [3]
    assert flagged([2.5, -2.5, 0.0], 5) == []
    assert flagged([0.0, 3.5, 2.1], 5) == [2]


def test_rule6_four_of_five_beyond_one_sigma():
    assert flagged([1.5, 1.5, 1.5, 0.0, 1.5], 6) == [4]
    assert flagged([1.0, 1.0, 1.0, 1.0, 1.0], 6) == []  # on the 1-sigma line: inner zone
    assert flagged([-1.5, -1.5, 0.0, -1.5, -1.5, -1.1], 6) == [4, 5]


def test_rule7_fifteen_within_one_sigma_inclusive():
    series = [1.0, -1.0, 0.5] * 5
    assert flagged(series, 7) == [14]
    series[7] = 1.0000001
    assert flagged(series, 7) == []


def test_rule8_one_sided_versus_both_sides():
    one_side = [1.5] * 8
    both = [1.5, -1.5] * 4
    assert flagged(one_side, 8) == [7]
    assert flagged(both, 8) == [7]
    assert flagged(one_side, 8, rule8_both_sides=True) == []
    assert flagged(both, 8, rule8_both_sides=True) == [7]
    assert flagged([1.5] * 3 + [1.0] + [1.5] * 4, 8) == []  # on the line breaks the run


def test_a_point_breaking_several_rules_is_flagged_by_each():
    series = [0.2] * 4 + [0.3, 0.4, 0.5, 0.6, 2.5, 3.5]
    flags = nelson_rules(series, 0.0, 1.0)
    assert {rule for rule, f in flags.items() if f[-1]} == {1, 2, 3, 5}


def test_every_rule_defaults_to_minitab_k():
    defaults = {1: 1, 2: 9, 3: 6, 4: 14, 5: 3, 6: 5, 7: 15, 8: 8}
    assert {r: window_length(r) for r in range(1, 9)} == defaults
    assert lookback() == 14


def test_params_override_k():
    assert flagged([1.0] * 7, 2, params={2: 7}) == [6]
    assert flagged([1, 2, 3, 4, 5, 6, 7], 3, params={3: 7}) == [6]
    assert flagged([2.5, 2.5, 2.5, 0.0], 5, params={5: 3}) == []
    assert flagged([0.0, 2.5, 2.5, 2.5], 5, params={5: 3}) == [3]
    assert window_length(5, {5: 3}) == 4


def test_per_point_limits_move_the_zones():
    values = [5.0, 5.0, 5.0]
    center = [0.0, 0.0, 4.0]
    sigma = [1.0, 2.0, 1.0]
    assert flagged(values, 1, center, sigma) == [0]


def test_only_requested_rules_are_returned_in_order():
    flags = nelson_rules([0.0] * 20, 0.0, 1.0, rules=(5, 1))
    assert list(flags) == [5, 1]
    assert all(f.dtype == bool and f.shape == (20,) for f in flags.values())


def test_lookback_gives_new_points_the_full_history_flags():
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=400) * 2) / 2
    full = nelson_rules(x, 0.0, 1.0)
    back = lookback()
    for split in (14, 50, 201, 399):
        tail = nelson_rules(x[split - back :], 0.0, 1.0)
        for rule in full:
            np.testing.assert_array_equal(tail[rule][back:], full[rule][split:])


def test_western_electric_maps_to_nelson_and_rule4_is_eight_on_one_side():
    assert np.flatnonzero(western_electric_rules([0.5] * 10, 0.0, 1.0)[4]).tolist() == [7, 8, 9]
    series = [0.0, 2.5, 2.5, 1.5, 1.5, 1.5, 3.5]
    we = western_electric_rules(series, 0.0, 1.0)
    ne = nelson_rules(series, 0.0, 1.0)
    np.testing.assert_array_equal(we[1], ne[1])
    np.testing.assert_array_equal(we[2], ne[5])
    np.testing.assert_array_equal(we[3], ne[6])
    assert we[2].any() and we[3].any()


def test_unknown_rules_and_bad_params_are_refused():
    with pytest.raises(ValueError, match="unknown rule"):
        nelson_rules([1.0], 0.0, 1.0, rules=(9,))
    with pytest.raises(ValueError, match="unknown rule"):
        nelson_rules([1.0], 0.0, 1.0, params={0: 3})
    with pytest.raises(ValueError, match="integer"):
        nelson_rules([1.0], 0.0, 1.0, params={2: 2.5})
    with pytest.raises(ValueError, match=">= 3"):
        nelson_rules([1.0], 0.0, 1.0, params={4: 2})
    with pytest.raises(ValueError, match="> 0"):
        nelson_rules([1.0], 0.0, 1.0, params={1: 0})
    with pytest.raises(ValueError, match="unknown rule"):
        western_electric_rules([1.0], 0.0, 1.0, rules=(5,))
