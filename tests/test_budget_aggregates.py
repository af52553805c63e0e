"""Budget control over the monthly aggregates, computed in parts, streamed.

The actuals of budget control come from `sales_product_monthly` (and, per seller, from the raw sales
grouped in SQL at the grain the report needs); a large variance is computed in parts. Each test
compares with a plain second computation: the raw rows summed in Python with Decimal, or the
variance computed in one go from the full-grain frames.

The organization: R1 has D1 and D2, R2 has D3, D4 has no region. S1 sells in D1; S2 sells in D2
until 2026-02-14 and in D1 from 2026-02-15 (a move in the middle of a month); S3 sells in D3; S4
belongs to D3 only from 2026-01-10 (a sale before that has no district and counts nowhere); S5 sells
in D4. Some lines carry no cost, one is a credit note, quantities have decimals.
"""

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, text

from app.access import EVERYTHING, Scope
from app.analytics import variance as va
from app.budget import router as budget_router
from app.exports import write_csv, xlsx_writer
from app.models import Budget, District, Product, Region, Sale, Seller, SellerDistrict
from app.reporting import budget as service
from app.reporting import budget_sql
from app.reporting.aggregates import rebuild
from tests.builders import (
    login,
    make_account,
    make_district,
    make_product,
    make_region,
    make_seller,
    make_user,
    move_seller,
)

URL = "/api/v1/budget/variance"
MONTHS = ["2026-01", "2026-02", "2026-03"]

# (id, day, seller, product, quantity, amount, cost)
SALES = [
    ("s1a", "2026-01-05", "S1", "A", "10", "100.00", "60.00"),
    ("s1b", "2026-01-20", "S1", "B", "1.5", "33.33", None),
    ("s1c", "2026-02-03", "S1", "A", "4", "40.00", "25.50"),
    ("s2a", "2026-01-31", "S2", "A", "2", "21.00", None),
    ("s2b", "2026-02-10", "S2", "A", "3", "30.00", None),       # still D2
    ("s2c", "2026-02-15", "S2", "A", "5", "55.55", "30.00"),    # D1 from this day
    ("s2d", "2026-02-20", "S2", "A", "1", "10.00", None),       # D1, no cost: D1/A/Feb is partly costed
    ("s2e", "2026-03-02", "S2", "C", "2.25", "45.00", "20.00"),
    ("s3a", "2026-01-08", "S3", "B", "10", "100.00", None),
    ("s3b", "2026-01-09", "S3", "B", "-5", "-50.00", "-30.00"),  # credit note
    ("s3c", "2026-03-31", "S3", "C", "7", "70.07", "70.07"),
    ("s4a", "2026-01-05", "S4", "A", "9", "90.00", "1.00"),     # before S4's first district: nowhere
    ("s4b", "2026-01-12", "S4", "A", "1", "11.00", None),
    ("s5a", "2026-02-28", "S5", "B", "3", "36.00", "12.00"),
    ("s1z", "2025-12-31", "S1", "A", "99", "999.00", None),     # before every range asked
]
# (district, product, month, quantity, amount, cost)
BUDGETS = [
    ("D1", "A", "2026-01", "10", "100.00", None), ("D1", "B", "2026-01", "2", "40.00", "20.00"),
    ("D1", "A", "2026-02", "12", "120.00", "70.00"), ("D1", "C", "2026-03", "1", "25.00", None),
    ("D2", "A", "2026-02", "3", "30.00", None), ("D3", "B", "2026-01", "8", "80.00", "50.00"),
    ("D3", "C", "2026-03", "0", "60.00", None), ("D4", "B", "2026-02", "2", "20.00", None),
    ("D4", "A", "2026-03", "1", "10.00", "5.00"),
]


