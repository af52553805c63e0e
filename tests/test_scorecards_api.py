"""Scorecards through the API on a small organization whose figures are worked out by hand.

R1 has districts D1 and D2. S1 sells in D1; S3 in D2; S2 was in D2 in January 2026 and moved to D1
on 2026-02-01, so S2's January sale stays with D2. A1 is a key account. A2 first bought in 2025.
"""

import json
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import select

from app.models import Account, Activity, Product, Sale, Target
from app.scorecards.schemas import ChildrenRead, ScorecardRead, TrendRead
from tests.builders import (
    add_activities,
    add_sales,
    add_targets,
    login,
    make_account,
    make_leader,
    make_product,
    make_seller,
    make_two_districts,
    make_user,
    move_seller,
)


@pytest.fixture
def org(session):
    r1, d1, d2, s1 = make_two_districts(session)
    s2 = make_seller(session, code="S2", district=d2)
    move_seller(session, seller=s2, district=d1, valid_from=date(2026, 2, 1))
    s3 = make_seller(session, code="S3", district=d2)
    a1 = make_account(session, code="A1", district=d1, key_account=True, kam=s1)
    a2 = make_account(session, code="A2", district=d1)
    a3 = make_account(session, code="A3", district=d2)
    p = make_product(session, code="P1")
    sales = [
        ("x0", date(2025, 12, 3), s1, a2, "100.00", "50.00"),
        ("x1", date(2026, 1, 10), s1, a1, "1000.00", "600.00"),
        ("x2", date(2026, 2, 5), s1, a2, "500.00", "300.00"),
        ("x3", date(2026, 1, 15), s2, a3, "400.00", "100.00"),
        ("x4", date(2026, 2, 10), s2, a2, "200.00", "150.00"),
        ("x5", date(2026, 2, 20), s3, a3, "300.00", None),
    ]
    add_sales(session, [Sale(id=sid, date=day, seller_id=seller.id, account_id=account.id, product_id=p.id,
                             quantity=Decimal("1"), amount=Decimal(amount),
                             cost=Decimal(cost) if cost else None)
                        for sid, day, seller, account, amount, cost in sales])
    acts = [
        ("a1", date(2026, 1, 5), s1, "won", "2"), ("a2", date(2026, 2, 5), s1, "lost", "1"),
        ("a3", date(2026, 2, 6), s2, "won", "1"), ("a4", date(2026, 2, 7), s1, "csat", "5"),
        ("a5", date(2026, 2, 8), s2, "csat", "3"), ("a6", date(2026, 2, 9), s1, "meeting", "4"),
    ]
    add_activities(session, [Activity(id=aid, date=day, seller_id=seller.id, account_id=None, type=kind,
                                      value=Decimal(value))
                             for aid, day, seller, kind, value in acts])
    targets = [
        ("seller", "S1", "revenue", date(2026, 1, 1), "1000"), ("seller", "S1", "revenue", date(2026, 2, 1), "1000"),
        ("seller", "S2", "revenue", date(2026, 1, 1), "500"), ("seller", "S2", "revenue", date(2026, 2, 1), "500"),
        ("seller", "S1", "margin_pct", date(2026, 1, 1), "0.5"),
        ("seller", "S1", "margin_pct", date(2026, 2, 1), "0.4"),
        ("district", "D2", "revenue", date(2026, 1, 1), "400"),
        ("district", "D2", "revenue", date(2026, 2, 1), "400"),
    ]
    add_targets(session, [Target(level=level, unit_code=code, kpi_code=kpi, month=month, value=Decimal(value),
                                 source_period=str(month)[:7])
                          for level, code, kpi, month, value in targets])
    return {"r1": r1, "d1": d1, "d2": d2, "s1": s1, "s2": s2, "s3": s3}


def _kpis(card):
    return {k["code"]: k for p in card["perspectives"] for k in p["kpis"]}


def _get(client, headers, path, period="2026-02", range_="ytd"):
    return client.get(f"/api/v1/scorecards/{path}", params={"period": period, "range": range_}, headers=headers)


