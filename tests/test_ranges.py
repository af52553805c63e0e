import pytest

from app.analytics.periods import month_end_iso, month_span, range_months, shift_month


def test_shift_and_span_cross_year_boundaries():
    assert shift_month("2026-01", -1) == "2025-12"
    assert shift_month("2025-12", 1) == "2026-01"
    assert shift_month("2026-06", -11) == "2025-07"
    assert month_span("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_span("2026-02", "2026-01") == []


def test_ranges_with_calendar_fiscal_year():
    assert range_months("2026-06", "month") == ["2026-06"]
    assert range_months("2026-06", "ytd") == month_span("2026-01", "2026-06")
    assert range_months("2026-05", "quarter") == ["2026-04", "2026-05"]
    assert range_months("2026-03", "quarter") == ["2026-01", "2026-02", "2026-03"]
    assert range_months("2026-06", "r12") == month_span("2025-07", "2026-06")
    assert len(range_months("2026-06", "r12")) == 12


def test_ranges_with_fiscal_year_starting_in_july():
    # fiscal year 2025/26 runs 2025-07 .. 2026-06; its quarters start in Jul, Oct, Jan, Apr
    assert range_months("2026-02", "ytd", 7) == month_span("2025-07", "2026-02")
    assert range_months("2026-02", "quarter", 7) == ["2026-01", "2026-02"]
    assert range_months("2025-09", "quarter", 7) == ["2025-07", "2025-08", "2025-09"]
    assert range_months("2026-07", "ytd", 7) == ["2026-07"]


def test_bad_period_and_range():
    with pytest.raises(ValueError):
        range_months("2026-13", "month")
    with pytest.raises(ValueError):
        range_months("2026-06", "decade")


def test_month_end():
    assert month_end_iso("2024-02") == "2024-02-29"
    assert month_end_iso("2026-12") == "2026-12-31"
