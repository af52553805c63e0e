"""Achievements (PRODUCT.md §5, "The sales floor"): the rules on literal frames, the README's table, and a
small world worked out by hand, loaded through real imports over the API.

The world (built once per backend; each test runs in a SAVEPOINT of it): region R1 with districts D1
(sellers S1 Siri and S2 Stig, account AC1) and D2 (seller S3 Sara, account AC2), everyone from
2020-01-01; product P; the fiscal year is the calendar year. Logins: an administrator, D1's leader,
R1's leader, sellers S1 and S3.

Targets (`TARGETS`, loaded first): revenue 2026-03 S1 1,000 with a stretch of 1,500, S2 2,000, S3 500,
D2 800 (D2's own; D1 has none, so it takes its sellers': 1,000 + 2,000 = 3,000, and the stretch of
its sellers' stretch-or-target: 1,500 + 2,000 = 3,500); 2026-04 S1 1,000 (no stretch). So the year
2026: S1 2,000 (stretch 1,500 + 1,000 = 2,500), S2 2,000, S3 500, D1 4,000 (stretch 2,500 + 2,000 =
4,500), D2 800.

Sales (`SALES`): x1 5 Mar S1 400.00, x2 12 Mar S1 700.00, x3 20 Mar S1 500.00, x4 10 Mar S2 1,500.00,
x5 25 Mar S3 600.00. So in March:
- S1: running 400 (5th), 1,100 (12th), 1,600 (20th): 100 % (1,000) on the 12th, 120 % (1,200) and
  the stretch (1,500) on the 20th; the year's 1,600 < 2,000.
- S2: 1,500 < 2,000: nothing.
- S3: 600 on the 25th: 100 % (500) and 120 % (600, exactly) of the month and of the year (500).
- D1: running 400 (5th), 1,900 (10th), 2,600 (12th), 3,100 (20th): 100 % (3,000) on the 20th;
  120 % = 3,600 and the stretch 3,500 not; the year's 3,100 < 4,000.
- D2: 600 < 800: nothing. April has no sales loaded: no actual, nothing.
That is eight achievements (`FIRST`).
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.analytics.achievements import RULES, first_reached, goals
from app.db import get_session
from app.main import create_app
from app.models import Achievement, AuditEvent, User
from app.reporting.scorecards import score_all
from app.tokens.service import create_token
from tests.builders import (
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
README = Path(__file__).resolve().parents[1] / "README.md"
HEADING = "### Achievements: when a goal counts"
HEADER = [
    "| order | rule | KPI | period | threshold | reached when |",
    "| --- | --- | --- | --- | --- | --- |",
]
NAN = float("nan")

TARGETS = (
    "level,code,kpi,period,value,stretch\n"
    "seller,S1,revenue,2026-03,1000,1500\n"
    "seller,S2,revenue,2026-03,2000,\n"
    "seller,S3,revenue,2026-03,500,\n"
    "district,D2,revenue,2026-03,800,\n"
    "seller,S1,revenue,2026-04,1000,\n"
)
SALES_HEADER = "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
SALES = (
    SALES_HEADER + "x1,2026-03-05,S1,AC1,P,1,400.00,\n"
    "x2,2026-03-12,S1,AC1,P,1,700.00,\n"
    "x3,2026-03-20,S1,AC1,P,1,500.00,\n"
    "x4,2026-03-10,S2,AC1,P,1,1500.00,\n"
    "x5,2026-03-25,S3,AC2,P,1,600.00,\n"
)
# (level, code, kpi, period, threshold): (goal, actual, reached_at)
FIRST = {
    ("seller", "S1", "revenue", "2026-03", "100"): (1000.0, 1600.0, "2026-03-12"),
    ("seller", "S1", "revenue", "2026-03", "120"): (1200.0, 1600.0, "2026-03-20"),
    ("seller", "S1", "revenue", "2026-03", "stretch"): (1500.0, 1600.0, "2026-03-20"),
    ("seller", "S3", "revenue", "2026-03", "100"): (500.0, 600.0, "2026-03-25"),
    ("seller", "S3", "revenue", "2026-03", "120"): (600.0, 600.0, "2026-03-25"),
    ("seller", "S3", "revenue", "2026", "100"): (500.0, 600.0, "2026-03-25"),
    ("seller", "S3", "revenue", "2026", "120"): (600.0, 600.0, "2026-03-25"),
    ("district", "D1", "revenue", "2026-03", "100"): (3000.0, 3100.0, "2026-03-20"),
}


# --- the rules, on literal frames ---------------------------------------------------------------


def figure(**row) -> dict:
    base = {
        "level": "seller",
        "code": "S1",
        "kpi": "revenue",
        "span": "month",
        "period": "2026-03",
        "direction": "higher",
        "celebrated": False,
        "actual": 0.0,
        "target": 1000.0,
        "stretch": NAN,
    }
    return {**base, **row}


def reached(*rows: dict) -> list[tuple]:
    out = goals(pd.DataFrame([figure(**r) for r in rows]))
    return [(c, t, g, bool(m)) for c, t, g, m in zip(out["code"], out["threshold"], out["goal"], out["met"], strict=True)]


def test_revenue_thresholds_are_exact_to_the_cent():
    # 120 % of 1,000 is 1,200.00: 1,199.99 is short by a cent, 1,200.00 reaches it
    assert sorted(reached({"code": "A", "actual": 1199.99}, {"code": "B", "actual": 1200.0})) == [
        ("A", "100", 1000.0, True),
        ("A", "120", 1200.0, False),
        ("B", "100", 1000.0, True),
        ("B", "120", 1200.0, True),
    ]
    # 120 % of 0.1 + 0.2 (0.3, four decimals: 3,000 units): 0.36 exactly, which floats get wrong
    # (0.3 * 1.2 = 0.36 in floats is 0.359999...96, so 0.36 "passes" only by luck of rounding)
    assert reached({"target": 0.3, "actual": 0.36}) == [("S1", "100", 0.3, True), ("S1", "120", 0.36, True)]
    assert reached({"target": 0.3, "actual": 0.35}) == [("S1", "100", 0.3, True), ("S1", "120", 0.36, False)]


def test_the_stretch_is_a_goal_only_where_one_is_set_and_no_target_is_no_goal():
    assert reached({"actual": 1500.0, "stretch": 1500.0}) == [
        ("S1", "100", 1000.0, True),
        ("S1", "120", 1200.0, True),
        ("S1", "stretch", 1500.0, True),
    ]
    assert reached({"actual": 1499.99, "stretch": 1500.0})[-1] == ("S1", "stretch", 1500.0, False)
    # no target, a zero or negative target: no goal at all; no actual (not loaded yet): reaches nothing
    assert reached({"target": NAN, "actual": 5.0}, {"target": 0.0, "actual": 5.0}, {"target": -1.0}) == []
    assert reached({"actual": NAN}) == [("S1", "100", 1000.0, False), ("S1", "120", 1200.0, False)]


def test_a_year_has_the_same_thresholds_and_districts_count_like_sellers():
    assert reached({"level": "district", "code": "D1", "span": "year", "period": "2026", "actual": 4000.0,
                    "target": 4000.0, "stretch": 4500.0}) == [
        ("D1", "100", 4000.0, True),
        ("D1", "120", 4800.0, False),
        ("D1", "stretch", 4500.0, False),
    ]


def test_a_celebrated_kpi_counts_its_month_target_only_direction_aware():
    rows = [
        {"code": "A", "kpi": "meetings", "celebrated": True, "actual": 2.0, "target": 2.0, "stretch": 3.0},
        {"code": "B", "kpi": "meetings", "celebrated": False, "actual": 9.0, "target": 2.0},  # not celebrated
        {"code": "C", "kpi": "days", "celebrated": True, "direction": "lower", "actual": 4.0, "target": 5.0},
        {"code": "D", "kpi": "days", "celebrated": True, "direction": "lower", "actual": 6.0, "target": 5.0},
        {"code": "E", "kpi": "meetings", "celebrated": True, "span": "year", "period": "2026", "actual": 9.0,
         "target": 2.0},  # a year of a celebrated KPI: no rule
    ]
    # 2 / 2 = 100 % (its stretch is no goal: only revenue has stretch and 120 % goals); lower is better:
    # 5 / 4 = 125 % reaches it, 5 / 6 = 83 % does not
    assert reached(*rows) == [("A", "100", 2.0, True), ("C", "100", 5.0, True), ("D", "100", 5.0, False)]


def test_first_reached_is_the_day_the_running_total_passes_the_goal():
    wanted = pd.DataFrame([
        {"level": "seller", "code": "S1", "span": "month", "threshold": "100", "first_day": date(2026, 3, 1),
         "last_day": date(2026, 3, 31), "target": 1000.0, "stretch": NAN},
        {"level": "seller", "code": "S1", "span": "month", "threshold": "120", "first_day": date(2026, 3, 1),
         "last_day": date(2026, 3, 31), "target": 1000.0, "stretch": NAN},
        {"level": "seller", "code": "S1", "span": "year", "threshold": "stretch", "first_day": date(2026, 1, 1),
         "last_day": date(2026, 12, 31), "target": 1000.0, "stretch": 1300.0},
    ], index=[10, 11, 12])
    daily = pd.DataFrame([
        # February counts for the year only; a credit note on 15 March dips the running total
        {"level": "seller", "code": "S1", "day": date(2026, 2, 20), "cents": 30_000},
        {"level": "seller", "code": "S1", "day": date(2026, 3, 5), "cents": 90_000},
        {"level": "seller", "code": "S1", "day": date(2026, 3, 10), "cents": 20_000},
        {"level": "seller", "code": "S1", "day": date(2026, 3, 15), "cents": -50_000},
        {"level": "seller", "code": "S1", "day": date(2026, 3, 20), "cents": 60_000},
        {"level": "seller", "code": "S2", "day": date(2026, 3, 1), "cents": 999_999},
    ])
    # month: 900 (5th), 1,100 (10th: ≥ 1,000), 600 (15th), 1,200 (20th: ≥ 1,200);
    # year: 300, 1,200, 1,400 (10th: ≥ 1,300)
    got = first_reached(wanted, daily)
    assert list(got.index) == [10, 11, 12]
    assert list(got) == [date(2026, 3, 10), date(2026, 3, 20), date(2026, 3, 10)]


def readme_table() -> list[str]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER[0], lines.index(HEADING))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]


def test_the_readme_table_is_the_rules():
    kpi = {"revenue": "`revenue`", "celebrated": "a celebrated KPI"}
    expected = [
        *HEADER,
        *(f"| {i} | `{r.rule}` | {kpi[r.kpi]} | {r.span} | `{r.threshold}` | {r.text} |" for i, r in enumerate(RULES, 1)),
    ]
    assert readme_table() == expected, "README.md, " + HEADING + ": the rules' table is\n" + "\n".join(expected)
    assert len({r.rule for r in RULES}) == len(RULES)
    assert all(r.text and r.text_nb and r.text != r.text_nb for r in RULES)


# --- the world ------------------------------------------------------------------------------------


@dataclass
class World:
    connection: Connection
    client: TestClient
    holder: dict
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        if who in self.tokens:
            return {"Authorization": f"Bearer {self.tokens[who]}"}
        return signed_in(self.users[who])


def _build(session: Session) -> tuple[dict[str, User], dict[str, str]]:
    r1 = make_region(session, code="R1")
    d1, d2 = make_district(session, code="D1", region=r1), make_district(session, code="D2", region=r1)
    s1 = make_seller(session, code="S1", district=d1, name="Siri", email="s1@example.com")
    make_seller(session, code="S2", district=d1, name="Stig", email="s2@example.com")
    s3 = make_seller(session, code="S3", district=d2, name="Sara", email="s3@example.com")
    make_account(session, code="AC1", district=d1)
    make_account(session, code="AC2", district=d2)
    make_product(session, code="P")
    lead1 = make_leader(session, units=[("district", "D1")], email="lead1@example.com")
    lead_r1 = make_leader(session, units=[("region", "R1")], email="leadr1@example.com")
    users = {
        "admin": make_user(session, role="admin", email="admin@example.com"),
        "leader": make_user(session, role="leader", email=lead1.email),
        "region_leader": make_user(session, role="leader", email=lead_r1.email),
        "seller": make_user(session, role="seller", email=s1.email),
        "seller3": make_user(session, role="seller", email=s3.email),
    }
    tokens = {
        "reader_token": create_token(
            session, user=users["admin"], name="floor", scopes=["scorecards:read"], expires_in_days=None
        ).token,
        "budget_token": create_token(
            session, user=users["admin"], name="budgets", scopes=["budgets:read"], expires_in_days=None
        ).token,
    }
    return users, tokens


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
        users, tokens = _build(setup)
        setup.commit()
        with TestClient(app) as client:
            w = World(connection=connection, client=client, holder=holder, users=users, tokens=tokens)
            loading = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
            holder["session"] = loading
            for dataset, body in (("targets", TARGETS), ("sales", SALES)):
                res = upload(w, dataset, body)
                assert res.status_code == 200, res.text
            loading.close()
            yield w
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


def upload(world: World, dataset: str, body: str):
    return world.client.post(f"{API}/imports/{dataset}", headers=world.headers("admin"),
                             files={"file": (f"{dataset}.csv", body.encode(), "text/csv")})


def loaded(world: World, dataset: str, body: str) -> None:
    res = upload(world, dataset, body)
    assert res.status_code == 200, res.text


def stored(db: Session) -> dict[tuple, tuple]:
    """Every achievement row: (level, code, kpi, period, threshold) -> (goal, actual, reached_on, revised)."""
    return {
        (a.level, a.code, a.kpi_code, a.period, a.threshold): (
            float(a.goal), float(a.actual), a.reached_on.isoformat(), a.revised_at is not None
        )
        for a in db.scalars(select(Achievement))
    }


def listed(world: World, who: str = "admin", **params) -> list[dict]:
    res = world.client.get(f"{API}/achievements", params=params, headers=world.headers(who))
    assert res.status_code == 200, res.text
    return res.json()["items"]


def keys(items: list[dict]) -> list[tuple]:
    return sorted((i["level"], i["code"], i["kpi"], i["period"], i["threshold"]) for i in items)


def test_the_first_imports_record_who_reached_what_and_when(world, db):
    assert stored(db) == {k: (*v, False) for k, v in FIRST.items()}
    items = listed(world)
    assert keys(items) == sorted(FIRST)
    s1 = next(i for i in items if (i["code"], i["period"], i["threshold"]) == ("S1", "2026-03", "100"))
    assert s1 | {"id": 0, "recorded_at": None} == {
        "id": 0, "level": "seller", "code": "S1", "name": "Siri", "seller_code": "S1", "kpi": "revenue",
        "kpi_name": "Revenue", "period": "2026-03", "threshold": "100", "goal": 1000.0, "actual": 1600.0,
        "reached_at": "2026-03-12", "recorded_at": None, "revised": False, "revised_at": None,
    }
    d1 = next(i for i in items if i["level"] == "district")
    assert (d1["code"], d1["seller_code"], d1["reached_at"], d1["goal"], d1["actual"]) == (
        "D1", None, "2026-03-20", 3000.0, 3100.0)
    assert d1["name"].startswith("District ")  # the district's name (make_district's default)
    # newest first: one import recorded them all, so the days reached order them, latest first
    assert [i["reached_at"] for i in items] == sorted((i["reached_at"] for i in items), reverse=True)


def test_goals_and_actuals_are_the_scorecards_figures(world, db):
    month = score_all(db, period="2026-03", range_="month").kpis
    year = score_all(db, period="2026-12", range_="ytd").kpis
    for (level, code, kpi, period, threshold), (goal, actual, _) in FIRST.items():
        scored = (month if len(period) == 7 else year)
        row = scored[(scored["entity"] == (level, code)) & (scored["code"] == kpi)].iloc[0]
        assert row["actual"] == actual
        base = row["stretch"] if threshold == "stretch" else row["target"] * (1.2 if threshold == "120" else 1)
        assert math.isclose(base, goal, rel_tol=0, abs_tol=1e-9), (level, code, period, threshold)
    # the year's stretch of S1 and D1 as the scorecard has it (1,500 + 1,000; 2,500 + 2,000), not reached
    s1 = year[(year["entity"] == ("seller", "S1")) & (year["code"] == "revenue")].iloc[0]
    d1 = year[(year["entity"] == ("district", "D1")) & (year["code"] == "revenue")].iloc[0]
    assert (s1["target"], s1["stretch"], d1["target"], d1["stretch"]) == (2000.0, 2500.0, 4000.0, 4500.0)


def test_a_re_import_records_nothing_new(world, db):
    before = stored(db)
    loaded(world, "sales", SALES)
    loaded(world, "targets", TARGETS)
    assert stored(db) == before
    assert db.scalar(select(func.count()).select_from(Achievement)) == len(FIRST)


def test_a_correction_that_crosses_thresholds_records_them_once(world, db):
    # x4 1,500.00 -> 2,100.00: S2 2,100 ≥ 2,000 in March (on the 10th, its only sale) and in the year
    # (2,000); D1 400 + 700 + 500 + 2,100 = 3,700 ≥ 3,600 (120 %) and ≥ 3,500 (stretch), running 400,
    # 2,500 (10th), 3,200 (12th), 3,700 (20th): both on the 20th; the year's 3,700 < 4,000
    corrected = SALES.replace("x4,2026-03-10,S2,AC1,P,1,1500.00,", "x4,2026-03-10,S2,AC1,P,1,2100.00,")
    loaded(world, "sales", corrected)
    new = {
        ("seller", "S2", "revenue", "2026-03", "100"): (2000.0, 2100.0, "2026-03-10", False),
        ("seller", "S2", "revenue", "2026", "100"): (2000.0, 2100.0, "2026-03-10", False),
        ("district", "D1", "revenue", "2026-03", "120"): (3600.0, 3700.0, "2026-03-20", False),
        ("district", "D1", "revenue", "2026-03", "stretch"): (3500.0, 3700.0, "2026-03-20", False),
    }
    assert stored(db) == {**{k: (*v, False) for k, v in FIRST.items()}, **new}
    loaded(world, "sales", corrected)  # again: nothing doubles
    assert db.scalar(select(func.count()).select_from(Achievement)) == len(FIRST) + 4
    assert len(listed(world)) == len(FIRST) + 4


def test_a_credit_note_below_the_goal_revises_it_and_reaching_it_again_clears_that(world, db):
    # x6 28 Mar S1 −500.00: S1 1,100, below 1,200 (120 %) and 1,500 (stretch), still ≥ 1,000;
    # D1 3,100 − 500 = 2,600 < 3,000: its 100 % is revised too
    loaded(world, "sales", SALES_HEADER + "x6,2026-03-28,S1,AC1,P,-1,-500.00,\n")
    now = stored(db)
    revised = {k for k, v in now.items() if v[3]}
    assert revised == {
        ("seller", "S1", "revenue", "2026-03", "120"),
        ("seller", "S1", "revenue", "2026-03", "stretch"),
        ("district", "D1", "revenue", "2026-03", "100"),
    }
    # kept as recorded (goal, actual when recorded, day reached), listed once, marked "since revised"
    assert {k: v[:3] for k, v in now.items()} == FIRST
    items = listed(world)
    assert keys(items) == sorted(FIRST)
    assert {(i["code"], i["period"], i["threshold"]) for i in items if i["revised"]} == {
        ("S1", "2026-03", "120"), ("S1", "2026-03", "stretch"), ("D1", "2026-03", "100")}
    assert all(i["revised_at"] is not None for i in items if i["revised"])
    # x7 30 Mar S1 +500.00: S1 1,600, D1 3,100 again: the marks go, nothing is added
    loaded(world, "sales", SALES_HEADER + "x7,2026-03-30,S1,AC1,P,1,500.00,\n")
    assert stored(db) == {k: (*v, False) for k, v in FIRST.items()}


def test_a_goal_that_is_gone_revises_what_reached_it(world, db):
    # S1's March row again without its stretch: the stretch goal (1,500) is gone, so S1's stretch
    # achievement is revised; 100 % and 120 % of the 1,000 stay, as does everything else
    loaded(world, "targets", "level,code,kpi,period,value,stretch\nseller,S1,revenue,2026-03,1000,\n")
    now = stored(db)
    assert {k for k, v in now.items() if v[3]} == {("seller", "S1", "revenue", "2026-03", "stretch")}
    assert {k: v[:3] for k, v in now.items()} == FIRST
    # the stretch back: reached again (1,600 ≥ 1,500), the mark goes
    loaded(world, "targets", "level,code,kpi,period,value,stretch\nseller,S1,revenue,2026-03,1000,1500\n")
    assert stored(db) == {k: (*v, False) for k, v in FIRST.items()}


def test_a_lower_target_makes_a_goal_reached(world, db):
    # D2's March target 800 -> 600: its 600 (S3's sale of the 25th) reaches 100 % of the month and of
    # the year (its own 600); 120 % = 720 not
    loaded(world, "targets", "level,code,kpi,period,value\ndistrict,D2,revenue,2026-03,600\n")
    new = {k: v for k, v in stored(db).items() if k[:2] == ("district", "D2")}
    assert new == {
        ("district", "D2", "revenue", "2026-03", "100"): (600.0, 600.0, "2026-03-25", False),
        ("district", "D2", "revenue", "2026", "100"): (600.0, 600.0, "2026-03-25", False),
    }
    # a district's achievements: R1's leader sees them in R1's subtree and in D2's
    assert ("district", "D2", "revenue", "2026", "100") in keys(listed(world, "region_leader", level="district",
                                                                       code="D2"))


def test_a_celebrated_kpi(world, db):
    res = world.client.patch(f"{API}/kpis/meetings", json={"celebrated": True}, headers=world.headers("admin"))
    assert res.status_code == 200 and res.json()["celebrated"] is True, res.text
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "kpi.update")).one()
    assert (event.actor, event.entity, event.before, event.after) == (
        "admin@example.com", "kpi:meetings", '{"celebrated": false}', '{"celebrated": true}')
    # S1's meetings target for March: 2; two meetings (3 and 15 March): 2 / 2 = 100 %, recorded with the
    # data's last day in the month (the latest activity, the 15th). D1 has no meetings target of its own:
    # its sellers' (S1's 2; S2 has none) = 2, and D1's meetings are S1's two.
    loaded(world, "targets", "level,code,kpi,period,value\nseller,S1,meetings,2026-03,2\n")
    loaded(world, "activities", "id,date,seller_code,account_code,type,value\n"
                                "m1,2026-03-03,S1,AC1,meeting,\nm2,2026-03-15,S1,AC1,meeting,\n")
    got = {k: v for k, v in stored(db).items() if k[2] == "meetings"}
    assert got == {
        ("seller", "S1", "meetings", "2026-03", "100"): (2.0, 2.0, "2026-03-15", False),
        ("district", "D1", "meetings", "2026-03", "100"): (2.0, 2.0, "2026-03-15", False),
    }
    item = next(i for i in listed(world, "seller") if i["kpi"] == "meetings")
    assert (item["kpi_name"], item["threshold"], item["period"]) == ("Customer meetings", "100", "2026-03")


def test_a_celebrated_sales_kpi_that_does_not_add_up_across_people(world, db):
    res = world.client.patch(f"{API}/kpis/active_customers", json={"celebrated": True}, headers=world.headers("admin"))
    assert res.status_code == 200, res.text
    # S1's March target of active customers: 1; S1 sold to AC1: 1 / 1 = 100 %, recorded with the data's
    # last day in March (the latest sale, the 25th). D1 has no target of its own, and active customers
    # do not add up across people: no goal for D1. S3 has no target: none.
    loaded(world, "targets", "level,code,kpi,period,value\nseller,S1,active_customers,2026-03,1\n")
    got = {k: v for k, v in stored(db).items() if k[2] == "active_customers"}
    assert got == {("seller", "S1", "active_customers", "2026-03", "100"): (1.0, 1.0, "2026-03-25", False)}
    month = score_all(db, period="2026-03", range_="month").kpis
    row = month[(month["entity"] == ("seller", "S1")) & (month["code"] == "active_customers")].iloc[0]
    assert (row["actual"], row["target"]) == (1.0, 1.0)


def test_revenue_is_always_celebrated(world, db):
    kpis = {k["code"]: k for k in world.client.get(f"{API}/kpis", headers=world.headers("admin")).json()}
    assert kpis["revenue"]["celebrated"] is True and kpis["meetings"]["celebrated"] is False
    res = world.client.patch(f"{API}/kpis/revenue", json={"celebrated": False}, headers=world.headers("admin"))
    assert res.status_code == 422 and "revenue is always celebrated" in res.text
    res = world.client.patch(f"{API}/kpis/meetings", json={"celebrated": None}, headers=world.headers("admin"))
    assert res.status_code == 422
    res = world.client.patch(f"{API}/kpis/meetings", json={"celebrated": True}, headers=world.headers("leader"))
    assert res.status_code == 403


def test_a_dry_run_records_nothing(world, db):
    corrected = SALES.replace("x4,2026-03-10,S2,AC1,P,1,1500.00,", "x4,2026-03-10,S2,AC1,P,1,2100.00,")
    res = world.client.post(f"{API}/imports/sales", params={"dry_run": "true"}, headers=world.headers("admin"),
                            files={"file": ("sales.csv", corrected.encode(), "text/csv")})
    assert res.status_code == 200, res.text
    assert len(stored(db)) == len(FIRST)


# --- who sees what ----------------------------------------------------------------------------------


def test_a_seller_sees_their_own_only(world, db):
    assert keys(listed(world, "seller")) == sorted(k for k in FIRST if k[1] == "S1")
    assert keys(listed(world, "seller", level="seller", code="S1")) == sorted(k for k in FIRST if k[1] == "S1")
    assert keys(listed(world, "seller3")) == sorted(k for k in FIRST if k[1] == "S3")
    for level, code in (("seller", "S3"), ("district", "D1"), ("company", "-")):
        res = world.client.get(f"{API}/achievements", params={"level": level, "code": code},
                               headers=world.headers("seller"))
        assert res.status_code == 404, (level, code, res.text)


def test_a_leader_sees_their_units_and_below(world, db):
    d1 = sorted(k for k in FIRST if k[1] in ("S1", "S2", "D1"))
    assert keys(listed(world, "leader")) == d1
    assert keys(listed(world, "leader", level="district", code="D1")) == d1
    assert keys(listed(world, "leader", level="seller", code="S1")) == sorted(k for k in FIRST if k[1] == "S1")
    assert keys(listed(world, "region_leader")) == sorted(FIRST)
    assert keys(listed(world, "region_leader", level="region", code="R1")) == sorted(FIRST)
    assert keys(listed(world, "region_leader", level="district", code="D2")) == sorted(
        k for k in FIRST if k[1] == "S3")
    assert keys(listed(world, "admin", level="company", code="-")) == sorted(FIRST)


def test_a_hidden_unit_is_a_404_like_an_unknown_one(world, db):
    def get(**params):
        return world.client.get(f"{API}/achievements", params=params, headers=world.headers("leader"))

    hidden, unknown = get(level="district", code="D2"), get(level="district", code="NOPE")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()
    assert get(level="seller", code="S3").json() == get(level="seller", code="NOPE").json()
    assert get(level="district", code="D1").status_code == 200  # the leader's own, beside the refusals


def test_bad_parameters_are_422s(world, db):
    def get(**params):
        return world.client.get(f"{API}/achievements", params=params, headers=world.headers("admin"))

    res = get(level="district")
    assert res.status_code == 422 and res.json()["detail"][0]["loc"] == ["query", "code"]
    res = get(code="D1")
    assert res.status_code == 422 and res.json()["detail"][0]["loc"] == ["query", "level"]
    res = get(level="planet", code="D1")
    assert res.status_code == 422 and res.json()["detail"][0]["loc"] == ["query", "level"]
    assert get(since="yesterday").status_code == 422
    assert get(since="0.5").status_code == 422  # not read as a unix time
    res = get(since="2026-02-30")  # the shape of a day, but no such day
    assert res.status_code == 422 and res.json()["detail"][0]["loc"] == ["query", "since"]
    assert get(since="2026-02-28").status_code == get(since="2026-02-28T08:00+01:00").status_code == 200
    assert get(limit=0).status_code == 422
    assert get(level="district", code="D1").status_code == 200


def test_since_a_day_or_a_moment_and_the_limit(world, db):
    assert len(listed(world, since="2026-01-01")) == len(FIRST)  # recorded today, after that day
    assert listed(world, since="2999-01-01") == []
    after = datetime.now(UTC).isoformat()
    assert listed(world, since=after) == []
    loaded(world, "targets", "level,code,kpi,period,value\ndistrict,D2,revenue,2026-03,600\n")
    assert keys(listed(world, since=after)) == [
        ("district", "D2", "revenue", "2026", "100"), ("district", "D2", "revenue", "2026-03", "100")]
    # newest first: the two just recorded come before the first eight
    assert [i["code"] for i in listed(world, limit=2)] == ["D2", "D2"]
    # moments at the calendar's edges (no UTC moment for them): everything since the first, none since the last
    assert len(listed(world, since="0001-01-01T00:00:00+14:00")) == len(FIRST) + 2
    assert listed(world, since="9999-12-31T23:59:59-14:00") == []


def test_an_api_token_needs_scorecards_read(world, db):
    assert keys(listed(world, "reader_token")) == sorted(FIRST)
    res = world.client.get(f"{API}/achievements", headers=world.headers("budget_token"))
    assert res.status_code == 403
    assert world.client.get(f"{API}/achievements").status_code == 401


def test_for_wall_reads_a_units_subtree(world, db):
    from app.floor.achievements import for_wall

    d1 = for_wall(db, level="district", code="D1")
    assert keys(d1) == sorted(k for k in FIRST if k[1] in ("S1", "S2", "D1"))
    assert keys(for_wall(db, level="region", code="R1")) == sorted(FIRST)
    assert len(for_wall(db, level="company", code="-", limit=3)) == 3
    assert for_wall(db, level="district", code="NOPE") == []
    assert set(d1[0]) == {"id", "level", "code", "name", "seller_code", "kpi", "kpi_name", "period", "threshold",
                          "goal", "actual", "reached_at", "recorded_at", "revised", "revised_at"}
