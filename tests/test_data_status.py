"""Freshness (issue #15): GET /data-status, and a period after the latest sale is marked, not scored as
if the sellers sold nothing. The data goes in through the import service, as a user loads it.

The fixture: district D1 with S1 and S2; sales through 28 June 2026 (S1: 600 on 10 June and 400 on
28 June; S2: 300 on 15 May), activities through 30 June (meetings), targets loaded last.
"""

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from app.analytics.freshness import mask_unloaded
from app.imports.service import import_file
from app.scorecards import service as scorecards
from app.tokens.service import create_token
from tests.builders import (
    login,
    make_account,
    make_district,
    make_leader,
    make_product,
    make_region,
    make_seller,
    make_user,
)

URL = "/api/v1/data-status"
CARD = "/api/v1/scorecards"


def _load(session, dataset: str, text: str, actor=None) -> None:  # noqa: ANN001
    import_file(session, dataset=dataset, data=text.encode(), filename=f"{dataset}.csv", actor=actor)
    session.flush()


@pytest.fixture
def shop(session):
    d1 = make_district(session, code="D1", region=make_region(session, code="R1"))
    make_seller(session, code="S1", district=d1)
    make_seller(session, code="S2", district=d1)
    make_account(session, code="A1", district=d1)
    make_product(session, code="P1")
    admin = make_user(session, role="admin")
    before = datetime.now(UTC)
    _load(session, "sales", "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
                            "s1,2026-06-10,S1,A1,P1,1,600.00,\n"
                            "s2,2026-06-28,S1,A1,P1,1,400.00,\n"
                            "s3,2026-05-15,S2,A1,P1,1,300.00,\n", admin)
    _load(session, "activities", "id,date,seller_code,account_code,type,value\n"
                                 "a1,2026-06-12,S2,A1,meeting,\n"
                                 "a2,2026-06-30,S1,A1,meeting,\n", admin)
    _load(session, "targets", "level,code,kpi,period,value\n"
                              "seller,S1,revenue,2026-06,1000\n"
                              "seller,S1,revenue,2026-07,1000\n"
                              "seller,S1,meetings,2026-07,4\n"
                              "seller,S2,revenue,2026-06,500\n"
                              "seller,S2,revenue,2026-07,500\n", admin)
    return {"admin": admin, "before": before, "after": datetime.now(UTC)}


def _kpis(card: dict) -> dict:
    return {k["code"]: k for p in card["perspectives"] for k in p["kpis"]}


def _get(client, headers, url, **params) -> dict:  # noqa: ANN001
    res = client.get(url, params=params, headers=headers)
    assert res.status_code == 200, res.text
    return res.json()


def test_data_status_names_the_latest_sale_activity_and_import(client, session, shop):
    admin = login(client, shop["admin"])
    body = _get(client, admin, URL)
    assert (body["sales_through"], body["activities_through"], body["open_period"]) == (
        "2026-06-28", "2026-06-30", "2026-06")  # the latest sale (s2), the latest activity (a2), s2's month
    last = body["last_import"]
    assert (last["dataset"], last["by"]) == ("targets", shop["admin"].email)  # loaded last, by the admin
    assert shop["before"] <= datetime.fromisoformat(last["at"]) <= shop["after"]


def test_others_read_the_dates_but_not_who_imported(client, session, shop):
    seller = make_user(session, role="seller", email="s1@example.com")
    leader = make_user(session, role="leader")
    make_leader(session, units=[("district", "D1")], email=leader.email)
    admin = login(client, shop["admin"])
    token = create_token(session, user=shop["admin"], name="bi", scopes=["budgets:read"], expires_in_days=None).token
    expected = _get(client, admin, URL)
    for headers in (login(client, seller), login(client, leader), {"Authorization": f"Bearer {token}"}):
        body = _get(client, headers, URL)
        # the company's latest sale is no secret; the importer's e-mail is the audit trail's (administrators)
        assert body["last_import"]["by"] is None
        assert {**body, "last_import": None} == {**expected, "last_import": None}
        assert body["last_import"]["dataset"] == "targets"
    assert client.get(URL).status_code == 401


