"""Sums of targets and actuals are exact: 0.1 + 0.2 is 0.3 in every answer, on SQLite and PostgreSQL.

The cases are ones float additions get wrong (checked beside them: `sum([...]) != ...`), with the
expected figures worked out by hand in decimals. The pure part tests app.analytics on literal frames;
the API part goes through the database's sums (SQLite's SUM of a NUMERIC column adds floats).

R1 has district D1 with sellers S1, S2, S4, and D2 with S3. In January and February 2026:
- S1 makes 1,000 sales of 0.10 (500 a month), each with a cost of 0.04: revenue 100.00, margin 60.00.
- S2 makes 3 sales of 0.10 without a cost: revenue 0.30, gross margin unknown (null).
- S3 and S4 sell nothing: revenue 0, gross margin 0.
- Targets: training_hours S1 0.1 (January) and 0.2 (February); meetings 0.10 for each of S1, S2 and
  S4 in January; revenue 2.80 for S1 and S2 in February (the review's 5.6).
- Key account A1 (D1) had meetings of 0.1 and 0.2 logged against it; S1's manual KPI `ideas`
  (adds up over time) has 0.1 in January and 0.2 in February.
"""

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from app.analytics.actuals import actuals_from_sums
from app.analytics.kpis import SALES_SUMS
from app.analytics.targets import TARGET_SCALE, range_targets, resolve_targets, units_of_float_sums
from app.models import Activity, KpiValue, Sale, Target
from app.reporting.registry import load_registry
from app.reporting.unit_targets import summed_targets as _targets
from tests.builders import (
    add_activities,
    add_sales,
    add_targets,
    login,
    make_account,
    make_product,
    make_seller,
    make_two_districts,
    make_user,
)

# --------------------------------------------------------------------------------------------------
# pure: app.analytics


def test_the_units_are_the_stored_scale_of_targets_and_kpi_values():
    assert Target.__table__.c.value.type.scale == KpiValue.__table__.c.value.type.scale == TARGET_SCALE == 4


def test_a_districts_target_is_the_exact_sum_of_its_sellers():
    own = pd.DataFrame([
        ("seller", "S1", "revenue", 2.80), ("seller", "S2", "revenue", 2.80),
        ("seller", "S1", "meetings", 0.10), ("seller", "S2", "meetings", 0.10), ("seller", "S4", "meetings", 0.10),
        ("seller", "S1", "training_hours", 0.1), ("seller", "S2", "training_hours", 0.2),
        ("district", "D2", "training_hours", 0.7),
    ], columns=["level", "unit_code", "kpi_code", "target"])
    children = {("region", "R1"): [("district", "D1"), ("district", "D2")],
                ("district", "D1"): [("seller", "S1"), ("seller", "S2"), ("seller", "S4")]}
    got = resolve_targets(own, units=[("district", "D1"), ("region", "R1")], children=children,
                          additive={"revenue", "meetings", "training_hours"},
                          kpis=["revenue", "meetings", "training_hours"])
    assert sum([0.10, 0.10, 0.10]) != 0.3 and 0.1 + 0.2 != 0.3  # what float additions give
    assert got.loc[("district", "D1"), "revenue"] == 5.6            # 2.80 + 2.80
    assert got.loc[("district", "D1"), "meetings"] == 0.3           # 0.10 × 3
    assert got.loc[("district", "D1"), "training_hours"] == 0.3     # 0.1 + 0.2
    assert got.loc[("region", "R1"), "training_hours"] == 1.0       # D1 0.3 + D2's own 0.7
    assert got.loc[("region", "R1"), "meetings"] == 0.3             # D2 has none: D1's alone


