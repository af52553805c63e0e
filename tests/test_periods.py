"""Months and phasing: examples worked by hand, and exactness as a property."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.analytics.periods import month_start, months_of, phase, phase_many


def test_month_start():
    assert month_start("2026-03") == date(2026, 3, 1)
    assert month_start("1999-12") == date(1999, 12, 1)


@pytest.mark.parametrize("bad", ["2026", "2026-13", "2026-00", "26-03", "2026-3", "march", ""])
def test_month_start_rejects(bad):
    with pytest.raises(ValueError):
        month_start(bad)


def test_months_of():
    assert months_of("2026-03") == [date(2026, 3, 1)]
    year = months_of("2026")
    assert len(year) == 12
    assert year[0] == date(2026, 1, 1) and year[-1] == date(2026, 12, 1)
    assert [d.month for d in year] == list(range(1, 13))
    with pytest.raises(ValueError):
        months_of("2026-13")


def test_flat_profile_first_months_get_the_extra_cents():
    # 100.00 = 10000 minor units / 12 = 833 remainder 4: equal remainders, so the first four months get 834.
    assert phase(10000, [1] * 12) == [834] * 4 + [833] * 8


def test_small_profile_by_hand():
    # 1001 over 1:2:3:4 -> 100.1, 200.2, 300.3, 400.4: floors sum to 1000, the unit goes to the largest remainder.
    assert phase(1001, [1, 2, 3, 4]) == [100, 200, 300, 401]


def test_seasonal_profile_by_hand():
    weights = [5, 5, 8, 8, 10, 10, 6, 6, 10, 12, 12, 8]  # sums to 100
    # 1234.57: quotas 6172.85 (w5), 9876.56 (w8), 12345.70 (w10), 7407.42 (w6), 14814.84 (w12);
    # floors sum to 123449, 8 cents left: remainders .85 (Jan, Feb), .84 (Oct, Nov), .70 (May, Jun, Sep),
    # then .56 for Mar, Apr and Dec -> only March (earliest) gets the eighth cent.
    expected = [6173, 6173, 9877, 9876, 12346, 12346, 7407, 7407, 12346, 14815, 14815, 9876]
    assert phase(123457, weights) == expected
    assert sum(expected) == 123457


def test_weights_as_decimal_and_float_are_normalized():
    as_decimal = [Decimal("0.05"), Decimal("0.05"), Decimal("0.08"), Decimal("0.08"), Decimal("0.10"), Decimal("0.10"),
                  Decimal("0.06"), Decimal("0.06"), Decimal("0.10"), Decimal("0.12"), Decimal("0.12"), Decimal("0.08")]
    assert phase(123457, as_decimal) == phase(123457, [5, 5, 8, 8, 10, 10, 6, 6, 10, 12, 12, 8])
    assert phase(10000, [8.5] * 12) == [834] * 4 + [833] * 8


def test_negative_total_is_mirrored():
    assert phase(-10000, [1] * 12) == [-834] * 4 + [-833] * 8
    assert phase(-1001, [1, 2, 3, 4]) == [-100, -200, -300, -401]


def test_zero_weight_months_get_nothing_and_ties_go_to_the_earlier_month():
    assert phase(1, [1, 0, 1]) == [1, 0, 0]
    assert phase(5, [0, 0, 3, 0]) == [0, 0, 5, 0]
    assert phase(0, [1] * 12) == [0] * 12


def test_bad_weights():
    with pytest.raises(ValueError):
        phase(100, [0] * 12)
    with pytest.raises(ValueError):
        phase(100, [1, -1, 1])
    with pytest.raises(ValueError):
        phase(100, [])


def test_phase_many_matches_phase_rows():
    weights = [5, 5, 8, 8, 10, 10, 6, 6, 10, 12, 12, 8]
    out = phase_many([123457, -1, 0, 10000], weights)
    assert out.shape == (4, 12)
    assert out[0].tolist() == [6173, 6173, 9877, 9876, 12346, 12346, 7407, 7407, 12346, 14815, 14815, 9876]
    # -0.01: the single cent goes to the largest quota, 0.12 in October (the earlier of Oct/Nov).
    assert out[1].tolist() == [0] * 9 + [-1, 0, 0]
    assert out[2].tolist() == [0] * 12
    assert out.sum(axis=1).tolist() == [123457, -1, 0, 10000]


weights_strategy = st.lists(
    st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False, allow_infinity=False), min_size=1, max_size=12
).filter(lambda ws: sum(ws) > 0)


@given(total=st.integers(min_value=-(10**16) + 1, max_value=10**16 - 1), weights=weights_strategy)
def test_phase_is_exact_and_close_to_the_quota(total, weights):
    result = phase(total, weights)
    assert sum(result) == total
    weight_sum = sum(Fraction(w) for w in weights)
    for share, w in zip(result, weights, strict=True):
        quota = Fraction(total) * Fraction(w) / weight_sum
        assert abs(share - quota) < 1  # each month is its exact share rounded down or up
        if w == 0:
            assert share == 0
    assert phase(-total, weights) == [-s for s in result]
