"""Stretch targets (PRODUCT.md §5, "The sales floor"), end to end: the `stretch` column of a targets
file, the stretch over a range and up the tree, `stretch_attainment` and the status `stretch`, and
every answer and file that shows a KPI's status. Figures worked out by hand in the comments.

The world (built once per backend, each test in a SAVEPOINT of it): region R1 with districts D1
(sellers S1, S2) and D2 (seller S3); a manual KPI `complaints` where lower is better (a level: its
range takes the last month). Sales of 2026 (revenue):

    S1: Jan 900, Feb 1,100, Mar 1,350      S2: Jan 500, Feb 500, Mar 460      S3: Mar 1,000

Revenue targets (monthly rows; stretch in brackets):

    S1: Jan 1,000 [1,300], Feb 1,000 [none], Mar 1,000 [1,300]
    S2: Jan 500, Feb 500, Mar 500 (no stretch)
    S3: Mar 900 [1,000]        D2: Mar 2,000 (its own; no stretch)     D1: none of its own

`complaints` for S1: target 6 [stretch 5] in Feb and Mar; values Feb 5.5, Mar 4.
The latest sale is in March, so the pages open on 2026-03. Logins: admin, finance, D1's leader.
"""

import csv
import io
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.analytics.scorecard import at_least_green, score_units, status
from app.analytics.targets import range_targets, resolve_plans, resolve_targets
from app.db import get_session
from app.exports.pack_tables import STATUS
from app.main import create_app
from app.models import KpiDefinition, KpiValue, Sale, Target, User
from app.scorecards.schemas import ScorecardRead
from tests.builders import (
    add_sales,
    add_targets,
    make_account,
    make_district,
    make_leader,
    make_product,
    make_region,
    make_seller,
    make_user,
    signed_in,
)

API = "/api/v1"
HEADER = "level,code,kpi,period,value,stretch\n"
ROLLUP = {"revenue": "sum", "margin_pct": "last"}


# --------------------------------------------------------------------------------------------------
# pure: the stretch over a range and up the tree (app.analytics.targets)


def _months(rows):
    return pd.DataFrame(rows, columns=["level", "unit_code", "kpi_code", "month", "value", "stretch"])


def test_a_ranges_stretch_sums_each_months_stretch_or_its_target():
    t = _months([
        ("seller", "S1", "revenue", "2026-01", 1000.0, 1300.0),
        ("seller", "S1", "revenue", "2026-02", 1000.0, np.nan),  # no stretch: counts with its target
        ("seller", "S1", "revenue", "2026-03", 1000.0, 1300.0),
        ("seller", "S2", "revenue", "2026-01", 500.0, np.nan),   # no month with a stretch: none
        ("seller", "S2", "revenue", "2026-02", 500.0, np.nan),
        ("seller", "S1", "margin_pct", "2026-01", 0.30, 0.40),
        ("seller", "S1", "margin_pct", "2026-02", 0.30, np.nan),  # the last month has none: none
        ("seller", "S2", "margin_pct", "2026-02", 0.30, 0.35),
    ])
    got = range_targets(t, months=["2026-01", "2026-02", "2026-03"], time_rollup=ROLLUP)
    got = got.set_index(["unit_code", "kpi_code"])
    # S1 revenue: target 1,000 × 3 = 3,000; stretch 1,300 + 1,000 (Feb's target) + 1,300 = 3,600
    assert got.loc[("S1", "revenue"), "target"] == 3000.0
    assert got.loc[("S1", "revenue"), "stretch"] == 3600.0
    assert got.loc[("S1", "revenue"), "stretch_units"] == 36_000_000  # in ten-thousandths
    assert np.isnan(got.loc[("S2", "revenue"), "stretch"])
    assert pd.isna(got.loc[("S2", "revenue"), "stretch_units"])
    # margin_pct takes the range's last month (March): S1 and S2 have no March row, so no target either
    assert ("S1", "margin_pct") not in got.index
    feb = range_targets(t, months=["2026-01", "2026-02"], time_rollup=ROLLUP).set_index(["unit_code", "kpi_code"])
    assert feb.loc[("S1", "margin_pct"), "target"] == 0.30 and np.isnan(feb.loc[("S1", "margin_pct"), "stretch"])
    assert feb.loc[("S2", "margin_pct"), "stretch"] == 0.35


def test_a_ranges_stretch_is_exact():
    # eight months of 0.7 with a stretch of 0.8 in three of them: 5 × 0.7 + 3 × 0.8 = 5.9 exactly
    months = [f"2026-{m:02d}" for m in range(1, 9)]
    t = _months([("seller", "S1", "revenue", m, 0.7, 0.8 if i < 3 else np.nan) for i, m in enumerate(months)])
    got = range_targets(t, months=months, time_rollup=ROLLUP).iloc[0]
    assert sum([0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7]) != 5.9  # what float additions give, month by month
    assert got["target"] == 5.6 and got["stretch"] == 5.9


