"""The meeting pack (GET /meetings/pack): its JSON, PDF and XLSX, and who may have which.

The writers are tested first on a pack written out by hand (`_pack`), then the route end to end on a
small organization whose figures are worked out by hand (period 2026-02, range ytd = January and
February 2026):

R1 has districts D1 ("Østfold", sellers S1, B2 and A9) and D2 (seller S3). Revenue targets: S1 100,000
a month, B2 1,000,000 a month; A9 and S3 have none, and no other KPI has a target.
- S1 sells 100,000.40 in January and 134,567.30 in February: 234,567.70 / 200,000 = 1.1728, green;
  S1's only scored KPI is revenue, so S1's overall score is its score, min(1.1728, 1.2) = 1.1728.
- B2 sells 200,000 in January and 800,000 in February: 1,000,000 / 2,000,000 = 0.5, red, and each
  month on its own red too (0.2 and 0.8): months_red 2. B2 held no goal conversation in the range,
  and was not red for six months, so the area is goal_conversations (the rules' second). Overall 0.5.
- A9 has no target: no score, ranked last.
- D1's revenue: 234,567.70 + 1,000,000 = 1,234,567.70, in whole kroner NOK 1,234,568 (nb 1 234 568 kr).
So D1's ranking is S1 (1.1728), B2 (0.5), A9 (none): not the code order (A9, B2, S1).
"""

import io
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest

from app.exports.pack_pdf import write_pack_pdf
from app.exports.pack_tables import attainment_text, value_text
from app.exports.pack_xlsx import SHEETS, write_pack_xlsx
from app.models import Sale, Target
from app.steering.pack import ranked
from tests.builders import (
    add_sales,
    add_targets,
    signed_in,
    make_account,
    make_district,
    make_leader,
    make_product,
    make_region,
    make_seller,
    make_user,
)

NASTY = "<b>x</b> & <script>"
FORMULA_TITLE = "=1+2 Ring kundene"
NBSP = "\u00a0"


def _pdf_text(data: bytes, tmp_path) -> str:
    """The PDF's text as poppler's pdftotext lays it out, runs of spaces made one."""
    if shutil.which("pdftotext") is None:
        # CI installs it (.ci/run): there a missing reader fails, it never skips the PDF's checks
        if os.environ.get("CI"):
            pytest.fail("pdftotext is not installed (apt-get install poppler-utils)")
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    assert data.startswith(b"%PDF-")
    path = tmp_path / "pack.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)
    return re.sub(f"[ {NBSP}]+", " ", out.stdout.decode("utf-8"))


def _workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]


# --- the writers, on a pack written out by hand -----------------------------------------------------


def _kpi(code, name, name_nb, unit, actual, target, attainment, status):
    return {"code": code, "name": name, "name_nb": name_nb, "unit": unit, "direction": "higher",
            "green_threshold": 1.0, "amber_threshold": 0.9, "actual": actual, "target": target,
            "attainment": attainment, "score": attainment, "status": status,
            "previous": dict.fromkeys(("actual", "target", "attainment", "stretch", "stretch_attainment")) | {"status": "none"}}


