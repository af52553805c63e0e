"""Budget control through the API, on a small organization whose figures are worked out by hand.

R1 has districts D1 and D2, R2 has D3. Products A and B are in group G1, C (named like a spreadsheet
formula) in G2. S1 sells in D1, S3 in D3; S2 sold in D2 in January 2026 and moved to D1 on
2026-02-01, so S2's January sale stays with D2 and the February one goes to D1.

Budgets (quantity × price):                    Sales:
  D1 2026-01  A 100 × 10.00, B 50 × 20.00        S1 2026-01  A 70 for 665.00 (cost 400.00), A 50 for 475.00,
  D1 2026-02  A 10 for 100.00 (cost 60.00)                     B 40 for 840.00    (A: 120 × 9.50, B: 40 × 21.00)
  D2 2026-01  A 10 for 100.00                    S2 2026-01  A 10 for 100.00 (in D2)
  D3 2026-01  C 1 for 10.00                      S2 2026-02  A 5 for 50.00 (in D1)
                                                 S3 2026-01  C 1 for 12.00 (cost 5.00)
"""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pyarrow.parquet as pq
import pytest

from app.analytics.periods import shift_month
from app.models import Budget, Sale
from tests.builders import (
    add_budgets,
    add_sales,
    login,
    make_account,
    make_district,
    make_leader,
    make_product,
    make_region,
    make_seller,
    make_user,
    move_seller,
)

URL = "/api/v1/budget/variance"
FORECAST = "/api/v1/budget/forecast"
NASTY = "=cmd|' /C calc'!A0"
MONEY = ("budget_amount", "actual_amount", "variance_amount", "budget_quantity", "actual_quantity",
         "price_effect", "volume_effect", "mix_effect", "budget_margin", "actual_margin", "margin_variance")


def budget_line(district, product, month, quantity, amount, cost=None) -> Budget:
    return Budget(district_id=district.id, product_id=product.id, month=date.fromisoformat(month + "-01"),
                  quantity=Decimal(quantity), amount=Decimal(amount),
                  cost=Decimal(cost) if cost else None, source_period=month)


def sale_line(sid, day, seller, account, product, quantity, amount, cost=None) -> Sale:
    return Sale(id=sid, date=date.fromisoformat(day), seller_id=seller.id, account_id=account.id,
                product_id=product.id, quantity=Decimal(quantity), amount=Decimal(amount),
                cost=Decimal(cost) if cost else None)


@pytest.fixture
def org(session):
    r1 = make_region(session, code="R1", name="North")
    r2 = make_region(session, code="R2", name="South")
    d1 = make_district(session, code="D1", region=r1, name="Oslo")
    d2 = make_district(session, code="D2", region=r1, name="Bergen")
    d3 = make_district(session, code="D3", region=r2, name="Kristiansand")
    s1 = make_seller(session, code="S1", district=d1)
    s2 = make_seller(session, code="S2", district=d2)
    move_seller(session, seller=s2, district=d1, valid_from=date(2026, 2, 1))
    s3 = make_seller(session, code="S3", district=d3)
    acc = make_account(session, code="AC1", district=d1)
    a = make_product(session, code="A", group="G1")
    b = make_product(session, code="B", group="G1")
    c = make_product(session, code="C", group="G2")
    a.name, b.name, c.name = "Apple", "Banana", NASTY
    add_budgets(session, [
        budget_line(d1, a, "2026-01", "100", "1000.00"),
        budget_line(d1, b, "2026-01", "50", "1000.00"),
        budget_line(d1, a, "2026-02", "10", "100.00", cost="60.00"),
        budget_line(d2, a, "2026-01", "10", "100.00"),
        budget_line(d3, c, "2026-01", "1", "10.00"),
    ])
    add_sales(session, [
        sale_line("x1", "2026-01-05", s1, acc, a, "70", "665.00", cost="400.00"),
        sale_line("x2", "2026-01-25", s1, acc, a, "50", "475.00"),
        sale_line("x3", "2026-01-31", s1, acc, b, "40", "840.00"),
        sale_line("x4", "2026-01-20", s2, acc, a, "10", "100.00"),
        sale_line("x5", "2026-02-03", s2, acc, a, "5", "50.00"),
        sale_line("x6", "2026-01-02", s3, acc, c, "1", "12.00", cost="5.00"),
        sale_line("x7", "2025-12-31", s1, acc, a, "99", "999.00"),  # outside every range asked
    ])
    return dict(r1=r1, r2=r2, d1=d1, d2=d2, d3=d3, s1=s1, s2=s2, s3=s3, acc=acc, a=a, b=b, c=c)


