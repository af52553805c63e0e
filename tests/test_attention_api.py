"""GET /attention on a small organization whose red KPIs, and why, are worked out by hand.

R1 has districts D1 (sellers S1, S2) and D2 (seller S3); period 2026-06, range ytd (January to June).
Targets are set for revenue (each seller 1000 a month) and, for S2, meetings (4 a month), proposals
(2 a month) and hit_rate (0.5); every other KPI has no target (status none). Districts have no
targets of their own: a district's revenue target is its sellers' sum.

- S1 sells 500 a month: revenue 3000 / 6000 = 0.5, red; every month on its own 0.5, so S1's overall
  month score (revenue is the only KPI scored) is 0.5 < 0.9, red in each of the six months:
  recruiting (rule 1), although S1 held no goal conversation (rule 2 would match too: the first wins).
  months_red 6.
- S2 sells 1000 a month (green), 4 meetings and 2 proposals a month (green), won 1 / lost 1 a month in
  January to March and won 1 / lost 3 in April to June: hit rate 6 / 18 = 1/3 against 0.5, attainment
  2/3, red; each month on its own 0.5 / 0.5 = 1 (green) through March, 0.25 / 0.5 = 0.5 (red) from
  April: months_red 3. S2 held a goal conversation in March, so rule 2 does not apply: meetings and
  proposals are not red, so sales_process (rule 3).
- D1 (S1 + S2): revenue 9000 / 12000 = 0.75, red, each month 1500 / 2000: months_red 6. D1 held a goal
  conversation (S2's, in D1), so its red KPI falls to a later rule: none of 3 to 6 applies (revenue,
  0.75 is not below 0.5) so management (rule 7). D1's meetings (24 of its sellers' 24) and proposals
  are green; its hit rate has no target.
- S3 sells 1000 in January and 600 a month from February: 4000 / 6000 = 2/3, red; red months February
  to June (5: not six, so not recruiting). D2 = S3's figures. Neither held a goal conversation:
  goal_conversations (rule 2); months_red 5.

Cost = KPI weight share in its perspective × perspective weight share × (1 − attainment), with the
default weights (each KPI 1; financial 0.40 of 3 KPIs, process 0.20 of 3):
  S1 revenue 1/3 × 0.40 × 0.5   = 0.0667
  D2 revenue 1/3 × 0.40 × 1/3   = 0.0444 (a tie with S3: the district first)
  S3 revenue                      0.0444
  D1 revenue 1/3 × 0.40 × 0.25  = 0.0333
  S2 hit_rate 1/3 × 0.20 × 1/3  = 0.0222
"""

from datetime import date
from decimal import Decimal

import pytest

from app.models import Activity, AppSetting, CoachingAction, Comment, Sale, Target
from app.steering.schemas import AttentionRead
from tests.builders import (
    add_activities,
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
    move_seller,
)

PERIOD = "2026-06"
MONTHS = [date(2026, m, 1) for m in range(1, 7)]
ORDER = [("seller", "S1", "revenue"), ("district", "D2", "revenue"), ("seller", "S3", "revenue"),
         ("district", "D1", "revenue"), ("seller", "S2", "hit_rate")]


def _sale(sid: str, day: date, seller, account, product, amount: str) -> Sale:
    return Sale(id=sid, date=day, seller_id=seller.id, account_id=account.id, product_id=product.id,
                quantity=Decimal("1"), amount=Decimal(amount), cost=None)