def test_without_any_stretch_the_frame_says_none():
    t = pd.DataFrame([("seller", "S1", "revenue", "2026-01", 100.0)],
                     columns=["level", "unit_code", "kpi_code", "month", "value"])
    got = range_targets(t, months=["2026-01"], time_rollup=ROLLUP)
    assert list(got.columns) == ["level", "unit_code", "kpi_code", "target", "units", "stretch", "stretch_units"]
    assert got["target"].tolist() == [100.0] and np.isnan(got["stretch"].iloc[0])


def _own(rows):
    return pd.DataFrame(rows, columns=["level", "unit_code", "kpi_code", "target", "stretch"])


CHILDREN = {
    ("region", "R1"): [("district", "D1"), ("district", "D2")],
    ("district", "D1"): [("seller", "S1"), ("seller", "S2")],
    ("district", "D2"): [("seller", "S3")],
}


def test_a_unit_taking_its_target_from_its_children_takes_their_stretch_or_target():
    own = _own([
        ("seller", "S1", "revenue", 1000.0, 1300.0),
        ("seller", "S2", "revenue", 500.0, np.nan),
        ("seller", "S3", "revenue", 900.0, 1000.0),
        ("district", "D2", "revenue", 2000.0, np.nan),  # its own target, no stretch: S3's does not count
        ("seller", "S1", "meetings", 10.0, np.nan),
        ("seller", "S1", "margin_pct", 0.3, 0.4),       # ratios never add up: nor do their stretches
    ])
    units = [("region", "R1"), ("district", "D1"), ("district", "D2"), ("seller", "S2")]
    targets, stretches = resolve_plans(own, units=units, children=CHILDREN, additive={"revenue", "meetings"},
                                       kpis=["revenue", "meetings", "margin_pct"])
    # D1 = S1 + S2: target 1,000 + 500 = 1,500; stretch 1,300 + 500 (S2's target) = 1,800
    assert targets.loc[("district", "D1"), "revenue"] == 1500.0
    assert stretches.loc[("district", "D1"), "revenue"] == 1800.0
    assert np.isnan(stretches.loc[("district", "D2"), "revenue"])
    # R1 = D1 + D2: target 1,500 + 2,000 = 3,500; stretch 1,800 + 2,000 (D2's target) = 3,800
    assert targets.loc[("region", "R1"), "revenue"] == 3500.0
    assert stretches.loc[("region", "R1"), "revenue"] == 3800.0
    assert np.isnan(stretches.loc[("seller", "S2"), "revenue"])
    # no child has a stretch of meetings: a target of 10, no stretch
    assert targets.loc[("district", "D1"), "meetings"] == 10.0
    assert np.isnan(stretches.loc[("district", "D1"), "meetings"])
    assert np.isnan(targets.loc[("district", "D1"), "margin_pct"])
    assert np.isnan(stretches.loc[("district", "D1"), "margin_pct"])
    # the targets are what resolve_targets gives
    pd.testing.assert_frame_equal(
        targets, resolve_targets(own, units=units, children=CHILDREN, additive={"revenue", "meetings"},
                                 kpis=["revenue", "meetings", "margin_pct"]))


def test_a_districts_stretch_from_its_sellers_is_exact():
    own = _own([("seller", "S1", "revenue", 0.1, 0.2), ("seller", "S2", "revenue", 0.1, 0.1)])
    _, stretches = resolve_plans(own, units=[("district", "D1")], children=CHILDREN, additive={"revenue"},
                                 kpis=["revenue"])
    assert 0.2 + 0.1 != 0.3 and stretches.iloc[0, 0] == 0.3


# --------------------------------------------------------------------------------------------------
# pure: scoring against the stretch (app.analytics.scorecard)

KPIS = pd.DataFrame({
    "code": ["revenue", "complaints"],
    "name": ["Revenue", "Complaints"],
    "unit": ["currency", "count"],
    "direction": ["higher", "lower"],
    "perspective": ["financial", "process"],
    "weight": [1.0, 1.0],
    "green_threshold": [1.0, 1.0],
    "amber_threshold": [0.9, 0.9],
})
PERSPECTIVES = pd.DataFrame({"key": ["financial", "process"], "name": ["Financial", "Process"], "weight": [0.6, 0.4]})


