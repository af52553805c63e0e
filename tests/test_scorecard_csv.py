"""The scorecard pages' tables as files (GET /scorecards/{level}/{code}/export): the unit's KPIs, the ranking
of the units below and the heatmap's figures, as CSV (read back with the csv module) and XLSX, in English
and bokmål, and who may have which.

A small organization whose figures are worked out by hand (period 2026-02, range ytd = January and
February 2026). R1 has districts D1 ("Østfold": sellers S1, B2 and A9) and D2 (seller S3). Revenue
targets: S1 100,000 a month, B2 1,000,000 a month; A9 and S3 have none, and no other KPI has a target.
- S1 sells 100,000.40 in January and 134,567.20 in February: 234,567.60 / 200,000 = 1.172838, green;
  revenue is S1's only scored KPI, so its score (under the cap of 1.2) is the overall score. Through
  January alone (the previous range): 100,000.40 / 100,000 = 1.000004, green.
- B2 (named like a formula, "=2+3 Bjørn Ås") sells 200,000 and 800,000: 1,000,000 / 2,000,000 = 0.5, red.
- A9 sells 5,000.25 and has no target: no score, ranked last.
So D1's ranking is S1, B2, A9: not the code order (A9, B2, S1).
"""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

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

PERIOD = "2026-02"
FORMULA_NAME = "=2+3 Bjørn Ås"
EXPORT = "/api/v1/scorecards/{level}/{code}/export"
# The words of a status as the files write them, by hand (the meeting pack's words).
STATUS = {
    "en": {"green": "on target", "amber": "close", "red": "behind", "none": "no target"},
    "nb": {"green": "på mål", "amber": "nær", "red": "bak", "none": "uten mål"},
}


def _sale(sid: str, day: date, seller, account, product, amount: str) -> Sale:
    return Sale(id=sid, date=day, seller_id=seller.id, account_id=account.id, product_id=product.id,
                quantity=Decimal("1"), amount=Decimal(amount), cost=None)


@pytest.fixture
def org(session):
    r1 = make_region(session, code="R1", name="Region Øst")
    d1 = make_district(session, code="D1", region=r1, name="Østfold")
    d2 = make_district(session, code="D2", region=r1, name="Vestfold")
    s1 = make_seller(session, code="S1", district=d1, name="Siri Sæther")
    b2 = make_seller(session, code="B2", district=d1, name=FORMULA_NAME)
    a9 = make_seller(session, code="A9", district=d1, name="Aud Ny")
    s3 = make_seller(session, code="S3", district=d2, name="Stig Li")
    a1, a2 = make_account(session, code="AC1", district=d1), make_account(session, code="AC2", district=d2)
    p = make_product(session, code="P1")
    add_sales(session, [
        _sale("x1", date(2026, 1, 10), s1, a1, p, "100000.40"),
        _sale("x2", date(2026, 2, 5), s1, a1, p, "134567.20"),
        _sale("x3", date(2026, 1, 12), b2, a1, p, "200000.00"),
        _sale("x4", date(2026, 2, 12), b2, a1, p, "800000.00"),
        _sale("x5", date(2026, 2, 13), a9, a1, p, "5000.25"),
        _sale("x6", date(2026, 2, 14), s3, a2, p, "5000.00"),
    ])
    add_targets(session, [
        Target(level="seller", unit_code=code, kpi_code="revenue", month=date(2026, m, 1), value=Decimal(value),
               source_period=f"2026-0{m}")
        for code, value in (("S1", "100000"), ("B2", "1000000")) for m in (1, 2)
    ])
    make_leader(session, units=[("district", "D1")], email="lead1@example.com")
    make_leader(session, units=[("district", "D2")], email="lead2@example.com")
    return {"b2": b2}


@pytest.fixture
def lead1(session, org):
    return signed_in(make_user(session, role="leader", email="lead1@example.com"))


def _export(client, headers, level="district", code="D1", **params):
    return client.get(EXPORT.format(level=level, code=code), headers=headers,
                      params={"period": PERIOD, "range": "ytd", **params})


