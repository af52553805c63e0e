"""Goal conversations (POST/GET/DELETE /goal-conversations): each counts as a `goal_conversation`
activity, exactly as an imported one does.

R1 has districts D1 (led by L1: sellers S1, S3 until 2026-04-01) and D2 (led by L2: seller S2, and S3
from 2026-04-01). S1 had one goal conversation imported on 2026-03-02 and a meeting on 2026-03-05, so
activities are loaded through March and S1's coaching_sessions actual for March is 1; D1's too.
"""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models import ActivitiesMonthly, Activity, AuditEvent, GoalConversation, Sale
from tests.builders import (
    add_activities,
    add_sales,
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
TODAY = date.today()


@pytest.fixture
def org(session, client):
    _, d1, d2, s1 = make_two_districts(session)
    s2 = make_seller(session, code="S2", district=d2, name="Bo")
    s3 = make_seller(session, code="S3", district=d1)
    move_seller(session, seller=s3, district=d2, valid_from=date(2026, 4, 1))
    account = make_account(session, code="A1", district=d1)
    product = make_product(session, code="P1")
    add_sales(session, [Sale(id="x1", date=date(2026, 3, 3), seller_id=s1.id, account_id=account.id,
                             product_id=product.id, quantity=Decimal("1"), amount=Decimal("100"), cost=None)])
    add_activities(session, [
        Activity(id="imported-gc", date=date(2026, 3, 2), seller_id=s1.id, account_id=None,
                 type="goal_conversation", value=Decimal("1")),
        Activity(id="m1", date=date(2026, 3, 5), seller_id=s1.id, account_id=None, type="meeting",
                 value=Decimal("1")),
    ])
    l1 = make_leader(session, units=[("district", "D1")])
    l2 = make_leader(session, units=[("district", "D2")])
    users = {
        "admin": make_user(session, role="admin"),
        "l1": make_user(session, role="leader", email=l1.email),
        "l2": make_user(session, role="leader", email=l2.email),
        "s1": make_user(session, role="seller", email=s1.email),
        "s2": make_user(session, role="seller", email=s2.email),
        "finance": make_user(session, role="finance"),
    }
    return {"users": users, "headers": {name: signed_in(user) for name, user in users.items()},
            "s1": s1, "s2": s2, "s3": s3}


def _record(client, headers, **body):
    payload = {"seller_code": "S1", "held_on": "2026-03-10", "notes": "Agreed on Q2",
               "kpis": [{"kpi": "revenue", "period": "2026", "target": 12000},
                        {"kpi": "meetings", "period": "2026-04", "target": 8}]}
    return client.post(f"{API}/goal-conversations", json={**payload, **body}, headers=headers)


def _coaching(client, headers, level="seller", code="S1", period="2026-03"):
    card = client.get(f"{API}/scorecards/{level}/{code}", params={"period": period, "range": "month"},
                      headers=headers).json()
    return next(k for p in card["perspectives"] for k in p["kpis"] if k["code"] == "coaching_sessions")["actual"]


def _events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_goal_conversation_counts_as_a_goal_conversation_activity(client, session, org):
    h, users = org["headers"], org["users"]
    # before: the imported one (1) on S1's card and on D1's (S1's only coaching)
    assert _coaching(client, h["l1"]) == 1 and _coaching(client, h["l1"], "district", "D1") == 1
    res = _record(client, h["l1"], notes="  <b>Stretch</b> agreed ")
    assert res.status_code == 201, res.text
    made = res.json()
    assert {k: made[k] for k in ("seller_code", "seller_name", "held_on", "notes", "recorded_by")} == {
        "seller_code": "S1", "seller_name": org["s1"].name, "held_on": "2026-03-10", "notes": "<b>Stretch</b> agreed",
        "recorded_by": users["l1"].email}
    assert made["kpis"] == [{"kpi": "revenue", "period": "2026", "target": 12000.0},
                            {"kpi": "meetings", "period": "2026-04", "target": 8.0}]
    activity = session.get(Activity, made["activity_id"])
    assert made["activity_id"].startswith("goal-conversation-")
    assert (activity.date, activity.seller_id, activity.account_id, activity.type, activity.value) == (
        date(2026, 3, 10), org["s1"].id, None, "goal_conversation", Decimal("1"))
    assert session.get(GoalConversation, made["id"]).activity_id == made["activity_id"]
    # after: one more, on the seller's card and the district's (the cached cards made before are stale)
    assert _coaching(client, h["l1"]) == 2 and _coaching(client, h["s1"]) == 2
    assert _coaching(client, h["l1"], "district", "D1") == 2
    assert _coaching(client, h["admin"], "company", "-") == 2
    # the monthly aggregate holds both (2 rows, 2.00 in hundredths), as an import would leave it
    monthly = session.scalars(select(ActivitiesMonthly).where(ActivitiesMonthly.seller_id == org["s1"].id,
                                                              ActivitiesMonthly.type == "goal_conversation")).all()
    assert [(m.month, m.n, m.value) for m in monthly] == [(date(2026, 3, 1), 2, 200)]
    [event] = _events(session, "goal_conversation.create")
    assert event.entity == f"goal_conversation:{made['id']}" and event.actor == users["l1"].email
    assert json.loads(event.after)["activity_id"] == made["activity_id"]


def test_who_records_goal_conversations(client, session, org):
    h = org["headers"]
    assert _record(client, h["l2"]).status_code == 404  # S1 is not L2's
    refused = _record(client, h["s1"])  # the seller themselves
    assert refused.status_code == 403 and "only a leader or an administrator" in refused.json()["detail"]
    assert _record(client, h["s2"]).status_code == 404
    assert _record(client, h["finance"]).status_code == 404
    assert _record(client, h["admin"], seller_code="NOPE").status_code == 404
    assert session.scalars(select(GoalConversation)).all() == []
    assert _record(client, h["admin"]).status_code == 201
    assert _record(client, h["l2"], seller_code="S2").status_code == 201
    # S3 moved from D1 to D2 on 2026-04-01: March is L1's, April L2's
    assert _record(client, h["l1"], seller_code="S3", held_on="2026-03-31").status_code == 201
    assert _record(client, h["l1"], seller_code="S3", held_on="2026-04-01").status_code == 404
    assert _record(client, h["l2"], seller_code="S3", held_on="2026-04-01").status_code == 201
    assert _record(client, h["l2"], seller_code="S3", held_on="2026-03-31").status_code == 404


@pytest.mark.parametrize(("body", "loc", "message"), [
    ({"kpis": [{"kpi": "revenue", "period": "2026"}, {"kpi": "nope", "period": "2026"}]}, ["body", "kpis", 1, "kpi"],
     "no KPI nope"),
    ({"held_on": (TODAY + timedelta(days=1)).isoformat()}, ["body", "held_on"], "in the future"),
    ({"held_on": "1899-12-31"}, ["body", "held_on"], "before 1900"),
    ({"kpis": [{"kpi": "revenue", "period": "26"}]}, ["body", "kpis", 0, "period"], ""),
    ({"notes": "x" * 10_000}, ["body", "notes"], ""),
])
def test_bad_goal_conversations_are_422s_naming_the_field(client, session, org, body, loc, message):
    res = _record(client, org["headers"]["l1"], **body)
    assert res.status_code == 422, res.text
    [problem] = [p for p in res.json()["detail"] if p["loc"] == loc]
    assert message in problem["msg"]
    assert session.scalars(select(GoalConversation)).all() == []
    assert session.get(Activity, "imported-gc") is not None
    assert session.scalars(select(Activity).where(Activity.id.like("goal-conversation-%"))).all() == []


def test_held_today_is_fine(client, org):
    assert _record(client, org["headers"]["l1"], held_on=TODAY.isoformat(), kpis=[]).status_code == 201


def test_who_reads_which_goal_conversations(client, org):
    h = org["headers"]
    older = _record(client, h["l1"], held_on="2026-03-01").json()["id"]
    newer = _record(client, h["l1"], held_on="2026-03-20").json()["id"]
    on_s2 = _record(client, h["l2"], seller_code="S2").json()["id"]
    s3_in_d1 = _record(client, h["l1"], seller_code="S3", held_on="2026-03-15").json()["id"]
    s3_in_d2 = _record(client, h["l2"], seller_code="S3", held_on="2026-04-15").json()["id"]

    def ids(who, **params):
        res = client.get(f"{API}/goal-conversations", params=params, headers=h[who])
        assert res.status_code == 200, res.text
        return [item["id"] for item in res.json()["items"]]

    # newest first
    assert ids("admin") == [s3_in_d2, newer, s3_in_d1, on_s2, older]
    assert ids("l1") == [newer, s3_in_d1, older]  # S3's April one was held in D2
    assert ids("l2") == [s3_in_d2, on_s2]
    assert ids("s1") == ids("s1", seller_code="S1") == [newer, older]
    assert ids("s2") == [on_s2]
    assert ids("l1", seller_code="S3") == [s3_in_d1]
    assert ids("admin", seller_code="S3") == [s3_in_d2, s3_in_d1]
    for who, params in (("s1", {"seller_code": "S2"}), ("l2", {"seller_code": "S1"}), ("finance", {}),
                        ("finance", {"seller_code": "S1"}), ("admin", {"seller_code": "NOPE"})):
        assert client.get(f"{API}/goal-conversations", params=params, headers=h[who]).status_code == 404, (who, params)
    for who, seen in (("s1", older), ("l1", s3_in_d1), ("l2", s3_in_d2), ("admin", on_s2)):
        res = client.get(f"{API}/goal-conversations/{seen}", headers=h[who])
        assert res.status_code == 200 and res.json()["id"] == seen, who
    for who, unseen in (("s2", older), ("l2", older), ("l1", s3_in_d2), ("l2", s3_in_d1), ("finance", older)):
        assert client.get(f"{API}/goal-conversations/{unseen}", headers=h[who]).status_code == 404, who
    assert client.get(f"{API}/goal-conversations/{2**31}", headers=h["admin"]).status_code == 422


def test_removing_a_goal_conversation_takes_its_activity_away(client, session, org):
    h, users = org["headers"], org["users"]
    made = _record(client, h["l1"]).json()
    assert _coaching(client, h["l1"]) == 2
    path = f"{API}/goal-conversations/{made['id']}"
    assert client.delete(path, headers=h["s1"]).status_code == 403
    assert client.delete(path, headers=h["l2"]).status_code == 404
    assert client.delete(path, headers=h["finance"]).status_code == 404
    assert client.delete(path, headers=h["l1"]).status_code == 204
    assert session.get(Activity, made["activity_id"]) is None
    assert _coaching(client, h["l1"]) == 1 and _coaching(client, h["l1"], "district", "D1") == 1
    assert client.get(path, headers=h["l1"]).status_code == 404
    assert client.delete(path, headers=h["admin"]).status_code == 404
    [event] = _events(session, "goal_conversation.delete")
    assert event.actor == users["l1"].email and json.loads(event.before)["activity_id"] == made["activity_id"]
