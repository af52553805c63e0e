"""Months whose facts are not loaded yet: a range ending after the latest sale is not scored as if the
sellers sold nothing (pure: no database, no web).

A month is loaded for sales when it is not after the month of the latest sale loaded (the company's,
not the unit's: a seller with no sale in a month others sold in did sell nothing), and likewise for
activities. A range is scored on what is loaded only when its last month is loaded; otherwise the
KPIs built from the missing facts get no attainment, score or status. Their actual stays when some
month of the range is loaded (a year to date through October, asked for through November), and is
null when none is. Manual KPIs (kpi_values) are not affected: a missing value is already null.
"""

import numpy as np
import pandas as pd

from app.analytics.kpis import KPIS

# The built-in KPIs by the facts they are made of (their `facts` in the registry).
SALES_KPIS = tuple(k.code for k in KPIS if k.facts == "sales")
ACTIVITY_KPIS = tuple(k.code for k in KPIS if k.facts == "activities")


def not_loaded(period: str, through: str | None) -> bool:
    """Whether month `period` ('YYYY-MM') is after `through`, the month of the latest fact loaded
    (None: nothing loaded, so no month is)."""
    return through is None or period > through


def mask_unloaded(
    actual: pd.DataFrame, ranges: list[tuple[str, str]], *, sales_through: str | None, activities_through: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(actuals to score, actuals to show) for rows of `actual` (one per range, in order) whose range
    (first month, last month) ends after what is loaded.

    To score: the KPIs of facts not loaded in the range's last month are NaN, so attainment, score
    and status are none and the perspectives are scored on the other KPIs. To show: the same, except
    where some month of the range is loaded (first month <= through): the actual of what is loaded.
    """
    first = np.array([r[0] for r in ranges], dtype=object)
    last = np.array([r[1] for r in ranges], dtype=object)
    scored, shown = actual.copy(), actual.copy()
    for codes, through in ((SALES_KPIS, sales_through), (ACTIVITY_KPIS, activities_through)):
        columns = [c for c in codes if c in actual.columns]
        if not columns:
            continue
        missing = np.ones(len(ranges), dtype=bool) if through is None else last > through
        if not missing.any():
            continue
        none_loaded = missing if through is None else first > through
        # whole columns replaced (as float: a count column takes NaN), never written into in place
        scored[columns] = scored[columns].astype("float64").mask(np.repeat(missing[:, None], len(columns), 1))
        shown[columns] = shown[columns].astype("float64").mask(np.repeat(none_loaded[:, None], len(columns), 1))
    return scored, shown