def test_score_units_against_the_stretch_worked_by_hand():
    units = ["A", "B", "C"]
    actuals = pd.DataFrame({"revenue": [1350.0, 1200.0, 900.0], "complaints": [4.0, 5.5, 4.0]}, index=units)
    targets = pd.DataFrame({"revenue": [1000.0, 1000.0, 1000.0], "complaints": [6.0, 6.0, 6.0]}, index=units)
    stretches = pd.DataFrame({"revenue": [1300.0, 1300.0, np.nan], "complaints": [5.0, 5.0, np.nan]}, index=units)
    rows, persp, overall = score_units(actuals, targets, kpis=KPIS, perspectives=PERSPECTIVES, cap=1.2,
                                       stretches=stretches)
    got = rows[["entity", "code", "attainment", "score", "stretch", "stretch_attainment", "status"]]
    expected = pd.DataFrame({
        "entity": ["A", "A", "B", "B", "C", "C"],
        "code": ["revenue", "complaints"] * 3,
        # A revenue 1350 / 1000; complaints (lower) 6 / 4. B 1200 / 1000; 6 / 5.5. C 900 / 1000; 6 / 4
        "attainment": [1.35, 1.5, 1.2, 6 / 5.5, 0.9, 1.5],
        # capped at 1.2 whatever the stretch
        "score": [1.2, 1.2, 1.2, 6 / 5.5, 0.9, 1.2],
        "stretch": [1300.0, 5.0, 1300.0, 5.0, np.nan, np.nan],
        # A 1350 / 1300 = 1.0385 and (lower) 5 / 4 = 1.25: reached; B 1200 / 1300, 5 / 5.5: not
        "stretch_attainment": [1350 / 1300, 1.25, 1200 / 1300, 5 / 5.5, np.nan, np.nan],
        "status": ["stretch", "stretch", "green", "green", "amber", "green"],
    })
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_names=False)
    # the scores are the target's alone: the same without any stretch
    plain_rows, plain_persp, plain_overall = score_units(actuals, targets, kpis=KPIS, perspectives=PERSPECTIVES,
                                                         cap=1.2)
    pd.testing.assert_series_equal(rows["score"], plain_rows["score"])
    pd.testing.assert_frame_equal(persp, plain_persp)
    pd.testing.assert_series_equal(overall, plain_overall)
    assert overall["A"] == pytest.approx(0.6 * 1.2 + 0.4 * 1.2)
    assert plain_rows["status"].tolist() == ["green", "green", "green", "green", "amber", "green"]
    assert plain_rows["stretch"].isna().all() and plain_rows["stretch_attainment"].isna().all()


def test_stretch_is_above_green_and_only_once_green():
    att = pd.Series([1.05, 1.05, 1.2, 0.95, np.nan])
    stretch_att = pd.Series([1.0, 1.0, 0.99, 1.0, 1.0])
    # green from 1.1 for the second: its stretch (104 % of the target) reached at 105 % is still amber
    got = status(att, pd.Series([1.0, 1.1, 1.0, 1.0, 1.0]), 0.9, stretch_att)
    assert got.tolist() == ["stretch", "amber", "green", "amber", "none"]
    assert at_least_green(got).tolist() == [True, False, True, False, False]
    # without the stretch's attainment, the statuses as before
    assert status(att).tolist() == ["green", "green", "green", "amber", "none"]


# --------------------------------------------------------------------------------------------------
# the world: the importer, the answers and the files


@dataclass
class World:
    connection: Connection
    client: TestClient
    holder: dict
    users: dict[str, User] = field(default_factory=dict)

    def headers(self, who: str = "admin") -> dict[str, str]:
        return signed_in(self.users[who])


def _build(session: Session) -> dict[str, User]:
    r1 = make_region(session, code="R1")
    d1, d2 = make_district(session, code="D1", region=r1), make_district(session, code="D2", region=r1)
    s1, s2 = make_seller(session, code="S1", district=d1), make_seller(session, code="S2", district=d1)
    s3 = make_seller(session, code="S3", district=d2)
    a1, a3 = make_account(session, code="A1", district=d1), make_account(session, code="A3", district=d2)
    p = make_product(session, code="P1")
    session.add(KpiDefinition(code="complaints", name="Complaints", name_nb="Klager", perspective="process",
                              unit="count", direction="lower", weight=Decimal(1), time_rollup="last", manual=True,
                              active=True))
    session.flush()
    sales = [("x1", 1, s1, a1, "900"), ("x2", 2, s1, a1, "1100"), ("x3", 3, s1, a1, "1350"),
             ("y1", 1, s2, a1, "500"), ("y2", 2, s2, a1, "500"), ("y3", 3, s2, a1, "460"),
             ("z3", 3, s3, a3, "1000")]
    add_sales(session, [Sale(id=sid, date=date(2026, m, 10), seller_id=s.id, account_id=a.id, product_id=p.id,
                             quantity=Decimal(1), amount=Decimal(amount), cost=None)
                        for sid, m, s, a, amount in sales])
    session.add_all([KpiValue(level="seller", unit_code="S1", kpi_code="complaints", month=date(2026, m, 1),
                              value=Decimal(v), source_period=f"2026-{m:02d}") for m, v in ((2, "5.5"), (3, "4"))])
    targets = [("seller", "S1", "revenue", 1, "1000", "1300"), ("seller", "S1", "revenue", 2, "1000", None),
               ("seller", "S1", "revenue", 3, "1000", "1300"),
               *[("seller", "S2", "revenue", m, "500", None) for m in (1, 2, 3)],
               ("seller", "S3", "revenue", 3, "900", "1000"), ("district", "D2", "revenue", 3, "2000", None),
               ("seller", "S1", "complaints", 2, "6", "5"), ("seller", "S1", "complaints", 3, "6", "5")]
    add_targets(session, [Target(level=level, unit_code=code, kpi_code=kpi, month=date(2026, m, 1),
                                 value=Decimal(value), stretch=None if st is None else Decimal(st),
                                 source_period=f"2026-{m:02d}")
                          for level, code, kpi, m, value, st in targets])
    leader = make_leader(session, units=[("district", "D1")], email="lead1@example.com")
    return {
        "admin": make_user(session, role="admin", email="admin@example.com"),
        "finance": make_user(session, role="finance", email="okonomi@example.com"),
        "leader": make_user(session, role="leader", email=leader.email),
    }


