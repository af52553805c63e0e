"""The pure figures of app.charts: trace types, data arrays equal to the numbers given, status
colours and symbols, labels per language. No database, no server.

The app builds figures as plain dicts and does not validate them (that took most of a chart's first
view); here every figure is validated: `go.Figure(fig)` must accept it (an unknown property or a bad
value raises), and its JSON must be exactly what the app sends. The tests then read the validated
figure.
"""

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from app import charts as app_charts


class _Validating:
    """`app.charts` whose figure functions return the validated `go.Figure` of their figure, after
    checking that its JSON is the app's (so Plotly's coercions change nothing the browser gets)."""

    def __getattr__(self, name: str):
        found = getattr(app_charts, name)
        if name.startswith("_") or not callable(found) or name in {"Figure", "to_json", "status_word"}:
            return found

        def validated(*args, **kwargs) -> go.Figure:
            fig = found(*args, **kwargs)
            assert isinstance(fig, dict) and set(fig) == {"data", "layout"}, type(fig)
            checked = go.Figure(fig)  # raises on any property Plotly does not know or a value it refuses
            assert json.loads(app_charts.to_json(fig)) == json.loads(checked.to_json())
            return checked

        return validated


charts = _Validating()

# Okabe-Ito, written out here rather than imported, so a changed palette fails the test
GREEN, ORANGE, VERMILLION, GREY = "#009E73", "#E69F00", "#D55E00", "#999999"


def _trace(fig: go.Figure, kind: str, name: str | None = None):
    found = [t for t in fig.data if t.type == kind and (name is None or t.name == name)]
    assert found, f"no {kind} trace named {name!r} in {[(t.type, t.name) for t in fig.data]}"
    return found[0]


# --- KPI bullets ----------------------------------------------------------------------------

KPIS = pd.DataFrame({
    "name": ["Revenue", "Margin %", "Meetings", "CSAT"],
    "actual": [1040.0, 0.30, 8.0, None],
    "target": [1000.0, 0.32, 10.0, 4.5],
    "attainment": [1.04, 0.9375, 0.8, None],
    "status": ["green", "amber", "red", "none"],
    "amber_threshold": [0.9, 0.9, 0.85, 0.9],
    "green_threshold": [1.0, 1.0, 0.95, 1.0],
})


def test_bullets_draw_attainment_bars_in_the_status_colours():
    fig = charts.kpi_bullets(KPIS)
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 4  # three threshold bands and the attainment bar
    attainment = bars[3]
    assert isinstance(attainment.x, np.ndarray)
    np.testing.assert_array_equal(attainment.x, [1.04, 0.9375, 0.8, np.nan])
    assert list(attainment.y) == ["Revenue", "Margin %", "Meetings", "CSAT"]
    assert list(attainment.marker.color) == [GREEN, ORANGE, VERMILLION, GREY]
    # hover shows actual and target: customdata holds them in the row order
    np.testing.assert_array_equal(attainment.customdata[:, 0], [1040.0, 0.30, 8.0, np.nan])
    np.testing.assert_array_equal(attainment.customdata[:, 1], [1000.0, 0.32, 10.0, 4.5])


def test_bullets_bands_follow_each_kpis_thresholds_and_the_target_sits_at_100_percent():
    fig = charts.kpi_bullets(KPIS)
    red, amber, green = [t for t in fig.data if t.type == "bar"][:3]
    f = lambda v: np.asarray(v, dtype="float64")  # noqa: E731
    np.testing.assert_allclose(f(red.x), [0.9, 0.9, 0.85, 0.9])             # 0 .. amber
    np.testing.assert_allclose(f(amber.base), [0.9, 0.9, 0.85, 0.9])
    np.testing.assert_allclose(f(amber.x), [0.1, 0.1, 0.10, 0.1])           # amber .. green
    np.testing.assert_allclose(f(green.base), [1.0, 1.0, 0.95, 1.0])
    target = _trace(fig, "scatter", "Target")
    np.testing.assert_array_equal(target.x, [1, 1, 1, 1])


