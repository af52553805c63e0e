"""GET /scorecards/{level}/{code}/outlook, its children's and its fan chart, end to end on a small world
built per test (figures worked out by hand in the comments; PRODUCT.md §5, "Foresight").

Region R1: district D1 with sellers S1 and S2, district D2 with seller S3. No seasonality profile is
loaded, so months weigh the same (1/12). The fiscal year is the calendar year. Sales of 2026:

    S1 (account A1): Jan 800, Feb 1,200, Mar 800, Apr 1,200, May 800, Jun 1,200
    S2 (account A2, hired in March: its first sale): Mar 500, Apr 500, May 500, Jun 500
    S3: none

Revenue targets of 2026: S1 1,000 each month (12,000); S2 1,500 in December only; S3 100 in June.
D1 and R1 have none: they take their sellers' sum. The latest sale is in June, so the outlook is as of
2026-06 by default; with six months of history the errors are too few: the band is the model's.
"""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from app.analytics.outlook import METHOD
from app.models import Sale, Target
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
S1_SALES = {1: 800, 2: 1200, 3: 800, 4: 1200, 5: 800, 6: 1200}
S2_SALES = {3: 500, 4: 500, 5: 500, 6: 500}
LAMBDA = 0.5 ** (1 / METHOD.half_life)


def level_of(monthly: dict[int, float], through: int) -> float:
    """The yearly level by the README's formula, plainly: Σ λ^(t−j) a_j / Σ λ^(t−j) (1/12) over the
    seller's months j ≤ t."""
    num = sum(LAMBDA ** (through - m) * a for m, a in monthly.items() if m <= through)
    den = sum(LAMBDA ** (through - m) / 12 for m in monthly if m <= through)
    return num / den


@pytest.fixture
def world(session):
    r1 = make_region(session, code="R1")
    d1, d2 = make_district(session, code="D1", region=r1), make_district(session, code="D2", region=r1)
    s1, s2 = make_seller(session, code="S1", district=d1), make_seller(session, code="S2", district=d1)
    make_seller(session, code="S3", district=d2)
    a1, a2 = make_account(session, code="A1", district=d1), make_account(session, code="A2", district=d1)
    p = make_product(session, code="P1")
    rows = [(f"s1-{m}", s1, a1, m, v) for m, v in S1_SALES.items()] + [(f"s2-{m}", s2, a2, m, v) for m, v in S2_SALES.items()]
    add_sales(session, [Sale(id=i, date=date(2026, m, 10), seller_id=s.id, account_id=a.id, product_id=p.id,
                             quantity=Decimal(1), amount=Decimal(v), cost=None) for i, s, a, m, v in rows])
    targets = [("S1", m, "1000") for m in range(1, 13)] + [("S2", 12, "1500"), ("S3", 6, "100")]
    add_targets(session, [Target(level="seller", unit_code=code, kpi_code="revenue", month=date(2026, m, 1),
                                 value=Decimal(v), source_period=f"2026-{m:02d}") for code, m, v in targets])
    leader = make_leader(session, units=[("district", "D2")], email="lead2@example.com")
    return {
        "admin": signed_in(make_user(session, role="admin", email="admin@example.com")),
        "d2": signed_in(make_user(session, role="leader", email=leader.email)),
        "s1": signed_in(make_user(session, role="seller", email=s1.email)),
    }


def kpi(answer: dict, code: str = "revenue") -> dict:
    return next(k for k in answer["kpis"] if k["kpi"] == code)


def test_a_sellers_year_worked_by_hand(client, world):
    res = client.get(f"{API}/scorecards/seller/S1/outlook?year=2026", headers=world["admin"])
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["year"], body["as_of"], body["band"]) == (2026, "2026-06", "model")
    revenue = kpi(body)
    # to date: 800 + 1,200 + 800 + 1,200 + 800 + 1,200 = 6,000; the year's target 12 × 1,000
    assert revenue["actual_to_date"] == 6000
    assert revenue["target"] == 12000
    # p50: to date + the level × the six months' weights (6/12); the model's median adds nothing
    level = level_of(S1_SALES, 6)
    assert revenue["p50"] == pytest.approx(6000 + level * 6 / 12, abs=0.01)
    assert revenue["p10"] < revenue["p50"] < revenue["p90"]
    assert 0 < revenue["probability"] < 1
    assert revenue["basis"] == "profile"  # six months of its own, under a year
    # the fan: one point per month left, the last the year's; the actuals month by month
    assert [p["period"] for p in revenue["path"]] == [f"2026-{m:02d}" for m in range(7, 13)]
    assert revenue["path"][-1] == {"period": "2026-12", "p10": revenue["p10"], "p50": revenue["p50"], "p90": revenue["p90"]}
    assert [a["actual"] for a in revenue["actuals"]] == [800, 2000, 2800, 4000, 4800, 6000]
    # KPIs that add up over time only; new customers has no target: no probability
    assert [k["kpi"] for k in body["kpis"]] == ["revenue", "gross_margin", "new_customers", "meetings", "proposals",
                                                "training_hours", "coaching_sessions"]
    assert kpi(body, "new_customers")["actual_to_date"] == 1  # A1's first sale is in January
    assert kpi(body, "new_customers")["probability"] is None