@pytest.fixture
def admin_headers(client, session):
    return login(client, make_user(session, role="admin"))


def test_seller_scorecard_by_hand(client, org, admin_headers):
    res = _get(client, admin_headers, "seller/S1")
    assert res.status_code == 200, res.text
    card = res.json()
    assert card["months"] == ["2026-01", "2026-02"]
    k = _kpis(card)
    assert k["revenue"]["actual"] == 1500.00
    assert k["revenue"]["target"] == 2000.00
    assert k["revenue"]["attainment"] == pytest.approx(0.75)
    assert k["revenue"]["status"] == "red"
    assert k["gross_margin"]["actual"] == 600.00
    assert k["margin_pct"]["actual"] == pytest.approx(0.4)
    assert k["margin_pct"]["target"] == pytest.approx(0.4)  # the range's last month, not a sum
    assert k["margin_pct"]["status"] == "green"
    assert k["active_customers"]["actual"] == 2
    assert k["new_customers"]["actual"] == 1  # A1; A2 first bought in 2025
    assert k["key_account_share"]["actual"] == pytest.approx(1000 / 1500)
    assert k["hit_rate"]["actual"] == pytest.approx(2 / 3)
    assert k["csat"]["actual"] == 5
    assert k["meetings"]["actual"] == 4 and k["meetings"]["status"] == "none"  # no target
    # financial: revenue score 0.75, margin_pct 1.0 (gross_margin has no target): mean 0.875
    fin = next(p for p in card["perspectives"] if p["key"] == "financial")
    assert fin["score"] == pytest.approx(0.875)
    # only the financial perspective has a score, so the overall score is that score
    assert card["overall_score"] == pytest.approx(0.875)
    # the previous period (January YTD): revenue 1000 against 1000
    assert k["revenue"]["previous"]["actual"] == 1000.00
    assert k["revenue"]["previous"]["attainment"] == pytest.approx(1.0)
    assert card["previous_period"] == "2026-01"


def test_sale_belongs_to_the_district_of_its_seller_on_its_date(client, org, admin_headers):
    d1 = _kpis(_get(client, admin_headers, "district/D1").json())
    d2 = _kpis(_get(client, admin_headers, "district/D2").json())
    s2 = _kpis(_get(client, admin_headers, "seller/S2").json())
    assert d1["revenue"]["actual"] == 1700.00  # S1 1500 + S2's February 200
    assert d2["revenue"]["actual"] == 700.00   # S2's January 400 + S3 300
    assert s2["revenue"]["actual"] == 600.00   # the seller's own card holds all their sales
    # D1 has no target of its own: the sum of its sellers' on 2026-02-28 (S1 and S2, who moved in)
    assert d1["revenue"]["target"] == 3000.00
    assert d2["revenue"]["target"] == 800.00  # D2's own target wins over its sellers'
    assert d1["margin_pct"]["actual"] == pytest.approx(650 / 1700)
    assert d1["margin_pct"]["target"] is None  # ratios do not add up from sellers
    # D2: S3's line has no cost, so margin % is over the costed revenue only
    assert d2["margin_pct"]["actual"] == pytest.approx(300 / 400)
    assert d1["active_customers"]["actual"] == 2  # A2 bought from S1 and S2: one customer
    assert d1["hit_rate"]["actual"] == pytest.approx(3 / 4)
    assert d1["csat"]["actual"] == pytest.approx(4.0)


def test_region_and_company_add_up(client, org, admin_headers):
    r1 = _kpis(_get(client, admin_headers, "region/R1").json())
    company = _kpis(_get(client, admin_headers, "company/-").json())
    assert r1["revenue"]["actual"] == company["revenue"]["actual"] == 2400.00
    assert r1["revenue"]["target"] == 3800.00  # D1 3000 (from sellers) + D2 800 (own)
    assert r1["active_customers"]["actual"] == 3


