"""Issue #15, points 2 and 7: the percent beside a status agrees with it, and bokmål is complete.

- The percent rule against one table of cases (tests/percent_cases.py; the browser test checks the
  JavaScript rule against the same table) and, for any value and thresholds, the property it keeps.
- Figures in nb carry no English KPI, perspective or label text, and a manual KPI's Norwegian name.
- The KPI API reads and writes `name_nb`; the scorecard answer carries it, and each KPI's thresholds.
- The budget CSV as the bokmål page asks for it (`;`, decimal `,`) reads back to the same totals.

Small organization, figures by hand. D1 (region R1) has sellers S1 and S2. January 2026: budget
A 100 × 10.00 + B 50 × 20.00 = 2000.00; S1 sold A 100 for 995.00, S2 sold B 40 for 840.00: actual
1835.00, variance −165.00. Revenue targets S1 1000 (attainment 0.995: amber, shown "99.5%") and S2
1000 (0.84: red).
"""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analytics.kpis import KPIS, PERSPECTIVES
from app.charts import palette
from app.charts.formats import percent_text, shown_percent
from app.models import KpiDefinition, Perspective
from tests.builders import login, make_budget_month, make_user
from tests.percent_cases import PERCENT_CASES

SC = "/api/v1/charts/scorecards"
JAN = {"period": "2026-01", "range": "month"}
NB = "\u00a0"


# --- the percent rule -------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "thresholds", "en", "nb", "working"), PERCENT_CASES,
                         ids=[f"{c[0]}@{c[1][0]}-{c[1][1]}" for c in PERCENT_CASES])
def test_percent_cases(value, thresholds, en, nb, working):
    assert percent_text(value, "en", thresholds=thresholds) == en, working
    assert percent_text(value, "nb", thresholds=thresholds) == nb, working


def _half_up(x: Decimal) -> Decimal:
    return (x + Decimal("0.5")).to_integral_value(rounding="ROUND_FLOOR")


# thresholds as the registry stores them: Numeric(8, 4), amber at or below green
_ratio = st.integers(min_value=0, max_value=20_000).map(lambda n: n / 10_000)


@settings(max_examples=400, deadline=None)
@given(value=st.floats(min_value=-1, max_value=5, allow_nan=False), amber=_ratio, green=_ratio)
def test_the_number_shown_is_on_the_statuss_side_of_every_threshold(value, amber, green):
    amber, green = min(amber, green), max(amber, green)
    shown, decimals = shown_percent(value, (amber, green))
    shown_d = Decimal(repr(shown))
    for t in (amber, green):
        # the status compares the value itself with the threshold (app.analytics.scorecard.status)
        assert (shown_d >= Decimal(repr(t)) * 100) == (value >= t), (value, t, shown)
    assert abs(shown - value * 100) < 1  # and it is still the value, to the decimals shown
    assert shown_d == shown_d.quantize(Decimal(1).scaleb(-decimals))  # no more decimals than said
    if decimals:  # decimals only where the plain whole percent would have crossed a threshold
        whole = _half_up(Decimal(repr(value)) * 100)
        assert any((whole >= Decimal(repr(t)) * 100) != (value >= t) for t in (amber, green)), (value, shown)


# --- the organization --------------------------------------------------------------------------

@pytest.fixture
def org(session):
    make_budget_month(session, s1_quantity="100", s1_amount="995.00")


@pytest.fixture
def admin(client, session):
    return login(client, make_user(session, role="admin"))


def _get(client, headers, url, **params):
    res = client.get(url, params=params, headers=headers)
    assert res.status_code == 200, res.text
    return res


