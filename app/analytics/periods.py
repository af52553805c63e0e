"""Months, periods, reporting ranges and phasing (pure: no database, no web).

Reporting months are 'YYYY-MM' strings: they sort, compare and serialize as themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from math import lcm

import numpy as np

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# A month as the API takes it (query parameters), years 1900-2999: year 0 is no month at all.
MONTH_PATTERN = r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$"
_YEAR = re.compile(r"\d{4}")


def month_start(period: str) -> date:
    """'YYYY-MM' -> the first day of that month ('2026-03' -> date(2026, 3, 1)); ValueError otherwise."""
    match = _MONTH.fullmatch(period)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"not a month (YYYY-MM): {period!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def months_of(period: str) -> list[date]:
    """The first days of the months a period covers: 'YYYY' -> 12 dates, 'YYYY-MM' -> one date."""
    if _YEAR.fullmatch(period):
        year = int(period)
        return [date(year, m, 1) for m in range(1, 13)]
    return [month_start(period)]


def _integer_weights(weights: Sequence[Decimal | float | int]) -> list[int]:
    """Weights as integers with the same ratios (exact: Decimal and float convert to Fraction exactly)."""
    if len(weights) == 0:
        raise ValueError("no weights to phase by")
    fractions = []
    for w in weights:
        f = Fraction(w)
        if f < 0:
            raise ValueError(f"negative weight {w}")
        fractions.append(f)
    if sum(fractions) == 0:
        raise ValueError("all weights are zero: nothing to phase by")
    denominator = lcm(*(f.denominator for f in fractions))
    return [int(f * denominator) for f in fractions]


def _phase_int(total: int, weights: list[int], weight_sum: int) -> list[int]:
    magnitude = abs(total)
    products = [magnitude * w for w in weights]
    shares = [p // weight_sum for p in products]
    left = magnitude - sum(shares)
    if left:
        # Largest remainder first; on equal remainders the earlier month (stable sort by index).
        ranked = sorted(range(len(weights)), key=lambda i: -(products[i] % weight_sum))
        for i in ranked[:left]:
            shares[i] += 1
    return [-s for s in shares] if total < 0 else shares


def phase(total_minor: int, weights: Sequence[Decimal | float | int]) -> list[int]:
    """Split an integer amount in minor units over months by weights (normalized): largest remainder;
    on equal remainders the earlier month gets the unit; sum(result) == total_minor exactly; works
    for negative totals (split |total| and negate); all-zero weights -> ValueError.

    share_i = floor(|T| · w_i / Σw), then the |T| − Σ share_i units left over go one each to the
    months with the largest remainders |T| · w_i mod Σw (ties: the earlier month). Zero-weight
    months get 0. Negative weights -> ValueError.
    """
    total = int(total_minor)
    if total != total_minor:
        raise ValueError("total_minor must be an integer number of minor units")
    ints = _integer_weights(weights)
    return _phase_int(total, ints, sum(ints))


def phase_many(totals: Sequence[int] | np.ndarray, weights: Sequence[Decimal | float | int]) -> np.ndarray:
    """phase() for many totals with one profile: an int64 array of shape (len(totals), len(weights)).

    Each row is exactly phase(total, weights); rows sum exactly to their totals.
    """
    ints = _integer_weights(weights)
    weight_sum = sum(ints)
    out = np.empty((len(totals), len(ints)), dtype=np.int64)
    cache: dict[int, list[int]] = {}
    for r, total in enumerate(totals):
        t = int(total)
        row = cache.get(t)
        if row is None:
            row = cache[t] = _phase_int(t, ints, weight_sum)
        out[r] = row
    return out


# Reporting ranges over months: month, quarter, ytd, r12, with a fiscal year that may start in any month.
RANGES = ("month", "quarter", "ytd", "r12")


def parse_month(period: str) -> tuple[int, int]:
    """'2026-03' -> (2026, 3); ValueError for anything else."""
    first = month_start(period)
    return first.year, first.month


def shift_month(period: str, months: int) -> str:
    """The month `months` after `period` (negative: before)."""
    year, month = parse_month(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def last_complete_month(today: date) -> str:
    """The month before `today`'s: the period the pages open on."""
    return shift_month(today.strftime("%Y-%m"), -1)


def month_span(first: str, last: str) -> list[str]:
    """Every month from `first` through `last`, inclusive; empty when last < first."""
    out, current = [], first
    while current <= last:
        out.append(current)
        current = shift_month(current, 1)
    return out


def fiscal_year_start(period: str, fiscal_start_month: int = 1) -> str:
    """First month of the fiscal year that contains `period`."""
    year, month = parse_month(period)
    start_year = year if month >= fiscal_start_month else year - 1
    return f"{start_year:04d}-{fiscal_start_month:02d}"


def range_months(period: str, range_: str, fiscal_start_month: int = 1) -> list[str]:
    """The months a range covers, ending with `period`.

    month: the period itself; quarter: the fiscal quarter to date (from its first month through the
    period); ytd: the fiscal year to date; r12: the twelve months through the period.
    """
    parse_month(period)
    if range_ == "month":
        return [period]
    if range_ == "r12":
        return month_span(shift_month(period, -11), period)
    fy_start = fiscal_year_start(period, fiscal_start_month)
    if range_ == "ytd":
        return month_span(fy_start, period)
    if range_ == "quarter":
        offset = len(month_span(fy_start, period)) - 1
        return month_span(shift_month(fy_start, offset - offset % 3), period)
    raise ValueError(f"unknown range {range_!r}; one of {', '.join(RANGES)}")


def month_end_iso(period: str) -> str:
    """The last day of a month as 'YYYY-MM-DD'."""
    year, month = parse_month(shift_month(period, 1))
    return (date(year, month, 1) - timedelta(days=1)).isoformat()
