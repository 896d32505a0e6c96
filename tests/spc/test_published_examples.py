# ruff: noqa: RUF002, RUF003 -- statistical notation (σ, −, x̄) is intended
"""The engine against published worked examples, to the digits the sources print.

Sources (data and printed results were read from these; nothing here is computed by us and
then pasted back as "expected"):

- NIST/SEMATECH e-Handbook of Statistical Methods, §6.3.2.2 "Individuals Control Charts",
  https://www.itl.nist.gov/div898/handbook/pmc/section3/pmc322.htm — 10 batches of flow
  rate; printed x̄ = 50.81, MR̄ = 1.8778, UCL = 55.8041, LCL = 45.8159, process in control.
- NIST/SEMATECH e-Handbook §6.3.2.4 "EWMA Control Charts",
  https://www.itl.nist.gov/div898/handbook/pmc/section3/pmc324.htm — 20 observations,
  λ = 0.3, target 50, s = 2.0539, L = 3; the 20 EWMA values printed to 2 dp and steady-state
  limits UCL = 52.5884, LCL = 47.4115 (the page truncates the factor to 0.4201, hence 3 dp).
- Montgomery, *Introduction to Statistical Quality Control*, viscosity of an aircraft primer
  paint (individuals chart, 15 phase-I batches), as shipped in the examples of the R package
  qcc ("viscosity data (Montgomery, pag. 242)"); qcc's published output for it:
  centre 33.52333, σ = 0.4261651 (MR̄/1.128), limits 32.24484 and 34.80183.
- Montgomery, Table 6.3: inside diameters of 25 samples of 5 piston rings, with each
  sample's x̄ᵢ (3 dp) and sᵢ (4 dp) printed; Table 6.4: the same data with some
  observations missing (sizes 3–5), again with x̄ᵢ and sᵢ printed. The printed x̿ of Table
  6.3 is 74.001 (also quoted by the IMSL C# XbarS example, "Montgomery 215"); the book's
  exercise on Table 6.3 ("set up x̄ and R control charts … the control limits on the x̄
  chart in part (a) are identical to the control limits on the x̄ chart in Example 6.3,
  where the limits were based on s") states that R- and s-based X̄ limits agree at the
  printed precision. Table transcriptions read from public reproductions of the book's
  exercises (transtutors / solutioninn pages); all 25 × 5 values agree with the copy of
  the data in public R code, and every printed x̄ᵢ and sᵢ is reproduced below.
"""

import numpy as np
import pytest

from spc.engine import ewma, individuals_limits, nelson_rules, xbar_r_limits, xbar_s_limits

NIST_FLOW_RATE = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]

NIST_EWMA_DATA = [52.0, 47.0, 53.0, 49.3, 50.1, 47.0, 51.0, 50.1, 51.2, 50.5,
                  49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]  # fmt: skip
NIST_EWMA_PRINTED = [
    50.60, 49.52, 50.56, 50.18, 50.16, 49.21, 49.75, 49.85, 50.26, 50.33,
    50.11, 49.36, 49.52, 50.05, 49.38, 49.92, 50.73, 51.23, 51.94, 51.99,
]  # fmt: skip

VISCOSITY = [33.75, 33.05, 34.00, 33.81, 33.46, 34.02, 33.68, 33.27, 33.49, 33.20,
             33.62, 33.00, 33.54, 33.12, 33.84]  # fmt: skip

PISTON_RINGS = [  # Montgomery Table 6.3
    [74.030, 74.002, 74.019, 73.992, 74.008],
    [73.995, 73.992, 74.001, 74.011, 74.004],
    [73.988, 74.024, 74.021, 74.005, 74.002],
    [74.002, 73.996, 73.993, 74.015, 74.009],
    [73.992, 74.007, 74.015, 73.989, 74.014],
    [74.009, 73.994, 73.997, 73.985, 73.993],
    [73.995, 74.006, 73.994, 74.000, 74.005],
    [73.985, 74.003, 73.993, 74.015, 73.988],
    [74.008, 73.995, 74.009, 74.005, 74.004],
    [73.998, 74.000, 73.990, 74.007, 73.995],
    [73.994, 73.998, 73.994, 73.995, 73.990],
    [74.004, 74.000, 74.007, 74.000, 73.996],
    [73.983, 74.002, 73.998, 73.997, 74.012],
    [74.006, 73.967, 73.994, 74.000, 73.984],
    [74.012, 74.014, 73.998, 73.999, 74.007],
    [74.000, 73.984, 74.005, 73.998, 73.996],
    [73.994, 74.012, 73.986, 74.005, 74.007],
    [74.006, 74.010, 74.018, 74.003, 74.000],
    [73.984, 74.002, 74.003, 74.005, 73.997],
    [74.000, 74.010, 74.013, 74.020, 74.003],
    [73.982, 74.001, 74.015, 74.005, 73.996],
    [74.004, 73.999, 73.990, 74.006, 74.009],
    [74.010, 73.989, 73.990, 74.009, 74.014],
    [74.015, 74.008, 73.993, 74.000, 74.010],
    [73.982, 73.984, 73.995, 74.017, 74.013],
]

# Table 6.3, samples 1–16 as printed (x̄ᵢ to 3 dp, sᵢ to 4 dp).
TABLE_6_3_PRINTED = [
    (74.010, 0.0148), (74.001, 0.0075), (74.008, 0.0147), (74.003, 0.0091),
    (74.003, 0.0122), (73.996, 0.0087), (74.000, 0.0055), (73.997, 0.0123),
    (74.004, 0.0055), (73.998, 0.0063), (73.994, 0.0029), (74.001, 0.0042),
    (73.998, 0.0105), (73.990, 0.0153), (74.006, 0.0073), (73.997, 0.0078),
]  # fmt: skip