def _strings(node) -> list[str]:
    """Every string in a figure's JSON (trace names, text, hover, titles, tick labels, annotations)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


FIGURES = [
    (f"{SC}/seller/S1/kpis", JAN), (f"{SC}/seller/S1/perspectives", JAN),
    (f"{SC}/seller/S1/trend", {"period": "2026-01", "months": 2, "kpi": "revenue"}),
    (f"{SC}/seller/S1/trend", {"period": "2026-01", "months": 2, "kpi": "hit_rate"}),
    (f"{SC}/district/D1/heatmap", JAN),
    ("/api/v1/charts/budget/monthly", {"from": "2026-01", "to": "2026-02"}),
    ("/api/v1/charts/budget/waterfall", {"from": "2026-01", "to": "2026-01"}),
    ("/api/v1/charts/budget/forecast", {"year": 2026, "as_of": "2026-01"}),
]

# What an English figure may say that a Norwegian one must not: the built-in names and every label
# that differs between the languages (written out from app.analytics.kpis and the palette's tables).
ENGLISH = ({k.name for k in KPIS} | {p.name for p in PERSPECTIVES}
           | {v for k, v in palette._LABELS["en"].items() if v != palette._LABELS["nb"][k]})


@pytest.mark.parametrize(("url", "params"), FIGURES, ids=[f"{u.rsplit('/', 1)[-1]}-{p.get('kpi', '')}"
                                                          for u, p in FIGURES])
def test_an_nb_figure_has_no_english_text(client, org, admin, url, params):
    en = _get(client, admin, url, **params, lang="en").json()
    nb = _get(client, admin, url, **params, lang="nb").json()
    nb_text = _strings(nb)
    said = sorted({word for word in ENGLISH for s in nb_text if word in s})
    assert not said, f"English in the nb figure: {said}"
    # ... while the English figure says them (the comparison is not vacuous): what differs is words
    assert {s for s in _strings(en) if any(word in s for word in ENGLISH)}
    assert nb["layout"]["separators"] == f",{NB}" and en["layout"]["separators"] == ".,"


def test_nb_figures_carry_the_norwegian_names_and_percents_as_the_tables_write_them(client, org, admin):
    bullets = _get(client, admin, f"{SC}/seller/S1/kpis", **JAN, lang="nb").json()
    bar = [t for t in bullets["data"] if t["type"] == "bar"][3]
    revenue = bar["y"].index("Omsetning")
    assert bar["hovertext"][revenue] == f"99,5{NB}%"  # 995 / 1000, amber: not "100 %"
    assert bullets["layout"]["xaxis"]["ticktext"] == ["0", "50", "100", "150"]  # the title says "(%)"
    assert bullets["layout"]["xaxis"]["title"]["text"] == "Måloppnåelse (%)"
    persp = _get(client, admin, f"{SC}/seller/S1/perspectives", **JAN, lang="nb").json()
    bar = [t for t in persp["data"] if t["type"] == "bar"][0]
    assert bar["y"] == ["Økonomi", "Kunder", "Interne prosesser", "Læring og vekst"]
    assert bar["hovertext"][0] == f"99,5{NB}%"  # the financial score is revenue's 0.995 alone
    heat = _get(client, admin, f"{SC}/district/D1/heatmap", **JAN, lang="nb").json()["data"][0]
    col = heat["x"].index("Omsetning")
    assert [row[col] for row in heat["text"]] == [f"! 99,5{NB}%", f"✗ 84{NB}%"]  # Ann 0.995 amber, Bo 0.84 red
    en = _get(client, admin, f"{SC}/district/D1/heatmap", **JAN, lang="en").json()["data"][0]
    assert [row[en["x"].index("Revenue")] for row in en["text"]] == ["! 99.5%", "✗ 84%"]
    trend = _get(client, admin, f"{SC}/seller/S1/trend", period="2026-01", months=1, kpi="revenue", lang="nb").json()
    assert trend["layout"]["title"]["text"] == "Omsetning"
    actual = [t for t in trend["data"] if t.get("name") == "Faktisk"][0]
    assert actual["text"] == [f"995 (99,5{NB}% ! nær)"]


def test_a_manual_kpi_shows_its_norwegian_name_in_nb_figures(client, org, admin):
    body = {"code": "survey", "name": "Employee survey", "name_nb": "Medarbeiderundersøkelse",
            "perspective": "learning"}
    res = client.post("/api/v1/kpis", json=body, headers=admin)
    assert res.status_code == 201, res.text
    assert res.json()["name_nb"] == "Medarbeiderundersøkelse"
    res = client.post("/api/v1/kpis", json={"code": "nps", "name": "NPS", "perspective": "customer"}, headers=admin)
    assert res.status_code == 201 and res.json()["name_nb"] == "NPS"  # none given: the English name
    for lang, survey in (("nb", "Medarbeiderundersøkelse"), ("en", "Employee survey")):
        bullets = _get(client, admin, f"{SC}/seller/S1/kpis", **JAN, lang=lang).json()
        names = [t for t in bullets["data"] if t["type"] == "bar"][3]["y"]
        assert survey in names and "NPS" in names, (lang, names)
        heat = _get(client, admin, f"{SC}/district/D1/heatmap", **JAN, lang=lang).json()["data"][0]
        assert survey in heat["x"]
        trend = _get(client, admin, f"{SC}/seller/S1/trend", period="2026-01", kpi="survey", lang=lang).json()
        assert trend["layout"]["title"]["text"] == survey
    nb = _get(client, admin, f"{SC}/seller/S1/kpis", **JAN, lang="nb").text
    assert "Employee survey" not in nb


# --- the KPI API and the scorecard answer ------------------------------------------------------

def test_the_kpi_api_reads_and_writes_name_nb(client, session, admin):
    kpis = {k["code"]: k for k in _get(client, admin, "/api/v1/kpis").json()}
    assert (kpis["revenue"]["name"], kpis["revenue"]["name_nb"]) == ("Revenue", "Omsetning")
    assert {k.code: k.name_nb for k in KPIS} == {c: kpis[c]["name_nb"] for c in (k.code for k in KPIS)}
    perspectives = {p["key"]: p for p in _get(client, admin, "/api/v1/perspectives").json()}
    assert perspectives["learning"]["name_nb"] == "Læring og vekst"

    leader = login(client, make_user(session, role="leader"))
    assert client.patch("/api/v1/kpis/revenue", json={"name_nb": "Salg"}, headers=leader).status_code == 403
    assert client.patch("/api/v1/perspectives/financial", json={"name_nb": "Finans"},
                        headers=leader).status_code == 403
    res = client.patch("/api/v1/kpis/revenue", json={"name_nb": "Salgsinntekter"}, headers=admin)
    assert res.status_code == 200 and res.json()["name_nb"] == "Salgsinntekter" and res.json()["name"] == "Revenue"
    res = client.patch("/api/v1/perspectives/financial", json={"name_nb": "Finans"}, headers=admin)
    assert res.status_code == 200 and res.json()["name_nb"] == "Finans" and res.json()["weight"] == 0.4
    assert session.get(KpiDefinition, "revenue").name_nb == "Salgsinntekter"
    assert session.get(Perspective, "financial").name_nb == "Finans"

    # bad input: a clear 422 naming the field, nothing written
    for url, body in (("/api/v1/kpis/revenue", {"name_nb": ""}), ("/api/v1/kpis/revenue", {"name_nb": None}),
                      ("/api/v1/perspectives/financial", {"name_nb": ""}),
                      ("/api/v1/perspectives/financial", {"name_nb": "x" * 101}),
                      ("/api/v1/kpis", {"code": "nps", "name": "NPS", "name_nb": "", "perspective": "customer"})):
        method = client.post if url == "/api/v1/kpis" else client.patch
        res = method(url, json=body, headers=admin)
        assert res.status_code == 422, (url, body, res.text)
        assert res.json()["detail"][0]["loc"][-1] == "name_nb"
    assert session.get(KpiDefinition, "revenue").name_nb == "Salgsinntekter"
    assert session.get(Perspective, "financial").name_nb == "Finans"
    assert session.get(KpiDefinition, "nps") is None


def test_the_scorecard_carries_norwegian_names_and_each_kpis_thresholds(client, org, admin):
    card = _get(client, admin, "/api/v1/scorecards/seller/S1", **JAN).json()
    assert [(p["name"], p["name_nb"]) for p in card["perspectives"]] == [
        ("Financial", "Økonomi"), ("Customer", "Kunder"), ("Internal process", "Interne prosesser"),
        ("Learning & growth", "Læring og vekst")]
    revenue = card["perspectives"][0]["kpis"][0]
    assert (revenue["code"], revenue["name_nb"], revenue["amber_threshold"], revenue["green_threshold"],
            revenue["status"]) == ("revenue", "Omsetning", 0.9, 1.0, "amber")
    # the KPI's own thresholds come with it: green from 99 % makes 0.995 green
    assert client.patch("/api/v1/kpis/revenue", json={"green_threshold": 0.99, "amber_threshold": 0.8},
                        headers=admin).status_code == 200
    card = _get(client, admin, "/api/v1/scorecards/seller/S1", **JAN).json()
    revenue = card["perspectives"][0]["kpis"][0]
    assert (revenue["amber_threshold"], revenue["green_threshold"], revenue["status"]) == (0.8, 0.99, "green")
    heat = _get(client, admin, f"{SC}/district/D1/heatmap", **JAN, lang="en").json()["data"][0]
    assert heat["text"][0][heat["x"].index("Revenue")] == "✓ 100%"  # 99.5 rounds to 100, green's side now


# --- the budget CSV in bokmål -------------------------------------------------------------------

def _rows(text: str, delimiter: str, decimal: str) -> list[dict]:
    """The CSV's rows, every number cell read as a Decimal with `decimal` as its decimal mark."""
    def cell(column: str, value: str) -> str | Decimal:
        if column.endswith(("_code", "_name")) or column == "favorable" or value == "":
            return value
        assert "." not in value or decimal == ".", (column, value)  # no thousands separator, no stray point
        return Decimal(value.replace(decimal, "."))

    return [{c: cell(c, v) for c, v in r.items()} for r in csv.DictReader(io.StringIO(text), delimiter=delimiter)]