@pytest.fixture
def org(session):
    r1 = make_region(session, code="R1")
    d1 = make_district(session, code="D1", region=r1)
    d2 = make_district(session, code="D2", region=r1)
    s1 = make_seller(session, code="S1", district=d1)
    s2 = make_seller(session, code="S2", district=d1)
    s3 = make_seller(session, code="S3", district=d2)
    a1, a2 = make_account(session, code="AC1", district=d1), make_account(session, code="AC2", district=d2)
    p = make_product(session, code="P1")
    sales = []
    for m, month in enumerate(MONTHS, start=1):
        day = month.replace(day=10)
        sales += [_sale(f"s1-{m}", day, s1, a1, p, "500.00"), _sale(f"s2-{m}", day, s2, a1, p, "1000.00"),
                  _sale(f"s3-{m}", day, s3, a2, p, "1000.00" if m == 1 else "600.00")]
    add_sales(session, sales)
    acts = []
    for m, month in enumerate(MONTHS, start=1):
        day = month.replace(day=12)
        lost = "1" if m <= 3 else "3"
        for kind, value in (("meeting", "4"), ("proposal", "2"), ("won", "1"), ("lost", lost)):
            acts.append(Activity(id=f"{kind}-{m}", date=day, seller_id=s2.id, account_id=None, type=kind,
                                 value=Decimal(value)))
    acts.append(Activity(id="gc-1", date=date(2026, 3, 20), seller_id=s2.id, account_id=None,
                         type="goal_conversation", value=Decimal("1")))
    add_activities(session, acts)
    targets = [("S1", "revenue", "1000"), ("S2", "revenue", "1000"), ("S3", "revenue", "1000"),
               ("S2", "meetings", "4"), ("S2", "proposals", "2"), ("S2", "hit_rate", "0.5")]
    add_targets(session, [Target(level="seller", unit_code=code, kpi_code=kpi, month=month, value=Decimal(value),
                                 source_period=f"{month:%Y-%m}")
                          for code, kpi, value in targets for month in MONTHS])
    return {"r1": r1, "d1": d1, "d2": d2, "s1": s1, "s2": s2, "s3": s3, "a1": a1, "p": p}


@pytest.fixture
def admin_headers(client, session):
    return signed_in(make_user(session, role="admin"))


def _get(client, headers, **params):
    return client.get("/api/v1/attention", params={"period": PERIOD, **params}, headers=headers)


def _items(res) -> dict:
    assert res.status_code == 200, res.text
    return {(i["level"], i["code"], i["kpi"]): i for i in res.json()["items"]}


def _keys(res) -> list:
    assert res.status_code == 200, res.text
    return [(i["level"], i["code"], i["kpi"]) for i in res.json()["items"]]


def test_every_red_kpi_its_area_months_red_and_cost_order(client, org, admin_headers):
    res = _get(client, admin_headers)
    body = AttentionRead.model_validate(res.json()).model_dump()
    assert body["period"] == PERIOD and body["range"] == "ytd" and body["level"] is None
    assert _keys(res) == ORDER
    items = _items(res)
    expected = {
        ("seller", "S1", "revenue"): ("recruiting", "seller_red_six_months", 6, 0.5, 1 / 3 * 0.40 * 0.5),
        ("district", "D2", "revenue"): ("goal_conversations", "no_goal_conversation", 5, 2 / 3, 1 / 3 * 0.40 / 3),
        ("seller", "S3", "revenue"): ("goal_conversations", "no_goal_conversation", 5, 2 / 3, 1 / 3 * 0.40 / 3),
        ("district", "D1", "revenue"): ("management", "every_other", 6, 0.75, 1 / 3 * 0.40 * 0.25),
        ("seller", "S2", "hit_rate"): ("sales_process", "hit_rate_not_activity", 3, 2 / 3, 1 / 3 * 0.20 / 3),
    }
    for key, (area, rule, months_red, attainment, cost) in expected.items():
        item = items[key]
        assert (item["area"], item["rule"], item["months_red"]) == (area, rule, months_red), key
        assert item["attainment"] == pytest.approx(attainment), key
        assert item["cost"] == pytest.approx(cost), key
        assert item["status"] == "red"
    s2 = items[("seller", "S2", "hit_rate")]
    assert s2["actual"] == pytest.approx(1 / 3) and s2["target"] == pytest.approx(0.5)
    assert (s2["name"], s2["district_code"], s2["perspective"], s2["unit"]) == (
        org["s2"].name, "D1", "process", "ratio")
    assert s2["kpi_name_nb"] == "Tilslagsrate"
    d1 = items[("district", "D1", "revenue")]
    assert (d1["actual"], d1["target"], d1["district_code"]) == (9000, 12000, "D1")
    assert [r["rule"] for r in body["rules"]][:3] == ["seller_red_six_months", "no_goal_conversation",
                                                      "hit_rate_not_activity"]
    assert [r["order"] for r in body["rules"]] == list(range(1, 8))
    assert all(i["open_actions"] == 0 and i["comments"] == [] and not i["needs_comment"] for i in items.values())