@pytest.fixture
def org(session):
    r1 = make_region(session, code="R1", name="North")
    r2 = make_region(session, code="R2", name="South")
    d = {"D1": make_district(session, code="D1", region=r1), "D2": make_district(session, code="D2", region=r1),
         "D3": make_district(session, code="D3", region=r2), "D4": make_district(session, code="D4")}
    s = {"S1": make_seller(session, code="S1", district=d["D1"]),
         "S2": make_seller(session, code="S2", district=d["D2"]),
         "S3": make_seller(session, code="S3", district=d["D3"]),
         "S4": make_seller(session, code="S4", district=d["D3"], valid_from=date(2026, 1, 10)),
         "S5": make_seller(session, code="S5", district=d["D4"])}
    move_seller(session, seller=s["S2"], district=d["D1"], valid_from=date(2026, 2, 15))
    acc = make_account(session, code="AC1", district=d["D1"])
    p = {"A": make_product(session, code="A", group="G1"), "B": make_product(session, code="B", group="G1"),
         "C": make_product(session, code="C", group="G2")}
    for sid, day, seller, product, qty, amount, cost in SALES:
        session.add(Sale(id=sid, date=date.fromisoformat(day), seller_id=s[seller].id, account_id=acc.id,
                         product_id=p[product].id, quantity=Decimal(qty), amount=Decimal(amount),
                         cost=None if cost is None else Decimal(cost)))
    for district, product, month, qty, amount, cost in BUDGETS:
        session.add(Budget(district_id=d[district].id, product_id=p[product].id,
                           month=date.fromisoformat(month + "-01"), quantity=Decimal(qty), amount=Decimal(amount),
                           cost=None if cost is None else Decimal(cost), source_period=month))
    session.flush()
    rebuild(session)
    return {"d": d, "s": s, "p": p}


# ------------------------------------------------------------------------------------------------
# the plain computation from the raw rows


def _cents(value: Decimal) -> int:
    return int(value * 100)  # every value here has at most two decimals


def raw_actuals(session, months: list[str], *, per_seller: bool = False,
                districts: set[int] | None = None) -> set[tuple]:
    """The actual rows summed in Python from the raw sales: each sale in its seller's district on
    its date (the row with the latest valid_from on or before it); cost = Σ amount − Σ margin over
    the costed lines, None when no line of the group carries a cost."""
    history = defaultdict(list)
    for row in session.scalars(select(SellerDistrict)):
        history[row.seller_id].append((row.valid_from, row.district_id))
    dist = {r.id: r for r in session.scalars(select(District))}
    regions = {r.id: r for r in session.scalars(select(Region))}
    prods = {r.id: r for r in session.scalars(select(Product))}
    sellers = {r.id: r for r in session.scalars(select(Seller))}
    sums = defaultdict(lambda: [0, 0, 0, False])
    for sale in session.scalars(select(Sale)):
        month = sale.date.strftime("%Y-%m")
        valid = [(since, d) for since, d in history[sale.seller_id] if since <= sale.date]
        if month not in months or not valid:
            continue
        district = max(valid)[1]
        if districts is not None and district not in districts:
            continue
        key = (sale.seller_id if per_seller else None, district, sale.product_id, month)
        acc = sums[key]
        acc[0] += _cents(sale.quantity)
        acc[1] += _cents(sale.amount)
        if sale.cost is not None:
            acc[2] += _cents(sale.amount) - _cents(sale.cost)
            acc[3] = True
    out = set()
    for (seller, district, product, month), (qty, amount, margin, costed) in sums.items():
        d, p = dist[district], prods[product]
        r = regions.get(d.region_id)
        row = (d.code, d.name, r.code if r else None, r.name if r else None, p.code, p.name, p.product_group,
               month, qty, amount, amount - margin if costed else None)
        if per_seller:
            row += (sellers[seller].code, sellers[seller].name)
        out.add(row)
    return out


def as_rows(frame: pd.DataFrame) -> set[tuple]:
    return {tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)}