@pytest.fixture(scope="module")
def world(engine) -> Iterator[World]:
    connection = engine.connect()
    outer = connection.begin()
    setup = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    holder = {"session": setup}
    app = create_app(precompute=False)

    def _session_override() -> Iterator[Session]:
        yield holder["session"]

    app.dependency_overrides[get_session] = _session_override
    try:
        users = _build(setup)
        setup.commit()
        with TestClient(app) as client:
            yield World(connection=connection, client=client, holder=holder, users=users)
    finally:
        setup.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def db(world) -> Iterator[Session]:
    """A session in a SAVEPOINT of the module's transaction (the app's too), rolled back after the test."""
    savepoint = world.connection.begin_nested()
    session = Session(bind=world.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    world.holder["session"] = session
    try:
        yield session
    finally:
        session.close()
        savepoint.rollback()


def upload(world: World, body: str | bytes, *, dataset: str = "targets", name: str = "targets.csv", who="admin"):
    data = body.encode() if isinstance(body, str) else body
    return world.client.post(f"{API}/imports/{dataset}", headers=world.headers(who),
                             files={"file": (name, data, "application/octet-stream")})


def stored(db: Session, code: str, kpi: str = "revenue", level: str = "seller") -> dict[str, tuple]:
    """{'YYYY-MM': (value, stretch)} of a unit's stored target rows, as Decimals (None: no stretch)."""
    rows = db.execute(select(Target.month, Target.value, Target.stretch).where(
        Target.level == level, Target.unit_code == code, Target.kpi_code == kpi).order_by(Target.month)).all()
    return {m.isoformat()[:7]: (Decimal(v).quantize(Decimal("0.01")),
                                None if s is None else Decimal(s).quantize(Decimal("0.01"))) for m, v, s in rows}


def count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Target))


# --- the import --------------------------------------------------------------------------------------


def test_a_yearly_stretch_is_phased_beside_its_target(world, db):
    # flat profile (no seasonality loaded): 12,000 / 12 = 1,000 a month; the stretch's excess of 0.05
    # (5 øre) goes one øre each to the months with the largest remainders, all equal: January to May
    res = upload(world, HEADER + "seller,S2,revenue,2027,12000,12000.05\nseller,S2,margin_pct,2027,0.3,0.35\n")
    assert res.status_code == 200, res.text
    assert (res.json()["inserted"], res.json()["updated"]) == (2, 0)
    rows = stored(db, "S2")
    year = {m: r for m, r in rows.items() if m.startswith("2027")}
    assert len(year) == 12
    assert [year[f"2027-{m:02d}"] for m in range(1, 6)] == [(Decimal("1000.00"), Decimal("1000.01"))] * 5
    assert [year[f"2027-{m:02d}"] for m in range(6, 13)] == [(Decimal("1000.00"), Decimal("1000.00"))] * 7
    assert sum(s for _, s in year.values()) == Decimal("12000.05")
    # margin % is a level: every month carries the yearly value and stretch
    margin = db.execute(select(Target.value, Target.stretch).where(
        Target.unit_code == "S2", Target.kpi_code == "margin_pct")).all()
    assert len(margin) == 12 and {(float(v), float(s)) for v, s in margin} == {(0.3, 0.35)}


def test_a_yearly_stretch_follows_the_seasonality(world, db):
    # weights 1 × 11 and 2 for December (13 in all): 13,000 → 1,000 a month and 2,000 in December;
    # the stretch 14,300 exceeds it by 1,300 → 100 a month and 200 in December: 1,100 and 2,200
    season = "month,weight\n" + "".join(f"{m},{2 if m == 12 else 1}\n" for m in range(1, 13))
    assert upload(world, season, dataset="seasonality", name="seasonality.csv").status_code == 200
    res = upload(world, HEADER + "seller,S3,revenue,2027,13000,14300\n")
    assert res.status_code == 200, res.text
    year = {m: r for m, r in stored(db, "S3").items() if m.startswith("2027")}
    assert year["2027-01"] == (Decimal("1000.00"), Decimal("1100.00"))
    assert year["2027-11"] == (Decimal("1000.00"), Decimal("1100.00"))
    assert year["2027-12"] == (Decimal("2000.00"), Decimal("2200.00"))
    assert sum(s for _, s in year.values()) == Decimal("14300.00")


