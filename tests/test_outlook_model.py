"""The outlook's method (app.analytics.outlook), pure: a worked example by hand, the band's order, the
probability's edge cases, a seller who joined mid-year, the basis, the errors it learns from, and
the backtest's counts."""

import math

import numpy as np
import pytest

from app.analytics import outlook as model

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
EVEN = model.profile_weights([1.0] * 12, MONTHS)
FLAT = model.Method(half_life=1e12)  # λ = 1: every month weighs the same, so the example adds up by hand


def pool(rel: list[float], var: list[float] | None = None, horizons: int = 12) -> model.Pool:
    """The same errors at every horizon."""
    r = np.array(rel, dtype="float64")
    v = np.zeros(len(r)) if var is None else np.array(var, dtype="float64")
    return model.Pool([(r, v)] * horizons)


# 100 errors: 50 of −30 %, 50 of +30 %, no noise of their own: δ² = 0.09 and z = ±1
SYMMETRIC = pool([-0.3] * 50 + [0.3] * 50)


def one_unit(actual: list[float], *, upto: int, target: float, first: int = 0, to_date: float | None = None,
             p: model.Pool = SYMMETRIC, method: model.Method = FLAT) -> model.Outlook:
    row = np.array([actual + [0.0] * (12 - len(actual))], dtype="float64")
    done = float(sum(actual[: upto + 1])) if to_date is None else to_date
    return model.outlook(row, np.array([first]), EVEN, upto=upto, year_end=11, to_date=np.array([done]),
                         target=np.array([target]), pool=p, method=method)


def test_worked_example_by_hand():
    """January 100, February 200, March 300, as of March, even months, every month weighing the same:

    level L = (100 + 200 + 300) / (3/12) = 2,400 a year; the nine months left: F = 2,400 × 9/12 = 1,800;
    the year lands at 600 + 1,800 = 2,400 (p50: the errors' median z is 0).
    Noise: each month against L × 1/12 = 200: −50 %, 0, +50 %: s² = (0.25 + 0 + 0.25) / 3 = 1/6; from
    three months (n_eff 3) for nine ahead (h_eff 9): s² (1/9 + 1/3) = 2/27.
    Drift from the errors: δ² = 0.09 (each e² is 0.09, none of noise): σ = 1,800 × √(2/27 + 0.09)
    = 1,800 × 0.40506 = 729.11; z = ±0.3 / 0.3 = ±1, so q10 = −1 and q90 = +1:
    p10 = 2,400 − 729.11 = 1,670.89, p90 = 3,129.11.
    Target 3,000: the year needs 600 over the p50, z ≥ 600 / 729.11 = 0.82: half the errors: 0.5."""
    o = one_unit([100, 200, 300], upto=2, target=3000)
    sigma = 1800 * math.sqrt(2 / 27 + 0.09)
    assert sigma == pytest.approx(729.11, abs=0.01)
    assert o.quantiles[0] == pytest.approx([2400 - sigma, 2400, 2400 + sigma])
    assert o.quantiles[0][0] == pytest.approx(1670.89, abs=0.01)
    assert o.probability[0] == pytest.approx(0.5)
    assert o.basis[0] == "profile"  # three months of its own
    assert o.band == "empirical"
    # the fan: after h of the nine months, to date + 200 h, its spread from h months ahead
    for h in (1, 4, 9):
        f = 200 * h
        s = f * math.sqrt((1 / 6) * (1 / h + 1 / 3) + 0.09)
        assert o.path[0, h - 1] == pytest.approx([600 + f - s, 600 + f, 600 + f + s])


def test_the_level_weighs_recent_months_by_the_half_life():
    """Half-life one month: λ = 0.5. Months 100, 100, 400 as of the third: L = (0.25·100 + 0.5·100 + 400)
    / ((0.25 + 0.5 + 1) / 12) = 475 / 0.14583 = 3,257.14 a year; nine months left: 2,442.86."""
    o = one_unit([100, 100, 400], upto=2, target=1e9, method=model.Method(half_life=1.0))
    level = (0.25 * 100 + 0.5 * 100 + 400) / ((0.25 + 0.5 + 1) / 12)
    assert level == pytest.approx(3257.142857)
    assert o.quantiles[0][1] == pytest.approx(600 + level * 9 / 12)