def test_bullets_show_status_by_symbol_and_word_not_colour_alone():
    fig = charts.kpi_bullets(KPIS)
    marks = _trace(fig, "scatter", "Score")
    assert list(marks.marker.symbol) == ["circle", "diamond", "x", "circle-open"]
    # the words in a column right of the plot: the right axis's tick labels, one per KPI row
    words = fig.layout.yaxis2
    assert marks.yaxis == "y2" and words.side == "right" and words.overlaying == "y"
    assert list(words.tickvals) == ["Revenue", "Margin %", "Meetings", "CSAT"]
    assert list(words.ticktext) == ["✓ on target", "! close", "✗ behind", "– no target"]
    assert words.range == fig.layout.yaxis.range == (3.5, -0.5)  # the rows line up, the first on top
    nb = charts.kpi_bullets(KPIS, lang="nb").layout.yaxis2
    assert list(nb.ticktext) == ["✓ på mål", "! nær", "✗ bak", "– uten mål"]


def test_bullets_clip_a_runaway_attainment_to_the_axis():
    fig = charts.kpi_bullets(KPIS.assign(attainment=[3.0, 0.9375, 0.8, None]))
    assert [t for t in fig.data if t.type == "bar"][3].x[0] == 1.5
    assert fig.layout.xaxis.range[1] > 1.5


# --- trend ----------------------------------------------------------------------------------

def test_trend_plots_monthly_actual_against_target():
    points = pd.DataFrame({"period": ["2025-11", "2025-12", "2026-01"], "actual": [10.0, 12.0, None],
                           "target": [11.0, 11.0, 11.0], "status": ["amber", "green", "none"]})
    fig = charts.kpi_trend(points, name="Meetings", unit="count")
    actual, target = _trace(fig, "scatter", "Actual"), _trace(fig, "scatter", "Target")
    np.testing.assert_array_equal(actual.x, np.array(["2025-11-01", "2025-12-01", "2026-01-01"], dtype="datetime64[D]"))
    np.testing.assert_array_equal(actual.y, [10.0, 12.0, np.nan])
    np.testing.assert_array_equal(target.y, [11.0, 11.0, 11.0])
    assert list(actual.marker.color) == [ORANGE, GREEN, GREY]
    assert list(actual.marker.symbol) == ["diamond", "circle", "circle-open"]
    assert fig.layout.title.text == "Meetings"


def test_trend_axis_ticks_follow_the_unit():
    points = pd.DataFrame({"period": ["2026-01"], "actual": [0.3], "target": [0.32], "status": ["amber"]})
    # 0 .. 0.32 (× 1.1) in steps of 0.1: 0, 10.0, ..., 40.0 percent, one decimal as the tables write a ratio
    assert charts.kpi_trend(points, name="Margin %", unit="ratio").layout.yaxis.ticktext[:2] == ("0.0", "10.0")
    # whole kroner: 0 .. 1,140 in steps of 200 (1,140 / 6 = 190)
    money = charts.kpi_trend(points.assign(actual=[1140.0], target=[1000.0]), name="Revenue", unit="currency")
    assert money.layout.yaxis.ticktext == ("0", "200", "400", "600", "800", "1,000", "1,200")


# --- heatmap --------------------------------------------------------------------------------

def test_heatmap_cells_are_the_attainments_with_symbol_and_percent():
    att = pd.DataFrame([[1.04, 0.5], [0.95, np.nan]], index=["Ann (S1)", "Bo (S2)"], columns=["Revenue", "Hit rate"])
    st = pd.DataFrame([["green", "red"], ["amber", "none"]], index=att.index, columns=att.columns)
    fig = charts.team_heatmap(att, st)
    (heat,) = fig.data
    assert heat.type == "heatmap"
    np.testing.assert_array_equal(heat.z, [[1.04, 0.5], [0.95, np.nan]])
    assert list(heat.y) == ["Ann (S1)", "Bo (S2)"] and list(heat.x) == ["Revenue", "Hit rate"]
    assert heat.text.tolist() == [["✓ 104%", "✗ 50%"], ["! 95%", "–"]]
    nb = charts.team_heatmap(att, st, lang="nb").data[0]
    assert nb.text[0][0] == "✓ 104\u00a0%"
    assert fig.layout.yaxis.autorange == "reversed"  # the first (best ranked) row on top