# Table 6.4, samples 1–22 as printed: (x̄ᵢ, sᵢ, nᵢ); the missing observations are the last
# ones of each sample.
TABLE_6_4_PRINTED = [
    (74.010, 0.0148, 5), (73.996, 0.0046, 3), (74.008, 0.0147, 5), (74.003, 0.0091, 5),
    (74.003, 0.0122, 5), (73.996, 0.0099, 4), (73.999, 0.0055, 4), (73.997, 0.0123, 5),
    (74.004, 0.0064, 4), (73.998, 0.0063, 5), (73.994, 0.0029, 5), (74.001, 0.0042, 5),
    (73.994, 0.0100, 3), (73.990, 0.0153, 5), (74.008, 0.0087, 3), (73.997, 0.0078, 5),
    (73.999, 0.0115, 4), (74.007, 0.0070, 5), (73.998, 0.0085, 5), (74.008, 0.0068, 3),
    (74.000, 0.0122, 5), (74.002, 0.0074, 5),
]  # fmt: skip


def test_nist_flow_rate_individuals_chart():
    lim = individuals_limits(NIST_FLOW_RATE)
    assert round(lim.center, 2) == 50.81
    assert round(lim.sigma * 1.128, 4) == 1.8778  # MR̄
    assert round(lim.ucl, 4) == 55.8041
    assert round(lim.lcl, 4) == 45.8159
    # "the process is in control": no point beyond the limits
    assert not nelson_rules(NIST_FLOW_RATE, lim.center, lim.sigma, rules=(1,))[1].any()


def test_nist_ewma_example():
    e = ewma(NIST_EWMA_DATA, target=50.0, sigma=2.0539, lam=0.3, L=3.0)
    assert np.round(e.statistic, 2).tolist() == NIST_EWMA_PRINTED
    # by point 20 the exact limits have converged to the printed steady-state ones
    assert e.ucl[-1] == pytest.approx(52.5884, abs=1e-3)
    assert e.lcl[-1] == pytest.approx(47.4115, abs=1e-3)
    assert not e.flags.any()  # "all EWMA_t lie between the control limits"


def test_montgomery_viscosity_individuals_chart():
    lim = individuals_limits(VISCOSITY)
    assert lim.center == pytest.approx(33.52333, abs=5e-6)
    assert lim.sigma == pytest.approx(0.4261651, abs=5e-8)
    assert lim.lcl == pytest.approx(32.24484, abs=5e-6)
    assert lim.ucl == pytest.approx(34.80183, abs=5e-6)


def test_montgomery_piston_rings_subgroup_statistics_match_table_6_3():
    xs = xbar_s_limits(np.array(PISTON_RINGS))
    xr = xbar_r_limits(np.array(PISTON_RINGS))
    for i, (mean, s) in enumerate(TABLE_6_3_PRINTED):
        assert round(float(xs.means[i]), 3) == mean, f"sample {i + 1}"
        assert round(float(xs.stds[i]), 4) == s, f"sample {i + 1}"
    np.testing.assert_array_equal(xr.means, xs.means)
    assert round(xr.xbar.center, 3) == 74.001
    assert round(xs.xbar.center, 3) == 74.001


def test_montgomery_piston_rings_r_and_s_based_xbar_limits_agree_at_printed_precision():
    xr = xbar_r_limits(np.array(PISTON_RINGS))
    xs = xbar_s_limits(np.array(PISTON_RINGS))
    assert round(xr.xbar.ucl, 3) == round(xs.xbar.ucl, 3)
    assert round(xr.xbar.lcl, 3) == round(xs.xbar.lcl, 3)
    # and both are the tabled-constant formulas x̿ ± A2·R̄ and x̿ ± A3·s̄ (A2, A3 to 3 dp)
    assert xr.xbar.ucl == pytest.approx(xr.xbar.center + 0.577 * xr.r.center, abs=1e-5)
    assert xs.xbar.ucl == pytest.approx(xs.xbar.center + 1.427 * xs.s.center, abs=1e-5)
    assert xr.r.ucl == pytest.approx(2.114 * xr.r.center) and xr.r.lcl == 0.0
    assert xs.s.ucl == pytest.approx(2.089 * xs.s.center) and xs.s.lcl == 0.0


def test_montgomery_piston_rings_varying_sizes_match_table_6_4():
    groups = [np.array(PISTON_RINGS[i][:n]) for i, (_, _, n) in enumerate(TABLE_6_4_PRINTED)]
    groups += [np.array(row) for row in PISTON_RINGS[len(TABLE_6_4_PRINTED) :]]
    xs = xbar_s_limits(groups)
    for i, (mean, s, n) in enumerate(TABLE_6_4_PRINTED):
        assert xs.sizes[i] == n
        assert round(float(xs.means[i]), 3) == mean, f"sample {i + 1}"
        assert round(float(xs.stds[i]), 4) == s, f"sample {i + 1}"
    # limits vary with the size: a subgroup of 3 gets wider X̄ limits than one of 5
    assert xs.xbar.ucl[1] - xs.xbar.center == pytest.approx(1.954 * xs.s.center, abs=1e-5)
    assert xs.xbar.ucl[0] - xs.xbar.center == pytest.approx(1.427 * xs.s.center, abs=1e-5)
    assert xs.s.ucl[1] == pytest.approx(2.568 * xs.s.center)
