"""KPI actuals and their roll-ups, against values worked out by hand on small literal frames."""

import math

import pandas as pd
import pytest

from app.analytics.actuals import actuals_from_sums
from app.analytics.kpis import SALES_SUMS

# Two sellers in district D1. Account A9 bought from both; A7 is a key account.
SALES = pd.DataFrame([
    # seller, district, account, month, amount, margin, costed_amount, key_amount, costed_lines, lines, sale_lines,
    # is_new (money in cents)
    ("S1", "D1", "A7", "2026-01", 100_000, 40_000, 100_000, 100_000, 2, 2, 2, False),
    ("S1", "D1", "A9", "2026-02", 50_000, 10_000, 50_000, 0, 1, 1, 1, True),
    ("S2", "D1", "A9", "2026-02", 30_000, 3_000, 20_000, 0, 1, 2, 2, True),   # one line without cost
    ("S2", "D1", "A8", "2026-02", -5_000, -1_000, -5_000, 0, 1, 1, 0, False),  # credit note only
], columns=["seller", "district", "account_id", "month", "amount", "margin", "costed_amount", "key_amount",
            "costed_lines", "lines", "sale_lines", "is_new"])

ACTIVITIES = pd.DataFrame([  # value in hundredths, as stored (two decimals)
    ("S1", "D1", "2026-01", "meeting", 300, 3),
    ("S1", "D1", "2026-01", "won", 200, 2),
    ("S1", "D1", "2026-02", "lost", 200, 2),
    ("S2", "D1", "2026-02", "won", 100, 1),
    ("S2", "D1", "2026-02", "lost", 300, 3),
    ("S1", "D1", "2026-02", "csat", 900, 2),   # two responses: 4 and 5
    ("S2", "D1", "2026-02", "csat", 300, 1),   # one response: 3
    ("S2", "D1", "2026-02", "coaching_session", 100, 1),
    ("S2", "D1", "2026-02", "goal_conversation", 200, 2),
    ("S2", "D1", "2026-02", "training_hours", 750, 2),
], columns=["seller", "district", "month", "type", "value", "n"])

_ALL = "__all__"


# The sums the KPIs are made of, computed here in pandas from the literal rows: the test's own second
# computation of what app.reporting.facts sums in SQL.
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


def test_seller_actuals_by_hand():
    got = kpi_actuals(SALES, ACTIVITIES, by="seller")
    s1, s2 = got.loc["S1"], got.loc["S2"]
    assert s1["revenue"] == 1500.00
    assert s1["gross_margin"] == 500.00
    assert s1["margin_pct"] == pytest.approx(50_000 / 150_000)
    assert s1["active_customers"] == 2 and s1["new_customers"] == 1
    assert s1["key_account_share"] == pytest.approx(100_000 / 150_000)
    assert s1["hit_rate"] == pytest.approx(2 / 4)
    assert s1["csat"] == pytest.approx(4.5)
    assert s1["meetings"] == 3 and s1["coaching_sessions"] == 0
    assert s2["revenue"] == 250.00  # 300 - 50 credit note
    assert s2["gross_margin"] == 20.00
    assert s2["margin_pct"] == pytest.approx(2_000 / 15_000)
    assert s2["active_customers"] == 1  # A8 only had a credit note
    assert s2["hit_rate"] == pytest.approx(1 / 4)
    assert s2["coaching_sessions"] == 3 and s2["training_hours"] == 7.5
    assert s2["key_account_share"] == 0


def test_district_rolls_up_as_sums_ratios_of_sums_and_distinct_counts():
    district = kpi_actuals(SALES, ACTIVITIES, by="district").loc["D1"]
    sellers = kpi_actuals(SALES, ACTIVITIES, by="seller")
    assert district["revenue"] == sellers["revenue"].sum() == 1750.00
    assert district["gross_margin"] == 520.00
    # ratio of sums (52,000 / 165,000), not the mean of the sellers' percentages
    assert district["margin_pct"] == pytest.approx(52_000 / 165_000)
    assert district["margin_pct"] != pytest.approx(sellers["margin_pct"].mean())
    # A9 bought from both sellers: one customer of the district
    assert district["active_customers"] == 2
    assert sellers["active_customers"].sum() == 3
    assert district["new_customers"] == 1
    # won/lost summed: 3 / (3 + 5); csat weighted by responses: (9 + 3) / 3
    assert district["hit_rate"] == pytest.approx(3 / 8)
    assert district["csat"] == pytest.approx(4.0)
    assert district["csat"] != pytest.approx(sellers["csat"].mean())


def test_nothing_to_divide_by_gives_null_and_sums_give_zero():
    empty_sales = SALES.iloc[0:0]
    empty_acts = ACTIVITIES.iloc[0:0]
    got = kpi_actuals(empty_sales, empty_acts, by="seller", groups=["S9"]).loc["S9"]
    assert got["revenue"] == 0 and got["meetings"] == 0 and got["active_customers"] == 0
    # no sales: the margin is known, it is 0 (null is for sales whose cost is unknown, below)
    assert got["gross_margin"] == 0
    for code in ("margin_pct", "key_account_share", "csat", "hit_rate"):
        assert math.isnan(got[code]), code


def test_whole_frame_without_grouping():
    got = kpi_actuals(SALES, ACTIVITIES)
    assert len(got) == 1
    assert got.iloc[0]["revenue"] == 1750.00


def test_additive_actuals_of_a_unit_equal_the_sum_over_its_members():
    district = kpi_actuals(SALES, ACTIVITIES, by="district").loc["D1"]
    sellers = kpi_actuals(SALES, ACTIVITIES, by="seller")
    for code in ("revenue", "gross_margin", "meetings", "proposals", "training_hours", "coaching_sessions"):
        assert district[code] == pytest.approx(sellers[code].sum()), code
