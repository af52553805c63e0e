"""The database part of imports: references, history, phasing, upsert counts, all or nothing, dry run.

Expected values are worked out by hand in the comments; the rows are read back with plain queries.
"""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from app.imports.errors import ImportRejected
from app.imports.service import ImportResult, UnknownDataset, import_file
from app.models import (
    Account,
    Activity,
    Budget,
    District,
    KpiDefinition,
    KpiValue,
    Leader,
    LeaderUnit,
    Product,
    Region,
    Sale,
    Seasonality,
    Seller,
    SellerDistrict,
    Target,
)
from tests.builders import make_account, make_district, make_product, make_region, make_seller

D = Decimal


def load(session, dataset: str, body: str, **kw) -> ImportResult:
    return import_file(session, dataset=dataset, data=body.encode(), filename=f"{dataset}.csv", **kw)


def rejected(session, dataset: str, body: str) -> list[dict]:
    with pytest.raises(ImportRejected) as info:
        load(session, dataset, body)
    return [e.as_dict() for e in info.value.errors]


def counts(result: ImportResult) -> tuple[int, int, int, int]:
    return result.rows, result.inserted, result.updated, result.unchanged


def dump(session, table: str) -> list[tuple]:
    return [tuple(r) for r in session.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")).all()]


@pytest.fixture
def org(session):
    """Regions R1, districts D1 (R1) and D2, sellers S1 (D1 from 2025-01-01), accounts A1, A2, product P1."""
    r1 = make_region(session, code="R1")
    d1 = make_district(session, code="D1", region=r1)
    d2 = make_district(session, code="D2")
    s1 = make_seller(session, code="S1", district=d1, valid_from=date(2025, 1, 1))
    a1 = make_account(session, code="A1", district=d1)
    a2 = make_account(session, code="A2", district=d2)
    p1 = make_product(session, code="P1")
    return {"R1": r1, "D1": d1, "D2": d2, "S1": s1, "A1": a1, "A2": a2, "P1": p1}


# ---------------------------------------------------------------------------------------------- org


def test_regions_districts_products_land(session):
    assert counts(load(session, "regions", "code,name\nN,North\nS,South\n")) == (2, 2, 0, 0)
    assert counts(load(session, "districts", "code,name,basis,region_code\nOSL,Oslo,geographic,N\n"
                                             "KEY,Key accounts,customer,\n")) == (2, 2, 0, 0)
    load(session, "products", "code,name,product_group\nW1,Widget,Hardware\n")
    north = session.scalar(select(Region).where(Region.code == "N"))
    assert north.name == "North"
    osl = session.scalar(select(District).where(District.code == "OSL"))
    key = session.scalar(select(District).where(District.code == "KEY"))
    assert (osl.name, osl.basis, osl.region_id) == ("Oslo", "geographic", north.id)
    assert (key.basis, key.region_id) == ("customer", None)
    w1 = session.scalar(select(Product).where(Product.code == "W1"))
    assert (w1.name, w1.product_group) == ("Widget", "Hardware")


def test_unknown_dataset(session):
    with pytest.raises(UnknownDataset, match="regions, districts"):
        load(session, "nope", "code\n")


def test_unknown_region_code_is_a_row_error(session):
    errors = rejected(session, "districts", "code,name,basis,region_code\nD9,X,geographic,NOPE\n")
    assert errors == [{"row": 2, "column": "region_code", "value": "NOPE", "message": "unknown region_code"}]
    assert session.scalar(select(func.count()).select_from(District)) == 0


def test_sellers_move_and_name_from_latest_row(session, org):
    body = ("code,name,email,district_code,valid_from\n"
            "S7,Kari,kari@example.com,D1,2025-01-01\n"
            "S7,Kari Nordmann,kari.n@example.com,D2,2025-07-01\n")
    assert counts(load(session, "sellers", body)) == (2, 2, 0, 0)
    s7 = session.scalar(select(Seller).where(Seller.code == "S7"))
    assert (s7.name, s7.email) == ("Kari Nordmann", "kari.n@example.com")
    history = session.execute(select(SellerDistrict.valid_from, SellerDistrict.district_id)
                              .where(SellerDistrict.seller_id == s7.id).order_by(SellerDistrict.valid_from)).all()
    assert [tuple(h) for h in history] == [(date(2025, 1, 1), org["D1"].id), (date(2025, 7, 1), org["D2"].id)]
    # The same file again changes nothing.
    assert counts(load(session, "sellers", body)) == (2, 0, 0, 2)


def test_seller_email_of_another_seller_is_rejected(session, org):
    errors = rejected(session, "sellers", "code,name,email,district_code,valid_from\n"
                                          "S8,Ola,s1@example.com,D1,2025-01-01\n")
    assert errors == [{"row": 2, "column": "email", "value": "s1@example.com",
                       "message": "e-mail already belongs to seller S1"}]


def test_leaders_units(session, org):
    body = ("email,name,district_code,region_code\n"
            "liv@example.com,Liv,D1,\nliv@example.com,Liv,,R1\nceo@example.com,Per,,\n")
    assert counts(load(session, "leaders", body)) == (3, 3, 0, 0)
    units = session.execute(select(Leader.email, LeaderUnit.level, LeaderUnit.unit_code)
                            .join(LeaderUnit, LeaderUnit.leader_id == Leader.id)
                            .order_by(Leader.email, LeaderUnit.level)).all()
    assert [tuple(u) for u in units] == [("ceo@example.com", "company", ""),
                                         ("liv@example.com", "district", "D1"),
                                         ("liv@example.com", "region", "R1")]
    errors = rejected(session, "leaders", "email,name,district_code,region_code\nx@example.com,X,D404,\n")
    assert errors[0]["message"] == "unknown district_code"


def test_accounts_defaults_and_kam(session, org):
    body = ("code,name,district_code,segment,key_account,kam_seller_code\n"
            "K1,Big Co,D1,Retail,yes,S1\nK2,Small Co,D2,,,\n")
    assert counts(load(session, "accounts", body)) == (2, 2, 0, 0)
    k1 = session.scalar(select(Account).where(Account.code == "K1"))
    k2 = session.scalar(select(Account).where(Account.code == "K2"))
    assert (k1.district_id, k1.segment, k1.key_account, k1.kam_seller_id) == (org["D1"].id, "Retail", True,
                                                                              org["S1"].id)
    assert (k2.district_id, k2.segment, k2.key_account, k2.kam_seller_id) == (org["D2"].id, None, False, None)
    errors = rejected(session, "accounts", "code,name,district_code,kam_seller_code\nK3,X,D1,S404\n")
    assert errors == [{"row": 2, "column": "kam_seller_code", "value": "S404", "message": "unknown seller code"}]


# -------------------------------------------------------------------------------------------- sales

SALES = ("id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
         "INV1,2025-02-01,S1,A1,P1,2,100.50,60\n"
         "INV2,2025-03-15,S1,A2,P1,-1,-50,\n"
         "INV3,2025-03-16,S1,A2,P1,3,1234567.89,1000.01\n")


def test_sales_land_with_exact_values(session, org):
    assert counts(load(session, "sales", SALES)) == (3, 3, 0, 0)
    rows = {s.id: s for s in session.scalars(select(Sale))}
    assert (rows["INV1"].date, rows["INV1"].seller_id, rows["INV1"].account_id, rows["INV1"].product_id) == (
        date(2025, 2, 1), org["S1"].id, org["A1"].id, org["P1"].id)
    assert (rows["INV1"].quantity, rows["INV1"].amount, rows["INV1"].cost) == (D("2"), D("100.50"), D("60"))
    assert (rows["INV2"].quantity, rows["INV2"].amount, rows["INV2"].cost) == (D("-1"), D("-50"), None)
    assert rows["INV3"].amount == D("1234567.89")
    assert rows["INV3"].cost == D("1000.01")


def test_same_file_twice_changes_nothing(session, org):
    load(session, "sales", SALES)
    before = dump(session, "sales")
    assert counts(load(session, "sales", SALES)) == (3, 0, 0, 3)
    assert dump(session, "sales") == before


def test_corrected_row_is_updated(session, org):
    load(session, "sales", SALES)
    corrected = SALES.replace("INV2,2025-03-15,S1,A2,P1,-1,-50,", "INV2,2025-03-15,S1,A2,P1,-1,-55.25,10")
    assert counts(load(session, "sales", corrected)) == (3, 0, 1, 2)
    inv2 = session.get(Sale, "INV2")
    assert (inv2.amount, inv2.cost) == (D("-55.25"), D("10"))
    assert session.get(Sale, "INV1").amount == D("100.50")


def test_one_bad_row_writes_nothing_and_every_bad_row_is_listed(session, org):
    body = ("id,date,seller_code,account_code,product_code,quantity,amount\n"
            "G1,2025-02-01,S1,A1,P1,1,10\n"
            "B1,2025-02-01,S404,A1,P1,1,10\n"
            "G2,2025-02-01,S1,A1,P1,1,10\n"
            "B2,2025-02-01,S1,A1,P404,1,10\n"
            "B3,2025-02-01,S1,A1,P1,1,ten\n")
    with pytest.raises(ImportRejected) as info:
        load(session, "sales", body)
    errors = [e.as_dict() for e in info.value.errors]
    assert [(e["row"], e["column"], e["value"]) for e in errors] == [
        (3, "seller_code", "S404"), (5, "product_code", "P404"), (6, "amount", "ten")]
    assert errors[0]["message"] == "unknown seller_code"
    assert errors[1]["message"] == "unknown product_code"
    assert session.scalar(select(func.count()).select_from(Sale)) == 0


def test_sale_before_the_sellers_first_district_is_rejected(session, org):
    body = ("id,date,seller_code,account_code,product_code,quantity,amount\n"
            "E1,2024-12-31,S1,A1,P1,1,10\nE2,2025-01-01,S1,A1,P1,1,10\n")
    errors = rejected(session, "sales", body)
    assert errors == [{"row": 2, "column": "date", "value": "2024-12-31",
                       "message": "seller S1 has no district before 2025-01-01"}]
    # After a move the earlier district still counts: a sale between the two dates is fine.
    load(session, "sellers", "code,name,email,district_code,valid_from\nS1,Seller,s1@example.com,D2,2025-06-01\n")
    assert counts(load(session, "sales", body.replace("2024-12-31", "2025-03-01"))) == (2, 2, 0, 0)


def test_activities_land(session, org):
    body = ("id,date,seller_code,account_code,type,value\n"
            "M1,2025-02-01,S1,A1,meeting,\nC1,2025-02-02,S1,,csat,4\nT1,2025-02-03,S1,,training_hours,7.5\n")
    assert counts(load(session, "activities", body)) == (3, 3, 0, 0)
    got = {a.id: (a.type, a.value, a.account_id) for a in session.scalars(select(Activity))}
    assert got == {"M1": ("meeting", D("1"), org["A1"].id), "C1": ("csat", D("4"), None),
                   "T1": ("training_hours", D("7.5"), None)}
    errors = rejected(session, "activities", "id,date,seller_code,type,value\nX1,2025-02-01,S9,call,1\n")
    assert errors[0]["column"] == "seller_code"


def test_dry_run_reports_counts_and_writes_nothing(session, org):
    result = load(session, "sales", SALES, dry_run=True)
    assert result.dry_run is True
    assert counts(result) == (3, 3, 0, 0)
    assert session.scalar(select(func.count()).select_from(Sale)) == 0
    load(session, "sales", SALES)
    assert counts(load(session, "sales", SALES.replace("100.50", "100.51"), dry_run=True)) == (3, 0, 1, 2)
    assert session.get(Sale, "INV1").amount == D("100.50")


# ------------------------------------------------------------------------------ seasonality, phasing

SEASON_1_TO_12 = "month,weight\n" + "".join(f"{m},{m}\n" for m in range(1, 13))


def test_seasonality_must_be_complete(session):
    errors = rejected(session, "seasonality", "month,weight\n1,1\n2,1\n")
    assert errors == [{"row": None, "column": "month", "value": None,
                       "message": "the seasonality profile needs all 12 months; missing: 3, 4, 5, 6, 7, 8, 9, 10, 11, 12"}]
    assert session.scalar(select(func.count()).select_from(Seasonality)) == 0
    errors = rejected(session, "seasonality", "month,weight\n" + "".join(f"{m},0\n" for m in range(1, 13)))
    assert errors[0]["message"] == "the twelve weights add up to zero"
    assert counts(load(session, "seasonality", SEASON_1_TO_12)) == (12, 12, 0, 0)
    # Once complete, a file with one month updates that month only.
    assert counts(load(session, "seasonality", "month,weight\n3,3.5\n")) == (1, 0, 1, 0)
    assert session.get(Seasonality, 3).weight == D("3.5")


def test_yearly_budget_phased_by_seasonality_to_the_cent(session, org):
    load(session, "seasonality", SEASON_1_TO_12)
    result = load(session, "budgets", "district_code,product_code,period,quantity,amount\nD1,P1,2026,100,1000\n")
    assert counts(result) == (1, 1, 0, 0)
    rows = session.execute(select(Budget.month, Budget.amount, Budget.quantity, Budget.cost, Budget.source_period)
                           .order_by(Budget.month)).all()
    assert [r.month for r in rows] == [date(2026, m, 1) for m in range(1, 13)]
    # Weights 1..12 sum to 78. Amount 100000 cents: month m gets floor(100000*m/78) = 1282, 2564, 3846,
    # 5128, 6410, 7692, 8974, 10256, 11538, 12820, 14102, 15384 (sum 99996); remainders are 4*m mod 78,
    # so the 4 cents left go to months 12, 11, 10, 9.
    assert [r.amount for r in rows] == [D(x) for x in (
        "12.82", "25.64", "38.46", "51.28", "64.10", "76.92", "89.74", "102.56", "115.39", "128.21", "141.03",
        "153.85")]
    # Quantity 10000 hundredths: floors 128, 256, 384, 512, 641, 769, 897, 1025, 1153, 1282, 1410, 1538
    # (sum 9995); remainders 16*m mod 78 = 16, 32, 48, 64, 2, 18, 34, 50, 66, 4, 20, 36: months 9, 4, 8, 3, 12
    # get the 5 units left.
    assert [r.quantity for r in rows] == [D(x) for x in (
        "1.28", "2.56", "3.85", "5.13", "6.41", "7.69", "8.97", "10.26", "11.54", "12.82", "14.10", "15.39")]
    assert sum(r.amount for r in rows) == D("1000.00")
    assert sum(r.quantity for r in rows) == D("100.00")
    assert {r.cost for r in rows} == {None}
    assert {r.source_period for r in rows} == {"2026"}
    # A monthly row replaces its month only; the file row counts as updated.
    again = load(session, "budgets", "district_code,product_code,period,quantity,amount,cost\nD1,P1,2026-03,4,40,20\n")
    assert counts(again) == (1, 0, 1, 0)
    march = session.scalar(select(Budget).where(Budget.month == date(2026, 3, 1)))
    assert (march.amount, march.quantity, march.cost, march.source_period) == (D("40"), D("4"), D("20"), "2026-03")
    assert session.scalar(select(func.count()).select_from(Budget)) == 12


def test_budget_references_and_overlap(session, org):
    errors = rejected(session, "budgets", "district_code,product_code,period,quantity,amount\nD1,P404,2026,1,1\n")
    assert errors == [{"row": 2, "column": "product_code", "value": "P404", "message": "unknown product_code"}]
    errors = rejected(session, "budgets", "district_code,product_code,period,quantity,amount\n"
                                          "D1,P1,2026,12,1200\nD1,P1,2026-05,1,100\n")
    assert errors == [{"row": 3, "column": "period", "value": "2026-05",
                       "message": "2026-05 is also covered by row 2 (2026)"}]
    assert session.scalar(select(func.count()).select_from(Budget)) == 0


def test_yearly_targets_flat_sum_and_repeated_last(session, org):
    body = ("level,code,kpi,period,value\n"
            "company,,revenue,2026,1000\n"
            "seller,S1,margin_pct,2026,0.35\n"
            "district,D1,meetings,2026-03,40\n")
    assert counts(load(session, "targets", body)) == (3, 3, 0, 0)

    def months(level, code, kpi):
        return session.execute(select(Target.month, Target.value, Target.source_period)
                               .where(Target.level == level, Target.unit_code == code, Target.kpi_code == kpi)
                               .order_by(Target.month)).all()

    # No seasonality stored: flat. 100000 cents / 12 = 8333 rest 4; equal remainders -> the first 4 months.
    revenue = months("company", "", "revenue")
    assert [r.value for r in revenue] == [D("83.34")] * 4 + [D("83.33")] * 8
    assert sum(r.value for r in revenue) == D("1000")
    # margin_pct rolls up as 'last': each month carries the yearly value.
    margin = months("seller", "S1", "margin_pct")
    assert [r.month for r in margin] == [date(2026, m, 1) for m in range(1, 13)]
    assert {r.value for r in margin} == {D("0.35")}
    assert [tuple(r) for r in months("district", "D1", "meetings")] == [(date(2026, 3, 1), D("40"), "2026-03")]
    assert counts(load(session, "targets", body)) == (3, 0, 0, 3)


def test_targets_checked_against_units_and_kpis(session, org):
    errors = rejected(session, "targets", "level,code,kpi,period,value\n"
                                          "seller,S404,revenue,2026,1\naccount,A1,nope,2026,1\n")
    assert errors[0] == {"row": 2, "column": "code", "value": "S404", "message": "unknown seller code"}
    assert (errors[1]["row"], errors[1]["column"], errors[1]["value"]) == (3, "kpi", "nope")
    assert errors[1]["message"].startswith("unknown kpi")
    assert session.scalar(select(func.count()).select_from(Target)) == 0


def test_kpi_values_only_for_manual_kpis(session, org):
    errors = rejected(session, "kpi_values", "level,code,kpi,period,value\ncompany,,revenue,2026-01,5\n")
    assert errors[0]["message"] == "revenue is computed from sales and activities; kpi_values holds manual KPIs"
    session.add(KpiDefinition(code="survey", name="Employee survey", perspective="learning", unit="score",
                              direction="higher", weight=D(1), time_rollup="last", manual=True, active=True))
    session.flush()
    assert counts(load(session, "kpi_values", "level,code,kpi,period,value\n"
                                              "district,D1,survey,2026-01,4.25\n")) == (1, 1, 0, 0)
    row = session.scalar(select(KpiValue))
    assert (row.level, row.unit_code, row.kpi_code, row.month, row.value) == (
        "district", "D1", "survey", date(2026, 1, 1), D("4.25"))


def test_bulk_load_rebuilds_indexes_and_foreign_keys(session, org, monkeypatch):
    from sqlalchemy import inspect

    from app.imports import upsert

    def schema():
        insp = inspect(session.connection())
        return (sorted(ix["name"] for ix in insp.get_indexes("sales")),
                sorted(fk["name"] or "" for fk in insp.get_foreign_keys("sales")))

    before = schema()
    assert "ix_sales_seller_id_date" in before[0]
    monkeypatch.setattr(upsert, "BULK_MIN_ROWS", 1)  # take the bulk path with three rows
    assert counts(load(session, "sales", SALES)) == (3, 3, 0, 0)
    assert schema() == before
    assert session.get(Sale, "INV3").amount == D("1234567.89")


# ------------------------------------------------------------------ the monthly aggregates and the version
#
# What an import hands to app.reporting.aggregates.refresh (spied on), what the aggregate tables hold
# afterwards (worked out by hand from the files), and the data version.


def version(session) -> int:
    return session.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar_one()


def sales_monthly(session) -> list[tuple]:
    """(seller, month, district, account, lines, sale_lines, costed_lines, amount, margin, costed_amount)."""
    return [(s, str(m)[:7], d, a, *rest) for s, m, d, a, *rest in session.execute(text(
        "SELECT sl.code, m.month, d.code, a.code, m.lines, m.sale_lines, m.costed_lines, m.amount, m.margin, "
        "m.costed_amount FROM sales_monthly m JOIN sellers sl ON sl.id = m.seller_id "
        "JOIN districts d ON d.id = m.district_id JOIN accounts a ON a.id = m.account_id ORDER BY 1, 2, 4"))]


def product_monthly(session) -> list[tuple]:
    """(month, district, product, lines, costed_lines, quantity, amount, margin)."""
    return [(str(m)[:7], *rest) for m, *rest in session.execute(text(
        "SELECT m.month, d.code, p.code, m.lines, m.costed_lines, m.quantity, m.amount, m.margin "
        "FROM sales_product_monthly m JOIN districts d ON d.id = m.district_id "
        "JOIN products p ON p.id = m.product_id ORDER BY 1, 2, 3"))]


def first_sales(session) -> dict[str, str]:
    return {a: str(m)[:7] for a, m in session.execute(text(
        "SELECT a.code, f.month FROM account_first_sales f JOIN accounts a ON a.id = f.account_id"))}


def everything(session) -> tuple:
    return (sales_monthly(session), product_monthly(session), first_sales(session),
            dump(session, "activities_monthly"), version(session))


@pytest.fixture
def spy(monkeypatch):
    """The Touched of every refresh the imports ask for, in order (the refresh still runs)."""
    from app.imports import service

    calls = []
    real = service.aggregates.refresh

    def refresh(session, touched):
        calls.append(touched)
        real(session, touched)

    monkeypatch.setattr(service.aggregates, "refresh", refresh)
    return calls


def test_a_correction_refreshes_the_old_and_the_new_seller_month_and_account(session, org, spy):
    s2 = make_seller(session, code="S2", district=org["D2"], valid_from=date(2025, 1, 1))
    load(session, "sales", SALES)
    s1, a1, a2 = org["S1"].id, org["A1"].id, org["A2"].id
    assert spy[-1].sales == {(s1, "2025-02"), (s1, "2025-03")}
    assert spy[-1].accounts == {a1, a2}
    # INV1: 100.50 with cost 60 -> margin 40.50; INV2 a credit note (-50, no cost); INV3 3 x 1234567.89, cost 1000.01.
    assert sales_monthly(session) == [
        ("S1", "2025-02", "D1", "A1", 1, 1, 1, 10050, 4050, 10050),
        ("S1", "2025-03", "D1", "A2", 2, 1, 1, -5000 + 123456789, 123456789 - 100001, 123456789),
    ]
    assert first_sales(session) == {"A1": "2025-02", "A2": "2025-03"}
    # INV1 moves to seller S2 (district D2), to April, to account A2.
    moved = SALES.replace("INV1,2025-02-01,S1,A1,", "INV1,2025-04-10,S2,A2,")
    assert counts(load(session, "sales", moved)) == (3, 0, 1, 2)
    # Both the row as it was and as it is now are named; the unchanged rows are not.
    assert spy[-1].sales == {(s1, "2025-02"), (s2.id, "2025-04")}
    assert spy[-1].accounts == {a1, a2}
    assert sales_monthly(session) == [
        ("S1", "2025-03", "D1", "A2", 2, 1, 1, -5000 + 123456789, 123456789 - 100001, 123456789),
        ("S2", "2025-04", "D2", "A2", 1, 1, 1, 10050, 4050, 10050),
    ]
    assert product_monthly(session) == [
        ("2025-03", "D1", "P1", 2, 1, -100 + 300, -5000 + 123456789, 123456789 - 100001),
        ("2025-04", "D2", "P1", 1, 1, 200, 10050, 4050),
    ]
    assert first_sales(session) == {"A2": "2025-03"}  # A1 has no sale left


def test_an_unchanged_reload_touches_nothing_and_a_new_line_touches_its_month(session, org, spy):
    load(session, "sales", SALES)
    load(session, "sales", SALES)
    assert not spy[-1]
    load(session, "sales", SALES + "INV4,2025-05-02,S1,A1,P1,1,10,\n")
    assert (spy[-1].sales, spy[-1].accounts) == ({(org["S1"].id, "2025-05")}, {org["A1"].id})
    assert ("S1", "2025-05", "D1", "A1", 1, 1, 0, 1000, 0, 0) in sales_monthly(session)


def test_a_dry_run_leaves_the_aggregates_and_the_version_alone(session, org, spy):
    load(session, "sales", SALES)
    before = everything(session)
    calls = len(spy)
    corrected = SALES.replace("INV1,2025-02-01,S1,A1,P1,2,100.50,60", "INV1,2025-06-01,S1,A2,P1,9,999,1")
    assert counts(load(session, "sales", corrected, dry_run=True)) == (3, 0, 1, 2)
    load(session, "activities", "id,date,seller_code,type,value\nM1,2025-02-01,S1,meeting,\n", dry_run=True)
    assert everything(session) == before
    assert len(spy) == calls


def test_the_version_counts_every_committed_import_once(session, org):
    start = version(session)
    load(session, "regions", "code,name\nN,North\n")
    assert version(session) == start + 1
    load(session, "regions", "code,name\nN,North\n")  # unchanged, but an import all the same
    assert version(session) == start + 2
    load(session, "regions", "code,name\nS,South\n", dry_run=True)
    rejected(session, "regions", "code,name\nX,\n")
    assert version(session) == start + 2
    load(session, "sales", SALES)
    assert version(session) == start + 3


def test_a_seller_history_import_moves_earlier_sales_to_the_new_district(session, org, spy):
    load(session, "sales", SALES)
    s1 = org["S1"].id
    # From March S1 belongs to D2: February stays in D1, March moves.
    load(session, "sellers", "code,name,email,district_code,valid_from\nS1,Seller,s1@example.com,D2,2025-03-01\n")
    assert spy[-1].all_months_of == {s1}
    assert [(r[1], r[2]) for r in sales_monthly(session)] == [("2025-02", "D1"), ("2025-03", "D2")]
    assert [(r[0], r[1], r[3]) for r in product_monthly(session)] == [("2025-02", "D1", 1), ("2025-03", "D2", 2)]
    # The first assignment rewritten back in time: D2 from the start, so February moves too.
    load(session, "sellers", "code,name,email,district_code,valid_from\nS1,Seller,s1@example.com,D2,2025-01-01\n")
    assert spy[-1].all_months_of == {s1}
    assert [(r[1], r[2]) for r in sales_monthly(session)] == [("2025-02", "D2"), ("2025-03", "D2")]
    assert [(r[0], r[1]) for r in product_monthly(session)] == [("2025-02", "D2"), ("2025-03", "D2")]
    # The same file again changes no history row: nothing to refresh.
    load(session, "sellers", "code,name,email,district_code,valid_from\nS1,Seller,s1@example.com,D2,2025-01-01\n")
    assert not spy[-1]


def test_activities_refresh_both_months_of_a_moved_activity(session, org, spy):
    s1 = org["S1"].id
    load(session, "activities", "id,date,seller_code,type,value\nM1,2025-02-01,S1,meeting,\nT1,2025-02-03,S1,training_hours,7.5\n")
    assert spy[-1].activities == {(s1, "2025-02")} and not spy[-1].sales
    load(session, "activities", "id,date,seller_code,type,value\nM1,2025-02-01,S1,meeting,\nT1,2025-04-03,S1,training_hours,7.5\n")
    assert spy[-1].activities == {(s1, "2025-02"), (s1, "2025-04")}
    rows = [(str(m)[:7], t, n, v) for m, t, n, v in session.execute(text(
        "SELECT month, type, n, value FROM activities_monthly ORDER BY month, type"))]
    assert rows == [("2025-02", "meeting", 1, 100), ("2025-04", "training_hours", 1, 750)]