def test_a_range_target_is_the_exact_sum_of_its_months_at_four_decimals():
    months = [f"2026-{m:02d}" for m in range(1, 9)]
    t = pd.DataFrame([("seller", "S1", "training_hours", m, 0.7) for m in months]
                     + [("seller", "S1", "ideas", m, 0.0001) for m in months[:3]]
                     + [("seller", "S1", "hit_rate", m, 0.35) for m in months],
                     columns=["level", "unit_code", "kpi_code", "month", "value"])
    got = range_targets(t, months=months, time_rollup={"training_hours": "sum", "ideas": "sum", "hit_rate": "last"})
    got = got.set_index("kpi_code")
    assert sum([0.7] * 8) != 5.6 and sum([0.0001] * 3) != 0.0003
    assert got.loc["training_hours", "target"] == 5.6               # 0.7 × 8
    assert got.loc["training_hours", "units"] == 56_000             # in ten-thousandths
    assert got.loc["ideas", "target"] == 0.0003                     # 0.0001 × 3: four decimals stay exact
    assert got.loc["hit_rate", "target"] == 0.35


def test_float_sums_give_units_only_where_they_provably_round_to_them():
    small = [0.7] * 8
    units, exact = units_of_float_sums(np.array([sum(small)]), np.array([sum(small)]), np.array([8]))
    assert exact.tolist() == [True] and units.tolist() == [56_000]  # 5.6000000000000005 · 10^4 rounds to 56,000
    # two months of 12,345,678,901,234.5678: no float holds 18 digits, so the float sum cannot be trusted
    big = float(Decimal("12345678901234.5678"))
    units, exact = units_of_float_sums(np.array([big + big]), np.array([big + big]), np.array([2]))
    assert exact.tolist() == [False] and units.tolist() == [0]


def _sums(**columns) -> pd.DataFrame:
    base = dict.fromkeys(SALES_SUMS, 0)
    return pd.DataFrame([{**base, **columns}], index=pd.Index(["G"], name="group"))


def test_activity_sums_are_exact_and_money_is_cents_divided_once():
    acts = pd.DataFrame([  # value in hundredths
        ("G", "training_hours", 10, 1), ("G", "training_hours", 10, 1), ("G", "training_hours", 10, 1),
        ("G", "coaching_session", 10, 1), ("G", "goal_conversation", 20, 1),
    ], columns=["group", "type", "value", "n"])
    # 1,000 sales of 0.10 = 10,000 cents, all of them costed
    got = actuals_from_sums(_sums(amount=10_000, margin=6_000, costed_amount=10_000, costed_lines=1_000,
                                  lines=1_000), acts).loc["G"]
    assert sum([0.10] * 1_000) != 100.0
    assert got["revenue"] == 100.0 and got["gross_margin"] == 60.0
    assert got["training_hours"] == 0.3      # 0.1 × 3
    assert got["coaching_sessions"] == 0.3   # 0.1 + 0.2


def test_gross_margin_is_null_only_when_sales_exist_without_a_cost():
    no_acts = pd.DataFrame(columns=["group", "type", "value", "n"])
    uncosted = actuals_from_sums(_sums(amount=30, lines=3), no_acts).loc["G"]
    assert uncosted["revenue"] == 0.3
    assert np.isnan(uncosted["gross_margin"]) and np.isnan(uncosted["margin_pct"])
    nothing = actuals_from_sums(_sums(), no_acts).loc["G"]
    assert nothing["revenue"] == 0 and nothing["gross_margin"] == 0  # a sum over no sales is 0
    assert np.isnan(nothing["margin_pct"])                            # nothing to divide by
    # some lines costed: 10,000 cents costed with 6,000 margin, 30 cents without a cost
    mixed = actuals_from_sums(_sums(amount=10_030, margin=6_000, costed_amount=10_000, costed_lines=1_000,
                                    lines=1_003), no_acts).loc["G"]
    assert mixed["revenue"] == 100.3
    assert mixed["gross_margin"] == 60.0     # over the costed lines only
    assert mixed["margin_pct"] == 0.6        # 6,000 / 10,000: not diluted by the uncosted 0.30


