"""KPI actuals from monthly sums, per unit, rolled up as a controller would sign.

Input frames (one range's months already selected, any number of groups: units, or months):

`sums`: the sales sums of each group, indexed by group: int64 columns SALES_SUMS (money in minor units,
  cents; app.analytics.kpis says what each holds), computed in SQL by app.reporting.facts.sales_sums.
`activities`: the activity sums, one row per (group, type) with value (Σ value, int64 in hundredths,
  as stored: two decimals) and n (rows) (app.reporting.facts.activity_sums).

Each built-in KPI's formula over those sums is declared with the KPI in the registry
(app.analytics.kpis, PRODUCT.md §2). Ratios are ratios of the unit's sums and distinct counts are
distinct over the unit, so a district's figures are never averages of its sellers'.

Exact figures: every sum is an integer sum (cents, hundredths) and is divided once at the end
(cents / 100), so each sum is the float nearest to the exact decimal (for |sums| < 2^53 minor
units): 1,000 sales of 0.10 give 100.0 and three of 0.10 give 0.3, never 0.30000000000000004.
"""

import numpy as np
import pandas as pd

from app.analytics.kpis import KPIS, ActivityTotals


def actuals_from_sums(sums: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
    """The KPI actuals of each group from its sums (SALES_SUMS, indexed by group) and its activity
    sums (group, type, value in hundredths, n; groups missing from `sums` are ignored): one column per
    built-in KPI, in the registry's order."""
    acts = ActivityTotals(activities, sums.index)
    out = pd.DataFrame({k.code: k.formula(sums, acts) for k in KPIS}, index=sums.index)
    return out.replace([np.inf, -np.inf], np.nan)