def test_an_earlier_as_of_reads_nothing_after_it(client, world):
    body = client.get(f"{API}/scorecards/seller/S1/outlook?year=2026&as_of=2026-04", headers=world["admin"]).json()
    revenue = kpi(body)
    assert revenue["actual_to_date"] == 800 + 1200 + 800 + 1200
    assert revenue["p50"] == pytest.approx(4000 + level_of(S1_SALES, 4) * 8 / 12, abs=0.01)
    assert len(revenue["path"]) == 8


def test_a_seller_hired_mid_year_counts_only_their_months_and_a_target_reached_is_certain(client, world):
    body = client.get(f"{API}/scorecards/seller/S2/outlook?year=2026", headers=world["admin"]).json()
    revenue = kpi(body)
    # four months of 500: a level of 6,000 a year (not 2,000 over the year's six months: 4,000); six
    # months left: 3,000 more, the year lands at 5,000; no noise of its own and the model's band: exact
    assert revenue["actual_to_date"] == 2000
    assert revenue["p50"] == pytest.approx(5000)
    # the target (1,500 in December) is reached already: probability 1
    assert revenue["target"] == 1500
    assert revenue["probability"] == 1.0


def test_a_seller_with_no_month_has_no_outlook_and_says_so(client, world):
    revenue = kpi(client.get(f"{API}/scorecards/seller/S3/outlook?year=2026", headers=world["admin"]).json())
    assert revenue["basis"] == "none"
    assert (revenue["p10"], revenue["p50"], revenue["p90"], revenue["probability"]) == (None, None, None, None)
    assert revenue["actual_to_date"] == 0 and revenue["target"] == 100


def test_a_district_takes_its_sellers_targets_and_its_children_their_chances(client, world):
    body = client.get(f"{API}/scorecards/district/D1/outlook?year=2026", headers=world["admin"]).json()
    revenue = kpi(body)
    assert revenue["target"] == 12000 + 1500
    assert revenue["actual_to_date"] == 6000 + 2000
    children = client.get(f"{API}/scorecards/district/D1/children/outlook?year=2026", headers=world["admin"])
    assert children.status_code == 200
    kids = {c["code"]: c["kpis"]["revenue"] for c in children.json()["children"]}
    assert set(kids) == {"S1", "S2"}
    assert kids["S2"]["probability"] == 1.0
    s1 = kpi(client.get(f"{API}/scorecards/seller/S1/outlook?year=2026", headers=world["admin"]).json())
    assert kids["S1"] == {"target": 12000, "p50": s1["p50"], "probability": s1["probability"]}


def test_an_account_has_the_outlook_of_its_card(client, world):
    body = client.get(f"{API}/scorecards/account/A1/outlook?year=2026", headers=world["admin"]).json()
    assert kpi(body)["actual_to_date"] == 6000
    assert "training_hours" not in {k["kpi"] for k in body["kpis"]}  # people KPIs are not an account's


def test_the_year_defaults_to_that_of_as_of(client, world):
    body = client.get(f"{API}/scorecards/seller/S1/outlook?as_of=2026-05", headers=world["admin"]).json()
    assert (body["year"], body["as_of"]) == (2026, "2026-05")


@pytest.mark.parametrize(("query", "field", "says"), [
    ("year=2027", "year", "fiscal year 2027 (2027-01 to 2027-12) has no sales yet"),
    ("year=2026&as_of=2025-12", "as_of", "outside fiscal year 2026"),
    ("year=2026&as_of=2026-08", "as_of", "after the latest sales loaded (2026-06)"),
    ("year=2026&as_of=2026-13", "as_of", "pattern"),
    ("year=1800", "year", "greater than or equal to 1900"),
])
def test_bad_input_is_a_422_naming_the_parameter(client, world, query, field, says):
    res = client.get(f"{API}/scorecards/seller/S1/outlook?{query}", headers=world["admin"])
    assert res.status_code == 422, res.text
    detail = res.json()["detail"][0]
    assert detail["loc"] == ["query", field]
    assert says in detail["msg"] or says in detail["type"]
    # the same for the children and the chart
    assert client.get(f"{API}/scorecards/district/D1/children/outlook?{query}", headers=world["admin"]).status_code == 422
    assert client.get(f"{API}/charts/scorecards/seller/S1/outlook?{query}", headers=world["admin"]).status_code == 422