@pytest.fixture
def finance(client, session):
    return login(client, make_user(session, role="finance"))


def _get(client, headers, url=URL, **params):
    return client.get(url, params=params, headers=headers)


def _ok(client, headers, url=URL, **params):
    res = _get(client, headers, url, **params)
    assert res.status_code == 200, res.text
    return res.json() if params.get("format", "json") == "json" else res


def _by_key(rows, *keys):
    return {tuple(r[k] for k in keys): r for r in rows}


def _d(value):
    return None if value is None else Decimal(repr(value))


# ------------------------------------------------------------------------------------------------
# the numbers


def test_worked_example_to_the_cent(client, org, finance):
    body = _ok(client, finance, **{"from": "2026-01", "to": "2026-01", "by": "district"})
    assert (body["from"], body["to"], body["by"], body["per"]) == ("2026-01", "2026-01", ["district"], None)
    d1 = _by_key(body["rows"], "district_code")[("D1",)]
    assert d1["district_name"] == "Oslo"
    assert _d(d1["budget_amount"]) == Decimal("2000.00")
    assert _d(d1["actual_amount"]) == Decimal("1980.00")
    assert _d(d1["variance_amount"]) == Decimal("-20.00")
    assert _d(d1["price_effect"]) == Decimal("-20.00")
    assert _d(d1["volume_effect"]) == Decimal("133.33")
    assert _d(d1["mix_effect"]) == Decimal("-133.33")
    assert d1["variance_pct"] == -0.01 and d1["favorable"] is False
    assert _d(d1["budget_quantity"]) == Decimal("150") and _d(d1["actual_quantity"]) == Decimal("160")
    # only the keys asked for
    assert "product_code" not in d1 and "period" not in d1 and "region_code" not in d1


def test_seller_who_moved_counts_for_the_district_of_the_sale_date(client, org, finance):
    body = _ok(client, finance, **{"from": "2026-01", "to": "2026-02", "by": "district"})
    rows = _by_key(body["rows"], "district_code")
    assert [r["district_code"] for r in body["rows"]] == ["D1", "D2", "D3"]
    # D1: S1's January (1140 + 840) and S2's February 50.00; D2: S2's January 100.00
    d1, d2, d3 = rows[("D1",)], rows[("D2",)], rows[("D3",)]
    assert _d(d1["actual_amount"]) == Decimal("2030.00") and _d(d1["budget_amount"]) == Decimal("2100.00")
    assert _d(d2["actual_amount"]) == Decimal("100.00") and _d(d2["budget_amount"]) == Decimal("100.00")
    assert d2["variance_amount"] == 0 and d2["favorable"] is True and d2["variance_pct"] == 0
    # D1 over both months: A BQ 110 BP 10, AQ 125 AA 1190; B BQ 50 BP 20, AQ 40 AA 840; P̄ = 2100/160
    assert _d(d1["variance_amount"]) == Decimal("-70.00")
    assert d1["variance_pct"] == round(-70 / 2100, 6)
    assert _d(d1["price_effect"]) == Decimal("-20.00")        # (1190 − 1250) + (840 − 800)
    assert _d(d1["volume_effect"]) == Decimal("65.63")        # 5 × 13.125 = 65.625
    assert _d(d1["mix_effect"]) == Decimal("-115.63")         # 2050 − 165 × 13.125 = −115.625
    # margins: budget only D1/A/Feb carries a cost (40.00); actual only x1 (265.00)
    assert _d(d1["budget_margin"]) == Decimal("40.00")
    assert _d(d1["actual_margin"]) == Decimal("265.00")
    assert _d(d1["margin_variance"]) == Decimal("225.00")
    assert d2["budget_margin"] is None and d2["actual_margin"] is None and d2["margin_variance"] is None
    assert _d(d3["actual_margin"]) == Decimal("7.00") and _d(d3["price_effect"]) == Decimal("2.00")
    assert d3["variance_pct"] == 0.2