def test_months_red_counts_only_back_from_the_period(client, org, admin_headers):
    # through March S2's hit rate was green every month (3/6 won over the quarter: 0.5, green): no item;
    # at April, year to date 4/10 = 0.4 against 0.5 (0.8, red), its month red since April only: 1
    assert ("seller", "S2", "hit_rate") not in _items(_get(client, admin_headers, period="2026-03"))
    april = _items(_get(client, admin_headers, period="2026-04"))[("seller", "S2", "hit_rate")]
    assert april["attainment"] == pytest.approx(0.8) and april["months_red"] == 1
    # a month range: June alone; S3's red six months ago is only five (January green)
    june = _items(_get(client, admin_headers, range="month"))
    assert june[("seller", "S3", "revenue")]["attainment"] == pytest.approx(0.6)
    assert june[("seller", "S3", "revenue")]["months_red"] == 5


def test_a_red_kpi_whose_month_is_not_red_has_months_red_0(client, session, org, admin_headers):
    # S1 sells 500 more in June: year to date 3500 / 6000 (red), June on its own 1000 / 1000 (green):
    # months_red 0; S1's overall month status is green in June, so not recruiting, and S1 held no goal
    # conversation: goal_conversations
    add_sales(session, [_sale("s1-extra", date(2026, 6, 20), org["s1"], org["a1"], org["p"], "500.00")])
    item = _items(_get(client, admin_headers))[("seller", "S1", "revenue")]
    assert item["attainment"] == pytest.approx(3500 / 6000)
    assert (item["months_red"], item["area"]) == (0, "goal_conversations")


def test_an_activity_kpi_red_for_half_the_team_is_the_sales_meeting(client, session, org, admin_headers):
    # S3 (D2's only seller) sends 2 proposals in January and 1 a month after, against 2 a month, and held
    # a goal conversation in May: proposals 7 / 12 = 0.583, red but not below 0.5 (rule 4), red for 1 of
    # D2's 1 sellers: sales_meetings (rule 5); red each month from February: months_red 5. (January on
    # its own is green for both KPIs, so S3's overall month status is not red six times: not recruiting.)
    # D2's proposals (its seller's target, 12; actual 7) the same, with D2's own sellers. S3's and D2's
    # revenue now fall through to management.
    add_activities(session, [Activity(id=f"p3-{m}", date=month.replace(day=15), seller_id=org["s3"].id,
                                      account_id=None, type="proposal", value=Decimal("2" if m == 1 else "1"))
                             for m, month in enumerate(MONTHS, start=1)]
                   + [Activity(id="gc-3", date=date(2026, 5, 2), seller_id=org["s3"].id, account_id=None,
                               type="goal_conversation", value=Decimal("1"))])
    add_targets(session, [Target(level="seller", unit_code="S3", kpi_code="proposals", month=month,
                                 value=Decimal("2"), source_period=f"{month:%Y-%m}") for month in MONTHS])
    items = _items(_get(client, admin_headers))
    for key in (("seller", "S3", "proposals"), ("district", "D2", "proposals")):
        item = items[key]
        assert (item["area"], item["rule"], item["months_red"]) == ("sales_meetings", "team_activity_red", 5), key
        assert item["attainment"] == pytest.approx(7 / 12)
        assert item["cost"] == pytest.approx(1 / 3 * 0.20 * 5 / 12)
    assert items[("seller", "S3", "revenue")]["area"] == "management"
    assert items[("district", "D2", "revenue")]["area"] == "management"