def test_children_overview(client, org, admin_headers):
    res = client.get("/api/v1/scorecards/district/D1/children", params={"period": "2026-02"},
                     headers=admin_headers)
    assert res.status_code == 200, res.text
    kids = {c["code"]: c for c in res.json()["children"]}
    assert list(kids) == ["S1", "S2"]
    assert kids["S1"]["kpis"]["revenue"]["actual"] == 1500.00
    assert kids["S2"]["kpis"]["revenue"]["actual"] == 600.00
    assert kids["S1"]["overall_score"] == pytest.approx(0.875)
    region = client.get("/api/v1/scorecards/region/R1/children", params={"period": "2026-02"},
                        headers=admin_headers).json()
    assert [(c["code"], c["kpis"]["revenue"]["actual"]) for c in region["children"]] == [("D1", 1700.0), ("D2", 700.0)]
    company = client.get("/api/v1/scorecards/company/-/children", params={"period": "2026-02"},
                         headers=admin_headers).json()
    assert [c["code"] for c in company["children"]] == ["R1"]


def test_month_range_and_previous_period(client, org, admin_headers):
    k = _kpis(_get(client, admin_headers, "seller/S1", range_="month").json())
    assert k["revenue"]["actual"] == 500.00 and k["revenue"]["target"] == 1000.00
    assert k["revenue"]["previous"]["actual"] == 1000.00


def test_who_may_see_which_scorecard(client, session, org):
    seller = login(client, make_user(session, role="seller", email=org["s1"].email))
    assert _get(client, seller, "seller/S1").status_code == 200
    for path in ("seller/S2", "district/D1", "region/R1", "company/-", "seller/NOPE"):
        assert _get(client, seller, path).status_code == 404, path
    make_leader(session, units=[("district", "D1")], email="lead@example.com")
    leader = login(client, make_user(session, role="leader", email="lead@example.com"))
    assert _get(client, leader, "district/D1").status_code == 200
    assert _get(client, leader, "seller/S2").status_code == 200
    assert _get(client, leader, "district/D2").status_code == 404
    assert _get(client, leader, "seller/S3").status_code == 404
    finance = login(client, make_user(session, role="finance"))
    assert _get(client, finance, "company/-").status_code == 200
    assert _get(client, {}, "seller/S1").status_code == 401


def test_a_leaders_import_changes_what_a_leader_sees_at_once(client, session, org, admin_headers):
    """The caller's scope is cached under the data version: an import of leaders (or of sellers) counts
    the version up, so the next request already has the new scope; a changed role holds at once too."""
    def leaders(body: str) -> None:
        res = client.post("/api/v1/imports/leaders", headers=admin_headers,
                          files={"file": ("leaders.csv", ("email,name,district_code,region_code\n" + body).encode())})
        assert res.status_code == 200, res.text

    leaders("lee@example.com,Lee,D1,\n")
    user = make_user(session, role="leader", email="lee@example.com")
    lee = login(client, user)
    assert [_get(client, lee, p).status_code for p in ("district/D1", "district/D2", "seller/S3")] == [200, 404, 404]
    leaders("lee@example.com,Lee,D2,\n")  # Lee leads D2 as well now (a leader's units are keyed by unit)
    assert [_get(client, lee, p).status_code for p in ("district/D1", "district/D2", "seller/S3")] == [200, 200, 200]
    user.role = "seller"  # no seller row has Lee's e-mail: nothing to see
    session.flush()
    assert _get(client, lee, "district/D2").status_code == 404


def test_cached_figures_are_still_checked_for_access_and_follow_new_data(client, session, org, admin_headers):
    # The admin's calls fill the cache with every card and overview the seller will then ask for.
    for path in ("seller/S1", "seller/S2", "district/D1", "district/D1/children", "company/-/children"):
        assert _get(client, admin_headers, path).status_code == 200
    seller = login(client, make_user(session, role="seller", email=org["s1"].email))
    for path in ("seller/S2", "district/D1", "district/D1/children", "company/-/children"):
        assert _get(client, seller, path).status_code == 404, path
    before = _kpis(_get(client, seller, "seller/S1").json())["revenue"]["actual"]
    # A new sale written and the aggregates brought in step (which counts the data version up):
    # the next call recomputes instead of answering from the cache.
    account = session.scalar(select(Account).where(Account.code == "A1"))
    add_sales(session, [Sale(id="late", date=date(2026, 2, 27), seller_id=org["s1"].id, account_id=account.id,
                             product_id=session.scalar(select(Product.id)), quantity=Decimal("1"),
                             amount=Decimal("250.00"), cost=None)])
    assert _kpis(_get(client, seller, "seller/S1").json())["revenue"]["actual"] == before + 250