def test_the_nb_csv_export_reads_back_to_the_same_totals(client, org, session):
    finance = login(client, make_user(session, role="finance"))
    scope = {"from": "2026-01", "to": "2026-01", "by": "district,product", "format": "csv"}
    en = _get(client, finance, "/api/v1/budget/variance", **scope)
    # as frontend/pages/budget.js asks for it in bokmål
    nb = _get(client, finance, "/api/v1/budget/variance", **scope, delimiter=";", decimal=",", bom="true")
    assert nb.content.startswith("\ufeff".encode())  # Excel then reads æøå as UTF-8
    en_rows = _rows(en.content.decode("utf-8"), ",", ".")
    nb_rows = _rows(nb.content.decode("utf-8-sig"), ";", ",")
    assert nb_rows == en_rows
    assert "995,00" in nb.content.decode("utf-8-sig") and "995.00" not in nb.content.decode("utf-8-sig")
    # by hand: A budget 1000.00, actual 995.00; B budget 1000.00, actual 840.00
    assert [(r["product_code"], r["budget_amount"], r["actual_amount"]) for r in nb_rows] == [
        ("A", Decimal("1000.00"), Decimal("995.00")), ("B", Decimal("1000.00"), Decimal("840.00"))]
    assert sum(r["actual_amount"] for r in nb_rows) == Decimal("1835.00")
    assert sum(r["variance_amount"] for r in nb_rows) == Decimal("-165.00")
    totals = _get(client, finance, "/api/v1/budget/variance", **{**scope, "format": "json"}).json()["totals"]
    assert Decimal(str(totals["actual_amount"])) == Decimal("1835.00")