def test_a_stretch_below_the_target_refuses_the_file(world, db):
    before = count(db)
    body = (HEADER + "seller,S2,revenue,2026-04,500,550\n"      # fine: it is written with the rest or not at all
            + "seller,S2,revenue,2026-05,500,450\n"              # row 3: below the target, revenue is higher-better
            + "seller,S1,complaints,2026-04,6,7\n"               # row 4: above the target, complaints are lower-better
            + "seller,S1,complaints,2026-05,6,6\n"               # equal is allowed
            + "seller,S2,revenue,2027,12000,11999.5\n")          # row 6: a yearly row, by its yearly figures
    res = upload(world, body)
    assert res.status_code == 422, res.text
    errors = res.json()["errors"]
    assert [(e["row"], e["column"], e["value"]) for e in errors] == [
        (3, "stretch", "450"), (4, "stretch", "7"), (6, "stretch", "11999.5")]
    assert errors[0]["message"] == ("the stretch 450 is below the target value 500: revenue is better higher, "
                                    "so its stretch must be at least its target")
    assert errors[1]["message"] == ("the stretch 7 is above the target value 6: complaints is better lower, "
                                    "so its stretch must be at most its target")
    assert "11999.5" in errors[2]["message"] and "12000" in errors[2]["message"]
    assert res.json()["error_count"] == 3
    assert count(db) == before  # nothing written, not even row 2
    assert "2026-04" not in stored(db, "S2")
    # the same rows with a stretch at (or beyond) the target load
    fixed = body.replace("2026-05,500,450", "2026-05,500,500").replace("2026-04,6,7", "2026-04,6,5").replace(
        "11999.5", "12000")
    res = upload(world, fixed)
    assert res.status_code == 200, res.text
    assert stored(db, "S2")["2026-05"] == (Decimal("500.00"), Decimal("500.00"))


def test_an_empty_stretch_is_none_and_a_changed_one_is_an_update(world, db):
    res = upload(world, HEADER + "seller,S2,revenue,2026-04,500,\nseller,S2,revenue,2026-05,500,600\n")
    assert res.status_code == 200, res.text
    assert (res.json()["inserted"], res.json()["updated"], res.json()["unchanged"]) == (2, 0, 0)
    assert stored(db, "S2")["2026-04"] == (Decimal("500.00"), None)
    # the same file again: unchanged; a changed stretch (and a stretch added, and one taken away): updated
    again = HEADER + "seller,S2,revenue,2026-04,500,\nseller,S2,revenue,2026-05,500,600\n"
    assert (upload(world, again).json()["unchanged"]) == 2
    res = upload(world, HEADER + "seller,S2,revenue,2026-04,500,520\nseller,S2,revenue,2026-05,500,\n"
                 + "seller,S1,revenue,2026-03,1000,1300\n")  # as the world holds it: unchanged
    assert (res.json()["inserted"], res.json()["updated"], res.json()["unchanged"]) == (0, 2, 1)
    rows = stored(db, "S2")
    assert rows["2026-04"] == (Decimal("500.00"), Decimal("520.00"))
    assert rows["2026-05"] == (Decimal("500.00"), None)
    # a targets file without the column at all: no stretch (the optional column may be left out)
    res = upload(world, "level,code,kpi,period,value\nseller,S2,revenue,2026-06,500\n")
    assert res.status_code == 200, res.text
    assert stored(db, "S2")["2026-06"] == (Decimal("500.00"), None)