@pytest.mark.parametrize("path, schema", [("seller/S1", ScorecardRead), ("district/D1/children", ChildrenRead),
                                          ("company/-/trend", TrendRead)])
def test_answers_are_their_schemas_json_cached_or_not(client, org, admin_headers, path, schema):
    """A cached answer goes out as the cache keeps it, without a check per request: it must be
    exactly what the route's response model makes of it (its fields, in its order), first time and
    cached."""
    first, cached = (client.get(f"/api/v1/scorecards/{path}", params={"period": "2026-02"}, headers=admin_headers)
                     for _ in range(2))
    assert first.status_code == cached.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert first.content == cached.content == schema.model_validate_json(first.content).model_dump_json().encode()
    assert first.json()["code"] == path.split("/")[1]


def test_bad_period_and_range_are_422(client, org, admin_headers):
    assert _get(client, admin_headers, "seller/S1", period="2026-13").status_code == 422
    assert _get(client, admin_headers, "seller/S1", range_="decade").status_code == 422
    assert _get(client, admin_headers, "planet/S1").status_code == 422


def test_admin_changes_weights_thresholds_and_cap_and_the_scorecard_follows(client, session, org, admin_headers):
    # Give margin_pct triple weight: financial = (0.75*1 + 1.0*3) / 4
    res = client.patch("/api/v1/kpis/margin_pct", json={"weight": 3}, headers=admin_headers)
    assert res.status_code == 200 and res.json()["weight"] == 3
    card = _get(client, admin_headers, "seller/S1").json()
    assert card["overall_score"] == pytest.approx((0.75 + 3.0) / 4)
    # A revenue green threshold of 0.7 turns 0.75 green
    client.patch("/api/v1/kpis/revenue", json={"green_threshold": 0.7, "amber_threshold": 0.6}, headers=admin_headers)
    assert _kpis(_get(client, admin_headers, "seller/S1").json())["revenue"]["status"] == "green"
    # amber above green is refused, and so is a non-admin
    bad = client.patch("/api/v1/kpis/revenue", json={"amber_threshold": 0.9}, headers=admin_headers)
    assert bad.status_code == 422
    finance = login(client, make_user(session, role="finance"))
    assert client.patch("/api/v1/kpis/revenue", json={"weight": 1}, headers=finance).status_code == 403
    assert client.patch("/api/v1/kpis/nope", json={"weight": 1}, headers=admin_headers).status_code == 404
    # The cap: S1's previous-period revenue attainment 1.0 is unaffected, a cap of 1.0 keeps it at 1.0
    assert client.patch("/api/v1/settings/scorecard", json={"score_cap": 1.0}, headers=admin_headers).status_code == 200
    assert client.patch("/api/v1/settings/scorecard", json={"score_cap": 0.5}, headers=admin_headers).status_code == 422


def test_fiscal_year_start_changes_ytd(client, org, admin_headers):
    res = client.patch("/api/v1/settings/scorecard", json={"fiscal_year_start_month": 2}, headers=admin_headers)
    assert res.json() == {
        "score_cap": 1.2,
        "fiscal_year_start_month": 2,
        "require_comment_on_red": False,
        "wall_show_names": False,
    }
    card = _get(client, admin_headers, "seller/S1").json()
    assert card["months"] == ["2026-02"]
    assert _kpis(card)["revenue"]["actual"] == 500.00