def test_every_dataset_the_admin_page_offers_has_a_name_in_both_languages():
    """The names frontend/pages/admin.js shows for its DATASETS, in frontend/i18n.js's en and nb strings."""
    frontend = Path(__file__).parents[1] / "frontend"
    offered = re.search(r"const DATASETS = \[([^\]]*)\]", (frontend / "pages" / "admin.js").read_text()).group(1)
    datasets = re.findall(r'"(\w+)"', offered)
    assert len(datasets) == 12, datasets
    source = (frontend / "i18n.js").read_text()
    en_block, rest = source.split("\n  nb: {", 1)
    nb_block = rest.split("\n  },", 1)[0]
    for name in datasets:
        assert f'"dataset.{name}":' in en_block and f'"dataset.{name}":' in nb_block, name


def test_chart_numbers_round_halves_away_from_zero_as_the_tables_intl_does():
    """Intl.NumberFormat (the tables) rounds halves away from zero on the decimal value; Python's format
    would round 31.25 (binary 31.25 exactly) half to even, '31.2', and 12.25 likewise."""
    from app.charts.formats import number_text
    assert [number_text(v, 1) for v in (31.25, 12.25, 0.05, -2.25)] == ["31.3", "12.3", "0.1", "-2.3"]
    assert number_text(-1234.5, 0, "nb") == "\u22121\u00a0235"
    assert number_text(5 / 16 * 100, 1) == "31.3"  # a hit rate of 5 won of 16 decided
