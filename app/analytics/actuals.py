"""KPI actuals from monthly facts, per unit, rolled up as a controller would sign.

Input frames (one range's months already selected, any number of units):

`sales`: one row per (seller, district on the sale's date, account, month) with
  amount, margin, costed_amount, key_amount: int64 in minor units (cents);
  margin = Σ (amount − cost) and costed_amount = Σ amount over the lines that carry a cost;
  key_amount = Σ amount of lines to key accounts;
  lines: every line (credit notes too); costed_lines: lines that carry a cost;
  sale_lines: lines with a positive amount (a customer who only got a credit note did not buy);
  is_new: the account's first sale ever falls inside the range.
`activities`: one row per (seller, district, account, month, type) with value (Σ value, int64 in
  hundredths, as stored: two decimals) and n (rows).

Definitions (PRODUCT.md §2), for the rows of one unit:
  revenue           = Σ amount; 0 without sales
  gross_margin      = Σ margin over lines with a cost; 0 without sales; null when sales exist but
                      none of them carries a cost (the margin is not known, it is not 0)
  margin_pct        = Σ margin / Σ costed_amount; null when that revenue is 0 or no line has a cost
  active_customers  = number of distinct accounts with a sale (distinct over the whole unit)
  new_customers     = distinct accounts with a sale in the range whose first sale ever is in it
  key_account_share = Σ key_amount / Σ amount; null when revenue is 0
  csat              = Σ csat scores / number of responses; null without responses
  meetings, proposals, training_hours = Σ value of that activity type
  hit_rate          = won / (won + lost); null without decided deals
  coaching_sessions = Σ value of coaching_session and goal_conversation
Where some lines carry a cost and some do not, gross_margin and margin_pct cover the lines that do:
a line without a cost adds neither margin nor revenue to them (its cost is unknown, not 0), so the
margin is never overstated by revenue whose cost was not loaded, and margin_pct is not diluted by it.
Ratios are ratios of the unit's sums and distinct counts are distinct over the unit, so a district's
figures are never averages of its sellers'.

Exact figures: every sum is an integer sum (cents, hundredths) and is divided once at the end
(cents / 100), so each sum is the float nearest to the exact decimal (for |sums| < 2^53 minor
units): 1,000 sales of 0.10 give 100.0 and three of 0.10 give 0.3, never 0.30000000000000004.
"""

import numpy as np
import pandas as pd

BUILTIN_ACTUALS = (
    "revenue",
    "gross_margin",
    "margin_pct",
    "active_customers",
    "new_customers",
    "key_account_share",
    "csat",
    "meetings",
    "proposals",
    "hit_rate",
    "training_hours",
    "coaching_sessions",
)

_ALL = "__all__"


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype("float64")
    return (num.astype("float64") / den.where(den != 0)).astype("float64")


SALES_SUMS = ["amount", "margin", "costed_amount", "key_amount", "costed_lines", "lines", "active", "new"]


def sales_sums(sales: pd.DataFrame, *, by: str | None = None, groups: list | None = None) -> pd.DataFrame:
    """The sums and distinct counts the sales KPIs are made of, one row per group of `by`
    (columns SALES_SUMS: money in cents, `active`/`new` distinct accounts over the group)."""
    s = sales.assign(_g=sales[by] if by else _ALL)
    index = _index(s["_g"], by, groups)
    sums = s.groupby("_g")[SALES_SUMS[:6]].sum().reindex(index, fill_value=0)
    buying = s[s["sale_lines"] > 0]
    sums["active"] = buying.groupby("_g")["account_id"].nunique().reindex(index, fill_value=0)
    sums["new"] = buying[buying["is_new"]].groupby("_g")["account_id"].nunique().reindex(index, fill_value=0)
    return sums.astype("int64")


def activity_sums(activities: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Σ value (hundredths) and row count per (group, type): columns group, type, value, n (int64)."""
    a = activities.assign(group=activities[by] if by else _ALL)
    return a.groupby(["group", "type"], as_index=False)[["value", "n"]].sum()


def _index(keys: pd.Series, by: str | None, groups: list | None) -> pd.Index:
    if groups is not None:
        return pd.Index(groups, name=by or "group")
    return pd.Index([_ALL] if by is None else sorted(set(keys)), name=by or "group")


def kpi_actuals(
    sales: pd.DataFrame, activities: pd.DataFrame, *, by: str | None = None, groups: list | None = None
) -> pd.DataFrame:
    """One row per group of `by` (a column of both frames), or one row (index `__all__`) for None.

    `groups` lists the groups to report even when they have no rows (their sums are 0, their
    ratios null): a seller who sold nothing still has a scorecard.
    """
    if groups is None and by is not None:
        groups = sorted(set(sales[by]).union(activities[by]))
    sums = sales_sums(sales, by=by, groups=groups)
    return actuals_from_sums(sums, activity_sums(activities, by=by))


def actuals_from_sums(sums: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
    """The KPI actuals of each group from its sums (`sales_sums`, indexed by group) and its activity
    sums (`activity_sums`: group, type, value in hundredths, n; groups missing from `sums` are ignored)."""
    index = sums.index
    # (group, type) -> [Σ value in hundredths, rows], as Python ints (exact); plain dict lookups beat
    # pandas reshaping at these sizes
    totals: dict[tuple, list[int]] = {}
    for group, kind, value, n in activities[["group", "type", "value", "n"]].itertuples(index=False):
        both = totals.setdefault((group, kind), [0, 0])
        both[0] += int(value)
        both[1] += int(n)

    def act(*kinds: str, measure: int = 0) -> np.ndarray:
        """Σ of `kinds` per group: hundredths of value (measure 0) or rows (1), as int64."""
        return np.array([sum(totals.get((g, kind), (0, 0))[measure] for kind in kinds) for g in index], dtype="int64")

    def money(cents: pd.Series) -> pd.Series:
        return cents.astype("int64") / 100  # one correctly rounded division per figure

    has_cost = sums["costed_lines"] > 0
    no_sales = sums["lines"] == 0
    won, lost = act("won"), act("lost")
    out = pd.DataFrame(
        {
            "revenue": money(sums["amount"]),
            "gross_margin": money(sums["margin"]).where(has_cost | no_sales),
            "margin_pct": _ratio(sums["margin"], sums["costed_amount"]).where(has_cost),
            "active_customers": sums["active"].astype("int64"),
            "new_customers": sums["new"].astype("int64"),
            "key_account_share": _ratio(sums["key_amount"], sums["amount"]),
            "csat": _ratio(pd.Series(act("csat"), index=index), pd.Series(act("csat", measure=1) * 100, index=index)),
            "meetings": act("meeting") / 100,
            "proposals": act("proposal") / 100,
            "hit_rate": _ratio(pd.Series(won, index=index), pd.Series(won + lost, index=index)),
            "training_hours": act("training_hours") / 100,
            "coaching_sessions": act("coaching_session", "goal_conversation") / 100,
        },
        index=index,
    )
    return out.replace([np.inf, -np.inf], np.nan)