def test_manual_kpi_with_values_and_targets(client, session, org, admin_headers):
    from app.models import KpiValue

    res = client.post("/api/v1/kpis", headers=admin_headers, json={
        "code": "survey_score", "name": "Employee survey", "perspective": "learning", "unit": "score",
    })
    assert res.status_code == 201, res.text
    assert res.json()["manual"] is True and res.json()["time_rollup"] == "last"
    assert client.post("/api/v1/kpis", headers=admin_headers, json={
        "code": "survey_score", "name": "again", "perspective": "learning"}).status_code == 422
    session.add_all([
        KpiValue(level="seller", unit_code="S1", kpi_code="survey_score", month=date(2026, 1, 1),
                 value=Decimal("3.0"), source_period="2026-01"),
        KpiValue(level="seller", unit_code="S1", kpi_code="survey_score", month=date(2026, 2, 1),
                 value=Decimal("4.5"), source_period="2026-02"),
        Target(level="seller", unit_code="S1", kpi_code="survey_score", month=date(2026, 2, 1),
               value=Decimal("4.0"), source_period="2026-02"),
    ])
    session.flush()
    card = _get(client, admin_headers, "seller/S1").json()
    k = _kpis(card)["survey_score"]
    assert k["actual"] == 4.5 and k["target"] == 4.0
    assert k["attainment"] == pytest.approx(4.5 / 4.0)
    learning = next(p for p in card["perspectives"] if p["key"] == "learning")
    assert learning["score"] == pytest.approx(4.5 / 4.0)
    # overall now over financial (0.875, weight 0.40) and learning (1.125, weight 0.15)
    assert card["overall_score"] == pytest.approx((0.40 * 0.875 + 0.15 * 1.125) / 0.55)


def test_perspective_weight(client, org, admin_headers):
    assert client.patch("/api/v1/perspectives/financial", json={"weight": 0.5},
                        headers=admin_headers).json()["weight"] == 0.5
    assert client.patch("/api/v1/perspectives/nope", json={"weight": 0.5}, headers=admin_headers).status_code == 404
    assert client.patch("/api/v1/perspectives/financial", json={"weight": -1},
                        headers=admin_headers).status_code == 422


def test_trend_month_by_month(client, session, org, admin_headers):
    res = client.get("/api/v1/scorecards/seller/S1/trend", params={"period": "2026-02", "months": 3},
                     headers=admin_headers)
    assert res.status_code == 200, res.text
    points = res.json()["points"]
    assert [p["period"] for p in points] == ["2025-12", "2026-01", "2026-02"]
    revenue = [(p["kpis"]["revenue"]["actual"], p["kpis"]["revenue"]["target"]) for p in points]
    assert revenue == [(100.0, None), (1000.0, 1000.0), (500.0, 1000.0)]
    assert points[2]["kpis"]["revenue"]["status"] == "red"  # 0.5
    seller = login(client, make_user(session, role="seller", email=org["s1"].email))
    assert client.get("/api/v1/scorecards/seller/S2/trend", params={"period": "2026-02"},
                      headers=seller).status_code == 404


def test_kpi_list_is_in_display_order(client, admin_headers):
    codes = [k["code"] for k in client.get("/api/v1/kpis", headers=admin_headers).json()]
    assert codes[:4] == ["revenue", "gross_margin", "margin_pct", "active_customers"]
    assert codes[-2:] == ["training_hours", "coaching_sessions"]


def _same(value, shown) -> bool:
    """A computed figure (NaN when missing) equals what the API shows (None when missing)."""
    return pd.isna(value) if shown is None else value == pytest.approx(shown)