def test_nothing_loaded_is_all_null(client, session):
    body = _get(client, login(client, make_user(session, role="admin")), URL)
    assert body == {"sales_through": None, "activities_through": None, "last_import": None, "open_period": None}


def test_a_month_without_sales_is_marked_and_not_scored(client, session, shop):
    admin = login(client, shop["admin"])
    june = _get(client, admin, f"{CARD}/seller/S1", period="2026-06", range="month")
    assert (june["no_sales_yet"], june["no_activities_yet"], june["data_through"]) == (False, False, "2026-06-28")
    rev = _kpis(june)["revenue"]
    assert (rev["actual"], rev["target"], rev["status"]) == (1000.0, 1000.0, "green")  # 600 + 400 against 1000

    july = _get(client, admin, f"{CARD}/seller/S1", period="2026-07", range="month")
    assert (july["no_sales_yet"], july["no_activities_yet"], july["data_through"]) == (True, True, "2026-06-28")
    kpis = _kpis(july)
    for code in ("revenue", "gross_margin", "margin_pct", "active_customers", "new_customers", "key_account_share",
                 "meetings", "proposals", "hit_rate", "training_hours", "coaching_sessions", "csat"):
        # nothing of July is loaded: no actual (not 0), no attainment, no score, no status
        assert (kpis[code]["actual"], kpis[code]["attainment"], kpis[code]["score"], kpis[code]["status"]) == (
            None, None, None, "none"), code
    assert (kpis["revenue"]["target"], kpis["meetings"]["target"]) == (1000.0, 4.0)  # the targets are there
    assert july["overall_score"] is None
    assert kpis["revenue"]["previous"]["status"] == "green"  # June, beside it, is scored
    assert july["previous_overall_score"] is not None


def test_a_range_ending_after_the_latest_sale_shows_what_is_loaded_unscored(client, session, shop):
    admin = login(client, shop["admin"])
    ytd = _get(client, admin, f"{CARD}/seller/S1", period="2026-07", range="ytd")
    rev = _kpis(ytd)["revenue"]
    # January to July: 600 + 400 loaded (all in June) against 1000 + 1000, but July is not loaded: unscored
    assert (rev["actual"], rev["target"], rev["attainment"], rev["status"]) == (1000.0, 2000.0, None, "none")
    assert ytd["no_sales_yet"] is True and ytd["overall_score"] is None


def test_the_overview_marks_the_month_and_reds_only_what_is_loaded(client, session, shop):
    admin = login(client, shop["admin"])
    june = _get(client, admin, f"{CARD}/district/D1/children", period="2026-06", range="month")
    july = _get(client, admin, f"{CARD}/district/D1/children", period="2026-07", range="month")
    assert (june["no_sales_yet"], july["no_sales_yet"]) == (False, True)
    assert july["data_through"] == "2026-06-28"
    rev = {c["code"]: c["kpis"]["revenue"] for c in june["children"]}
    # June is loaded: S2 sold nothing in it (their sale was in May) and is red, 0 / 500
    assert (rev["S2"]["actual"], rev["S2"]["status"]) == (0.0, "red") and rev["S1"]["status"] == "green"
    for child in july["children"]:  # July is not: nobody is red for sales not loaded yet
        assert (child["kpis"]["revenue"]["status"], child["overall_score"]) == ("none", None), child["code"]
    # the precomputed answers (the pages' opening figures) say the same
    packed = scorecards.precompute(session, period="2026-07", range_="month")
    assert json.loads(packed[("children", ("district", "D1"), "2026-07", "month")]) == july
    card = _get(client, admin, f"{CARD}/seller/S1", period="2026-07", range="month")
    assert json.loads(packed[("scorecard", ("seller", "S1"), "2026-07", "month")]) == card


