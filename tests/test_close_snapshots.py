"""Snapshots taken when a month is locked (GET /snapshots, /snapshots/{id}, /snapshots/{id}/diff): their
figures tie to the cent to the live variance at the lock and to values worked out by hand; the diff
after an unlock and a correction lists exactly the figures that changed; readers see their own part.

The world, built once per backend (each test runs in a SAVEPOINT of it): R1 with districts D1 (seller
S1, account AC1) and D2 (seller S2, account AC2); products A and B. June 2026 budgets: D1 A 10 for
1,000.00, D1 B 5 for 500.00, D2 A 20 for 2,000.00 (D2 has no budget for B). June sales: S1 A 12 for
1,260.00, S1 B 4 for 380.00, a credit note S1 A -1 for -105.00, S2 A 18 for 1,710.00, S2 B 2 for
250.00. Revenue targets for June: 2,000 for each seller.

By hand, per district and product (one product per row, so mix is 0; BP = budget price = 100 for
every budgeted row; price = AA - BP x AQ, volume = (AQ - BQ) x BP):

    row   budget   actual  variance  AQ  price  volume
    D1 A  1000.00  1155.00   155.00  11   55.00  100.00
    D1 B   500.00   380.00  -120.00   4  -20.00 -100.00
    D2 A  2000.00  1710.00  -290.00  18  -90.00 -200.00
    D2 B     0.00   250.00   250.00   2    0.00  250.00   (no budget: its sales are volume)
    total 3500.00  3495.00    -5.00      -55.00   50.00

The correction (after unlocking): S2's A sale becomes 1,800.00 (same 18), and S1 sells one more B for
95.00. Then D1 B: actual 475.00, AQ 5, variance -25.00, price -25.00, volume 0.00; D2 A: actual 1,800.00,
variance -200.00, price 0.00; totals actual 3,680.00, variance 180.00, price 30.00, volume 150.00.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import openpyxl
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.db import get_session
from app.main import create_app
from app.models import Budget, Sale, Target, User
from app.tokens.service import create_token
from tests.builders import (
    add_budgets,
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
JUNE = "2026-06"
CORRECTION = (
    "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
    "y4,2026-06-12,S2,AC2,A,18,1800.00,\n"
    "y6,2026-06-25,S1,AC1,B,1,95.00,\n"
)
# By hand (the module's docstring): the snapshot's rows, as (budget, actual, variance, actual quantity,
# price, volume, mix).
AT_LOCK = {
    ("D1", "A"): (1000.00, 1155.00, 155.00, 11.0, 55.00, 100.00, 0.0),
    ("D1", "B"): (500.00, 380.00, -120.00, 4.0, -20.00, -100.00, 0.0),
    ("D2", "A"): (2000.00, 1710.00, -290.00, 18.0, -90.00, -200.00, 0.0),
    ("D2", "B"): (0.00, 250.00, 250.00, 2.0, 0.00, 250.00, 0.0),
}
FIGURES = ("budget_amount", "actual_amount", "variance_amount", "actual_quantity", "price_effect", "volume_effect",
           "mix_effect")


@dataclass
class World:
    connection: Connection
    client: TestClient
    holder: dict
    users: dict[str, User] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return signed_in(self.users[who])


def _build(session: Session) -> dict[str, User]:
    r1 = make_region(session, code="R1")
    d1, d2 = make_district(session, code="D1", region=r1), make_district(session, code="D2", region=r1)
    s1 = make_seller(session, code="S1", district=d1, email="s1@example.com")
    s2 = make_seller(session, code="S2", district=d2, email="s2@example.com")
    ac1, ac2 = make_account(session, code="AC1", district=d1), make_account(session, code="AC2", district=d2)
    a, b = make_product(session, code="A"), make_product(session, code="B")
    june = date(2026, 6, 1)
    add_budgets(session, [Budget(district_id=d.id, product_id=p.id, month=june, quantity=Decimal(q),
                                 amount=Decimal(amt), cost=None, source_period=JUNE)
                          for d, p, q, amt in ((d1, a, "10", "1000.00"), (d1, b, "5", "500.00"),
                                               (d2, a, "20", "2000.00"))])
    add_sales(session, [Sale(id=sid, date=day, seller_id=s.id, account_id=acc.id, product_id=p.id,
                             quantity=Decimal(q), amount=Decimal(amt), cost=None)
                        for sid, day, s, acc, p, q, amt in (
                            ("y1", date(2026, 6, 3), s1, ac1, a, "12", "1260.00"),
                            ("y2", date(2026, 6, 4), s1, ac1, b, "4", "380.00"),
                            ("y3", date(2026, 6, 20), s1, ac1, a, "-1", "-105.00"),
                            ("y4", date(2026, 6, 12), s2, ac2, a, "18", "1710.00"),
                            ("y5", date(2026, 6, 15), s2, ac2, b, "2", "250.00"))])
    add_targets(session, [Target(level="seller", unit_code=code, kpi_code="revenue", month=june,
                                 value=Decimal(2000), source_period=JUNE) for code in ("S1", "S2")])
    leader = make_leader(session, units=[("district", "D1")], email="lead1@example.com")
    return {
        "finance": make_user(session, role="finance", email="okonomi@example.com"),
        "admin": make_user(session, role="admin", email="admin@example.com"),
        "leader": make_user(session, role="leader", email=leader.email),
        "seller": make_user(session, role="seller", email=s1.email),
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


@pytest.fixture
def snapshot_id(world, db) -> int:
    """June locked by finance: its snapshot's id."""
    res = world.client.post(f"{API}/periods/{JUNE}/lock", headers=world.headers("finance"))
    assert res.status_code == 201, res.text
    return res.json()["snapshot_id"]