def test_a_unit_the_caller_may_not_see_is_404_as_an_unknown_one(client, world):
    # the leader of D2 sees S3 and D2, not S1 nor D1
    assert client.get(f"{API}/scorecards/seller/S3/outlook?year=2026", headers=world["d2"]).status_code == 200
    for path in ("seller/S1/outlook", "district/D1/outlook", "district/D1/children/outlook", "seller/ZZ/outlook"):
        res = client.get(f"{API}/scorecards/{path}?year=2026", headers=world["d2"])
        assert res.status_code == 404, path
        level, code = path.split("/")[:2]
        assert res.json() == {"detail": f"no {level} {code}"}  # word for word as for an unknown code
    # a seller reads their own
    assert client.get(f"{API}/scorecards/seller/S1/outlook?year=2026", headers=world["s1"]).status_code == 200
    assert client.get(f"{API}/scorecards/seller/S2/outlook?year=2026", headers=world["s1"]).status_code == 404
    assert client.get(f"{API}/scorecards/seller/S1/outlook?year=2026").status_code == 401


def test_the_fan_chart(client, world):
    res = client.get(f"{API}/charts/scorecards/seller/S1/outlook?year=2026&kpi=revenue", headers=world["admin"])
    assert res.status_code == 200, res.text
    fig = res.json()
    names = [t["name"] for t in fig["data"]]
    assert names == ["p10", "80 % band (p10–p90)", "Most likely (p50)", "Actual to date", "Year's target"]
    band = fig["data"][1]
    assert band["fill"] == "tonexty"
    # the band starts at the last actual (June) and runs to December
    assert band["x"][0] == "2026-06-01" and band["x"][-1] == "2026-12-01"
    target = fig["data"][-1]
    assert target["x"] == ["2026-01-01", "2026-12-01"]
    nb = client.get(f"{API}/charts/scorecards/seller/S1/outlook?year=2026&kpi=revenue&lang=nb", headers=world["admin"])
    assert nb.json()["data"][-1]["name"] == "Årets mål"
    bad = client.get(f"{API}/charts/scorecards/seller/S1/outlook?year=2026&kpi=margin_pct", headers=world["admin"])
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "kpi"]
    assert client.get(f"{API}/charts/scorecards/seller/S1/outlook?year=2026", headers=world["d2"]).status_code == 404


def test_the_outlook_table_downloads_as_the_page_shows_it(client, world):
    answer = client.get(f"{API}/scorecards/seller/S1/outlook?as_of=2026-06", headers=world["admin"]).json()
    res = client.get(f"{API}/scorecards/seller/S1/export?table=outlook&period=2026-06&format=csv", headers=world["admin"])
    assert res.status_code == 200, res.text
    assert res.headers["content-disposition"] == 'attachment; filename="scorecard-outlook-seller-S1-2026-06-ytd.csv"'
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert list(rows[0]) == ["KPI", "Code", "Unit of measure", "Year's target", "Actual to date", "p10", "Most likely (p50)", "p90",
                             "Chance of the target", "Read from"]
    assert [r["Code"] for r in rows] == [k["kpi"] for k in answer["kpis"]]
    revenue, shown = rows[0], kpi(answer)
    assert float(revenue["Year's target"]) == 12000 and float(revenue["Actual to date"]) == 6000
    for column, key in (("p10", "p10"), ("Most likely (p50)", "p50"), ("p90", "p90")):
        assert float(revenue[column]) == pytest.approx(shown[key], abs=0.005)
    assert float(revenue["Chance of the target"]) == pytest.approx(shown["probability"], abs=1e-6)
    assert revenue["Read from"] == "its months and the seasonality profile"
    assert rows[2]["Chance of the target"] == ""  # new customers: no target
    # in bokmål for Norwegian Excel
    nb = client.get(f"{API}/scorecards/seller/S1/export?table=outlook&period=2026-06&format=csv&lang=nb"
                    "&delimiter=%3B", headers=world["admin"])
    nb_rows = list(csv.DictReader(io.StringIO(nb.text), delimiter=";"))
    assert nb_rows[0]["Årets mål"] == "12000"
    assert nb_rows[0]["Lest fra"] == "egne måneder og sesongprofilen"
    # XLSX, read back
    xlsx = client.get(f"{API}/scorecards/seller/S1/export?table=outlook&period=2026-06&format=xlsx", headers=world["admin"])
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["Outlook"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header_at = next(i for i, r in enumerate(values) if r and r[0] == "KPI")
    assert values[header_at + 1][:2] == ["Revenue", "revenue"]
    # a month without sales: 422 naming the period; someone else's seller: 404
    late = client.get(f"{API}/scorecards/seller/S1/export?table=outlook&period=2026-08&format=csv", headers=world["admin"])
    assert late.status_code == 422 and late.json()["detail"][0]["loc"] == ["query", "period"]
    other = client.get(f"{API}/scorecards/seller/S1/export?table=outlook&period=2026-06&format=csv", headers=world["d2"])
    assert other.status_code == 404