def test_a_leader_sees_their_district_and_its_sellers_only(client, session, org, admin_headers):
    leader = make_leader(session, units=[("district", "D1")])
    headers = signed_in(make_user(session, role="leader", email=leader.email))
    assert _keys(_get(client, headers)) == [("seller", "S1", "revenue"), ("district", "D1", "revenue"),
                                            ("seller", "S2", "hit_rate")]
    # the district asked for: D1's subtree; D2 is not the leader's (404), and is the administrator's
    assert _keys(_get(client, headers, level="district", code="D1")) == _keys(_get(client, headers))
    assert _get(client, headers, level="district", code="D2").status_code == 404
    assert _keys(_get(client, admin_headers, level="district", code="D2")) == [("district", "D2", "revenue"),
                                                                              ("seller", "S3", "revenue")]
    # a seller of the leader's district alone; one of the other district is 404 (the admin's: 200)
    assert _keys(_get(client, headers, level="seller", code="S2")) == [("seller", "S2", "hit_rate")]
    assert _get(client, headers, level="seller", code="S3").status_code == 404
    assert _keys(_get(client, admin_headers, level="seller", code="S3")) == [("seller", "S3", "revenue")]
    # a period with nothing red anywhere (no figures yet): an empty list, the unit still the leader's
    for params in ({"level": "district", "code": "D1"}, {}):
        res = _get(client, headers, period="2025-06", **params)
        assert res.status_code == 200 and res.json()["items"] == [], params
    # the region and the company are the admin's: every item below them
    assert _get(client, headers, level="region", code="R1").status_code == 404
    assert _keys(_get(client, admin_headers, level="region", code="R1")) == ORDER
    assert _keys(_get(client, admin_headers, level="company", code="-")) == ORDER


def test_a_region_leader_and_finance_see_below_them(client, session, org):
    leader = make_leader(session, units=[("region", "R1")])
    headers = signed_in(make_user(session, role="leader", email=leader.email))
    assert _keys(_get(client, headers)) == ORDER
    assert _keys(_get(client, signed_in(make_user(session, role="finance")))) == ORDER


def test_a_seller_sees_only_their_own(client, session, org, admin_headers):
    headers = signed_in(make_user(session, role="seller", email=org["s1"].email))
    assert _keys(_get(client, headers)) == [("seller", "S1", "revenue")]
    assert _keys(_get(client, headers, level="seller", code="S1")) == [("seller", "S1", "revenue")]
    assert _get(client, headers, level="district", code="D1").status_code == 404
    assert _get(client, headers, level="seller", code="S2").status_code == 404
    assert _keys(_get(client, admin_headers, level="seller", code="S2")) == [("seller", "S2", "hit_rate")]


def test_a_seller_moved_away_is_seen_by_the_new_leader_from_the_move_on(client, session, org):
    # S3 moved into D1 on 1 June (after the sales were added: a new June sale of S3 refreshes S3's June)
    move_seller(session, seller=org["s3"], district=org["d1"], valid_from=date(2026, 6, 1))
    add_sales(session, [_sale("s3-x", date(2026, 6, 25), org["s3"], org["a1"], org["p"], "0.00")])
    leader = make_leader(session, units=[("district", "D1")])
    headers = signed_in(make_user(session, role="leader", email=leader.email))
    assert ("seller", "S3", "revenue") in _items(_get(client, headers))
    assert ("seller", "S3", "revenue") not in _items(_get(client, headers, period="2026-05"))


def test_refusals_and_bad_input(client, org, admin_headers):
    assert client.get("/api/v1/attention", params={"period": PERIOD}).status_code == 401
    assert _get(client, admin_headers).status_code == 200
    res = client.get("/api/v1/attention", params={"period": "2026-13"}, headers=admin_headers)
    assert res.status_code == 422 and res.json()["detail"][0]["loc"][-1] == "period"
    res = _get(client, admin_headers, range="week")
    assert res.status_code == 422 and res.json()["detail"][0]["loc"][-1] == "range"
    res = _get(client, admin_headers, level="district")
    assert res.status_code == 422 and res.json()["detail"][0]["loc"][-1] == "code"
    assert _get(client, admin_headers, level="district", code="NOPE").status_code == 404
    assert _get(client, admin_headers, level="account", code="AC1").json()["items"] == []