def test_actuals_from_the_aggregates_equal_the_raw_rows(session, org):
    frame = service.load_actual(session, scope=EVERYTHING, months=MONTHS)
    assert list(frame.columns) == ["district_code", "district_name", "region_code", "region_name", "product_code",
                                   "product_name", "product_group", "month", "quantity", "amount", "cost"]
    expected = raw_actuals(session, MONTHS)
    assert as_rows(frame) == expected
    # the cases the data is built for, by hand: (quantity in hundredths, amount and cost in cents)
    by_key = {(r[0], r[4], r[7]): r[8:] for r in expected}
    # S1 4 × 40.00 (cost 25.50), S2 after the move 5 × 55.55 (cost 30.00) and 1 × 10.00 without cost:
    # margin over the costed lines 14.50 + 25.55 = 40.05, cost = 105.55 − 40.05 = 65.50
    assert by_key[("D1", "A", "2026-02")] == (1000, 10555, 6550)
    assert by_key[("D2", "A", "2026-02")] == (300, 3000, None)       # S2 before the move, no cost
    assert by_key[("D3", "B", "2026-01")] == (500, 5000, 7000)       # margin −50.00 − −30.00 = −20.00
    assert by_key[("D3", "A", "2026-01")] == (100, 1100, None)       # S4's sale before their district is out
    assert by_key[("D1", "B", "2026-01")] == (150, 3333, None)
    assert ("D1", "A", "2025-12") not in by_key


def test_actuals_per_seller_and_for_a_leader_equal_the_raw_rows(session, org):
    per_seller = service.load_actual(session, scope=EVERYTHING, months=MONTHS, per_seller=True)
    assert as_rows(per_seller) == raw_actuals(session, MONTHS, per_seller=True)
    d1 = {org["d"]["D1"].id}
    scope = Scope(district_ids=frozenset(d1))
    for flag in (False, True):
        frame = service.load_actual(session, scope=scope, months=["2026-02"], per_seller=flag)
        assert as_rows(frame) == raw_actuals(session, ["2026-02"], per_seller=flag, districts=d1)
    assert service.load_actual(session, scope=Scope(), months=MONTHS).empty


def test_aggregates_follow_a_correction(session, org):
    """A line changed and the aggregates rebuilt: the budget actuals follow the raw rows."""
    sale = session.get(Sale, "s2d")
    sale.cost, sale.amount = Decimal("4.00"), Decimal("12.34")
    session.flush()
    rebuild(session)
    assert as_rows(service.load_actual(session, scope=EVERYTHING, months=MONTHS)) == raw_actuals(session, MONTHS)


# ------------------------------------------------------------------------------------------------
# in parts = in one go


BYS = [["district"], ["region"], ["product"], ["product_group"], ["district", "product"], ["product", "district"],
       ["region", "product_group"], ["seller"], ["seller", "product"], ["district", "seller"],
       ["product", "seller", "region"]]


@pytest.mark.parametrize("by", BYS, ids=",".join)
@pytest.mark.parametrize("per_month", [False, True], ids=["range", "month"])
def test_variance_in_parts_equals_the_variance_in_one_go(session, org, by, per_month, monkeypatch):
    # in one go, the plain way: full-grain frames (per month, district, product) into the analytics
    per_seller = "seller" in by
    budget = budget_sql.empty() if per_seller else service.load_budget(session, scope=EVERYTHING, months=MONTHS)
    actual = service.load_actual(session, scope=EVERYTHING, months=MONTHS, per_seller=per_seller)
    whole = va.variance(budget, actual, by=by, per_month=per_month)
    assert len(whole) >= 2

    # in the smallest parts (a value of the first key, or of the first two), grouped in SQL at the
    # report's grain: as if the report were huge
    monkeypatch.setattr(service, "_estimate", lambda *args, **kwargs: 10**9)
    parts = list(service.variance_parts(session, scope=EVERYTHING, from_=MONTHS[0], to=MONTHS[-1], by=by,
                                        per_month=per_month, part_rows=1))
    assert len(parts) > 1
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)
    stream = service.variance_stream(session, scope=EVERYTHING, from_=MONTHS[0], to=MONTHS[-1], by=by,
                                     per_month=per_month)
    with pytest.raises(RuntimeError):
        stream.totals()
    assert pd.concat(list(stream), ignore_index=True).equals(whole)
    assert stream.totals() == va.totals(whole)