def test_totals_are_the_sums_of_the_rows(client, org, finance):
    body = _ok(client, finance, **{"from": "2026-01", "to": "2026-02", "by": "district,product", "per": "month"})
    t = body["totals"]
    for col in ("budget_amount", "actual_amount", "variance_amount", "price_effect", "volume_effect",
                "mix_effect", "budget_quantity", "actual_quantity"):
        assert _d(t[col]) == sum(_d(r[col]) for r in body["rows"]), col
    assert _d(t["budget_amount"]) == Decimal("2210.00") and _d(t["actual_amount"]) == Decimal("2142.00")
    assert _d(t["variance_amount"]) == Decimal("-68.00")
    assert t["variance_pct"] == round(-68 / 2210, 6) and t["favorable"] is False
    # a null in any row makes the total null (D2 has no margin)
    assert t["budget_margin"] is None and t["actual_margin"] is None


def test_per_month_splits(client, org, finance):
    body = _ok(client, finance, **{"from": "2026-01", "to": "2026-02", "by": "district", "per": "month"})
    assert body["per"] == "month"
    rows = _by_key(body["rows"], "district_code", "period")
    assert sorted(rows) == [("D1", "2026-01"), ("D1", "2026-02"), ("D2", "2026-01"), ("D3", "2026-01")]
    jan = rows[("D1", "2026-01")]
    assert (_d(jan["variance_amount"]), _d(jan["price_effect"]), _d(jan["volume_effect"]),
            _d(jan["mix_effect"])) == (Decimal("-20.00"), Decimal("-20.00"), Decimal("133.33"), Decimal("-133.33"))
    feb = rows[("D1", "2026-02")]  # A only: budget 10 × 10.00, actual 5 × 10.00 (S2 after the move)
    assert _d(feb["budget_amount"]) == Decimal("100.00") and _d(feb["actual_amount"]) == Decimal("50.00")
    assert (_d(feb["price_effect"]), _d(feb["volume_effect"]), _d(feb["mix_effect"])) == (
        Decimal("0.00"), Decimal("-50.00"), Decimal("0.00"))


def test_by_region_product_group_and_district_product(client, org, finance):
    region = _ok(client, finance, **{"from": "2026-01", "to": "2026-01", "by": "region"})
    r = _by_key(region["rows"], "region_code")
    assert sorted(r) == [("R1",), ("R2",)] and r[("R1",)]["region_name"] == "North"
    r1 = r[("R1",)]  # D1 + D2 in January: A BQ 110 BA 1100 AQ 130 AA 1240; B BQ 50 BA 1000 AQ 40 AA 840
    assert (_d(r1["budget_amount"]), _d(r1["actual_amount"])) == (Decimal("2100.00"), Decimal("2080.00"))
    assert (_d(r1["price_effect"]), _d(r1["volume_effect"]), _d(r1["mix_effect"])) == (
        Decimal("-20.00"), Decimal("131.25"), Decimal("-131.25"))
    assert (_d(r[("R2",)]["budget_amount"]), _d(r[("R2",)]["actual_amount"])) == (Decimal("10.00"), Decimal("12.00"))

    group = _ok(client, finance, **{"from": "2026-01", "to": "2026-01", "by": "product_group"})
    g = _by_key(group["rows"], "product_group_code")
    assert sorted(g) == [("G1",), ("G2",)] and g[("G1",)]["product_group_name"] == "G1"
    assert _d(g[("G1",)]["variance_amount"]) == Decimal("-20.00")
    assert _d(g[("G2",)]["variance_amount"]) == Decimal("2.00")

    dp = _ok(client, finance, **{"from": "2026-01", "to": "2026-02", "by": "district,product"})
    rows = _by_key(dp["rows"], "district_code", "product_code")
    assert sorted(rows) == [("D1", "A"), ("D1", "B"), ("D2", "A"), ("D3", "C")]
    d1a = rows[("D1", "A")]  # budget 110 for 1100.00, actual 125 for 1190.00; one product: no mix
    assert (_d(d1a["budget_amount"]), _d(d1a["actual_amount"])) == (Decimal("1100.00"), Decimal("1190.00"))
    assert (_d(d1a["price_effect"]), _d(d1a["volume_effect"]), _d(d1a["mix_effect"])) == (
        Decimal("-60.00"), Decimal("150.00"), Decimal("0.00"))
    assert rows[("D3", "C")]["product_name"] == NASTY  # JSON carries the name as it is