def _csv(res, delimiter: str = ",") -> list[list[str]]:
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(res.content.decode("utf-8-sig")), delimiter=delimiter))


def _by_code(rows: list[list[str]], column: str = "Code") -> dict[str, dict[str, str]]:
    header = rows[0]
    return {r[header.index(column)]: dict(zip(header, r, strict=True)) for r in rows[1:]}


def _card(client, headers, level="district", code="D1") -> dict:
    res = client.get(f"/api/v1/scorecards/{level}/{code}", headers=headers, params={"period": PERIOD, "range": "ytd"})
    assert res.status_code == 200, res.text
    return res.json()


def _kpis(card: dict) -> list[dict]:
    return [k for p in card["perspectives"] for k in p["kpis"]]


def _number(text: str, decimal: str = ".") -> float | None:
    return None if text == "" else float(text.replace(decimal, "."))


def test_the_ranking_in_english(client, lead1):
    res = _export(client, lead1, table="ranking")
    assert res.headers["content-disposition"] == 'attachment; filename="scorecard-ranking-district-D1-2026-02-ytd.csv"'
    assert not res.content.startswith(b"\xef\xbb\xbf")  # no byte-order mark unless asked
    rows = _csv(res)
    names = [k["name"] for k in _kpis(_card(client, lead1))]  # the page's KPI columns, in its order
    assert rows[0] == ["#", "Name", "Code", "Overall score", "Status", "Chance of the year's revenue target", *names]
    # the chance as the team page shows it beside the status: each child's probability of the year's
    # revenue target, as of the period (GET .../children/outlook), a fraction; empty without one
    outlook = client.get("/api/v1/scorecards/district/D1/children/outlook?as_of=2026-02", headers=lead1).json()
    chances = {c["code"]: c["kpis"]["revenue"]["probability"] for c in outlook["children"]}
    assert {r[2]: r[5] for r in rows[1:]} == {
        code: "" if p is None else f"{p:.6f}".rstrip("0").rstrip(".") for code, p in chances.items()
    }
    # best overall first, no score last; the formula-looking name written as text
    assert [r[:5] for r in rows[1:]] == [
        ["1", "Siri Sæther", "S1", "1.172838", "on target"],
        ["2", "'" + FORMULA_NAME, "B2", "0.5", "behind"],
        ["3", "Aud Ny", "A9", "", "no target"],
    ]
    revenue = rows[0].index("Revenue")
    assert [r[revenue] for r in rows[1:]] == ["234567.60", "1000000.00", "5000.25"]  # money with its øre


def test_the_heatmap_in_bokmal(client, lead1):
    res = _export(client, lead1, table="heatmap", lang="nb", delimiter=";", bom="true")
    assert res.content.startswith(b"\xef\xbb\xbf")  # Excel reads æøå as UTF-8
    rows = _csv(res, ";")
    card = _card(client, lead1)
    expected = ["#", "Navn", "Kode"]
    for k in _kpis(card):
        expected += [f"{k['name_nb']}: måloppnåelse", f"{k['name_nb']}: status"]
    assert rows[0] == expected
    assert "Omsetning: måloppnåelse" in rows[0]
    found = _by_code(rows, "Kode")
    assert list(found) == ["S1", "B2", "A9"]  # the heatmap's rows, top down
    assert [found[c]["#"] for c in found] == ["1", "2", "3"]
    assert found["B2"]["Navn"] == "'" + FORMULA_NAME
    assert [(found[c]["Omsetning: måloppnåelse"], found[c]["Omsetning: status"]) for c in found] == [
        ("1,172838", "på mål"), ("0,5", "bak"), ("", "uten mål")]
    # a KPI without any target: no attainment, "no target", for every unit
    other = next(k for k in _kpis(card) if k["code"] == "meetings")["name_nb"]
    assert {(r[f"{other}: måloppnåelse"], r[f"{other}: status"]) for r in found.values()} == {("", "uten mål")}


