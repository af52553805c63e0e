"""Comments on a unit's KPI (POST/GET/DELETE /comments), the scorecard answer carrying them, and the
`require_comment_on_red` setting.

R1 has districts D1 (seller S1, account A1) and D2 (seller S2), led by L1 and L2. S3 was in D2 until
2026-03-01 and is in D1 from then on: L1 sees S3's March card, not its February (the previous period).
S1 has a revenue target of 1000 for March 2026 and sold 800 then (attainment 0.8, red).
"""

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models import AppSetting, AuditEvent, Comment, Sale, Target
from app.models.steering import TEXT_LIMIT
from app.reporting.version import current_version
from tests.builders import (
    add_sales,
    add_targets,
    signed_in,
    make_account,
    make_leader,
    make_product,
    make_seller,
    make_two_districts,
    make_user,
    move_seller,
)

API = "/api/v1"
PERIOD = "2026-03"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def org(session, client):
    _, d1, d2, s1 = make_two_districts(session)
    s2 = make_seller(session, code="S2", district=d2)
    s3 = make_seller(session, code="S3", district=d2)
    move_seller(session, seller=s3, district=d1, valid_from=date(2026, 3, 1))
    account = make_account(session, code="A1", district=d1)
    product = make_product(session, code="P1")
    l1 = make_leader(session, units=[("district", "D1")])
    l2 = make_leader(session, units=[("district", "D2")])
    add_sales(session, [Sale(id=sid, date=day, seller_id=seller.id, account_id=account.id, product_id=product.id,
                             quantity=Decimal("1"), amount=Decimal(amount), cost=None)
                        for sid, day, seller, amount in (("c1", date(2026, 3, 10), s1, "800.00"),
                                                         ("c2", date(2026, 2, 10), s3, "500.00"),
                                                         ("c3", date(2026, 3, 12), s3, "300.00"))])
    add_targets(session, [Target(level="seller", unit_code="S1", kpi_code="revenue", month=date(2026, 3, 1),
                                 value=Decimal("1000"), source_period=PERIOD)])
    users = {
        "admin": make_user(session, role="admin"),
        "l1": make_user(session, role="leader", email=l1.email),
        "l2": make_user(session, role="leader", email=l2.email),
        "s1": make_user(session, role="seller", email=s1.email),
        "s2": make_user(session, role="seller", email=s2.email),
        "finance": make_user(session, role="finance"),
    }
    return {"users": users, "headers": {name: signed_in(user) for name, user in users.items()}}


def _post(client, headers, **body):
    payload = {"level": "seller", "code": "S1", "period": PERIOD, "kpi": "revenue", "text": "Big order slipped"}
    return client.post(f"{API}/comments", json={**payload, **body}, headers=headers)


def _list(client, headers, level="seller", code="S1", period=PERIOD, **params):
    return client.get(f"{API}/comments", params={"level": level, "code": code, "period": period, **params},
                      headers=headers)


def _card(client, headers, level="seller", code="S1", period=PERIOD):
    return client.get(f"{API}/scorecards/{level}/{code}", params={"period": period, "range": "month"},
                      headers=headers)


def _kpis(card):
    return {k["code"]: k for p in card["perspectives"] for k in p["kpis"]}


def _events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_leader_comments_and_everyone_who_sees_the_unit_reads_it_verbatim(client, session, org):
    h, users = org["headers"], org["users"]
    res = _post(client, h["l1"], text=f"  {SCRIPT}  ")
    assert res.status_code == 201, res.text
    made = res.json()
    # stored and answered as written (trimmed): markup is text, never interpreted or escaped
    assert {k: made[k] for k in ("level", "code", "period", "kpi", "text", "author")} == {
        "level": "seller", "code": "S1", "period": PERIOD, "kpi": "revenue", "text": SCRIPT,
        "author": users["l1"].email}
    assert session.get(Comment, made["id"]).text == SCRIPT
    for who in ("l1", "s1", "admin", "finance"):
        listed = _list(client, h[who])
        assert listed.status_code == 200 and listed.json() == {"items": [made]}, who
    # the leader of the other district and another seller: as if S1 did not exist
    for who in ("l2", "s2"):
        assert _list(client, h[who]).status_code == 404, who
        assert _post(client, h[who]).status_code == 404, who
    assert _list(client, h["l1"], code="NOPE").status_code == 404
    [event] = _events(session, "comment.create")
    assert event.entity == f"comment:{made['id']}" and event.actor == users["l1"].email
    assert json.loads(event.after) == {"level": "seller", "code": "S1", "period": PERIOD, "kpi": "revenue",
                                       "text": SCRIPT}