def test_activities_loaded_further_are_scored_and_a_new_import_moves_everything(client, session, shop):
    admin = login(client, shop["admin"])
    _load(session, "activities", "id,date,seller_code,account_code,type,value\na3,2026-07-02,S1,A1,meeting,\n")
    july = _get(client, admin, f"{CARD}/seller/S1", period="2026-07", range="month")
    assert (july["no_sales_yet"], july["no_activities_yet"]) == (True, False)
    meetings, revenue = _kpis(july)["meetings"], _kpis(july)["revenue"]
    assert (meetings["actual"], meetings["attainment"], meetings["status"]) == (1.0, 0.25, "red")  # 1 of 4: loaded
    assert revenue["status"] == "none" and july["overall_score"] is None
    assert _get(client, admin, URL)["activities_through"] == "2026-07-02"

    # July's first sale: the status, the open period and the card follow at once (new data version)
    _load(session, "sales", "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
                            "s4,2026-07-03,S1,A1,P1,1,250.00,\n")
    body = _get(client, admin, URL)
    assert (body["sales_through"], body["open_period"], body["last_import"]["dataset"]) == (
        "2026-07-03", "2026-07", "sales")
    july = _get(client, admin, f"{CARD}/seller/S1", period="2026-07", range="month")
    revenue = _kpis(july)["revenue"]
    assert july["no_sales_yet"] is False
    assert (revenue["actual"], revenue["attainment"], revenue["status"]) == (250.0, 0.25, "red")  # 250 / 1000
    assert july["overall_score"] is not None


def test_data_status_is_documented(client):
    schema = client.get("/api/openapi.json").json()
    answer = schema["paths"]["/api/v1/data-status"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"]["$ref"].endswith("/DataStatusRead")
    fields = schema["components"]["schemas"]["DataStatusRead"]["properties"]
    assert set(fields) == {"sales_through", "activities_through", "last_import", "open_period"}


def test_mask_unloaded_by_hand():
    actual = pd.DataFrame({"revenue": [100.0, 200.0, 300.0], "active_customers": [1, 2, 3],
                           "meetings": [4.0, 5.0, 6.0], "my_manual": [7.0, 8.0, 9.0]})
    # sales through June, activities through July: row 0 ends in June (loaded), row 1 is a year to date
    # ending in July (June loaded, July not), row 2 is July alone
    ranges = [("2026-01", "2026-06"), ("2026-01", "2026-07"), ("2026-07", "2026-07")]
    scored, shown = mask_unloaded(actual, ranges, sales_through="2026-06", activities_through="2026-07")
    nan = np.nan
    pd.testing.assert_frame_equal(scored, pd.DataFrame({
        "revenue": [100.0, nan, nan], "active_customers": [1.0, nan, nan],
        "meetings": [4.0, 5.0, 6.0], "my_manual": [7.0, 8.0, 9.0]}))
    pd.testing.assert_frame_equal(shown, pd.DataFrame({
        "revenue": [100.0, 200.0, nan], "active_customers": [1.0, 2.0, nan],
        "meetings": [4.0, 5.0, 6.0], "my_manual": [7.0, 8.0, 9.0]}))
    # nothing loaded at all: no month is
    scored, shown = mask_unloaded(actual, ranges, sales_through=None, activities_through=None)
    assert scored[["revenue", "meetings"]].isna().all().all() and shown["revenue"].isna().all()
    assert scored["my_manual"].tolist() == [7.0, 8.0, 9.0]


def test_a_sale_dated_in_the_future_by_mistake_does_not_open_the_pages_there(client, session, shop):
    """One sale dated 05.11.2062 (a typo for 2026): sales_through says so, but the pages open on the current
    month at the latest, not in 2062."""
    _load(session, "sales", "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
                            "s9,05.11.2062,S1,A1,P1,1,10.00,\n", shop["admin"])
    body = _get(client, login(client, shop["admin"]), URL)
    this_month = datetime.now().strftime("%Y-%m")
    assert (body["sales_through"], body["open_period"]) == ("2062-11-05", this_month)