def test_a_stretch_from_an_xlsx_file(world, db):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "targets"
    for row in (["level", "code", "kpi", "period", "value", "stretch"],
                ["seller", "S2", "revenue", "2026-04", 500, 612.5], ["seller", "S2", "revenue", "2026-05", 500, None],
                ["seller", "S2", "revenue", "2026-06", 500, 499]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    res = upload(world, out.getvalue(), name="targets.xlsx")
    assert res.status_code == 422, res.text
    assert [(e["row"], e["column"], e["value"]) for e in res.json()["errors"]] == [(4, "stretch", "499")]
    sheet["F4"] = 500
    out = io.BytesIO()
    book.save(out)
    res = upload(world, out.getvalue(), name="targets.xlsx")
    assert res.status_code == 200, res.text
    rows = stored(db, "S2")
    assert (rows["2026-04"], rows["2026-05"], rows["2026-06"]) == (
        (Decimal("500.00"), Decimal("612.50")), (Decimal("500.00"), None), (Decimal("500.00"), Decimal("500.00")))


def test_a_locked_month_refuses_a_stretch_change_like_a_value_change(world, db):
    res = world.client.post(f"{API}/periods/2026-03/lock", headers=world.headers("finance"))
    assert res.status_code == 201, res.text
    # S1's March as stored (1,000, stretch 1,300): unchanged, so it loads after the lock
    res = upload(world, HEADER + "seller,S1,revenue,2026-03,1000,1300\n")
    assert res.status_code == 200, res.text
    assert res.json()["unchanged"] == 1
    for row in ("seller,S1,revenue,2026-03,1000,1400\n",    # a changed stretch
                "seller,S1,revenue,2026-03,1000,\n",        # the stretch taken away
                "seller,S2,revenue,2026-03,500,600\n"):     # a stretch added
        res = upload(world, HEADER + row)
        assert res.status_code == 422, (row, res.text)
        (error,) = res.json()["errors"]
        assert (error["row"], error["column"], error["value"]) == (2, "period", "2026-03")
        assert error["message"].startswith("2026-03 is locked (by okonomi@example.com on ")
        assert error["message"].endswith("unlock it to change its targets")
    assert stored(db, "S1")["2026-03"] == (Decimal("1000.00"), Decimal("1300.00"))
    assert stored(db, "S2")["2026-03"] == (Decimal("500.00"), None)


# --- the answers -------------------------------------------------------------------------------------


def _card(world: World, path: str, period="2026-03", range_="month", who="admin") -> dict:
    res = world.client.get(f"{API}/scorecards/{path}", params={"period": period, "range": range_},
                           headers=world.headers(who))
    assert res.status_code == 200, res.text
    return res.json()


def _kpis(card: dict) -> dict[str, dict]:
    return {k["code"]: k for p in card["perspectives"] for k in p["kpis"]}


def test_a_sellers_card_beyond_its_stretch(world, db):
    card = _card(world, "seller/S1")
    ScorecardRead.model_validate(card)
    revenue = _kpis(card)["revenue"]
    # March: actual 1,350 against the target 1,000 and the stretch 1,300
    assert (revenue["actual"], revenue["target"], revenue["stretch"]) == (1350.0, 1000.0, 1300.0)
    assert revenue["attainment"] == pytest.approx(1.35)
    assert revenue["score"] == 1.2  # capped at 120 %, as without a stretch
    assert revenue["stretch_attainment"] == pytest.approx(1350 / 1300)  # 1.0385
    assert revenue["status"] == "stretch"
    # February (the previous period): 1,100 against 1,000, no stretch that month
    assert revenue["previous"] == {"actual": 1100.0, "target": 1000.0, "attainment": pytest.approx(1.1),
                                   "status": "green", "stretch": None, "stretch_attainment": None}
    # complaints, lower is better: 4 against the target 6 and the stretch 5: 6 / 4 = 1.5, 5 / 4 = 1.25
    complaints = _kpis(card)["complaints"]
    assert (complaints["attainment"], complaints["score"], complaints["stretch"]) == (1.5, 1.2, 5.0)
    assert complaints["stretch_attainment"] == 1.25 and complaints["status"] == "stretch"
    # every score at the cap: financial (revenue alone has a target) 1.2, process (complaints) 1.2
    assert {p["key"]: p["score"] for p in card["perspectives"]}["financial"] == 1.2
    assert card["overall_score"] == pytest.approx(1.2)
    # a KPI without a stretch says so
    assert _kpis(card)["meetings"]["stretch"] is None and _kpis(card)["meetings"]["stretch_attainment"] is None


def test_the_year_to_date_sums_a_month_without_a_stretch_with_its_target(world, db):
    revenue = _kpis(_card(world, "seller/S1", range_="ytd"))["revenue"]
    # Jan–Mar: actual 900 + 1,100 + 1,350 = 3,350; target 3,000; stretch 1,300 + 1,000 + 1,300 = 3,600
    assert (revenue["actual"], revenue["target"], revenue["stretch"]) == (3350.0, 3000.0, 3600.0)
    assert revenue["attainment"] == pytest.approx(3350 / 3000)           # 1.1167
    assert revenue["stretch_attainment"] == pytest.approx(3350 / 3600)   # 0.9306: not reached
    assert revenue["status"] == "green"
    # complaints take the range's last month (March): 5
    assert _kpis(_card(world, "seller/S1", range_="ytd"))["complaints"]["stretch"] == 5.0


def test_a_district_takes_its_stretch_from_its_sellers(world, db):
    d1 = _kpis(_card(world, "district/D1"))["revenue"]
    # March: target 1,000 + 500 = 1,500; stretch 1,300 + 500 (S2 has none: its target) = 1,800;
    # actual 1,350 + 460 = 1,810: attainment 1.2067 (score capped 1.2), stretch attainment 1.0056
    assert (d1["actual"], d1["target"], d1["stretch"]) == (1810.0, 1500.0, 1800.0)
    assert d1["score"] == 1.2 and d1["stretch_attainment"] == pytest.approx(1810 / 1800)
    assert d1["status"] == "stretch"
    ytd = _kpis(_card(world, "district/D1", range_="ytd"))["revenue"]
    # Jan–Mar: target 3,000 + 1,500 = 4,500; stretch 3,600 + 1,500 = 5,100; actual 3,350 + 1,460 = 4,810
    assert (ytd["actual"], ytd["target"], ytd["stretch"]) == (4810.0, 4500.0, 5100.0)
    assert ytd["status"] == "green" and ytd["stretch_attainment"] == pytest.approx(4810 / 5100)
    # D2 has a target of its own without a stretch: S3's stretch does not make it one
    d2 = _kpis(_card(world, "district/D2"))["revenue"]
    assert (d2["target"], d2["stretch"], d2["status"]) == (2000.0, None, "red")  # 1,000 / 2,000
    # R1 = D1 + D2: target 1,500 + 2,000 = 3,500; stretch 1,800 + 2,000 = 3,800; actual 2,810
    r1 = _kpis(_card(world, "region/R1"))["revenue"]
    assert (r1["actual"], r1["target"], r1["stretch"]) == (2810.0, 3500.0, 3800.0)
    assert r1["stretch_attainment"] == pytest.approx(2810 / 3800) and r1["status"] == "red"  # 0.803


def test_children_and_trend_carry_the_stretch(world, db):
    res = world.client.get(f"{API}/scorecards/district/D1/children", params={"period": "2026-03", "range": "month"},
                           headers=world.headers("leader"))
    assert res.status_code == 200, res.text
    kids = {c["code"]: c["kpis"]["revenue"] for c in res.json()["children"]}
    assert (kids["S1"]["stretch"], kids["S1"]["status"]) == (1300.0, "stretch")
    assert kids["S1"]["stretch_attainment"] == pytest.approx(1350 / 1300)
    # S2: 460 against 500 (0.92, amber), no stretch
    assert (kids["S2"]["stretch"], kids["S2"]["stretch_attainment"], kids["S2"]["status"]) == (None, None, "amber")
    res = world.client.get(f"{API}/scorecards/seller/S1/trend", params={"period": "2026-03", "months": 3},
                           headers=world.headers("leader"))
    assert res.status_code == 200, res.text
    points = {p["period"]: p["kpis"]["revenue"] for p in res.json()["points"]}
    # Jan 900 / 1,000 = 0.9 (amber) against a stretch of 1,300 (0.692); Feb no stretch; Mar beyond it
    assert [(p["stretch"], p["status"]) for p in points.values()] == [
        (1300.0, "amber"), (None, "green"), (1300.0, "stretch")]
    assert points["2026-01"]["stretch_attainment"] == pytest.approx(900 / 1300)


def test_a_leader_sees_the_stretch_of_their_sellers_only(world, db):
    # refused: D2 and its seller are not D1's leader's (404); allowed: D1's seller (above)
    for path in ("seller/S3", "district/D2"):
        res = world.client.get(f"{API}/scorecards/{path}", params={"period": "2026-03", "range": "month"},
                               headers=world.headers("leader"))
        assert res.status_code == 404, res.text
    assert _kpis(_card(world, "seller/S1", who="leader"))["revenue"]["stretch"] == 1300.0


def test_an_imported_stretch_reaches_the_card(world, db):
    # S2's March: a stretch of 450... refused (below 500); of 455.5 beside a target of 455.5 (equal: allowed)
    assert upload(world, HEADER + "seller,S2,revenue,2026-03,500,450\n").status_code == 422
    res = upload(world, HEADER + "seller,S2,revenue,2026-03,455.5,455.5\n")
    assert res.status_code == 200, res.text
    revenue = _kpis(_card(world, "seller/S2"))["revenue"]
    # 460 / 455.5 = 1.0099 against both: green and the stretch reached
    assert (revenue["target"], revenue["stretch"], revenue["status"]) == (455.5, 455.5, "stretch")
    # D1 now: target 1,000 + 455.5 = 1,455.5; stretch 1,300 + 455.5 = 1,755.5
    d1 = _kpis(_card(world, "district/D1"))["revenue"]
    assert (d1["target"], d1["stretch"]) == (1455.5, 1755.5)


# --- the files -----------------------------------------------------------------------------------------


def _csv(res) -> list[dict[str, str]]:
    assert res.status_code == 200, res.text
    return list(csv.DictReader(io.StringIO(res.content.decode("utf-8-sig")), delimiter=","))


def test_the_kpi_download_shows_the_stretch(world, db):
    res = world.client.get(f"{API}/scorecards/seller/S1/export", headers=world.headers("leader"),
                           params={"period": "2026-03", "range": "month", "table": "kpis", "format": "csv"})
    revenue = next(r for r in _csv(res) if r["Code"] == "revenue")
    assert (revenue["Status"], revenue["Stretch"], revenue["Stretch attainment"]) == (
        "stretch reached", "1300", "1.038462")  # 1350 / 1300 to six decimals
    meetings = next(r for r in _csv(res) if r["Code"] == "meetings")
    assert (meetings["Stretch"], meetings["Stretch attainment"]) == ("", "")
    # the team page's heatmap figures, in bokmål: S1's revenue beyond its stretch, S2's close (460 / 500)
    res = world.client.get(f"{API}/scorecards/district/D1/export", headers=world.headers("leader"),
                           params={"period": "2026-03", "range": "month", "table": "heatmap", "format": "csv",
                                   "lang": "nb", "delimiter": ";", "decimal": ","})
    assert res.status_code == 200, res.text
    rows = {r["Kode"]: r for r in csv.DictReader(io.StringIO(res.content.decode("utf-8-sig")), delimiter=";")}
    assert (rows["S1"]["Omsetning: status"], rows["S2"]["Omsetning: status"]) == ("strekkmål nådd", "nær")


def test_the_meeting_pack_shows_the_stretch(world, db):
    params = {"level": "district", "code": "D1", "period": "2026-03", "range": "month"}
    res = world.client.get(f"{API}/meetings/pack", params={**params, "format": "json"}, headers=world.headers("leader"))
    assert res.status_code == 200, res.text
    pack = res.json()
    revenue = _kpis(pack["scorecard"])["revenue"]
    assert (revenue["stretch"], revenue["status"]) == (1800.0, "stretch")
    ranking = {c["code"]: c["kpis"]["revenue"] for c in pack["ranking"]}
    assert (ranking["S1"]["stretch"], ranking["S1"]["status"]) == (1300.0, "stretch")
    res = world.client.get(f"{API}/meetings/pack", params={**params, "format": "xlsx", "lang": "nb"},
                           headers=world.headers("leader"))
    assert res.status_code == 200, res.text
    sheet = openpyxl.load_workbook(io.BytesIO(res.content))["Scorecard"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in sheet.iter_rows(min_row=2)]
    revenue_row = next(r for r in rows if r["Kode"] == "revenue")
    assert (revenue_row["Status"], revenue_row["Strekkmål"]) == ("strekkmål nådd", 1800)
    res = world.client.get(f"{API}/meetings/pack", params={**params, "format": "pdf", "lang": "en"},
                           headers=world.headers("leader"))
    assert res.status_code == 200 and res.content.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=res.content, capture_output=True,
                              check=True).stdout.decode()
        assert "Stretch" in text  # the scorecard table's column
        # D1's revenue row: actual NOK 1,810, target 1,500, stretch 1,800, 121 %, "stretch reached"
        line = next(x for x in text.splitlines() if x.strip().startswith("Revenue"))
        assert " ".join(line.split()).startswith("Revenue NOK 1,810 NOK 1,500 NOK 1,800 121% stretch reached")