def test_sellers_comment_on_their_own_card_only_and_finance_comments_too(client, org):
    h = org["headers"]
    assert _post(client, h["s1"]).status_code == 201
    assert _post(client, h["s1"], code="S2").status_code == 404
    assert _post(client, h["s2"], code="S2").status_code == 201
    assert _post(client, h["finance"], level="district", code="D2").status_code == 201
    assert _post(client, h["l1"], level="account", code="A1", kpi="active_customers").status_code == 201
    assert _post(client, h["l2"], level="account", code="A1", kpi="active_customers").status_code == 404


def test_the_company_is_code_dash_stored_as_an_empty_code(client, session, org):
    h = org["headers"]
    res = _post(client, h["admin"], level="company", code="-")
    assert res.status_code == 201 and res.json()["code"] == "-"
    assert session.get(Comment, res.json()["id"]).unit_code == ""
    assert [c["id"] for c in _list(client, h["finance"], level="company", code="-").json()["items"]] == [
        res.json()["id"]]
    # a district leader does not see the company
    assert _post(client, h["l1"], level="company", code="-").status_code == 404
    assert _list(client, h["l1"], level="company", code="-").status_code == 404


def test_a_comment_moves_with_the_period_of_a_moved_seller(client, org):
    h = org["headers"]
    # S3 joined D1 on 2026-03-01: L1 sees March, L2 February
    assert _post(client, h["l1"], code="S3", period="2026-03").status_code == 201
    assert _post(client, h["l1"], code="S3", period="2026-02").status_code == 404
    assert _post(client, h["l2"], code="S3", period="2026-02").status_code == 201
    assert _post(client, h["l2"], code="S3", period="2026-03").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"kpi": "nope"}, "kpi"),
    ({"level": "account", "code": "A1", "kpi": "training_hours"}, "kpi"),  # not on an account's card
    ({"text": ""}, "text"),
    ({"text": "   \n\t "}, "text"),
    ({"text": "x" * 10_000}, "text"),
    ({"period": "2026-13"}, "period"),
    ({"level": "team"}, "level"),
])
def test_bad_comments_are_422s_naming_the_field(client, session, org, body, field):
    res = _post(client, org["headers"]["l1"], **body)
    assert res.status_code == 422, res.text
    assert ["body", field] in [problem["loc"] for problem in res.json()["detail"]]
    assert session.scalars(select(Comment)).all() == []


def test_the_longest_comment_is_taken(client, org):
    res = _post(client, org["headers"]["l1"], text="y" * TEXT_LIMIT)
    assert res.status_code == 201 and len(res.json()["text"]) == TEXT_LIMIT


def test_comments_come_oldest_first_and_filter_by_kpi(client, org):
    h = org["headers"]
    first = _post(client, h["l1"], text="one").json()
    second = _post(client, h["s1"], text="two", kpi="meetings").json()
    third = _post(client, h["admin"], text="three").json()
    _post(client, h["l1"], text="April", period="2026-04")
    assert [c["text"] for c in _list(client, h["l1"]).json()["items"]] == ["one", "two", "three"]
    assert [c["id"] for c in _list(client, h["l1"], kpi="revenue").json()["items"]] == [first["id"], third["id"]]
    assert [c["id"] for c in _list(client, h["s1"], kpi="meetings").json()["items"]] == [second["id"]]
    assert [c["text"] for c in _list(client, h["l1"], period="2026-04").json()["items"]] == ["April"]


def test_the_author_or_an_administrator_removes_a_comment(client, session, org):
    h = org["headers"]
    mine = _post(client, h["l1"], text="mine").json()
    other = _post(client, h["l1"], text="other").json()
    # S1 may see it but did not write it; L2 may not see it at all
    assert client.delete(f"{API}/comments/{mine['id']}", headers=h["s1"]).status_code == 403
    assert client.delete(f"{API}/comments/{mine['id']}", headers=h["finance"]).status_code == 403
    assert client.delete(f"{API}/comments/{mine['id']}", headers=h["l2"]).status_code == 404
    assert client.delete(f"{API}/comments/{mine['id']}", headers=h["l1"]).status_code == 204
    assert client.delete(f"{API}/comments/{other['id']}", headers=h["admin"]).status_code == 204
    assert _list(client, h["l1"]).json() == {"items": []}
    assert client.delete(f"{API}/comments/{mine['id']}", headers=h["l1"]).status_code == 404
    assert client.delete(f"{API}/comments/{2**31 - 1}", headers=h["admin"]).status_code == 404
    assert client.delete(f"{API}/comments/{2**31}", headers=h["admin"]).status_code == 422
    deleted = _events(session, "comment.delete")
    assert [e.entity for e in deleted] == [f"comment:{mine['id']}", f"comment:{other['id']}"]
    assert json.loads(deleted[0].before)["text"] == "mine" and deleted[1].actor == org["users"]["admin"].email