def test_heatmap_percent_stays_on_the_side_of_each_columns_thresholds():
    # 0.995 and 0.8996 with the default thresholds (amber 90 %, green 100 %): 99.5 and 89.96 would
    # round to 100 and 90, the next status up; 0.9496 against a KPI whose green is 95 %: 94.9
    att = pd.DataFrame([[0.995, 0.9496], [0.8996, 0.995]], index=["Ann (S1)", "Bo (S2)"], columns=["Revenue", "NPS"])
    st = pd.DataFrame([["amber", "amber"], ["red", "green"]], index=att.index, columns=att.columns)
    fig = charts.team_heatmap(att, st, thresholds={"NPS": (0.85, 0.95)})
    assert fig.data[0].text.tolist() == [["! 99.5%", "! 94.9%"], ["✗ 89.9%", "✓ 100%"]]
    nb = charts.team_heatmap(att, st, thresholds={"NPS": (0.85, 0.95)}, lang="nb")
    assert nb.data[0].text.tolist()[0] == ["! 99,5\u00a0%", "! 94,9\u00a0%"]
    assert list(nb.data[0].colorbar.ticktext) == ["50", "75", "100", "125", "150"]
    assert nb.data[0].colorbar.title.text == "Måloppnåelse (%)"
    assert nb.layout.separators == ",\u00a0"


def test_bullets_hover_the_attainment_on_the_side_of_the_kpis_thresholds():
    frame = KPIS.assign(attainment=[0.9996, 0.995, 0.9496, None])
    bar = [t for t in charts.kpi_bullets(frame).data if t.type == "bar"][3]
    # Revenue 0.9996 (green 100 %): 99.9; Margin 0.995 (green 100 %): 99.5; Meetings 0.9496 against
    # its own green at 95 %: 94.9
    assert list(bar.hovertext) == ["99.9%", "99.5%", "94.9%", "–"]
    assert "%{hovertext}" in bar.hovertemplate
    nb = charts.kpi_bullets(frame, lang="nb")
    # 0, 50, 100 and 150 only: a KPI's thresholds are the bands' edges (90 beside 100 collided)
    assert list(nb.layout.xaxis.tickvals) == [0, 0.5, 1, 1.5]
    assert list(nb.layout.xaxis.ticktext) == ["0", "50", "100", "150"]


def test_trend_hover_gives_value_attainment_and_status_as_the_tables_write_them():
    points = pd.DataFrame({"period": ["2026-01", "2026-02"], "actual": [0.2985, 0.33], "target": [0.30, 0.30],
                           "attainment": [0.995, 1.1], "status": ["amber", "green"]})
    fig = charts.kpi_trend(points, name="Dekningsgrad", unit="ratio", lang="nb")
    actual = _trace(fig, "scatter", "Faktisk")
    # 0.2985 as a ratio with one decimal: 29.85 → 29,9 %; attainment 0.995 amber → 99,5 %
    assert list(actual.text) == ["29,9\u00a0% (99,5\u00a0% ! nær)", "33,0\u00a0% (110\u00a0% ✓ på mål)"]
    assert list(_trace(fig, "scatter", "Mål").text) == ["30,0\u00a0%", "30,0\u00a0%"]
    # percent ticks spelled as the tables spell them: 0 to 0.33 (× 1.1 of headroom) in about five
    # steps of 1, 2, 2.5 or 5 × 10^k: 0.363 / 5 = 0.0726, so steps of 0.1, from 0 to the first past 0.363
    ticks = fig.layout.yaxis
    assert ticks.tickmode == "array" and ticks.tickvals == (0.0, 0.1, 0.2, 0.3, 0.4)
    assert ticks.ticktext[:4] == ("0,0", "10,0", "20,0", "30,0")  # the title says "(%)"
    assert ticks.title.text == "Dekningsgrad (%)"
    en = charts.kpi_trend(points, name="Margin %", unit="ratio")
    assert list(_trace(en, "scatter", "Actual").text) == ["29.9% (99.5% ! close)", "33.0% (110% ✓ on target)"]
    meetings = charts.kpi_trend(points.assign(actual=[1234.0, None]), name="Meetings", unit="count", lang="nb")
    assert list(_trace(meetings, "scatter", "Faktisk").text) == ["1\u00a0234 (99,5\u00a0% ! nær)",
                                                                "– (110\u00a0% ✓ på mål)"]