def _rows(answer: dict) -> dict[tuple[str, str], tuple]:
    return {(r["district_code"], r["product_code"]): tuple(r[f] for f in FIGURES) for r in answer["rows"]}


def test_the_snapshot_ties_to_the_live_variance_and_to_the_figures_by_hand(world, db):
    live = world.client.get(f"{API}/budget/variance", params={"from": JUNE, "to": JUNE, "by": "district,product"},
                            headers=world.headers("finance"))
    assert live.status_code == 200, live.text
    res = world.client.post(f"{API}/periods/{JUNE}/lock", headers=world.headers("finance"))
    assert res.status_code == 201, res.text
    found = world.client.get(f"{API}/snapshots/{res.json()['snapshot_id']}", headers=world.headers("finance"))
    assert found.status_code == 200, found.text
    snap = found.json()
    assert snap["period"] == JUNE and snap["taken_by"] == "okonomi@example.com" and snap["locked"] is True
    assert _rows(snap) == AT_LOCK
    # the totals by hand, and the same to the cent as the live answer read just before the lock
    t = snap["totals"]
    assert (t["budget_amount"], t["actual_amount"], t["variance_amount"]) == (3500.00, 3495.00, -5.00)
    assert (t["price_effect"], t["volume_effect"], t["mix_effect"]) == (-55.00, 50.00, 0.0)
    for key in ("budget_amount", "actual_amount", "variance_amount", "price_effect", "volume_effect", "mix_effect",
                "budget_quantity", "actual_quantity"):
        assert round(t[key] * 100) == round(live.json()["totals"][key] * 100), key
    assert round(t["variance_pct"], 6) == round(-5 / 3500, 6)
    # every unit's scorecard: S1's June revenue 1,260 + 380 - 105 = 1,535 against 2,000
    s1 = [c for c in snap["scorecards"] if (c["range"], c["level"], c["code"], c["kpi"]) == ("month", "seller", "S1",
                                                                                               "revenue")]
    assert len(s1) == 1 and s1[0]["actual"] == pytest.approx(1535.0) and s1[0]["target"] == pytest.approx(2000.0)
    assert s1[0]["attainment"] == pytest.approx(1535 / 2000)
    units = {(c["level"], c["code"]) for c in snap["scorecards"]}
    assert {("company", "-"), ("region", "R1"), ("district", "D1"), ("district", "D2"), ("seller", "S1"),
            ("seller", "S2")} <= units
    listed = world.client.get(f"{API}/snapshots", params={"period": JUNE}, headers=world.headers("finance")).json()
    assert [i["id"] for i in listed["items"]] == [snap["id"]] and listed["items"][0]["variance_rows"] == 4