# --------------------------------------------------------------------------------------------------
# through the API, on each backend


@pytest.fixture
def org(session):
    _, d1, d2, s1 = make_two_districts(session)
    s2 = make_seller(session, code="S2", district=d1)
    make_seller(session, code="S3", district=d2)
    make_seller(session, code="S4", district=d1)
    a1 = make_account(session, code="A1", district=d1, key_account=True, kam=s1)
    p = make_product(session, code="P1")
    tenth, cost = Decimal("0.10"), Decimal("0.04")
    sale = {"account_id": a1.id, "product_id": p.id, "quantity": Decimal(1), "amount": tenth}
    add_sales(session, [
        *(Sale(**sale, id=f"s1-{i}", date=date(2026, 1 + i % 2, 1 + i % 28), seller_id=s1.id, cost=cost)
          for i in range(1_000)),
        *(Sale(**sale, id=f"s2-{i}", date=date(2026, 2, 3), seller_id=s2.id, cost=None) for i in range(3))])
    add_activities(session, [
        Activity(id="t1", date=date(2026, 1, 5), seller_id=s1.id, account_id=None, type="training_hours",
                 value=Decimal("0.1")),
        Activity(id="t2", date=date(2026, 1, 6), seller_id=s1.id, account_id=None, type="training_hours",
                 value=Decimal("0.1")),
        Activity(id="t3", date=date(2026, 2, 7), seller_id=s1.id, account_id=None, type="training_hours",
                 value=Decimal("0.1")),
        Activity(id="m1", date=date(2026, 1, 8), seller_id=s1.id, account_id=a1.id, type="meeting",
                 value=Decimal("0.1")),
        Activity(id="m2", date=date(2026, 2, 8), seller_id=s1.id, account_id=a1.id, type="meeting",
                 value=Decimal("0.2")),
    ])
    targets = [("S1", "training_hours", 1, "0.1"), ("S1", "training_hours", 2, "0.2"),
               ("S1", "meetings", 1, "0.10"), ("S2", "meetings", 1, "0.10"), ("S4", "meetings", 1, "0.10"),
               ("S1", "revenue", 2, "2.80"), ("S2", "revenue", 2, "2.80")]
    add_targets(session, [Target(level="seller", unit_code=code, kpi_code=kpi, month=date(2026, m, 1),
                                 value=Decimal(v), source_period=f"2026-{m:02d}") for code, kpi, m, v in targets])
    return {"s1": s1}


@pytest.fixture
def admin(client, session):
    return login(client, make_user(session, role="admin"))


def _kpis(client, headers, path, period="2026-02", range_="ytd"):
    res = client.get(f"/api/v1/scorecards/{path}", params={"period": period, "range": range_}, headers=headers)
    assert res.status_code == 200, res.text
    return {k["code"]: k for p in res.json()["perspectives"] for k in p["kpis"]}


def test_targets_summed_over_months_and_sellers_are_exact(client, org, admin):
    s1 = _kpis(client, admin, "seller/S1")
    assert s1["training_hours"]["target"] == 0.3    # January 0.1 + February 0.2, summed in SQL
    assert s1["training_hours"]["actual"] == 0.3    # 0.1 × 3 logged
    assert s1["training_hours"]["status"] == "green"  # 0.3 / 0.3 = 1, not 0.999…
    d1 = _kpis(client, admin, "district/D1")
    assert d1["revenue"]["target"] == 5.6           # S1 2.80 + S2 2.80
    assert d1["meetings"]["target"] == 0.3          # S1, S2, S4: 0.10 each
    assert d1["training_hours"]["target"] == 0.3
    r1 = _kpis(client, admin, "region/R1")
    assert r1["meetings"]["target"] == 0.3 and r1["revenue"]["target"] == 5.6
    # the overview and a trend month (each month's own targets) give the same
    rows = client.get("/api/v1/scorecards/region/R1/children", params={"period": "2026-02", "range": "ytd"},
                      headers=admin).json()["children"]
    assert next(r for r in rows if r["code"] == "D1")["kpis"]["meetings"]["target"] == 0.3
    trend = client.get("/api/v1/scorecards/district/D1/trend", params={"period": "2026-02", "months": 2},
                       headers=admin).json()["points"]
    assert trend[0]["kpis"]["meetings"]["target"] == 0.3  # January


