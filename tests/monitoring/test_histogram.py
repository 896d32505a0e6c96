"""The rollup histogram's percentiles are within its stated relative error."""

import random

from hypothesis import given
from hypothesis import strategies as st

from monitoring.histogram import RELATIVE_ERROR, bucket_of, nearest_rank, percentiles


@given(st.lists(st.floats(min_value=0.01, max_value=600_000), min_size=1, max_size=300))
def test_percentiles_are_within_the_stated_error(values):
    counts = {}
    for value in values:
        counts[bucket_of(value)] = counts.get(bucket_of(value), 0) + 1
    estimates = percentiles(counts, [0.5, 0.95, 0.99, 1.0])
    for q, estimate in estimates.items():
        exact = nearest_rank(values, q)
        assert abs(estimate - exact) <= RELATIVE_ERROR * exact * (1 + 1e-9)


def test_zero_is_its_own_bucket():
    assert percentiles({bucket_of(0.0): 3}, [0.5]) == {0.5: 0.0}
    assert percentiles({}, [0.5]) == {0.5: None}


def test_merging_is_adding_counts():
    rng = random.Random(1)
    values = [rng.lognormvariate(5, 1) for _ in range(2000)]
    merged = {}
    for value in values:
        merged[bucket_of(value)] = merged.get(bucket_of(value), 0) + 1
    assert sum(merged.values()) == 2000
    p99 = percentiles(merged, [0.99])[0.99]
    assert abs(p99 - nearest_rank(values, 0.99)) <= RELATIVE_ERROR * p99 * 1.0001