def test_parts_follow_the_output_order_and_split_big_values(session, org, monkeypatch):
    d, p = {k: v.id for k, v in org["d"].items()}, {k: v.id for k, v in org["p"].items()}
    dims = budget_sql.dimensions(session)

    def plan(by, total, part_rows):
        monkeypatch.setattr(service, "_estimate", lambda *args, **kwargs: total)
        return service.plan_parts(session, scope=EVERYTHING, months=MONTHS, by=by, grain=service.FULL,
                                  with_budget=True, dims=dims, part_rows=part_rows)

    assert plan(["district"], 100, 100) == [service.WHOLE]
    assert plan(["district"], 100, 50) == [service.Part(district_ids=(d["D1"], d["D2"])),
                                           service.Part(district_ids=(d["D3"], d["D4"]))]
    # 3 regions of ~33 rows, parts of 10: each region split by product; the region without a name first
    parts = plan(["region", "product"], 100, 10)
    assert parts[:3] == [service.Part(district_ids=(d["D4"],), product_ids=(p[k],)) for k in "ABC"]
    assert parts[3] == service.Part(district_ids=(d["D1"], d["D2"]), product_ids=(p["A"],))
    assert len(parts) == 9
    # a split along the same dimension keeps only what both hold
    assert plan(["region", "district"], 100, 10) == [service.Part(district_ids=(d[k],)) for k in
                                                     ("D4", "D1", "D2", "D3")]


def test_empty_report_in_parts_has_the_columns(session, org):
    parts = list(service.variance_parts(session, scope=EVERYTHING, from_="2030-01", to="2030-02",
                                        by=["district", "product"], part_rows=1))
    assert len(parts) == 1 and parts[0].empty
    assert list(parts[0].columns)[:4] == ["district_code", "district_name", "product_code", "product_name"]


# ------------------------------------------------------------------------------------------------
# through the API


@pytest.fixture
def finance(client, session):
    return login(client, make_user(session, role="finance"))


PARAMS = {"from": MONTHS[0], "to": MONTHS[-1], "by": "region,product", "per": "month"}


def _json_at(client, headers, url, **params):
    res = client.get(url, params=params, headers=headers)
    assert res.status_code == 200, res.text
    return res.json()


def _json(client, headers, **params):
    return _json_at(client, headers, URL, **params)


def _in_small_parts(monkeypatch) -> list[int]:
    """Make every report look huge, so it goes in the smallest parts; returns the rows of each part."""
    monkeypatch.setattr(service, "_estimate", lambda *args, **kwargs: 10**9)
    sizes = []
    compute = va.variance

    def spy(*args, **kwargs):
        rows = compute(*args, **kwargs)
        sizes.append(len(rows))
        return rows
    monkeypatch.setattr(va, "variance", spy)
    return sizes


def test_exports_in_parts_equal_the_json_answer(client, org, finance, monkeypatch):
    body = _json(client, finance, **PARAMS)
    sizes = _in_small_parts(monkeypatch)
    res = client.get(URL, params={**PARAMS, "format": "csv"}, headers=finance)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(res.content.decode())))
    assert [r["region_code"] for r in lines] == [r["region_code"] or "" for r in body["rows"]]
    assert len(lines) == len(body["rows"]) > 3
    assert len([n for n in sizes if n]) > 3
    for line, row in zip(lines, body["rows"]):
        for col in ("actual_amount", "budget_amount", "price_effect", "volume_effect", "mix_effect"):
            want = row[col]
            assert line[col] == ("" if want is None else f"{Decimal(repr(want)):.2f}"), col

    res = client.get(URL, params={**PARAMS, "format": "xlsx"}, headers=finance)
    assert res.status_code == 200 and int(res.headers["content-length"]) == len(res.content)
    ws = openpyxl.load_workbook(io.BytesIO(res.content)).active
    cells = list(ws.iter_rows(values_only=True))
    header = list(cells[0])
    assert len(cells) == len(body["rows"]) + 2  # header, rows, totals
    col = header.index("actual_amount")
    assert [c[col] for c in cells[1:-1]] == [r["actual_amount"] for r in body["rows"]]
    assert cells[-1][0] == "Total" and cells[-1][col] == body["totals"]["actual_amount"]
    assert ws.auto_filter.ref.endswith(str(len(body["rows"]) + 1))

    res = client.get(URL, params={**PARAMS, "format": "parquet"}, headers=finance)
    assert res.status_code == 200 and int(res.headers["content-length"]) == len(res.content)
    table = pq.read_table(io.BytesIO(res.content)).to_pandas()
    assert len(table) == len(body["rows"])
    assert [None if pd.isna(v) else float(v) for v in table["price_effect"]] == [
        r["price_effect"] for r in body["rows"]]