def test_the_scorecard_carries_each_kpis_comments_for_its_period(client, session, org):
    h = org["headers"]
    before = _card(client, h["s1"])  # cached now, without comments
    assert before.status_code == 200
    assert all(k["comments"] == [] for k in _kpis(before.json()).values())
    version = current_version(session)
    made = _post(client, h["l1"], text=SCRIPT).json()
    assert current_version(session) == version  # comments do not count the data version up
    kpis = _kpis(_card(client, h["s1"]).json())
    assert kpis["revenue"]["comments"] == [{k: made[k] for k in ("id", "text", "author", "created_at")}]
    # the figures are the cached ones: 800 / 1000 in March
    assert kpis["revenue"]["attainment"] == pytest.approx(0.8) and kpis["revenue"]["status"] == "red"
    assert all(k["comments"] == [] for code, k in kpis.items() if code != "revenue")
    # another period and another unit carry none
    assert _kpis(_card(client, h["s1"], period="2026-04").json())["revenue"]["comments"] == []
    assert _kpis(_card(client, h["l1"], level="district", code="D1").json())["revenue"]["comments"] == []
    assert client.delete(f"{API}/comments/{made['id']}", headers=h["l1"]).status_code == 204
    assert _kpis(_card(client, h["s1"]).json())["revenue"]["comments"] == []


def test_a_blanked_previous_period_stays_blank_with_comments(client, org):
    h = org["headers"]
    made = _post(client, h["l1"], code="S3", text="new in D1").json()
    card = _card(client, h["l1"], code="S3").json()
    # L1 may not see S3's February (S3 was in D2 then): the previous period is blanked
    assert card["previous_overall_score"] is None
    revenue = _kpis(card)["revenue"]
    assert revenue["previous"] == dict.fromkeys(("actual", "target", "attainment", "stretch", "stretch_attainment")) | {"status": "none"}
    assert revenue["actual"] == 300.0 and [c["id"] for c in revenue["comments"]] == [made["id"]]
    # the administrator sees February's 500 and the same comment
    revenue = _kpis(_card(client, h["admin"], code="S3").json())["revenue"]
    assert revenue["previous"]["actual"] == 500.0 and [c["id"] for c in revenue["comments"]] == [made["id"]]


def test_the_company_card_carries_its_comments(client, org):
    h = org["headers"]
    made = _post(client, h["admin"], level="company", code="-", kpi="revenue", text="company note").json()
    revenue = _kpis(_card(client, h["finance"], level="company", code="-").json())["revenue"]
    assert [c["id"] for c in revenue["comments"]] == [made["id"]]


# --- the setting ------------------------------------------------------------------------------------


def test_require_comment_on_red_is_a_strict_flag_stored_as_true_or_false(client, session, org):
    h = org["headers"]
    settings = client.get(f"{API}/settings/scorecard", headers=h["l1"]).json()
    assert settings["require_comment_on_red"] is False
    res = client.patch(f"{API}/settings/scorecard", json={"require_comment_on_red": True}, headers=h["admin"])
    assert res.status_code == 200 and res.json()["require_comment_on_red"] is True
    assert session.get(AppSetting, "require_comment_on_red").value == "true"
    assert client.get(f"{API}/settings/scorecard", headers=h["s1"]).json()["require_comment_on_red"] is True
    for bad in ("true", 1, 0, None, "yes"):
        refused = client.patch(f"{API}/settings/scorecard", json={"require_comment_on_red": bad}, headers=h["admin"])
        assert refused.status_code == 422, bad
        assert refused.json()["detail"][0]["loc"] == ["body", "require_comment_on_red"]
    assert client.patch(f"{API}/settings/scorecard", json={"require_comment_on_red": False},
                        headers=h["l1"]).status_code == 403
    assert client.patch(f"{API}/settings/scorecard", json={"require_comment_on_red": False},
                        headers=h["admin"]).json()["require_comment_on_red"] is False
    assert session.get(AppSetting, "require_comment_on_red").value == "false"
    changes = [(json.loads(e.before), json.loads(e.after)) for e in _events(session, "settings.update")]
    assert changes == [({"require_comment_on_red": None}, {"require_comment_on_red": "true"}),
                       ({"require_comment_on_red": "true"}, {"require_comment_on_red": "false"})]