def test_after_an_unlock_and_a_correction_the_diff_lists_what_changed(world, db, snapshot_id):
    nothing = world.client.get(f"{API}/snapshots/{snapshot_id}/diff", headers=world.headers("finance")).json()
    assert nothing["restated"] is False and nothing["rows"] == [] and nothing["scorecards"] == []
    assert world.client.post(f"{API}/periods/{JUNE}/unlock", headers=world.headers("finance")).status_code == 200
    fixed = world.client.post(f"{API}/imports/sales", headers=world.headers("admin"),
                              files={"file": ("sales.csv", CORRECTION.encode(), "text/csv")})
    assert fixed.status_code == 200, fixed.text
    res = world.client.get(f"{API}/snapshots/{snapshot_id}/diff", headers=world.headers("finance"))
    assert res.status_code == 200, res.text
    diff = res.json()
    assert diff["restated"] is True and diff["snapshot"]["locked"] is False
    assert diff["snapshot"]["unlocked_by"] == "okonomi@example.com"
    changed = {(r["district_code"], r["product_code"], r["field"]): (r["before"], r["after"]) for r in diff["rows"]}
    assert changed == {
        ("D1", "B", "actual_amount"): (380.00, 475.00),
        ("D1", "B", "variance_amount"): (-120.00, -25.00),
        ("D1", "B", "variance_pct"): (pytest.approx(-120 / 500, abs=1e-6), pytest.approx(-25 / 500, abs=1e-6)),
        ("D1", "B", "actual_quantity"): (4.0, 5.0),
        ("D1", "B", "price_effect"): (-20.00, -25.00),
        ("D1", "B", "volume_effect"): (-100.00, 0.0),
        ("D2", "A", "actual_amount"): (1710.00, 1800.00),
        ("D2", "A", "variance_amount"): (-290.00, -200.00),
        ("D2", "A", "variance_pct"): (pytest.approx(-290 / 2000, abs=1e-6), pytest.approx(-200 / 2000, abs=1e-6)),
        ("D2", "A", "price_effect"): (-90.00, 0.0),
    }
    totals = diff["totals"]
    assert totals["actual_amount"] == {"before": 3495.00, "after": 3680.00}
    assert totals["variance_amount"] == {"before": -5.00, "after": 180.00}
    assert totals["price_effect"] == {"before": -55.00, "after": 30.00}
    assert totals["volume_effect"] == {"before": 50.00, "after": 150.00}
    assert totals["favorable"] == {"before": False, "after": True}
    assert "budget_amount" not in totals
    revenue = {(c["code"], c["field"]): (c["before"], c["after"]) for c in diff["scorecards"]
               if (c["range"], c["level"], c["kpi"]) == ("month", "seller", "revenue")}
    assert revenue[("S1", "actual")] == (pytest.approx(1535.0), pytest.approx(1630.0))
    assert revenue[("S1", "attainment")] == (pytest.approx(1535 / 2000), pytest.approx(1630 / 2000))
    assert revenue[("S2", "actual")] == (pytest.approx(1960.0), pytest.approx(2050.0))
    # the snapshot itself is as it was
    snap = world.client.get(f"{API}/snapshots/{snapshot_id}", headers=world.headers("finance")).json()
    assert _rows(snap) == AT_LOCK and snap["totals"]["actual_amount"] == 3495.00


def test_a_leader_reads_their_districts_part_a_seller_none(world, db, snapshot_id):
    res = world.client.get(f"{API}/snapshots/{snapshot_id}", headers=world.headers("leader"))
    assert res.status_code == 200, res.text
    snap = res.json()
    assert _rows(snap) == {k: v for k, v in AT_LOCK.items() if k[0] == "D1"}
    t = snap["totals"]  # D1 alone, by hand: 1,500.00 budget, 1,535.00 actual, 35.00; price 35.00, volume 0
    assert (t["budget_amount"], t["actual_amount"], t["variance_amount"]) == (1500.00, 1535.00, 35.00)
    assert (t["price_effect"], t["volume_effect"]) == (35.00, 0.0)
    assert {(c["level"], c["code"]) for c in snap["scorecards"]} == {("district", "D1"), ("seller", "S1")}
    assert world.client.get(f"{API}/snapshots/{snapshot_id}", headers=world.headers("seller")).status_code == 403
    assert world.client.get(f"{API}/snapshots/{snapshot_id}/diff", headers=world.headers("seller")).status_code == 403
    assert world.client.get(f"{API}/snapshots/{snapshot_id}", headers=world.headers("admin")).status_code == 200


def test_an_unknown_snapshot_is_404_a_known_one_200(world, db, snapshot_id):
    for path in (f"/snapshots/{snapshot_id + 1000}", f"/snapshots/{snapshot_id + 1000}/diff"):
        assert world.client.get(API + path, headers=world.headers("finance")).status_code == 404
    for path in (f"/snapshots/{snapshot_id}", f"/snapshots/{snapshot_id}/diff"):
        assert world.client.get(API + path, headers=world.headers("finance")).status_code == 200


def test_api_tokens_need_budgets_read(world, db, snapshot_id):
    finance = world.users["finance"]
    budgets = create_token(db, user=finance, name="budgets", scopes=["budgets:read"], expires_in_days=None)
    cards = create_token(db, user=finance, name="cards", scopes=["scorecards:read"], expires_in_days=None)
    db.flush()
    url = f"{API}/snapshots/{snapshot_id}"
    assert world.client.get(url, headers={"Authorization": f"Bearer {budgets.token}"}).status_code == 200
    assert world.client.get(url, headers={"Authorization": f"Bearer {cards.token}"}).status_code == 403


