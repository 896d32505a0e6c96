"""X̄-S limits from per-subgroup summaries agree with the raw-data engine."""

import numpy as np
import pytest

from spc.engine import ZeroVariationError, xbar_s_limits
from spc.engine.constants import constants_for
from spc.engine.limits import c4, xbar_s_limits_from_summaries


def test_c4_matches_the_table_and_continues_smoothly_beyond_it():
    assert c4(5) == pytest.approx(constants_for(5).c4)
    assert c4(25) == pytest.approx(constants_for(25).c4)
    assert constants_for(25).c4 < c4(26) < c4(1000) < 1.0
    assert c4(1000) == pytest.approx(0.99975, abs=1e-5)


@pytest.mark.parametrize("sizes", [[5] * 20, [3, 5, 4, 5, 2, 5, 5, 4, 3, 5]])
def test_summaries_give_the_same_centre_and_sigma_as_raw_subgroups(sizes):
    rng = np.random.default_rng(4)
    groups = [rng.normal(10, 2, size=n) for n in sizes]
    raw = xbar_s_limits(groups)
    means = [g.mean() for g in groups]
    stds = [g.std(ddof=1) for g in groups]
    summary = xbar_s_limits_from_summaries(means, stds, sizes)
    assert summary.center == pytest.approx(raw.xbar.center)
    n_bar = round(np.mean(sizes))
    # Process sigma at the typical size: s̄ / c4(n̄) with the same pooled s̄.
    expected_sigma = (
        np.sqrt(
            sum((n - 1) * s**2 for n, s in zip(sizes, stds, strict=True))
            / sum(n - 1 for n in sizes)
        )
        / constants_for(n_bar).c4
    )
    assert summary.sigma == pytest.approx(expected_sigma)
    assert summary.ucl == pytest.approx(summary.center + 3 * summary.sigma / np.sqrt(n_bar))


def test_large_subgroups_recover_the_process_sigma():
    rng = np.random.default_rng(9)
    groups = [rng.normal(100, 5, size=2000) for _ in range(25)]
    lim = xbar_s_limits_from_summaries(
        [g.mean() for g in groups], [g.std(ddof=1) for g in groups], [2000] * 25
    )
    assert lim.sigma == pytest.approx(5, rel=0.02)
    assert lim.center == pytest.approx(100, abs=0.1)


def test_bad_summaries_are_refused():
    with pytest.raises(ValueError, match="same length"):
        xbar_s_limits_from_summaries([1, 2], [1], [5, 5])
    with pytest.raises(ValueError, match="size of at least 2"):
        xbar_s_limits_from_summaries([1, 2], [1, 1], [1, 5])
    with pytest.raises(ZeroVariationError):
        xbar_s_limits_from_summaries([1, 2], [0, 0], [5, 5])
