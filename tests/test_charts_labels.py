"""Issue 18, the figures' labels: every axis of a quantity has a title with its unit in the figure's
language, money ticks and bar texts are grouped numbers in the pages' spelling (whole kroner, or a
scale the title states), never d3's SI suffixes, and the bullet chart's ticks no longer collide.

Every figure is validated against Plotly's schema (tests/test_charts.py's `charts`). Expected ticks
are worked out by hand in the comments: a step is the smallest of 1, 2, 2.5, 5 × 10^k at least a
sixth of the span; money is written in kroner below 10,000, in thousands below 10 million, in
millions above.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest

from app.charts.axes import nice_step, two_lines
from app.charts.formats import money_text
from tests.test_charts import KPIS, _trace, charts

NB = "\u00a0"
MINUS = "\u2212"


# --- money as the pages write it ----------------------------------------------------------------

def test_money_text_is_whole_kroner_as_intl_writes_it():
    # the text of frontend/i18n.js fmt.money (Intl, en-GB and nb-NO, currency NOK without decimals)
    assert money_text(150_896_074.87) == f"NOK{NB}150,896,075"
    assert money_text(150_896_074.87, "nb") == f"150{NB}896{NB}075{NB}kr"
    assert money_text(1234.5) == f"NOK{NB}1,235"  # halves away from zero
    assert money_text(-1234.5) == f"-NOK{NB}1,235"
    assert money_text(-1234.5, "nb") == f"{MINUS}1{NB}235{NB}kr"
    assert money_text(-0.3) == f"NOK{NB}0" and money_text(-0.3, "nb") == f"0{NB}kr"  # no "-0"
    assert money_text(None) == "–" and money_text(float("nan"), "nb") == "–"


def test_nice_steps():
    assert [nice_step(s) for s in (450, 0.363, 8.16e6, 60, 13)] == [100, 0.1, 2e6, 10, 2.5]
    assert nice_step(2, min_step=1) == 1  # counts: never a tick between whole numbers


# --- the budget figures -------------------------------------------------------------------------

# Cumulative budget 2.0, 5.0, 8.16 million: the secondary axis the issue saw as "8.16M".
MONTHLY = pd.DataFrame({"period": ["2026-01", "2026-02", "2026-03"],
                        "budget_amount": [2_000_000.0, 3_000_000.0, 3_160_000.0],
                        "actual_amount": [2_500_000.4, 2_700_000.0, 3_000_000.0]})


def test_budget_axes_say_their_currency_and_tick_in_grouped_thousands():
    fig = charts.budget_vs_actual(MONTHLY)
    left, right = fig.layout.yaxis, fig.layout.yaxis2
    # bars 0 .. 3.16 million: thousands; 3.16e6 / 6 = 526,667 → steps of 1,000,000, up to 4,000 thousand
    assert left.title.text == "Amount (NOK thousand)"
    assert left.tickvals == (0, 1e6, 2e6, 3e6, 4e6)
    assert left.ticktext == ("0", "1,000", "2,000", "3,000", "4,000")
    # cumulative 0 .. 8,200,000.40 (2.5 + 2.7 + 3.0 million, and the 40 øre): 8.2e6 / 6 = 1.37e6 → steps of 2e6
    assert right.title.text == "Cumulative (NOK thousand)"
    assert right.ticktext == ("0", "2,000", "4,000", "6,000", "8,000", "10,000")
    nb = charts.budget_vs_actual(MONTHLY, lang="nb").layout
    assert nb.yaxis.title.text == "Beløp (1000 kr)" and nb.yaxis2.title.text == "Akkumulert (1000 kr)"
    assert nb.yaxis2.ticktext[-2:] == (f"8{NB}000", f"10{NB}000")
    # the hover in whole kroner, as the tables: 2,500,000.40 → NOK 2,500,000
    assert _trace(fig, "bar", "Actual").hovertext[0] == f"NOK{NB}2,500,000"
    assert _trace(fig, "scatter", "Actual, cumulative").hovertext[2] == f"NOK{NB}8,200,000"
    nb_fig = charts.budget_vs_actual(MONTHLY, lang="nb")
    assert _trace(nb_fig, "scatter", "Budsjett, akkumulert").hovertext[2] == f"8{NB}160{NB}000{NB}kr"


def test_waterfall_in_kroner_texts_and_ticks_as_the_tables_write_them():
    # PRODUCT.md §2: budget 2000.00, price −20.00, volume +133.33, mix −133.33, actual 1980.00
    totals = {"budget_amount": 2000.0, "price_effect": -20.0, "volume_effect": 133.33, "mix_effect": -133.33,
              "actual_amount": 1980.0}
    fig = charts.variance_waterfall(totals)
    (wf,) = fig.data
    assert list(wf.text) == ["2,000", "-20", "+133", "-133", "1,980"]
    # steps land at 2000, 1980, 2113.33, 1980: the axis from 1980 − 80 to 2113.33 + 80 (0.6 × the
    # 133.33 spread), 293.3 / 6 = 48.9 → steps of 50, from 1,900 to 2,200
    axis = fig.layout.yaxis
    assert axis.title.text == "Amount (NOK)"
    assert axis.ticktext == ("1,900", "1,950", "2,000", "2,050", "2,100", "2,150", "2,200")
    assert axis.range[0] == pytest.approx(1900.0, abs=0.01) and axis.range[1] == pytest.approx(2193.33, abs=0.01)
    assert list(wf.hovertext) == [f"NOK{NB}2,000", f"-NOK{NB}20 → NOK{NB}1,980", f"+NOK{NB}133 → NOK{NB}2,113",
                                  f"-NOK{NB}133 → NOK{NB}1,980", f"NOK{NB}1,980"]
    nb = charts.variance_waterfall(totals, lang="nb")
    assert list(nb.data[0].text) == [f"2{NB}000", f"{MINUS}20", "+133", f"{MINUS}133", f"1{NB}980"]
    assert nb.layout.yaxis.title.text == "Beløp (kr)"


def test_waterfall_of_millions_is_written_in_millions_with_one_decimal():
    # 436,587,673 − 1,574,781 + 23,109,777 − 8,548,393 = 449,574,276
    totals = {"budget_amount": 436_587_673.0, "price_effect": -1_574_781.0, "volume_effect": 23_109_777.0,
              "mix_effect": -8_548_393.0, "actual_amount": 449_574_276.0}
    fig = charts.variance_waterfall(totals, lang="nb")
    assert fig.layout.yaxis.title.text == "Beløp (mill. kr)"
    assert list(fig.data[0].text) == ["436,6", f"{MINUS}1,6", "+23,1", f"{MINUS}8,5", "449,6"]
    # 435.0 .. 458.1 million with 0.6 × 23.1 on either side: 421.1 .. 472.0, 50.9 / 6 = 8.5 → steps of 10
    assert fig.layout.yaxis.ticktext == ("420", "430", "440", "450", "460", "470", "480")
    assert charts.variance_waterfall(totals).layout.yaxis.title.text == "Amount (NOK million)"


def test_small_effects_beside_millions_are_never_written_minus_zero():
    # 449,574,276 − 24 + 40,000 − 30 = 449,614,222; in millions: 449.6, then −0.000024 (no digit in three
    # decimals: "0,0", no sign), +0.04 (two decimals: the first that is not zero), −0.00003 ("0,0")
    totals = {"budget_amount": 449_574_276.0, "price_effect": -24.0, "volume_effect": 40_000.0,
              "mix_effect": -30.0, "actual_amount": 449_614_222.0}
    fig = charts.variance_waterfall(totals, lang="nb")
    assert list(fig.data[0].text) == ["449,6", "0,0", "+0,04", "0,0", "449,6"]
    # in kroner: less than half a krone is 0, without a sign
    small = {"budget_amount": 1_000.0, "price_effect": -0.3, "volume_effect": 0.2, "mix_effect": 5.6,
             "actual_amount": 1_005.5}
    assert list(charts.variance_waterfall(small).data[0].text) == ["1,000", "0", "0", "+6", "1,006"]


def test_forecast_axis_and_amounts_in_the_stated_scale():
    totals = {"actual_to_date": 449_574_276.0, "budget": 563_338_933.0, "budget_remainder": 576_325_536.0,
              "run_rate": 539_489_131.0, "seasonal": 580_095_841.0}
    fig = charts.forecast_bars(totals)
    axis = fig.layout.xaxis
    assert axis.title.text == "Amount (NOK million)"
    # across the page: about four steps, 580.1e6 / 4 = 145e6 → steps of 200 million
    assert axis.ticktext == ("0", "200", "400", "600")
    assert list(fig.layout.yaxis2.ticktext) == ["449.6", "563.3", "576.3", "539.5", "580.1"]
    assert _trace(fig, "bar").hovertext[1] == f"NOK{NB}563,338,933"
    # long method names take two lines, so they read across on a phone
    assert list(fig.layout.yaxis.ticktext) == ["Actual to date", "Budget", "Actual +<br>remaining budget",
                                               "Run rate", "Seasonal"]


# --- the scorecard figures ----------------------------------------------------------------------

def test_bullet_axis_is_attainment_in_percent_with_the_bands_in_the_legend():
    fig = charts.kpi_bullets(KPIS.assign(unit=["currency", "ratio", "count", "score"]))
    assert fig.layout.xaxis.title.text == "Attainment (%)"
    assert charts.kpi_bullets(KPIS, lang="nb").layout.xaxis.title.text == "Måloppnåelse (%)"
    # the bands and the target explained in the legend; the attainment bar and the status marks are not in it
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert shown == ["behind", "close", "on target", "Target"]
    assert fig.layout.showlegend is True
    # the hover writes actual and target in each KPI's unit: money whole, a ratio as a percent
    bar = [t for t in fig.data if t.type == "bar"][3]
    assert list(bar.text) == ["Actual: 1,040<br>Target: 1,000", "Actual: 30.0%<br>Target: 32.0%",
                              "Actual: 8<br>Target: 10", "Actual: –<br>Target: 4.50"]
    assert bar.textposition == "none"  # (hover only)


def test_long_kpi_names_take_two_lines_on_the_bullets_axis():
    assert two_lines("Customer satisfaction", 14) == "Customer<br>satisfaction"
    assert two_lines("Actual + remaining budget", 12) == "Actual +<br>remaining budget"
    assert two_lines("Kundetilfredshet", 14) == "Kundetilfredshet"  # one word: whole
    fig = charts.kpi_bullets(KPIS.assign(name=["Revenue", "Key-account share", "Meetings", "Customer satisfaction"]))
    assert list(fig.layout.yaxis.ticktext) == ["Revenue", "Key-account<br>share", "Meetings",
                                               "Customer<br>satisfaction"]
    assert list(fig.layout.yaxis.tickvals) == ["Revenue", "Key-account share", "Meetings", "Customer satisfaction"]


@pytest.mark.parametrize(("unit", "name", "lang", "title", "ticks"), [
    # 0 .. 12 meetings: 12 / 6 = 2 → 0, 2, ..., 12
    ("count", "Customer meetings", "en", "Customer meetings (count)", ("0", "2", "4", "6", "8", "10", "12")),
    ("count", "Kundemøter", "nb", "Kundemøter (antall)", ("0", "2", "4", "6", "8", "10", "12")),
    # 0 .. 12 hours: the name says the unit
    ("hours", "Training hours", "en", "Training hours", ("0", "2", "4", "6", "8", "10", "12")),
    ("hours", "Opplæringstimer", "nb", "Opplæringstimer", ("0", "2", "4", "6", "8", "10", "12")),
    ("score", "Kundetilfredshet", "nb", "Kundetilfredshet (poeng)", ("0", "2", "4", "6", "8", "10", "12")),
    ("ratio", "Hit rate", "en", "Hit rate (%)", None),
    ("ratio", "Margin %", "en", "Margin %", None),
])
def test_trend_axis_title_names_the_kpi_and_its_unit(unit, name, lang, title, ticks):
    points = pd.DataFrame({"period": ["2026-01", "2026-02"], "actual": [10.0, 12.0], "target": [11.0, 11.0],
                           "status": ["amber", "green"]})
    axis = charts.kpi_trend(points, name=name, unit=unit, lang=lang).layout.yaxis
    assert axis.title.text == title
    if ticks:
        assert axis.ticktext == ticks


def test_trend_money_axis_in_thousands_and_small_counts_in_whole_numbers():
    points = pd.DataFrame({"period": ["2026-01", "2026-02"], "actual": [1_025_321.45, 1_104_000.0],
                           "target": [1_000_000.0, 1_050_000.0], "status": ["green", "green"]})
    axis = charts.kpi_trend(points, name="Omsetning", unit="currency", lang="nb").layout.yaxis
    # 0 .. 1,104,000: thousands; 1.104e6 / 6 = 184,000 → steps of 200,000
    assert axis.title.text == "Omsetning (1000 kr)"
    assert axis.ticktext == ("0", "200", "400", "600", "800", f"1{NB}000", f"1{NB}200")
    few = charts.kpi_trend(points.assign(actual=[1.0, 2.0], target=[2.0, 2.0]), name="New customers", unit="count")
    assert few.layout.yaxis.ticktext == ("0", "1", "2")  # 2 / 6 is less than one customer: steps of 1


def test_perspective_and_heatmap_axes_say_percent():
    frame = pd.DataFrame({"name": ["Financial", "Customer"], "score": [1.02, 0.95]})
    assert charts.perspective_bars(frame).layout.xaxis.title.text == "Score (%)"
    att = pd.DataFrame([[1.04]], index=["Ann (S1)"], columns=["Revenue"])
    st = pd.DataFrame([["green"]], index=att.index, columns=att.columns)
    bar = charts.team_heatmap(att, st).data[0].colorbar
    assert bar.title.text == "Attainment (%)"
    assert list(bar.ticktext) == ["50", "75", "100", "125", "150"]


# --- every figure ---------------------------------------------------------------------------------

def _every_figure(lang: str):
    points = pd.DataFrame({"period": ["2026-01"], "actual": [1_500_000.0], "target": [1_400_000.0],
                           "status": ["green"]})
    att = pd.DataFrame([[1.04, 0.5]], index=["Ann (S1)"], columns=["Revenue", "Hit rate"])
    st = pd.DataFrame([["green", "red"]], index=att.index, columns=att.columns)
    totals = {"budget_amount": 2e7, "price_effect": -1e5, "volume_effect": 3e5, "mix_effect": -2e5,
              "actual_amount": 2e7, "budget": 2.4e7, "actual_to_date": 2e7, "budget_remainder": 2.4e7,
              "run_rate": 2.3e7, "seasonal": 2.35e7}
    return {
        "kpi_bullets": (charts.kpi_bullets(KPIS, lang=lang), ["xaxis"]),
        "kpi_trend": (charts.kpi_trend(points, name="Revenue", unit="currency", lang=lang), ["yaxis"]),
        "team_heatmap": (charts.team_heatmap(att, st, lang=lang), ["colorbar"]),
        "perspective_bars": (charts.perspective_bars(pd.DataFrame({"name": ["F"], "score": [1.0]}), lang=lang),
                             ["xaxis"]),
        "budget_vs_actual": (charts.budget_vs_actual(MONTHLY, lang=lang), ["yaxis", "yaxis2"]),
        "variance_waterfall": (charts.variance_waterfall(totals, lang=lang), ["yaxis"]),
        "forecast_bars": (charts.forecast_bars(totals, lang=lang), ["xaxis"]),
    }


UNITS = {"en": r"\((%|NOK|NOK thousand|NOK million|count|hours|score|days)\)$",
         "nb": r"\((%|kr|1000 kr|mill\. kr|antall|timer|poeng|dager)\)$"}
NUMBER = {"en": r"[+\-]?\d{1,3}(,\d{3})*(\.\d+)?", "nb": rf"[+{MINUS}]?\d{{1,3}}({NB}\d{{3}})*(,\d+)?"}


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_every_quantity_axis_has_its_unit_and_no_si_suffix(lang):
    for name, (fig, axes) in _every_figure(lang).items():
        for key in axes:
            axis = fig.data[0].colorbar if key == "colorbar" else fig.layout[key]
            assert re.search(UNITS[lang], axis.title.text), (name, key, axis.title.text)
            assert axis.tickmode == "array" and axis.ticktext, (name, key)
            for text in axis.ticktext:
                assert re.fullmatch(NUMBER[lang], text), (name, key, text)
        # no d3 format anywhere in the figure that could write an SI suffix (8.16M, 16.3M, "G")
        layout = json.loads(fig.to_json())["layout"]
        formats = re.findall(r'"tickformat": "([^"]*)"', json.dumps(layout))
        assert not [f for f in formats if "s" in f], (name, formats)
        for t in fig.data:
            assert "~s" not in (t.hovertemplate or "") and "~s" not in str(getattr(t, "texttemplate", "") or "")


def test_tick_values_and_texts_agree():
    """Each tick text is its value in the axis's scale (the labels are not merely well spelled)."""
    fig = charts.budget_vs_actual(MONTHLY)
    for axis, scale in ((fig.layout.yaxis, 1e3), (fig.layout.yaxis2, 1e3)):
        values = [float(t.replace(",", "")) * scale for t in axis.ticktext]
        np.testing.assert_allclose(values, axis.tickvals)


def test_figures_of_nothing_still_validate_and_say_na():
    """An empty installation: no KPIs, no forecast (every method n/a), a trend without months."""
    empty = charts.kpi_bullets(pd.DataFrame(columns=["name", "actual", "target", "attainment", "status"]))
    assert empty.layout.yaxis2.ticktext == ()
    forecast = charts.forecast_bars({}, lang="nb")
    assert list(forecast.layout.yaxis2.ticktext) == ["i.t."] * 5
    assert not forecast.layout.shapes  # no budget, no budget line
    trend = charts.kpi_trend(pd.DataFrame(columns=["period", "actual", "target", "status"]), name="Revenue",
                             unit="currency")
    assert trend.layout.yaxis.title.text == "Revenue (NOK)" and trend.layout.yaxis.ticktext == ("0",)