def test_a_sellers_kpis_worked_out_by_hand(client, session, org, lead1):
    res = client.post("/api/v1/comments", headers=lead1, json={
        "level": "seller", "code": "S1", "period": PERIOD, "kpi": "revenue", "text": "=1+1 ring kundene"})
    assert res.status_code == 201, res.text
    res = _export(client, lead1, level="seller", code="S1", table="kpis")
    assert res.headers["content-disposition"] == 'attachment; filename="scorecard-kpis-seller-S1-2026-02-ytd.csv"'
    rows = _csv(res)
    assert rows[0] == ["Perspective", "KPI", "Code", "Unit of measure", "Actual", "Target", "Attainment", "Score",
                       "Status", "Stretch", "Stretch attainment", "Previous actual", "Previous attainment",
                       "Previous status", "Comments"]
    revenue = _by_code(rows)["revenue"]
    assert revenue == {
        "Perspective": "Financial", "KPI": "Revenue", "Code": "revenue", "Unit of measure": "NOK",
        "Actual": "234567.6", "Target": "200000", "Attainment": "1.172838", "Score": "1.172838",
        "Status": "on target", "Stretch": "", "Stretch attainment": "",  # no stretch set
        "Previous actual": "100000.4", "Previous attainment": "1.000004",
        "Previous status": "on target", "Comments": "1",
    }
    # every KPI of the card, in its order; without a target no attainment, no score, "no target"
    assert [r[2] for r in rows[1:]] == [k["code"] for k in _kpis(_card(client, lead1, "seller", "S1"))]
    meetings = _by_code(rows)["meetings"]
    assert (meetings["Unit of measure"], meetings["Target"], meetings["Attainment"], meetings["Status"]) == (
        "count", "", "", "no target")


def test_a_districts_kpis_in_bokmal_match_its_scorecard(client, lead1):
    """Every figure of the file against the scorecard answer itself (a second computation, not the writer's)."""
    rows = _csv(_export(client, lead1, table="kpis", lang="nb", delimiter=";", decimal=","), ";")
    assert rows[0][:5] == ["Perspektiv", "Nøkkeltall", "Kode", "Måleenhet", "Faktisk"]
    found = _by_code(rows, "Kode")
    card = _card(client, lead1)
    assert list(found) == [k["code"] for k in _kpis(card)]
    for p in card["perspectives"]:
        for k in p["kpis"]:
            row = found[k["code"]]
            assert (row["Perspektiv"], row["Nøkkeltall"]) == (p["name_nb"], k["name_nb"])
            for header, value in (("Faktisk", k["actual"]), ("Mål", k["target"]), ("Måloppnåelse", k["attainment"]),
                                  ("Poeng", k["score"]), ("Forrige faktisk", k["previous"]["actual"])):
                assert _number(row[header], ",") == (None if value is None else pytest.approx(value, abs=5e-7)), header
            assert row["Status"] == STATUS["nb"][k["status"]]
            assert row["Forrige status"] == STATUS["nb"][k["previous"]["status"]]
    # D1's revenue by hand: 234,567.60 + 1,000,000 + 5,000.25
    assert found["revenue"]["Faktisk"] == "1239567,85" and found["revenue"]["Måleenhet"] == "kr"