# --- perspectives ---------------------------------------------------------------------------

def test_perspective_bars_colour_each_score_by_status():
    frame = pd.DataFrame({"name": ["Financial", "Customer", "Process", "Learning"],
                          "score": [1.02, 0.95, 0.5, None], "previous_score": [1.0, 0.9, 0.6, None]})
    fig = charts.perspective_bars(frame)
    bar = _trace(fig, "bar")
    np.testing.assert_array_equal(bar.x, [1.02, 0.95, 0.5, np.nan])
    assert list(bar.marker.color) == [GREEN, ORANGE, VERMILLION, GREY]
    assert list(bar.text) == ["✓ on target", "! close", "✗ behind", "– no target"]
    np.testing.assert_array_equal(_trace(fig, "scatter").x, [1.0, 0.9, 0.6, np.nan])
    # the score beside its status: 0.9996 is amber (below 100 %), so 99.9 %, not 100 %
    fig = charts.perspective_bars(frame.assign(score=[1.02, 0.9996, 0.5, None]), lang="nb")
    assert list(_trace(fig, "bar").hovertext) == ["102\u00a0%", "99,9\u00a0%", "50\u00a0%", "–"]
    assert fig.layout.xaxis.ticktext[:5] == ("0", "25", "50", "75", "100")
    assert fig.layout.xaxis.title.text == "Poeng (%)"


# --- budget ---------------------------------------------------------------------------------

def test_budget_vs_actual_bars_and_cumulative_lines():
    monthly = pd.DataFrame({"period": ["2026-01", "2026-02", "2026-03"], "budget_amount": [100.0, 150.0, 200.0],
                            "actual_amount": [90.0, 160.0, 250.5]})
    fig = charts.budget_vs_actual(monthly)
    np.testing.assert_array_equal(_trace(fig, "bar", "Budget").y, [100.0, 150.0, 200.0])
    np.testing.assert_array_equal(_trace(fig, "bar", "Actual").y, [90.0, 160.0, 250.5])
    # worked by hand: 100, 100+150, 100+150+200 and 90, 90+160, 90+160+250.5
    np.testing.assert_array_equal(_trace(fig, "scatter", "Budget, cumulative").y, [100.0, 250.0, 450.0])
    np.testing.assert_array_equal(_trace(fig, "scatter", "Actual, cumulative").y, [90.0, 250.0, 500.5])
    assert _trace(fig, "scatter", "Actual, cumulative").yaxis == "y2"


def test_budget_vs_actual_without_budget_leaves_the_budget_empty():
    monthly = pd.DataFrame({"period": ["2026-01", "2026-02"], "budget_amount": [np.nan, np.nan],
                            "actual_amount": [5.0, 6.0]})
    fig = charts.budget_vs_actual(monthly, lang="nb")
    assert np.isnan(_trace(fig, "scatter", "Budsjett, akkumulert").y).all()
    np.testing.assert_array_equal(_trace(fig, "scatter", "Faktisk, akkumulert").y, [5.0, 11.0])