def test_the_status_words_name_the_stretch():
    assert (STATUS["en"]["stretch"], STATUS["nb"]["stretch"]) == ("stretch reached", "strekkmål nådd")


def test_stretches_too_large_for_a_float_sum_are_summed_exactly(world, db, backend):
    if backend == "sqlite":
        pytest.skip("SQLite stores NUMERIC as an 8-byte float: 18 significant digits do not fit in it")
    from app.reporting.registry import load_registry
    from app.reporting.unit_targets import summed_targets

    add_targets(db, [Target(level="seller", unit_code="S3", kpi_code="revenue", month=date(2025, m, 1),
                            value=Decimal("12345678901234.5678"),
                            stretch=Decimal("12345678901234.5679") if m == 1 else None,
                            source_period=f"2025-{m:02d}") for m in (1, 2)])
    got = summed_targets(db, load_registry(db), ["2025-01", "2025-02"], [("seller", "S3")])
    row = got.set_index(["unit_code", "kpi_code"]).loc[("S3", "revenue")]
    assert row["units"] == 246_913_578_024_691_356           # 2 × 12,345,678,901,234.5678, in ten-thousandths
    assert row["stretch_units"] == 246_913_578_024_691_357   # one ten-thousandth more: January's stretch


# --- the charts ------------------------------------------------------------------------------------------


