"""Range targets and targets taken from children, worked by hand."""

import math

import pandas as pd
import pytest

from app.analytics.targets import range_targets, resolve_targets

ROLLUP = {"revenue": "sum", "margin_pct": "last", "meetings": "sum"}


def _targets(rows):
    return pd.DataFrame(rows, columns=["level", "unit_code", "kpi_code", "month", "value"])


def test_sum_kpis_add_months_and_last_kpis_take_the_last_month():
    t = _targets([
        ("seller", "S1", "revenue", "2026-01", 100.0),
        ("seller", "S1", "revenue", "2026-02", 150.0),
        ("seller", "S1", "revenue", "2026-03", 999.0),  # outside the range
        ("seller", "S1", "margin_pct", "2026-01", 0.30),
        ("seller", "S1", "margin_pct", "2026-02", 0.35),
        ("seller", "S2", "margin_pct", "2026-01", 0.40),  # none for the range's last month
    ])
    got = range_targets(t, months=["2026-01", "2026-02"], time_rollup=ROLLUP)
    got = got.set_index(["unit_code", "kpi_code"])["target"]
    assert got[("S1", "revenue")] == 250.0
    assert got[("S1", "margin_pct")] == 0.35
    assert ("S2", "margin_pct") not in got.index


def test_unit_without_own_target_takes_the_sum_of_its_children_for_additive_kpis():
    own = pd.DataFrame([
        ("seller", "S1", "revenue", 100.0),
        ("seller", "S2", "revenue", 50.0),
        ("seller", "S3", "revenue", 70.0),
        ("district", "D2", "revenue", 500.0),   # D2 has its own: its sellers' do not matter
        ("seller", "S1", "margin_pct", 0.3),
        ("seller", "S1", "meetings", 10.0),
    ], columns=["level", "unit_code", "kpi_code", "target"])
    children = {
        ("region", "R1"): [("district", "D1"), ("district", "D2")],
        ("district", "D1"): [("seller", "S1"), ("seller", "S2")],
        ("district", "D2"): [("seller", "S3")],
    }
    got = resolve_targets(own, units=[("region", "R1"), ("district", "D1"), ("district", "D2")],
                          children=children, additive={"revenue", "meetings"},
                          kpis=["revenue", "margin_pct", "meetings"])
    assert got.loc[("district", "D1"), "revenue"] == 150.0
    assert got.loc[("district", "D2"), "revenue"] == 500.0
    assert got.loc[("region", "R1"), "revenue"] == 650.0
    assert got.loc[("district", "D1"), "meetings"] == 10.0  # S2 has none: the sum of those set
    assert math.isnan(got.loc[("district", "D1"), "margin_pct"])  # ratios never add up
    assert math.isnan(got.loc[("district", "D2"), "meetings"])  # no child has one


@pytest.mark.parametrize("k", [0.5, 2.0, 10.0])
def test_scaling_every_seller_target_scales_the_district_target(k):
    own = pd.DataFrame([("seller", "S1", "revenue", 120.0), ("seller", "S2", "revenue", 80.0)],
                       columns=["level", "unit_code", "kpi_code", "target"])
    children = {("district", "D1"): [("seller", "S1"), ("seller", "S2")]}
    base = resolve_targets(own, units=[("district", "D1")], children=children, additive={"revenue"},
                           kpis=["revenue"])
    scaled = resolve_targets(own.assign(target=own["target"] * k), units=[("district", "D1")],
                             children=children, additive={"revenue"}, kpis=["revenue"])
    assert scaled.iloc[0, 0] == pytest.approx(base.iloc[0, 0] * k)