def test_waterfall_goes_from_budget_through_the_effects_to_actual():
    # PRODUCT.md §2 worked example: budget A 100 × 10.00 + B 50 × 20.00 = 2000.00; actual
    # A 120 × 9.50 + B 40 × 21.00 = 1980.00; price −20.00, volume 133.33, mix −133.33
    totals = {"budget_amount": 2000.0, "price_effect": -20.0, "volume_effect": 133.33, "mix_effect": -133.33,
              "actual_amount": 1980.0}
    fig = charts.variance_waterfall(totals)
    (wf,) = fig.data
    assert wf.type == "waterfall"
    assert list(wf.x) == ["Budget", "Price", "Volume", "Mix", "Actual"]
    assert list(wf.measure) == ["absolute", "relative", "relative", "relative", "total"]
    np.testing.assert_array_equal(wf.y, [2000.0, -20.0, 133.33, -133.33, 1980.0])
    assert round(wf.y[0] + wf.y[1] + wf.y[2] + wf.y[3], 2) == wf.y[4]
    assert wf.increasing.marker.color == GREEN and wf.decreasing.marker.color == VERMILLION


def test_waterfall_without_a_budget_says_not_available():
    fig = charts.variance_waterfall({"budget_amount": None, "price_effect": None, "volume_effect": None,
                                     "mix_effect": None, "actual_amount": 50.0})
    assert not fig.data
    assert fig.layout.annotations[0].text == "n/a"


def test_forecast_bars_show_each_method_and_mark_a_missing_one():
    totals = {"budget": 1200.0, "actual_to_date": 500.0, "budget_remainder": 1250.0, "run_rate": 1000.0,
              "seasonal": None}
    fig = charts.forecast_bars(totals, lang="nb")
    bar = _trace(fig, "bar")
    assert bar.orientation == "h"
    assert list(bar.y) == ["Faktisk hittil", "Budsjett", "Faktisk + resterende budsjett", "Løpende takt",
                           "Sesongjustert"]
    np.testing.assert_array_equal(bar.x, [500.0, 1200.0, 1250.0, 1000.0, np.nan])
    # the amounts in a column right of the plot (whole kroner here: under 10,000), n/a for the missing one
    assert list(fig.layout.yaxis2.ticktext) == ["500", "1\u00a0200", "1\u00a0250", "1\u00a0000", "i.t."]
    assert fig.layout.shapes[0].x0 == fig.layout.shapes[0].x1 == 1200.0  # the budget line


def test_figures_serialize_numbers_as_typed_arrays():
    monthly = pd.DataFrame({"period": ["2026-01"], "budget_amount": [1.0], "actual_amount": [2.0]})
    data = json.loads(charts.budget_vs_actual(monthly).to_json())["data"]
    assert set(data[0]["y"]) >= {"dtype", "bdata"}


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_every_label_exists_in_both_languages(lang):
    from app.charts import palette
    assert set(palette._LABELS[lang]) == set(palette._LABELS["en"])


def _outlook_answer(with_target: bool = True) -> dict:
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    return {
        "year": 2026, "months": months,
        "kpis": [{
            "kpi": "revenue", "name": "Revenue", "unit": "currency", "target": 12000.0 if with_target else None,
            "actual_to_date": 6000.0,
            "actuals": [{"period": m, "actual": 1000.0 * (i + 1)} for i, m in enumerate(months[:6])],
            "path": [{"period": m, "p10": 6000 + 800.0 * (i + 1), "p50": 6000 + 1000.0 * (i + 1),
                      "p90": 6000 + 1200.0 * (i + 1)} for i, m in enumerate(months[6:])],
        }],
    }


def test_outlook_fan_draws_the_band_from_the_last_actual_to_the_years_end():
    fig = charts.outlook_fan(_outlook_answer(), "revenue")
    low, high, mid = (_trace(fig, "scatter", n) for n in ("p10", "80 % band (p10–p90)", "Most likely (p50)"))
    # from June's actual (6,000) to December: 6,000 + 6 × 800, 1,000, 1,200
    assert list(low.y) == [6000, 6800, 7600, 8400, 9200, 10000, 10800]
    assert list(mid.y)[-1] == 12000 and list(high.y)[-1] == 13200
    assert high.fill == "tonexty" and str(high.x[0])[:10] == "2026-06-01"
    target = _trace(fig, "scatter", "Year's target")
    assert list(target.y) == [12000, 12000]
    assert fig.layout.title.text == "Revenue · 2026"
    # no target: no line
    assert "Year's target" not in [t.name for t in charts.outlook_fan(_outlook_answer(False), "revenue").data]