@pytest.mark.parametrize("range_", ["month", "ytd"])
def test_scoring_the_whole_organization_at_once_gives_every_overview_and_card(client, session, org, admin_headers,
                                                                               range_):
    """score_all (the month-end recompute) must agree with each children overview and unit card."""
    from app.reporting.scorecards import score_all

    everything = score_all(session, period="2026-02", range_=range_)
    kpis = {(r["entity"], r["code"]): r for r in everything.kpis.to_dict("records")}
    overall = dict(zip(everything.kpis["entity"].unique(), everything.overall, strict=True))
    seen = set()
    for level, code in (("company", "-"), ("region", "R1"), ("district", "D1"), ("district", "D2")):
        found = _get(client, admin_headers, f"{level}/{code}/children", range_=range_).json()
        for child in found["children"]:
            key = (child["level"], child["code"])
            seen.add(key)
            assert _same(overall[key], child["overall_score"]), key
            for kpi, brief in child["kpis"].items():
                row = kpis[(key, kpi)]
                assert row["status"] == brief["status"]
                for field in ("actual", "target", "attainment"):
                    assert _same(row[field], brief[field]), (key, kpi, field)
    card = _get(client, admin_headers, "company/-", range_=range_).json()
    assert _same(overall[("company", "")], card["overall_score"])
    assert seen == {("region", "R1"), ("district", "D1"), ("district", "D2"),
                    ("seller", "S1"), ("seller", "S2"), ("seller", "S3")}


@pytest.mark.parametrize("path", ["seller/S2", "district/D1", "district/D2", "region/R1", "company/-"])
def test_each_trend_point_is_that_months_scorecard(client, org, admin_headers, path):
    """A trend scores all its months in one pass (one target query); each point must still be exactly
    the unit's `range=month` scorecard of that month, computed on its own (S2 moved to D1 in February)."""
    trend = client.get(f"/api/v1/scorecards/{path}/trend", params={"period": "2026-02", "months": 3},
                       headers=admin_headers).json()
    assert [p["period"] for p in trend["points"]] == ["2025-12", "2026-01", "2026-02"]
    for point in trend["points"]:
        card = _get(client, admin_headers, path, period=point["period"], range_="month").json()
        assert _same(card["overall_score"] if card["overall_score"] is not None else float("nan"),
                     point["overall_score"])
        for code, kpi in _kpis(card).items():
            for field in ("actual", "target", "attainment", "status"):
                assert point["kpis"][code][field] == kpi[field], (point["period"], code, field)


@pytest.mark.parametrize("range_", ["month", "ytd"])
def test_precomputed_figures_are_exactly_what_each_unit_gets_on_its_own(session, org, range_):
    """`precompute` scores the whole organization per period at once; every card, overview and trend
    it gives must be exactly (not approximately) what the unit's own computation gives. S4 joined on
    2026-02-01: no card (its previous month is before it) and no trend from precompute, only what
    it can answer."""
    from app.access import EVERYTHING
    from app.reporting import cache
    from app.scorecards import service as scorecards

    make_seller(session, code="S4", district=org["d2"], valid_from=date(2026, 2, 1))
    add_targets(session, [Target(level="seller", unit_code="S4", kpi_code="revenue", month=date(2026, 2, 1),
                                 value=Decimal("300"), source_period="2026-02")])
    found = {key: json.loads(packed)
             for key, packed in scorecards.precompute(session, period="2026-02", range_=range_, months=3).items()}
    units = [("company", "-"), ("region", "R1"), ("district", "D1"), ("district", "D2"),
             ("seller", "S1"), ("seller", "S2"), ("seller", "S3")]
    keys = {(level, "" if level == "company" else code) for level, code in units}
    assert set(found) == (
        {("scorecard", key, "2026-02", range_) for key in keys}
        | {("children", key, "2026-02", range_) for key in keys if key[0] != "seller"}
        | {("trend", key, "2026-02", 3) for key in keys})
    for level, code in units + [("seller", "S4")]:
        key = (level, "" if level == "company" else code)
        cache.FIGURES.clear()
        own = {
            ("scorecard", key, "2026-02", range_): scorecards.scorecard(
                session, scope=EVERYTHING, level=level, code=code, period="2026-02", range_=range_),
            ("children", key, "2026-02", range_): scorecards.children(
                session, scope=EVERYTHING, level=level, code=code, period="2026-02", range_=range_),
            ("trend", key, "2026-02", 3): scorecards.trend(
                session, scope=EVERYTHING, level=level, code=code, period="2026-02", months=3),
        }
        for what, answer in own.items():
            if what in found:
                assert found[what] == answer, what
    assert [c["code"] for c in found[("children", ("district", "D2"), "2026-02", range_)]["children"]] == ["S3", "S4"]