def test_the_probability_edge_cases():
    # reached already: 1, whatever the months left
    assert one_unit([100, 200, 300], upto=2, target=500).probability[0] == 1.0
    # no target: none
    assert np.isnan(one_unit([100, 200, 300], upto=2, target=np.nan).probability[0])
    # every error says it gets there, but it is not there yet: short of 1 (n / (n + 1) from 100 errors)
    assert one_unit([100, 200, 300], upto=2, target=700).probability[0] == pytest.approx(100 / 101)
    # no error says it gets there: more than 0 (1 / (n + 1))
    assert one_unit([100, 200, 300], upto=2, target=1e6).probability[0] == pytest.approx(1 / 101)
    # the year is over: reached or not
    done = one_unit([100] * 12, upto=11, target=1200)
    assert done.probability[0] == 1.0 and done.quantiles[0].tolist() == [1200, 1200, 1200]
    assert one_unit([100] * 12, upto=11, target=1201).probability[0] == 0.0


def test_a_seller_who_joined_mid_year_counts_only_their_months():
    """Hired in May (column 4), 500 a month through August: L = 2,000 / (4/12) = 6,000 a year, not
    2,000 / (8/12) = 3,000: four months left give 2,000 more, the year 4,000."""
    o = one_unit([0, 0, 0, 0, 500, 500, 500, 500], upto=7, target=1e9, first=4)
    assert o.quantiles[0][1] == pytest.approx(2000 + 6000 * 4 / 12)
    assert o.basis[0] == "profile"


def test_a_unit_with_no_month_of_its_own_has_no_outlook():
    o = one_unit([0, 0, 0], upto=2, target=100, first=12)  # first = the columns: none
    assert o.basis[0] == "none"
    assert np.isnan(o.quantiles[0]).all() and np.isnan(o.probability[0])
    # ... unless the target is reached already (a target of 0)
    assert one_unit([0, 0, 0], upto=2, target=0, first=12).probability[0] == 1.0


def test_a_unit_that_did_nothing_lands_where_it_stands():
    o = one_unit([0, 0, 0, 0], upto=3, target=10, first=0)
    assert o.quantiles[0].tolist() == [0, 0, 0]
    assert o.probability[0] == 0.0


def test_a_year_of_its_own_months_is_its_history():
    row = np.full((1, 24), 100.0)
    w = model.profile_weights([1.0] * 12, [f"2025-{m:02d}" for m in range(1, 13)] + MONTHS)
    o = model.outlook(row, np.array([0]), w, upto=14, year_end=23, to_date=np.array([300.0]),
                      target=np.array([1200.0]), pool=SYMMETRIC)
    assert o.basis[0] == "history"
    # 100 a month whatever the weights: p50 = 300 + 9 × 100
    assert o.quantiles[0][1] == pytest.approx(1200)


def test_the_band_is_ordered_and_never_below_the_actual_to_date():
    rng = np.random.default_rng(7)
    units, span = 300, 30
    actual = rng.gamma(2.0, 50.0, (units, span)) * rng.uniform(0.1, 10, (units, 1))
    actual[:40, :] *= rng.random((40, span)) < 0.3  # sparse units: many zero months
    first = rng.integers(0, 20, units)
    actual[np.arange(span)[None, :] < first[:, None]] = 0
    months = [f"{2024 + (i + 6) // 12}-{(i + 6) % 12 + 1:02d}" for i in range(span)]
    w = model.profile_weights([7, 7.5, 8.5, 8, 8.5, 8, 4, 7.5, 9, 9.5, 11, 11.5], months)
    upto = 25
    to_date = actual[:, 18 : upto + 1].sum(axis=1)
    o = model.outlook(actual, first, w, upto=upto, year_end=span - 1, to_date=to_date,
                      target=to_date * rng.uniform(0.8, 1.6, units))
    q = o.quantiles[o.basis != "none"]
    assert len(q) > 250
    assert (q[:, 0] <= q[:, 1]).all() and (q[:, 1] <= q[:, 2]).all()
    assert (q[:, 0] >= to_date[o.basis != "none"] - 1e-9).all()
    path = o.path[o.basis != "none"]
    assert (np.diff(path[:, :, 1], axis=1) >= -1e-9).all()  # the p50 never falls back month to month
    p = o.probability[~np.isnan(o.probability)]
    assert ((p >= 0) & (p <= 1)).all()


