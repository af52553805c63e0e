"""Scoring arithmetic against values worked out by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.analytics.scorecard import attainment, overall_score, perspective_scores, score, status


def test_attainment_higher_and_lower_is_better():
    actual = pd.Series([110.0, 45.0, 30.0, 20.0])
    target = pd.Series([100.0, 50.0, 40.0, 25.0])
    direction = pd.Series(["higher", "higher", "lower", "lower"])
    got = attainment(actual, target, direction)
    # 110/100, 45/50, lower: 40/30 (better than target), 25/20
    assert got.tolist() == pytest.approx([1.10, 0.90, 4 / 3, 1.25])


def test_attainment_is_missing_without_target_zero_target_or_null_actual():
    actual = pd.Series([10.0, 10.0, np.nan, 0.0, 0.0])
    target = pd.Series([np.nan, 0.0, 5.0, 5.0, 5.0])
    direction = pd.Series(["higher", "higher", "higher", "higher", "lower"])
    got = attainment(actual, target, direction)
    assert math.isnan(got[0]) and math.isnan(got[1]) and math.isnan(got[2])
    assert got[3] == 0.0  # nothing sold against a target of 5: attainment 0, a real red
    assert math.isnan(got[4])  # lower is better with an actual of 0: no ratio, not infinity


def test_status_thresholds_inclusive_and_none():
    att = pd.Series([1.0, 0.9999, 0.9, 0.8999, np.nan, 1.3])
    assert status(att).tolist() == ["green", "amber", "amber", "red", "none", "green"]
    per_kpi = status(pd.Series([0.95, 0.95]), green=pd.Series([0.95, 1.0]), amber=pd.Series([0.8, 0.96]))
    assert per_kpi.tolist() == ["green", "red"]


def test_score_caps_and_keeps_missing():
    got = score(pd.Series([0.5, 1.0, 1.5, np.nan]), cap=1.2)
    assert got.tolist()[:3] == [0.5, 1.0, 1.2]
    assert math.isnan(got[3])


def test_perspective_and_overall_scores_renormalize_over_what_has_a_score():
    kpis = pd.DataFrame({
        "perspective": ["financial", "financial", "customer", "process"],
        "weight": [2.0, 1.0, 1.0, 1.0],
        "score": [1.2, 0.6, np.nan, 0.8],
    })
    persp = pd.DataFrame({"key": ["financial", "customer", "process", "learning"],
                          "weight": [0.40, 0.25, 0.20, 0.15]})
    got = perspective_scores(kpis, persp)
    # financial: (2*1.2 + 1*0.6) / 3 = 1.0; customer: no KPI scored; process: 0.8; learning: no KPIs
    assert got["score"].tolist()[0] == pytest.approx(1.0)
    assert math.isnan(got["score"][1]) and math.isnan(got["score"][3])
    assert got["score"][2] == pytest.approx(0.8)
    # overall over financial and process only: (0.40*1.0 + 0.20*0.8) / 0.60
    assert overall_score(got) == pytest.approx((0.40 + 0.16) / 0.60)


def test_overall_score_is_missing_when_nothing_is_scored():
    persp = pd.DataFrame({"key": ["financial"], "weight": [1.0], "score": [np.nan]})
    assert math.isnan(overall_score(persp))


@given(
    actual=st.floats(min_value=0.01, max_value=1e9),
    target=st.floats(min_value=0.01, max_value=1e9),
    k=st.floats(min_value=0.01, max_value=100),
)
def test_scaling_targets_by_k_scales_attainment_by_one_over_k(actual, target, k):
    base = attainment(pd.Series([actual]), pd.Series([target]), "higher")[0]
    scaled = attainment(pd.Series([actual]), pd.Series([target * k]), "higher")[0]
    assert scaled == pytest.approx(base / k, rel=1e-9)
    lower = attainment(pd.Series([actual]), pd.Series([target * k]), "lower")[0]
    assert lower == pytest.approx(target * k / actual, rel=1e-9)


def test_score_units_matches_the_step_by_step_computation():
    from app.analytics.scorecard import score_units

    kpis = pd.DataFrame({
        "code": ["revenue", "margin_pct", "meetings", "cycle_days"],
        "name": ["Revenue", "Margin %", "Meetings", "Cycle days"],
        "unit": ["currency", "ratio", "count", "days"],
        "direction": ["higher", "higher", "higher", "lower"],
        "perspective": ["financial", "financial", "process", "process"],
        "weight": [2.0, 1.0, 1.0, 1.0],
        "green_threshold": [1.0, 1.0, 1.0, 1.0],
        "amber_threshold": [0.9, 0.9, 0.9, 0.9],
    })
    persp = pd.DataFrame({"key": ["financial", "process"], "name": ["Financial", "Process"],
                          "weight": [0.6, 0.4]})
    actuals = pd.DataFrame({"revenue": [150.0, 80.0], "margin_pct": [0.3, np.nan],
                            "meetings": [9.0, 0.0], "cycle_days": [40.0, 20.0]}, index=["S1", "S2"])
    targets = pd.DataFrame({"revenue": [100.0, 100.0], "margin_pct": [0.3, 0.3],
                            "meetings": [10.0, np.nan], "cycle_days": [30.0, 30.0]}, index=["S1", "S2"])
    rows, perspectives, overall = score_units(actuals, targets, kpis=kpis, perspectives=persp, cap=1.2)
    r = rows.set_index(["entity", "code"])
    # S1: revenue 1.5 -> capped 1.2 green; margin 1.0 green; meetings 0.9 amber; cycle 30/40 = 0.75 red
    assert r.loc[("S1", "revenue"), "score"] == 1.2
    assert r.loc[("S1", "revenue"), "attainment"] == pytest.approx(1.5)
    assert r.loc[("S1", "meetings"), "status"] == "amber"
    assert r.loc[("S1", "cycle_days"), "attainment"] == pytest.approx(0.75)
    assert r.loc[("S1", "cycle_days"), "status"] == "red"
    p = perspectives.set_index(["entity", "key"])["score"]
    s1_fin = (2 * 1.2 + 1 * 1.0) / 3
    s1_proc = (0.9 + 0.75) / 2
    assert p[("S1", "financial")] == pytest.approx(s1_fin)
    assert p[("S1", "process")] == pytest.approx(s1_proc)
    assert overall["S1"] == pytest.approx(0.6 * s1_fin + 0.4 * s1_proc)
    # S2: margin has no actual, meetings no target -> financial = revenue only, process = cycle only
    assert r.loc[("S2", "margin_pct"), "status"] == "none"
    assert r.loc[("S2", "meetings"), "status"] == "none"
    s2_fin, s2_proc = 0.8, 1.2  # cycle 30/20 = 1.5 capped
    assert p[("S2", "financial")] == pytest.approx(s2_fin)
    assert p[("S2", "process")] == pytest.approx(s2_proc)
    assert overall["S2"] == pytest.approx(0.6 * s2_fin + 0.4 * s2_proc)