def test_by_seller_has_actuals_only(client, org, finance):
    body = _ok(client, finance, **{"from": "2026-01", "to": "2026-02", "by": "seller"})
    rows = _by_key(body["rows"], "seller_code")
    assert {k: _d(v["actual_amount"]) for k, v in rows.items()} == {
        ("S1",): Decimal("1980.00"), ("S2",): Decimal("150.00"), ("S3",): Decimal("12.00")}
    assert all(v["budget_amount"] is None and v["price_effect"] is None for v in rows.values())
    assert body["totals"]["budget_amount"] is None and _d(body["totals"]["actual_amount"]) == Decimal("2142.00")


def test_empty_range_gives_no_rows(client, org, finance):
    body = _ok(client, finance, **{"from": "2030-01", "to": "2030-12", "by": "district,product"})
    assert body["rows"] == [] and body["totals"]["budget_amount"] == 0


# ------------------------------------------------------------------------------------------------
# exports read back equal to the JSON


def _cell(col, v, decimal="."):
    """What a CSV cell should hold for a JSON value (computed apart from the writer)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        text = (format(Decimal(repr(v)).normalize(), "f") if col.endswith("_pct")
                else str(Decimal(repr(v)).quantize(Decimal("0.01"))))
        return text.replace(".", decimal)
    return "'" + v if v[:1] in ("=", "+", "-", "@") else v


PARAMS = {"from": "2026-01", "to": "2026-02", "by": "district,product", "per": "month"}


@pytest.mark.parametrize("delimiter,decimal", [(",", "."), (";", ",")])
def test_csv_reads_back_equal_to_json(client, org, finance, delimiter, decimal):
    rows = _ok(client, finance, **PARAMS)["rows"]
    res = _ok(client, finance, **PARAMS, format="csv", delimiter=delimiter, decimal=decimal)
    assert res.headers["content-type"].startswith("text/csv")
    assert res.headers["content-disposition"] == \
        'attachment; filename="variance_2026-01_2026-02_district-product_month.csv"'
    got = list(csv.reader(io.StringIO(res.content.decode("utf-8")), delimiter=delimiter))
    assert got[0] == list(rows[0])
    assert got[1:] == [[_cell(c, v, decimal) for c, v in r.items()] for r in rows]
    nasty = next(line for line in got[1:] if line[got[0].index("product_code")] == "C")
    assert nasty[got[0].index("product_name")] == "'" + NASTY
    assert len(got) == len(rows) + 1  # rows only, no totals


def test_semicolon_defaults_to_decimal_comma(client, org, finance):
    res = _ok(client, finance, **{"from": "2026-01", "to": "2026-01", "by": "district"}, format="csv",
              delimiter=";", bom="true")
    text = res.content.decode("utf-8")
    assert text.startswith("\ufeffdistrict_code;district_name;")
    assert "D1;Oslo;2000,00;1980,00;-20,00;-0,01;false;150,00;160,00;-20,00;133,33;-133,33;;265,00;\r\n" in text


def test_xlsx_reads_back_equal_to_json_with_totals(client, org, finance):
    body = _ok(client, finance, **PARAMS)
    res = _ok(client, finance, **PARAMS, format="xlsx")
    assert res.headers["content-disposition"].endswith('_district-product_month.xlsx"')
    ws = openpyxl.load_workbook(io.BytesIO(res.content)).active
    values = list(ws.iter_rows(values_only=True))
    cols = list(body["rows"][0])
    assert list(values[0]) == cols
    for got, row in zip(values[1:-1], body["rows"], strict=True):
        assert list(got) == [("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v) for v in row.values()]
    assert "'" + NASTY in [r[cols.index("product_name")] for r in values[1:-1]]
    assert NASTY not in [r[cols.index("product_name")] for r in values[1:-1]]
    total = values[-1]
    assert total[0] == "Total"
    for col in ("budget_amount", "actual_amount", "variance_amount", "price_effect", "volume_effect", "mix_effect"):
        assert _d(total[cols.index(col)]) == _d(body["totals"][col]), col


def test_parquet_reads_back_equal_to_json(client, org, finance):
    rows = _ok(client, finance, **PARAMS)["rows"]
    res = _ok(client, finance, **PARAMS, format="parquet")
    back = pq.read_table(io.BytesIO(res.content)).to_pylist()
    assert len(back) == len(rows)
    for got, row in zip(back, rows, strict=True):
        for col, v in row.items():
            if col in MONEY:
                assert got[col] == (None if v is None else Decimal(repr(v)).quantize(Decimal("0.01"))), col
            else:
                assert got[col] == v, col


# ------------------------------------------------------------------------------------------------
# access


def test_leader_sees_only_their_districts(client, session, org):
    make_leader(session, units=[("district", "D3")], email="lead3@example.com")
    headers = login(client, make_user(session, role="leader", email="lead3@example.com"))
    body = _ok(client, headers, **{"from": "2026-01", "to": "2026-02", "by": "district,product"})
    assert [(r["district_code"], r["product_code"]) for r in body["rows"]] == [("D3", "C")]
    assert _d(body["totals"]["actual_amount"]) == Decimal("12.00")
    # by=product: only what was sold or budgeted in D3
    prod = _ok(client, headers, **{"from": "2026-01", "to": "2026-02", "by": "product"})
    assert [r["product_code"] for r in prod["rows"]] == ["C"]

    make_leader(session, units=[("region", "R1")], email="lead1@example.com")
    region_lead = login(client, make_user(session, role="leader", email="lead1@example.com"))
    body = _ok(client, region_lead, **{"from": "2026-01", "to": "2026-02", "by": "region"})
    assert [r["region_code"] for r in body["rows"]] == ["R1"]
    fc = _ok(client, region_lead, FORECAST, year=2026, as_of="2026-02")
    assert [r["district_code"] for r in fc["rows"]] == ["D1", "D2"]


def test_seller_is_refused(client, session, org):
    headers = login(client, make_user(session, role="seller", email="s1@example.com"))
    res = _get(client, headers, **{"from": "2026-01", "to": "2026-01"})
    assert res.status_code == 403 and "sellers" in res.json()["detail"]
    assert _get(client, headers, FORECAST, year=2026, as_of="2026-01").status_code == 403


def test_no_credentials_gets_401(client, org):
    assert _get(client, {}, **{"from": "2026-01", "to": "2026-01"}).status_code == 401


def _token(client, headers, scopes):
    res = client.post("/api/v1/tokens", headers=headers, json={"name": "ERP", "scopes": scopes})
    assert res.status_code == 201, res.text
    return {"Authorization": f"Bearer {res.json()['token']}"}


def test_finance_token_with_budgets_read_works_and_without_gets_403(client, org, finance):
    params = {"from": "2026-01", "to": "2026-01", "by": "district"}
    good = _token(client, finance, ["budgets:read"])
    body = _ok(client, good, **params)
    assert _d(_by_key(body["rows"], "district_code")[("D1",)]["variance_amount"]) == Decimal("-20.00")
    assert _ok(client, good, **params, format="csv").content.startswith(b"district_code,")
    assert _ok(client, good, FORECAST, year=2026, as_of="2026-01")["as_of"] == "2026-01"
    other = _token(client, finance, ["scorecards:read"])
    assert _get(client, other, **params).status_code == 403
    assert _get(client, other, FORECAST, year=2026, as_of="2026-01").status_code == 403


# ------------------------------------------------------------------------------------------------
# forecast


def test_forecast_methods_by_hand(client, session, org, finance):
    # D3 gets a budget for the rest of 2026 (C, 20.00 a month) and sales in February and March
    add_budgets(session, [budget_line(org["d3"], org["c"], f"2026-{m:02d}", "2", "20.00") for m in range(2, 13)])
    add_sales(session, [
        sale_line("f1", "2026-02-15", org["s3"], org["acc"], org["c"], "1", "25.00"),
        sale_line("f2", "2026-03-05", org["s3"], org["acc"], org["c"], "1", "30.00"),  # after as_of
    ])
    body = _ok(client, finance, FORECAST, year=2026, as_of="2026-02", by="district")
    assert (body["year"], body["as_of"], body["by"]) == (2026, "2026-02", ["district"])
    rows = _by_key(body["rows"], "district_code")
    d3 = rows[("D3",)]
    # budget 10 + 11 × 20 = 230; to date 30; actual to date 12 + 25 = 37
    assert _d(d3["budget"]) == Decimal("230.00") and _d(d3["actual_to_date"]) == Decimal("37.00")
    assert _d(d3["budget_remainder"]) == Decimal("237.00")   # 37 + (230 − 30)
    assert _d(d3["run_rate"]) == Decimal("222.00")           # 37 / 2 × 12
    assert _d(d3["seasonal"]) == Decimal("283.67")           # 37 / 30 × 230 = 283.666…
    d1 = rows[("D1",)]  # budget 2100 all to date; actual 2030 (S2's February sale included)
    assert (_d(d1["budget"]), _d(d1["actual_to_date"]), _d(d1["budget_remainder"]), _d(d1["run_rate"]),
            _d(d1["seasonal"])) == (Decimal("2100.00"), Decimal("2030.00"), Decimal("2030.00"),
                                    Decimal("12180.00"), Decimal("2030.00"))
    assert _d(rows[("D2",)]["run_rate"]) == Decimal("600.00")
    t = body["totals"]
    assert _d(t["budget"]) == Decimal("2430.00") and _d(t["seasonal"]) == Decimal("2413.67")
    # the same frame as CSV
    res = _ok(client, finance, FORECAST, year=2026, as_of="2026-02", by="district", format="csv")
    assert res.headers["content-disposition"] == 'attachment; filename="forecast_2026_2026-02_district.csv"'
    assert "D3,Kristiansand,230.00,30.00,37.00,237.00,222.00,283.67\r\n" in res.text


def test_forecast_as_of_defaults_to_the_month_of_the_latest_sale(client, org, finance):
    # the latest sale is x5 on 2026-02-03, whatever the clock says: the month the pages open on (issue #15)
    assert _ok(client, finance, FORECAST, year=2026)["as_of"] == "2026-02"
    # a past year: capped at its last month
    assert _ok(client, finance, FORECAST, year=2025)["as_of"] == "2025-12"
    # a year with no sales yet
    res = _get(client, finance, FORECAST, year=2027)
    assert res.status_code == 422 and "as_of" in res.text and "no sales yet" in res.text



def test_forecast_as_of_never_counts_a_month_still_running(session, org):
    """The latest sale is on 2026-02-03; on 10 February, February is still running: a run rate would count
    its three days as a month, so the default stops at January. On 1 March February is complete."""
    from app.access import EVERYTHING
    from app.reporting.budget import forecast_report
    used = [forecast_report(session, scope=EVERYTHING, year=2026, as_of=None, by=["district"], today=today)[1]
            for today in (date(2026, 2, 10), date(2026, 3, 1))]
    assert used == ["2026-01", "2026-02"]

def test_forecast_as_of_without_any_sale_is_the_last_complete_month(client, finance):
    last = shift_month(date.today().strftime("%Y-%m"), -1)
    assert _ok(client, finance, FORECAST, year=int(last[:4]))["as_of"] == last


# ------------------------------------------------------------------------------------------------
# bad input: 422 with a message, never a 500


@pytest.mark.parametrize("params,needle", [
    ({"to": "2026-01"}, "from"),
    ({"from": "2026-01"}, "to"),
    ({"from": "2026-13", "to": "2026-12"}, "from"),
    ({"from": "2026-1", "to": "2026-12"}, "from"),
    ({"from": "jan", "to": "2026-12"}, "from"),
    ({"from": "2026-01", "to": "2026-00"}, "to"),
    ({"from": "2026-03", "to": "2026-02"}, "after"),
    ({"from": "2020-01", "to": "2025-01"}, "at most 60"),
    ({"from": "2026-01", "to": "2026-02", "by": "county"}, "unknown group key(s) county"),
    ({"from": "2026-01", "to": "2026-02", "by": "district,district"}, "more than once"),
    ({"from": "2026-01", "to": "2026-02", "by": ""}, "by needs"),
    ({"from": "2026-01", "to": "2026-02", "by": "district,,product"}, "by needs"),
    ({"from": "2026-01", "to": "2026-02", "per": "week"}, "per"),
    ({"from": "2026-01", "to": "2026-02", "format": "pdf"}, "format"),
    ({"from": "2026-01", "to": "2026-02", "format": "csv", "delimiter": "|"}, "delimiter"),
    ({"from": "2026-01", "to": "2026-02", "format": "csv", "decimal": "x"}, "decimal"),
    ({"from": "2026-01", "to": "2026-02", "format": "csv", "decimal": ","}, "must differ"),
    ({"from": "2026-01", "to": "2026-02", "bom": "maybe"}, "bom"),
])
def test_bad_variance_parameters_get_422(client, org, finance, params, needle):
    res = _get(client, finance, **params)
    assert res.status_code == 422, res.text
    assert needle in res.text


def test_sixty_months_is_allowed(client, org, finance):
    assert _get(client, finance, **{"from": "2021-03", "to": "2026-02"}).status_code == 200


@pytest.mark.parametrize("params,needle", [
    ({}, "year"),
    ({"year": "twenty"}, "year"),
    ({"year": "99999"}, "year"),
    ({"year": "2026", "as_of": "2026-13"}, "as_of"),
    ({"year": "2026", "as_of": "2025-12"}, "outside fiscal year 2026"),
    ({"year": "2026", "as_of": "2026-01", "by": "town"}, "unknown group key(s) town"),
    ({"year": "2026", "as_of": "2026-01", "format": "docx"}, "format"),
])
def test_bad_forecast_parameters_get_422(client, org, finance, params, needle):
    res = _get(client, finance, FORECAST, **params)
    assert res.status_code == 422, res.text
    assert needle in res.text


def test_openapi_documents_the_rows(client):
    spec = client.get("/api/openapi.json").json()
    row = spec["components"]["schemas"]["VarianceRow"]["properties"]
    for col in ("district_code", "product_name", "period", "price_effect", "volume_effect", "mix_effect",
                "variance_pct", "favorable"):
        assert col in row
    assert "seasonal" in spec["components"]["schemas"]["ForecastRow"]["properties"]
    params = {p["name"] for p in spec["paths"]["/api/v1/budget/variance"]["get"]["parameters"]}
    assert {"from", "to", "by", "per", "format", "delimiter", "decimal"} <= params