def _pack(children: int = 2, items: int = 1) -> dict:
    card = {
        "level": "district", "code": "D1", "name": "Østfold og Ålesund", "period": "2026-02", "range": "ytd",
        "months": ["2026-01", "2026-02"], "overall_score": 0.8, "previous_period": "2026-01",
        "previous_overall_score": None, "data_through": "2026-02-20", "no_sales_yet": False,
        "no_activities_yet": False,
        "perspectives": [
            {"key": "financial", "name": "Financial", "name_nb": "Økonomi", "weight": 0.4, "score": 0.8,
             "previous_score": None, "kpis": [
                 _kpi("revenue", "Revenue", "Omsetning", "currency", 1234567.4, 1600000.0, 0.7716, "red"),
                 _kpi("margin_pct", "Gross margin %", "Bruttomargin %", "ratio", 0.785, 0.8, 0.98125, "amber"),
                 _kpi("gross_margin", "Gross margin", "Bruttofortjeneste", "currency", 1500.0, None, None, "none"),
             ]},
        ],
    }
    comment = {"id": 1, "level": "seller", "code": "S2", "period": "2026-02", "kpi": "revenue", "text": NASTY,
               "author": "lead@example.com", "created_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC)}
    return {
        "level": "district", "code": "D1", "name": card["name"], "period": "2026-02", "range": "ytd",
        "scorecard": card,
        "ranking": [{"level": "seller", "code": f"S{i}", "name": f"Selger Ærlig {i}",
                     "overall_score": 1.05 - i * 0.01, "kpis": {}} for i in range(1, children + 1)],
        "attention": [{"level": "seller", "code": f"S{i}", "name": f"Selger Ærlig {i}", "district_code": "D1",
                       "kpi": "revenue", "kpi_name": "Revenue", "kpi_name_nb": "Omsetning", "unit": "currency",
                       "perspective": "financial", "actual": 5000.0, "target": 10000.0, "attainment": 0.5,
                       "status": "red", "cost": 0.2, "months_red": 3, "area": "goal_conversations",
                       "rule": "no_goal_conversation", "open_actions": 1, "comments": [comment],
                       "needs_comment": False} for i in range(1, items + 1)],
        "actions": [{"id": 7, "level": "seller", "code": "S2", "name": "Selger Ærlig 2", "kpi": "revenue",
                     "kpi_name": "Revenue", "kpi_name_nb": "Omsetning", "arena": "problem_solving",
                     "title": FORMULA_TITLE, "owner_email": "s2@example.com", "due": date(2026, 3, 15),
                     "status": "open", "overdue": True, "outcome": None,
                     "baseline": {"period": "2026-01", "attainment": 0.6},
                     "follow_up": [{"period": "2026-02", "attainment": 0.72, "status": "red"}], "notes": [],
                     "created_by": "lead@example.com", "created_at": datetime(2026, 2, 1, tzinfo=UTC),
                     "updated_at": datetime(2026, 2, 1, tzinfo=UTC), "closed_at": None}],
        "generated_at": datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    }


def test_numbers_as_the_pack_writes_them():
    assert value_text(1234567.4, "currency", "en") == f"NOK{NBSP}1,234,567"
    assert value_text(1234567.5, "currency", "nb") == f"1{NBSP}234{NBSP}568{NBSP}kr"  # whole kroner, half up
    assert value_text(-1500.0, "currency", "nb") == f"-1{NBSP}500{NBSP}kr"  # a hyphen: Helvetica's minus
    assert value_text(0.785, "ratio", "nb") == f"78,5{NBSP}%"
    assert value_text(None, "currency", "en") == "–"
    # an attainment is on its status's side of the thresholds, as the pages write it
    assert attainment_text(0.995, "en") == "99.5%" and attainment_text(0.7716, "nb") == f"77{NBSP}%"


def test_pdf_in_english(tmp_path):
    text = _pdf_text(write_pack_pdf(_pack(), lang="en"), tmp_path)
    for expected in ("Sales meeting pack: Østfold og Ålesund (D1)", "District · February 2026 · Year to date",
                     "Revenue", "Gross margin %", "NOK 1,234,567", "NOK 1,600,000", "78.5%", "77%",
                     "behind", "close", "no target", "Attainment by KPI", "150%",
                     "Ranking of the units below", "Selger Ærlig 1 (S1)", "104%",
                     "Needs attention", "Goal conversations", NASTY, "lead@example.com",
                     "Open coaching actions", FORMULA_TITLE, "Problem solving", "s2@example.com", "2026-03-15",
                     "60% (2026-01)", "72% (2026-02, behind)"):
        assert expected in text, expected


def test_pdf_in_norwegian(tmp_path):
    text = _pdf_text(write_pack_pdf(_pack(), lang="nb"), tmp_path)
    for expected in ("Salgsmøtepakke: Østfold og Ålesund (D1)", "Distrikt · februar 2026 · Hittil i år",
                     "Målekort", "Nøkkeltall", "Faktisk", "Måloppnåelse", "Økonomi", "Omsetning", "Bruttomargin %",
                     "1 234 567 kr", "1 600 000 kr", "78,5 %", "77 %", "bak", "nær", "uten mål",
                     "Måloppnåelse per nøkkeltall", "Rangering av enhetene under", "Trenger oppfølging",
                     "Målsamtaler", "Måneder rød", NASTY, "Åpne coachingtiltak", "Problemløsning", "Ansvarlig",
                     "Frist", "Forfalt", "ja"):
        assert expected in text, expected
    assert "Revenue" not in text and "Ranking" not in text


def test_long_tables_break_across_pages_with_their_header(tmp_path):
    pages = _pdf_text(write_pack_pdf(_pack(children=80, items=30), lang="en"), tmp_path).split("\f")
    ranking_pages = [p for p in pages if re.search(r"# Name Level Overall score Status", p)]
    attention_pages = [p for p in pages if re.search(r"Unit KPI Actual Target Attainment Months red Area", p)]
    assert len(ranking_pages) >= 2 and len(attention_pages) >= 2
    assert "Selger Ærlig 80 (S80)" in "".join(pages) and "Selger Ærlig 30 (S30)" in "".join(pages)
    # each item's comments stay with it: no page starts (after the header) with a comment line
    for page in attention_pages:
        after_header = page.split("Months red Area", 1)[1].strip()
        assert not after_header.startswith("Comments:")


def test_pdf_lists_the_first_250_of_a_long_list(tmp_path):
    text = _pdf_text(write_pack_pdf(_pack(items=260), lang="en"), tmp_path)
    assert "Selger Ærlig 250 (S250)" in text and "(S251)" not in text
    assert "The first 250 of 260 are listed here; the XLSX lists them all." in text
    assert len(_rows(_workbook(write_pack_xlsx(_pack(items=260), lang="en"))["Attention"])) == 260


def test_pdf_without_ranking_attention_actions_or_targets(tmp_path):
    pack = _pack()
    pack.update(ranking=[], attention=[], actions=[])
    for k in pack["scorecard"]["perspectives"][0]["kpis"]:
        k.update(target=None, attainment=None, score=None, status="none")
    text = _pdf_text(write_pack_pdf(pack, lang="en"), tmp_path)
    for expected in ("No units below this one.", "No red KPIs below this unit.", "No open coaching actions.",
                     "No KPI has a target for this period."):
        assert expected in text


def test_xlsx_sheets_numbers_and_text():
    for lang, kpi_header, actual_header in (("en", "KPI", "Actual"), ("nb", "Nøkkeltall", "Faktisk")):
        wb = _workbook(write_pack_xlsx(_pack(), lang=lang))
        assert wb.sheetnames == list(SHEETS) == ["Scorecard", "Ranking", "Attention", "Actions"]
        for ws in wb.worksheets:
            assert ws.freeze_panes == "A2"
        card = wb["Scorecard"]
        assert [c.value for c in card[1]][1:4] == [kpi_header, "Kode" if lang == "nb" else "Code", actual_header]
        revenue = next(r for r in _rows(card) if r[card.cell(1, 3).value] == "revenue")
        assert revenue[actual_header] == 1234567.4  # the exact value; shown in whole kroner
        assert card.cell(2, 4).number_format == "#,##0"
        margin = next(r for r in card.iter_rows(min_row=2) if r[2].value == "margin_pct")
        assert margin[3].value == 0.785 and margin[3].number_format == "0.0%"
        assert margin[5].value == 0.98125 and "%" in margin[5].number_format
        actions = _rows(wb["Actions"])
        title = actions[0]["Tittel" if lang == "nb" else "Title"]
        assert title == "'" + FORMULA_TITLE  # text, never a formula, even saved as CSV
        assert actions[0]["Frist" if lang == "nb" else "Due"] == datetime(2026, 3, 15)
        attention = _rows(wb["Attention"])
        assert NASTY in attention[0]["Kommentarer" if lang == "nb" else "Comments"]
        assert attention[0]["Område" if lang == "nb" else "Area"] == ("Målsamtaler" if lang == "nb"
                                                                       else "Goal conversations")
        ranking = _rows(wb["Ranking"])
        assert [r["#"] for r in ranking] == [1, 2] and ranking[0]["Kode" if lang == "nb" else "Code"] == "S1"


def test_ranking_best_first_nulls_last_then_by_code():
    rows = [{"code": c, "overall_score": s} for c, s in (("A", None), ("B", 0.5), ("C", 1.1), ("D", 0.5))]
    assert [r["code"] for r in ranked(rows)] == ["C", "B", "D", "A"]


# --- the route, end to end -----------------------------------------------------------------------------

PERIOD = "2026-02"


def _sale(sid: str, day: date, seller, account, product, amount: str) -> Sale:
    return Sale(id=sid, date=day, seller_id=seller.id, account_id=account.id, product_id=product.id,
                quantity=Decimal("1"), amount=Decimal(amount), cost=None)


@pytest.fixture
def org(session):
    r1 = make_region(session, code="R1", name="Region Øst")
    d1 = make_district(session, code="D1", region=r1, name="Østfold")
    d2 = make_district(session, code="D2", region=r1, name="Vestfold")
    s1 = make_seller(session, code="S1", district=d1, name="Siri Sæther")
    b2 = make_seller(session, code="B2", district=d1, name="Bjørn Ås")
    make_seller(session, code="A9", district=d1, name="Aud Ny")
    s3 = make_seller(session, code="S3", district=d2, name="Stig Li")
    a1, a2 = make_account(session, code="AC1", district=d1), make_account(session, code="AC2", district=d2)
    p = make_product(session, code="P1")
    add_sales(session, [
        _sale("x1", date(2026, 1, 10), s1, a1, p, "100000.40"),
        _sale("x2", date(2026, 2, 5), s1, a1, p, "134567.30"),
        _sale("x3", date(2026, 1, 12), b2, a1, p, "200000.00"),
        _sale("x4", date(2026, 2, 12), b2, a1, p, "800000.00"),
        _sale("x5", date(2026, 2, 14), s3, a2, p, "5000.00"),
    ])
    add_targets(session, [
        Target(level="seller", unit_code=code, kpi_code="revenue", month=date(2026, m, 1), value=Decimal(value),
               source_period=f"2026-0{m}")
        for code, value in (("S1", "100000"), ("B2", "1000000")) for m in (1, 2)
    ])
    make_leader(session, units=[("district", "D1")], email="lead1@example.com")
    make_leader(session, units=[("district", "D2")], email="lead2@example.com")
    return {"s1": s1, "b2": b2}


@pytest.fixture
def lead1(client, session, org):
    return signed_in(make_user(session, role="leader", email="lead1@example.com"))


@pytest.fixture
def with_notes(client, org, lead1):
    """A comment on B2's red revenue and an open coaching action on it, by D1's leader."""
    res = client.post("/api/v1/comments", headers=lead1, json={
        "level": "seller", "code": "B2", "period": PERIOD, "kpi": "revenue", "text": f"{NASTY} æøå"})
    assert res.status_code == 201, res.text
    res = client.post("/api/v1/actions", headers=lead1, json={
        "level": "seller", "code": "B2", "kpi": "revenue", "arena": "problem_solving", "title": FORMULA_TITLE,
        "due": (date.today() + timedelta(days=30)).isoformat(), "owner_email": org["b2"].email})
    assert res.status_code == 201, res.text
    return res.json()


def _pack_of(client, headers, level="district", code="D1", **params):
    return client.get("/api/v1/meetings/pack", headers=headers,
                      params={"level": level, "code": code, "period": PERIOD, "range": "ytd", **params})


def _kpis(card: dict) -> dict:
    return {k["code"]: k for p in card["perspectives"] for k in p["kpis"]}


def test_json_pack_of_a_district(client, lead1, with_notes):
    res = _pack_of(client, lead1)
    assert res.status_code == 200, res.text
    pack = res.json()
    assert (pack["level"], pack["code"], pack["name"], pack["period"], pack["range"]) == (
        "district", "D1", "Østfold", PERIOD, "ytd")
    # the scorecard is the one GET /scorecards gives for the unit
    card = client.get("/api/v1/scorecards/district/D1", headers=lead1, params={"period": PERIOD, "range": "ytd"})
    assert pack["scorecard"] == card.json()
    assert _kpis(pack["scorecard"])["revenue"]["actual"] == pytest.approx(1234567.70)
    # best overall first, no score last: S1 1.1728, B2 0.5, A9 none
    assert [(c["code"], c["overall_score"]) for c in pack["ranking"]] == [
        ("S1", pytest.approx(234567.70 / 200000)), ("B2", pytest.approx(0.5)), ("A9", None)]
    # the attention items are GET /attention's for the unit; B2's revenue with its comment
    attention = client.get("/api/v1/attention", headers=lead1,
                           params={"level": "district", "code": "D1", "period": PERIOD, "range": "ytd"}).json()
    assert pack["attention"] == attention["items"]
    b2 = next(i for i in pack["attention"] if (i["code"], i["kpi"]) == ("B2", "revenue"))
    assert b2["attainment"] == pytest.approx(0.5) and b2["months_red"] == 2 and b2["area"] == "goal_conversations"
    assert [c["text"] for c in b2["comments"]] == [f"{NASTY} æøå"]
    assert [a["id"] for a in pack["actions"]] == [with_notes["id"]]
    assert pack["actions"][0]["title"] == FORMULA_TITLE and pack["actions"][0]["status"] == "open"


def test_pdf_pack_read_back(client, lead1, with_notes, tmp_path):
    res = _pack_of(client, lead1, format="pdf")
    assert res.status_code == 200, res.text
    assert res.headers["content-type"] == "application/pdf"
    assert res.headers["content-disposition"] == 'attachment; filename="meeting-pack-district-D1-2026-02.pdf"'
    text = _pdf_text(res.content, tmp_path)
    for expected in ("Sales meeting pack: Østfold (D1)", "Revenue", "Gross margin", "NOK 1,234,568",
                     "Siri Sæther (S1)", "Bjørn Ås (B2)", "Aud Ny (A9)", f"{NASTY} æøå", "lead1@example.com",
                     FORMULA_TITLE, "Goal conversations", "Problem solving"):
        assert expected in text, expected
    # the ranking in its order
    assert text.index("Siri Sæther (S1)") < text.index("Bjørn Ås (B2)") < text.index("Aud Ny (A9)")
    nb = _pdf_text(_pack_of(client, lead1, format="pdf", lang="nb").content, tmp_path)
    for expected in ("Salgsmøtepakke: Østfold (D1)", "Målekort", "Omsetning", "1 234 568 kr",
                     "Rangering av enhetene under", "Trenger oppfølging", "Målsamtaler", "Åpne coachingtiltak",
                     "Problemløsning", f"{NASTY} æøå"):
        assert expected in nb, expected


def test_xlsx_pack_read_back(client, lead1, with_notes):
    res = _pack_of(client, lead1, format="xlsx")
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert res.headers["content-disposition"] == 'attachment; filename="meeting-pack-district-D1-2026-02.xlsx"'
    wb = _workbook(res.content)
    assert wb.sheetnames == ["Scorecard", "Ranking", "Attention", "Actions"]
    card = _kpis(_pack_of(client, lead1).json()["scorecard"])
    revenue = next(r for r in _rows(wb["Scorecard"]) if r["Code"] == "revenue")
    assert revenue["Actual"] == card["revenue"]["actual"] == pytest.approx(1234567.70)
    assert [r["Code"] for r in _rows(wb["Ranking"])] == ["S1", "B2", "A9"]
    assert _rows(wb["Actions"])[0]["Title"] == "'" + FORMULA_TITLE
    nb = _workbook(_pack_of(client, lead1, format="xlsx", lang="nb").content)
    assert [c.value for c in nb["Scorecard"][1]][:2] == ["Perspektiv", "Nøkkeltall"]


def test_a_leader_has_the_pack_of_their_own_unit_only(client, session, org, lead1):
    lead2 = signed_in(make_user(session, role="leader", email="lead2@example.com"))
    assert _pack_of(client, lead2, code="D1").status_code == 404
    assert _pack_of(client, lead2, code="D1", format="pdf").status_code == 404
    assert _pack_of(client, lead2, code="D2").status_code == 200
    assert _pack_of(client, lead1, code="D1").status_code == 200
    assert _pack_of(client, lead1, code="D2").status_code == 404
    assert _pack_of(client, lead1, level="seller", code="S3").status_code == 404


def test_a_seller_has_the_pack_of_their_own_card(client, session, org, with_notes):
    seller = signed_in(make_user(session, role="seller", email=org["b2"].email))
    res = _pack_of(client, seller, level="seller", code="B2")
    assert res.status_code == 200, res.text
    pack = res.json()
    assert pack["scorecard"]["code"] == "B2" and pack["ranking"] == []
    assert _kpis(pack["scorecard"])["revenue"]["actual"] == pytest.approx(1000000.0)
    assert [a["title"] for a in pack["actions"]] == [FORMULA_TITLE]  # the seller reads their own actions
    assert _pack_of(client, seller, level="seller", code="S1").status_code == 404
    assert _pack_of(client, seller, level="district", code="D1").status_code == 404


def test_finance_has_the_pack_without_coaching(client, session, org, lead1, with_notes):
    finance = signed_in(make_user(session, role="finance"))
    res = _pack_of(client, finance)
    assert res.status_code == 200, res.text
    assert res.json()["actions"] == [] and len(_pack_of(client, lead1).json()["actions"]) == 1
    assert [c["code"] for c in res.json()["ranking"]] == ["S1", "B2", "A9"]


def test_the_company_pack(client, session, org, tmp_path):
    admin = signed_in(make_user(session, role="admin"))
    res = _pack_of(client, admin, level="company", code="-", format="pdf")
    assert res.status_code == 200, res.text
    assert res.headers["content-disposition"] == 'attachment; filename="meeting-pack-company---2026-02.pdf"'
    assert "Region Øst (R1)" in _pdf_text(res.content, tmp_path)


def test_refusals_and_bad_input(client, lead1, org):
    assert _pack_of(client, {}).status_code == 401
    assert _pack_of(client, lead1).status_code == 200
    res = _pack_of(client, lead1, format="doc")
    assert res.status_code == 422 and "format" in res.json()["detail"][0]["loc"]
    res = _pack_of(client, lead1, lang="de")
    assert res.status_code == 422 and "lang" in res.json()["detail"][0]["loc"]
    res = _pack_of(client, lead1, period="2026-13")
    assert res.status_code == 422 and "period" in res.json()["detail"][0]["loc"]
    assert _pack_of(client, lead1, code="NOPE").status_code == 404


def test_the_pack_of_a_month_without_red_items(client, lead1, org):
    res = _pack_of(client, lead1, period="2025-12")  # no sales and no targets yet: nothing is red
    assert res.status_code == 200, res.text
    assert res.json()["attention"] == [] and [c["code"] for c in res.json()["ranking"]] == ["A9", "B2", "S1"]