def test_the_exports_hold_the_same_figures(world, db, snapshot_id):
    url = f"{API}/snapshots/{snapshot_id}"
    xlsx = world.client.get(url, params={"format": "xlsx"}, headers=world.headers("finance"))
    assert xlsx.status_code == 200, xlsx.text
    assert 'filename="snapshot_2026-06_variance.xlsx"' in xlsx.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    lines = list(sheet.iter_rows(values_only=True))
    header = list(lines[0])
    by_key = {(r[header.index("district_code")], r[header.index("product_code")]): r for r in lines[1:]
              if r[header.index("district_code")] in ("D1", "D2")}
    assert {k: tuple(float(r[header.index(f)]) for f in FIGURES) for k, r in by_key.items()} == AT_LOCK

    parquet = world.client.get(url, params={"format": "parquet"}, headers=world.headers("finance"))
    table = pq.read_table(io.BytesIO(parquet.content)).to_pylist()
    assert {(r["district_code"], r["product_code"]): tuple(r[f] for f in FIGURES) for r in table} == AT_LOCK

    text = world.client.get(url, params={"format": "csv", "delimiter": ";"}, headers=world.headers("finance"))
    rows = list(csv.DictReader(io.StringIO(text.text), delimiter=";"))
    d2a = next(r for r in rows if (r["district_code"], r["product_code"]) == ("D2", "A"))
    assert (d2a["actual_amount"], d2a["variance_amount"], d2a["price_effect"]) == ("1710,00", "-290,00", "-90,00")

    cards = world.client.get(url, params={"format": "csv", "table": "scorecards"}, headers=world.headers("finance"))
    assert cards.status_code == 200
    s1 = [r for r in csv.DictReader(io.StringIO(cards.text))
          if (r["range"], r["level"], r["code"], r["kpi"]) == ("month", "seller", "S1", "revenue")]
    assert len(s1) == 1 and float(s1[0]["actual"]) == 1535.0


def test_the_diff_of_two_frames_lists_rows_that_appeared_or_vanished_and_ignores_a_hair():
    import pandas as pd

    from app.close.snapshots import _frame_diff

    before = pd.DataFrame({"district_code": ["D1", "D2"], "product_code": ["A", "A"],
                           "actual_amount": [100.10, 50.00], "variance_pct": [0.25, 0.5],
                           "favorable": pd.array([True, False], dtype="boolean")})
    after = pd.DataFrame({"district_code": ["D1", "D3"], "product_code": ["A", "B"],
                          "actual_amount": [100.10 + 1e-7, 20.00], "variance_pct": [0.25 + 1e-12, None],
                          "favorable": pd.array([False, True], dtype="boolean")})
    got = _frame_diff(before, after, ["district_code", "product_code"], ["actual_amount", "variance_pct", "favorable"])
    assert got == [
        {"district_code": "D1", "product_code": "A", "field": "favorable", "before": True, "after": False},
        {"district_code": "D2", "product_code": "A", "field": "actual_amount", "before": 50.0, "after": None},
        {"district_code": "D2", "product_code": "A", "field": "variance_pct", "before": 0.5, "after": None},
        {"district_code": "D2", "product_code": "A", "field": "favorable", "before": False, "after": None},
        {"district_code": "D3", "product_code": "B", "field": "actual_amount", "before": None, "after": 20.0},
        {"district_code": "D3", "product_code": "B", "field": "favorable", "before": None, "after": True},
    ]


def test_a_scorecards_change_of_a_cent_on_billions_shows_a_ratios_float_noise_does_not():
    """Company revenue 1,500,000,000.00 → 1,500,000,000.01 is a restatement; a relative tolerance of
    1e-9 would hide anything under 1.50 there. Attainment moving by 1e-12 (float noise) is none."""
    import pandas as pd

    from app.close.snapshots import SCORE_FIELDS, _frame_diff

    keys = ["range", "level", "code", "kpi"]
    unit = {"range": ["ytd", "ytd"], "level": ["company", "company"], "code": ["-", "-"], "kpi": ["revenue", "hit_rate"]}
    before = pd.DataFrame({**unit, "actual": [1_500_000_000.00, 0.35], "target": [1_400_000_000.00, 0.4],
                           "attainment": [1_500_000_000 / 1_400_000_000, 0.875], "score": [1.07, 0.875],
                           "status": ["green", "amber"]})
    after = before.assign(actual=[1_500_000_000.01, 0.35], attainment=[1_500_000_000.01 / 1_400_000_000,
                                                                       0.875 + 1e-12])
    got = _frame_diff(before, after, keys, SCORE_FIELDS)
    # revenue's actual by a cent, and its attainment by 0.01 / 1.4e9 ≈ 7.1e-12, which is below the
    # ratio tolerance: only the actual is listed; hit_rate's 1e-12 on attainment is not a change
    assert got == [{"range": "ytd", "level": "company", "code": "-", "kpi": "revenue", "field": "actual",
                    "before": 1_500_000_000.00, "after": 1_500_000_000.01}]