def test_revenue_of_a_thousand_small_sales_and_gross_margin_without_cost(client, org, admin):
    s1 = _kpis(client, admin, "seller/S1")
    assert s1["revenue"]["actual"] == 100.0         # 1,000 × 0.10
    assert s1["gross_margin"]["actual"] == 60.0     # 1,000 × (0.10 − 0.04)
    s2 = _kpis(client, admin, "seller/S2")
    assert s2["revenue"]["actual"] == 0.3           # 3 × 0.10
    assert s2["revenue"]["target"] == 2.8 and s2["revenue"]["attainment"] == pytest.approx(0.3 / 2.8)
    assert s2["gross_margin"]["actual"] is None and s2["margin_pct"]["actual"] is None  # no cost known
    assert s2["gross_margin"]["status"] == "none"
    s4 = _kpis(client, admin, "seller/S4")
    assert s4["revenue"]["actual"] == 0 and s4["gross_margin"]["actual"] == 0  # no sales: 0, not null
    assert s4["margin_pct"]["actual"] is None
    d1 = _kpis(client, admin, "district/D1")
    assert d1["revenue"]["actual"] == 100.3         # 100.00 + 0.30
    assert d1["gross_margin"]["actual"] == 60.0     # S1's costed lines; S2's 0.30 has no cost
    assert d1["margin_pct"]["actual"] == 0.6        # 60.00 / 100.00 over the costed lines
    d2 = _kpis(client, admin, "district/D2")
    assert d2["revenue"]["actual"] == 0 and d2["gross_margin"]["actual"] == 0


def test_an_accounts_activities_add_up_exactly(client, org, admin):
    # an account's activities are summed from the raw rows (no aggregate per account)
    assert _kpis(client, admin, "account/A1")["meetings"]["actual"] == 0.3  # 0.1 + 0.2


def test_a_manual_kpi_adds_up_exactly(client, session, org, admin):
    res = client.post("/api/v1/kpis", headers=admin, json={
        "code": "ideas", "name": "Ideas", "perspective": "learning", "unit": "count", "time_rollup": "sum"})
    assert res.status_code == 201, res.text
    session.add_all([KpiValue(level="seller", unit_code="S1", kpi_code="ideas", month=date(2026, m, 1),
                              value=Decimal(v), source_period=f"2026-{m:02d}") for m, v in ((1, "0.1"), (2, "0.2"))])
    session.flush()
    assert _kpis(client, admin, "seller/S1")["ideas"]["actual"] == 0.3  # 0.1 + 0.2


def test_targets_too_large_for_a_float_sum_are_summed_exactly(session, backend, org):
    if backend == "sqlite":
        pytest.skip("SQLite stores NUMERIC as an 8-byte float: 18 significant digits do not fit in it")
    add_targets(session, [Target(level="seller", unit_code="S3", kpi_code="revenue", month=date(2026, m, 1),
                                 value=Decimal("12345678901234.5678"), source_period=f"2026-{m:02d}") for m in (1, 2)])
    got = _targets(session, load_registry(session), ["2026-01", "2026-02"], [("seller", "S3"), ("seller", "S1")])
    got = got.set_index(["unit_code", "kpi_code"])["units"]
    assert got[("S3", "revenue")] == 246_913_578_024_691_356   # 2 × 12,345,678,901,234.5678, in ten-thousandths
    assert got[("S1", "training_hours")] == 3_000              # 0.1 + 0.2 beside it, from the float sum