def test_months_of_no_weight_ahead_forecast_nothing_for_them():
    """A KPI that has none in July (the organization's own months: weight 0): as of June, July adds
    nothing, and the year's band comes from the months after it."""
    w = EVEN.copy()
    w[6] = 0.0
    w = w / w.sum()
    row = np.array([[100.0, 150.0, 80.0, 120.0, 90.0, 110.0] + [0.0] * 6])
    o = model.outlook(row, np.array([0]), w, upto=5, year_end=11, to_date=np.array([650.0]),
                      target=np.array([1200.0]), pool=SYMMETRIC, method=FLAT)
    july = o.path[0, 0]
    assert july.tolist() == [650.0, 650.0, 650.0]
    assert o.quantiles[0][0] < o.quantiles[0][1] < o.quantiles[0][2]
    assert 0 < o.probability[0] < 1


def test_errors_are_the_same_forecast_made_earlier():
    """Even months, 120 a month through March, then 240 in April: from the origin February (t=1, two
    months of its own, under min_months 3) nothing; from March (t=2: L = 1,440, one month ahead F =
    120) April came in at 240: e = 240 / 120 − 1 = 1.0, and no noise (s = 0)."""
    actual = np.array([[120.0, 120.0, 120.0, 240.0]])
    lv = model.levels(actual, np.array([0]), EVEN[:4])
    found = model.errors(actual, lv, EVEN, upto=3, horizons=2)
    rel, var = found[0]
    assert rel.tolist() == pytest.approx([1.0])
    assert var.tolist() == pytest.approx([0.0], abs=1e-12)
    assert len(found[1][0]) == 0  # two months ahead from March had not come to pass by April


def test_a_pool_too_small_gives_the_models_band():
    o = one_unit([100, 200, 300], upto=2, target=3000, p=pool([0.1] * 5))
    assert o.band == "model"
    # normal quantiles around F with the noise alone: σ = 1,800 × √(2/27)
    sigma = 1800 * math.sqrt(2 / 27)
    assert o.quantiles[0] == pytest.approx([2400 - 1.2815516 * sigma, 2400, 2400 + 1.2815516 * sigma])
    assert o.probability[0] == pytest.approx(0.5 * math.erfc((600 / sigma) / math.sqrt(2)))


def test_own_weights_are_the_organizations_months():
    months = [f"2025-{m:02d}" for m in range(1, 13)] + MONTHS
    company = np.array([10.0] * 11 + [0.0] + [10.0] * 11 + [0.0])  # nothing in December
    w = model.own_weights(company, months, upto=22)  # through November 2026: two windows
    assert w[11] == pytest.approx(0.0)
    assert w[0] == pytest.approx(1 / 11)
    assert model.own_weights(company, months, upto=5) is None  # six months: not a year


def test_backtest_counts_and_summary():
    outcome = np.array([100.0, 200.0, 300.0, 50.0])
    quantiles = np.array([[90, 100, 110], [210, 220, 230], [250, 300, 350], [np.nan] * 3])
    probability = np.array([0.9, 0.2, np.nan, 0.5])
    target = np.array([95.0, 250.0, np.nan, 10.0])
    inside, prob, hit = model.backtest_counts(outcome, quantiles, probability, target)
    assert inside.tolist() == [True, False, True]  # the fourth has no outlook
    assert prob.tolist() == [0.9, 0.2] and hit.tolist() == [1.0, 0.0]
    b = model.summarize(inside, prob, hit)
    assert b.coverage == pytest.approx(2 / 3)
    assert b.brier == pytest.approx(((0.9 - 1) ** 2 + 0.2**2) / 2)
    assert b.base_brier == pytest.approx(0.25)  # base rate 0.5
    assert [r[1] for r in b.reliability] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