def test_json_answer_is_limited_and_csv_is_not(client, org, finance, monkeypatch):
    n = len(_json(client, finance, **PARAMS)["rows"])
    monkeypatch.setattr(budget_router, "MAX_JSON_ROWS", n - 1)
    res = client.get(URL, params=PARAMS, headers=finance)
    assert res.status_code == 422
    detail = res.json()["detail"][0]
    assert detail["loc"] == ["query", "format"] and "format=csv" in detail["msg"] and f"{n - 1:,}" in detail["msg"]
    res = client.get(URL, params={**PARAMS, "format": "csv"}, headers=finance)
    assert res.status_code == 200 and len(res.content.decode().strip().splitlines()) == n + 1


def test_forecast_json_is_limited_too(client, org, finance, monkeypatch):
    params = {"year": 2026, "as_of": "2026-03", "by": "district,product"}
    n = len(_json_at(client, finance, "/api/v1/budget/forecast", **params)["rows"])
    monkeypatch.setattr(budget_router, "MAX_JSON_ROWS", n - 1)
    res = client.get("/api/v1/budget/forecast", params=params, headers=finance)
    assert res.status_code == 422 and res.json()["detail"][0]["loc"] == ["query", "format"]
    res = client.get("/api/v1/budget/forecast", params={**params, "format": "csv"}, headers=finance)
    assert res.status_code == 200 and len(res.content.decode().strip().splitlines()) == n + 1


def test_xlsx_beyond_the_sheet_gets_422(client, org, finance, monkeypatch):
    n = len(_json(client, finance, **PARAMS)["rows"])
    monkeypatch.setattr(xlsx_writer, "MAX_ROWS", n)  # header + rows fit, the totals row does not
    res = client.get(URL, params={**PARAMS, "format": "xlsx"}, headers=finance)
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["query", "format"] and "format=csv" in res.json()["detail"][0]["msg"]


def test_csv_export_equals_the_writer_on_the_whole_frame(client, session, org, finance, monkeypatch):
    whole = service.variance_report(session, scope=EVERYTHING, from_=MONTHS[0], to=MONTHS[-1],
                                    by=["district", "seller"], per_month=True)
    sizes = _in_small_parts(monkeypatch)
    res = client.get(URL, params={**PARAMS, "by": "district,seller", "format": "csv", "delimiter": ";"},
                     headers=finance)
    assert res.content == write_csv(whole.rows, delimiter=";", decimal=",")
    assert len([n for n in sizes if n]) > 3


def test_a_streamed_export_on_postgresql_reads_one_snapshot(migrated_url):
    """The parts of a streamed export run in one REPEATABLE READ transaction on PostgreSQL, so an
    import committed halfway through cannot reach the later parts only."""
    if not migrated_url.startswith("postgresql"):
        pytest.skip("SQLite's read transaction is one snapshot already")
    from sqlalchemy.orm import Session as OrmSession

    from app.access import EVERYTHING
    from app.db import make_engine, reading
    from app.reporting.budget import variance_stream

    engine = make_engine(migrated_url)
    try:
        with OrmSession(reading(engine)) as session:  # as a GET's session: autocommit
            session.execute(text("SELECT 1"))  # the request's own reads come first
            variance_stream(session, scope=EVERYTHING, from_="2026-01", to="2026-03", by=["district"])
            level = session.execute(text("SHOW transaction_isolation")).scalar_one()
            one, two = (session.execute(text("SELECT pg_current_xact_id()::text")).scalar_one() for _ in range(2))
        assert level == "repeatable read"
        assert one == two  # one transaction, not one per statement as in autocommit
    finally:
        engine.dispose()