def _action(code: str, kpi: str, status: str, level: str = "seller") -> CoachingAction:
    return CoachingAction(level=level, unit_code=code, kpi_code=kpi, arena="practice", title="Practise closing",
                          owner_email="leader@example.com", due=date(2026, 7, 31), status=status,
                          baseline_period="2026-06", baseline_attainment=0.5, created_by="leader@example.com")


def _comment(code: str, kpi: str, text: str, period: str = PERIOD, level: str = "seller") -> Comment:
    return Comment(level=level, unit_code=code, kpi_code=kpi, period=period, text=text, author="kari@example.com")


def test_open_actions_and_comments_on_the_right_item(client, session, org, admin_headers):
    session.add_all([_action("S2", "hit_rate", "open"), _action("S2", "hit_rate", "open"),
                     _action("S2", "hit_rate", "done"), _action("S2", "revenue", "open"),
                     _action("D1", "revenue", "open", level="district")])
    session.add_all([_comment("S2", "hit_rate", "first"), _comment("S2", "hit_rate", "<b>second</b>"),
                     _comment("S2", "hit_rate", "May's", period="2026-05"), _comment("S1", "meetings", "other KPI"),
                     _comment("S2", "hit_rate", "the district's", level="district")])
    session.flush()
    items = _items(_get(client, admin_headers))
    s2 = items[("seller", "S2", "hit_rate")]
    assert s2["open_actions"] == 2
    assert [c["text"] for c in s2["comments"]] == ["first", "<b>second</b>"]  # oldest first, as written
    first = s2["comments"][0]
    assert (first["level"], first["code"], first["period"], first["kpi"], first["author"]) == (
        "seller", "S2", PERIOD, "hit_rate", "kari@example.com")
    assert items[("district", "D1", "revenue")]["open_actions"] == 1
    assert items[("district", "D1", "revenue")]["comments"] == []
    assert items[("seller", "S1", "revenue")]["open_actions"] == 0
    assert items[("seller", "S1", "revenue")]["comments"] == []
    # finance reads the same items and their comments, but nothing of coaching: not even a count
    finance = _items(_get(client, signed_in(make_user(session, role="finance"))))
    assert finance.keys() == items.keys()
    assert all(item["open_actions"] == 0 for item in finance.values())
    assert [c["text"] for c in finance[("seller", "S2", "hit_rate")]["comments"]] == ["first", "<b>second</b>"]


def test_needs_comment_with_the_setting_on_and_a_closed_month(client, session, org, admin_headers):
    session.add(_comment("S2", "hit_rate", "lost two big deals"))
    session.flush()
    # June is the month the pages open on (the latest sale's): not closed, so nothing needs a comment
    res = _get(client, admin_headers)
    assert res.json()["closed"] is False
    assert not any(i["needs_comment"] for i in _items(res).values())
    session.add(AppSetting(key="require_comment_on_red", value="true"))
    session.flush()
    assert not any(i["needs_comment"] for i in _items(_get(client, admin_headers)).values())
    # a July sale: June is closed; every red KPI without a comment needs one
    add_sales(session, [_sale("july", date(2026, 7, 3), org["s2"], org["a1"], org["p"], "10.00")])
    res = _get(client, admin_headers)
    assert res.json()["closed"] is True
    needs = {key: item["needs_comment"] for key, item in _items(res).items()}
    assert needs == {key: key != ("seller", "S2", "hit_rate") for key in ORDER}
    # the setting off again: nothing required, the month still closed
    session.get(AppSetting, "require_comment_on_red").value = "false"
    session.flush()
    res = _get(client, admin_headers)
    assert res.json()["closed"] is True and not any(i["needs_comment"] for i in _items(res).values())


def test_an_import_invalidates_the_cached_answer(client, session, org, admin_headers):
    assert ("seller", "S3", "revenue") in _items(_get(client, admin_headers))
    # S3 sells 2000 more in June: 6000 / 6000, green
    add_sales(session, [_sale("s3-more", date(2026, 6, 28), org["s3"], org["a1"], org["p"], "2000.00")])
    items = _items(_get(client, admin_headers))
    assert ("seller", "S3", "revenue") not in items and ("district", "D2", "revenue") not in items