def test_the_bullet_chart_marks_the_stretch_and_the_status_in_blue_with_a_star():
    import plotly.graph_objects as go

    from app.charts.palette import GREEN, STATUS_COLOR, STATUS_MARK, STATUS_SYMBOL
    from app.charts.scorecard import kpi_bullets, kpi_trend

    kpis = pd.DataFrame({
        "name": ["Revenue", "Complaints", "Meetings"], "unit": ["currency", "count", "count"],
        "direction": ["higher", "lower", "higher"],
        "actual": [1350.0, 4.0, 9.0], "target": [1000.0, 6.0, 10.0], "attainment": [1.35, 1.5, 0.9],
        "status": ["stretch", "stretch", "amber"], "stretch": [1300.0, 5.0, np.nan],
    })
    fig = kpi_bullets(kpis)
    go.Figure(fig)  # Plotly accepts every property
    (mark,) = [t for t in fig["data"] if t.get("name") == "Stretch"]
    # where reaching the stretch puts the attainment: 1,300 / 1,000 = 1.3; lower is better: 6 / 5 = 1.2
    assert list(mark["y"]) == ["Revenue", "Complaints"] and list(mark["x"]) == [1.3, 1.2]
    assert mark["text"] == ["Stretch: 1,300", "Stretch: 5"]  # counts whole, as the tables write them
    bar = next(t for t in fig["data"] if t.get("marker", {}).get("color") and isinstance(t["marker"]["color"], list))
    assert bar["marker"]["color"][:2] == [STATUS_COLOR["stretch"]] * 2 != [GREEN] * 2
    assert (STATUS_SYMBOL["stretch"], STATUS_MARK["stretch"]) == ("star", "★")
    # without any stretch, no mark
    assert all(t.get("name") != "Stretch" for t in kpi_bullets(kpis.assign(stretch=np.nan))["data"])
    points = pd.DataFrame({"period": ["2026-01", "2026-02"], "actual": [900.0, 1100.0], "target": [1000.0, 1000.0],
                           "attainment": [0.9, 1.1], "status": ["amber", "green"], "stretch": [1300.0, np.nan]})
    trend = kpi_trend(points, name="Revenue", unit="currency")
    go.Figure(trend)
    (line,) = [t for t in trend["data"] if t.get("name") == "Stretch"]
    assert list(line["y"])[0] == 1300.0 and np.isnan(list(line["y"])[1])