def test_the_ranking_as_xlsx(client, lead1):
    res = _export(client, lead1, table="ranking", format="xlsx", lang="nb")
    assert res.status_code == 200, res.text
    assert res.headers["content-disposition"].endswith('filename="scorecard-ranking-district-D1-2026-02-ytd.xlsx"')
    ws = openpyxl.load_workbook(io.BytesIO(res.content))["Ranking"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["#", "Navn", "Kode", "Totalscore", "Status"]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    assert [(r["Kode"], r["Navn"], r["Omsetning"]) for r in rows] == [
        ("S1", "Siri Sæther", pytest.approx(234567.60)), ("B2", "'" + FORMULA_NAME, pytest.approx(1000000.0)),
        ("A9", "Aud Ny", pytest.approx(5000.25))]
    assert rows[0]["Totalscore"] == pytest.approx(1.172838) and rows[0]["Status"] == "på mål"


def test_the_company_and_a_seller_without_units_below(client, session, org):
    admin = signed_in(make_user(session, role="admin"))
    res = _export(client, admin, level="company", code="-", table="ranking")
    assert res.headers["content-disposition"] == 'attachment; filename="scorecard-ranking-company-2026-02-ytd.csv"'
    assert [r[2] for r in _csv(res)[1:]] == ["R1"]
    rows = _csv(_export(client, admin, level="seller", code="S1", table="heatmap"))
    assert rows[0][:3] == ["#", "Name", "Code"] and rows[1:] == []  # a seller has no units below: the header only


def test_who_may_have_which(client, session, org, lead1):
    lead2 = signed_in(make_user(session, role="leader", email="lead2@example.com"))
    seller = signed_in(make_user(session, role="seller", email=org["b2"].email))
    finance = signed_in(make_user(session, role="finance"))
    # a unit the caller may not see is 404, word for word like an unknown one; the right caller has the file
    for headers, level, code in ((lead2, "district", "D1"), (lead1, "district", "D2"), (lead1, "seller", "S3"),
                                 (seller, "seller", "S1"), (seller, "district", "D1")):
        hidden = _export(client, headers, level=level, code=code, table="ranking")
        unknown = _export(client, headers, level=level, code="ZZ", table="ranking")
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.text.replace(code, "ZZ") == unknown.text
    assert _export(client, lead2, code="D2", table="ranking").status_code == 200
    assert _export(client, lead1, level="seller", code="S1", table="kpis").status_code == 200
    assert "Stig Li" in _export(client, lead2, code="D2", table="ranking").text
    assert "Stig Li" not in _export(client, finance, code="D1", table="ranking").text
    assert _by_code(_csv(_export(client, seller, level="seller", code="B2", table="kpis")))["revenue"]["Status"] == (
        "behind")
    # an API token reads scorecards with scorecards:read only: 403 without, the same user's other token reads
    tokens = {}
    for scope in ("budgets:read", "scorecards:read"):
        res = client.post("/api/v1/tokens", headers=finance, json={"name": scope, "scopes": [scope]})
        assert res.status_code == 201, res.text
        tokens[scope] = {"Authorization": f"Bearer {res.json()['token']}"}
    assert _export(client, tokens["budgets:read"], table="kpis").status_code == 403
    assert _export(client, tokens["scorecards:read"], table="kpis").status_code == 200
    assert _export(client, {}, table="kpis").status_code == 401


@pytest.mark.parametrize(("params", "field"), [
    ({"table": "nope"}, "table"),
    ({}, "table"),
    ({"table": "kpis", "format": "pdf"}, "format"),
    ({"table": "kpis", "lang": "de"}, "lang"),
    ({"table": "kpis", "period": "2026-13"}, "period"),
    ({"table": "kpis", "range": "week"}, "range"),
    ({"table": "kpis", "delimiter": "|"}, "delimiter"),
    ({"table": "kpis", "delimiter": ";", "decimal": ";"}, "decimal"),
])
def test_bad_input_is_a_422_naming_the_parameter(client, lead1, params, field):
    res = _export(client, lead1, **params)
    assert res.status_code == 422, res.text
    assert ["query", field] in [d["loc"] for d in res.json()["detail"]]


def test_the_route_is_documented(client):
    doc = client.get("/api/openapi.json").json()
    op = doc["paths"]["/api/v1/scorecards/{level}/{code}/export"]["get"]
    assert {"text/csv; charset=utf-8", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(
        op["responses"]["200"]["content"])
    table = next(p for p in op["parameters"] if p["name"] == "table")
    assert table["required"] and table["schema"]["enum"] == ["kpis", "ranking", "heatmap", "outlook"]
