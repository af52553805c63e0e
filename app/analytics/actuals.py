"""KPI actuals from monthly facts, per unit, rolled up as a controller would sign.

Input frames (one range's months already selected, any number of units):

`sales`: one row per (seller, district on the sale's date, account, month) with
  amount, margin, costed_amount, key_amount: int64 in minor units (cents);
  margin = Σ (amount − cost) and costed_amount = Σ amount over the lines that carry a cost;
  key_amount = Σ amount of lines to key accounts;
  sale_lines: lines with a positive amount (a customer who only got a credit note did not buy);
  is_new: the account's first sale ever falls inside the range.
`activities`: one row per (seller, district, account, month, type) with value (Σ value) and n (rows).

Definitions (PRODUCT.md §2), for the rows of one unit:
  revenue           = Σ amount
  gross_margin      = Σ margin over lines with a cost; null when no line in the range has a cost
  margin_pct        = Σ margin / Σ costed_amount; null when that revenue is 0 or no line has a cost
  active_customers  = number of distinct accounts with a sale (distinct over the whole unit)
  new_customers     = distinct accounts with a sale in the range whose first sale ever is in it
  key_account_share = Σ key_amount / Σ amount; null when revenue is 0
  csat              = Σ csat scores / number of responses; null without responses
  meetings, proposals, training_hours = Σ value of that activity type
  hit_rate          = won / (won + lost); null without decided deals
  coaching_sessions = Σ value of coaching_session and goal_conversation
Ratios are ratios of the unit's sums and distinct counts are distinct over the unit, so a district's
figures are never averages of its sellers'. Money comes out in currency units (cents / 100).
"""

import numpy as np
import pandas as pd

BUILTIN_ACTUALS = (
    "revenue", "gross_margin", "margin_pct", "active_customers", "new_customers", "key_account_share",
    "csat", "meetings", "proposals", "hit_rate", "training_hours", "coaching_sessions",
)

_ALL = "__all__"


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype("float64")
    return (num.astype("float64") / den.where(den != 0)).astype("float64")


def kpi_actuals(sales: pd.DataFrame, activities: pd.DataFrame, *, by: str | None = None,
                groups: list | None = None) -> pd.DataFrame:
    """One row per group of `by` (a column of both frames), or one row (index `__all__`) for None.

    `groups` lists the groups to report even when they have no rows (their sums are 0, their
    ratios null): a seller who sold nothing still has a scorecard.
    """
    s = sales.assign(_g=sales[by] if by else _ALL)
    a = activities.assign(_g=activities[by] if by else _ALL)
    index = pd.Index(groups if groups is not None else ([_ALL] if by is None else
                     sorted(set(s["_g"]).union(a["_g"]))), name=by or "group")

    sums = s.groupby("_g")[["amount", "margin", "costed_amount", "key_amount", "costed_lines"]].sum()
    sums = sums.reindex(index, fill_value=0)
    buying = s[s["sale_lines"] > 0]
    active = buying.groupby("_g")["account_id"].nunique().reindex(index, fill_value=0)
    new = buying[buying["is_new"]].groupby("_g")["account_id"].nunique().reindex(index, fill_value=0)

    by_type = a.groupby(["_g", "type"])[["value", "n"]].sum()

    def act(kind: str, measure: str = "value") -> pd.Series:
        if kind not in by_type.index.get_level_values("type"):
            return pd.Series(0.0, index=index)
        return by_type[measure].xs(kind, level="type").reindex(index, fill_value=0).astype("float64")

    has_cost = sums["costed_lines"] > 0
    won, lost = act("won"), act("lost")
    out = pd.DataFrame({
        "revenue": sums["amount"] / 100,
        "gross_margin": (sums["margin"] / 100).where(has_cost),
        "margin_pct": _ratio(sums["margin"], sums["costed_amount"]).where(has_cost),
        "active_customers": active.astype("int64"),
        "new_customers": new.astype("int64"),
        "key_account_share": _ratio(sums["key_amount"], sums["amount"]),
        "csat": _ratio(act("csat"), act("csat", "n")),
        "meetings": act("meeting"),
        "proposals": act("proposal"),
        "hit_rate": _ratio(won, won + lost),
        "training_hours": act("training_hours"),
        "coaching_sessions": act("coaching_session") + act("goal_conversation"),
    }, index=index)
    return out.replace([np.inf, -np.inf], np.nan)
