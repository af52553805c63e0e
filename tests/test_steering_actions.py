"""Coaching actions (POST/GET/PATCH /actions, notes) on a small organization worked out by hand.

R1 (led by LR) has districts D1 (led by L1: seller S1, account A1) and D2 (led by L2: seller S2).
S3 was in D1 until 2026-05-01 and is in D2 from then on: L1 sees S3's March and April, L2 its May.
Every seller has a revenue target of 1000 a month for March to May 2026 (green from 1.0, amber from
0.9, red below). The latest sale is in May 2026, so the pages open on May (today is later).

  S1 sells 800 in March, 950 in April, 1100 in May: attainment 0.8 (red), 0.95 (amber), 1.1 (green).
  S3 sells 500, 600, 700: 0.5, 0.6, 0.7 (red each month).
  S2 sells 1000 in May: 1.0.
"""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models import AuditEvent, CoachingAction, Sale, Target
from tests.builders import (
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

API = "/api/v1"
TODAY = date.today()
DUE = (TODAY + timedelta(days=30)).isoformat()
MONTHS = (date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1))


@pytest.fixture
def org(session, client):
    r1 = make_region(session, code="R1")
    d1 = make_district(session, code="D1", region=r1)
    d2 = make_district(session, code="D2", region=r1)
    s1 = make_seller(session, code="S1", district=d1, name="Ann")
    s2 = make_seller(session, code="S2", district=d2)
    s3 = make_seller(session, code="S3", district=d1)
    move_seller(session, seller=s3, district=d2, valid_from=date(2026, 5, 1))
    account = make_account(session, code="A1", district=d1)
    product = make_product(session, code="P1")
    leaders = {"l1": make_leader(session, units=[("district", "D1")]),
               "l2": make_leader(session, units=[("district", "D2")]),
               "lr": make_leader(session, units=[("region", "R1")])}
    sales = [(s1, MONTHS[0], "800"), (s1, MONTHS[1], "950"), (s1, MONTHS[2], "1100"),
             (s3, MONTHS[0], "500"), (s3, MONTHS[1], "600"), (s3, MONTHS[2], "700"), (s2, MONTHS[2], "1000")]
    add_sales(session, [Sale(id=f"x{i}", date=month + timedelta(days=9), seller_id=seller.id, account_id=account.id,
                             product_id=product.id, quantity=Decimal("1"), amount=Decimal(amount), cost=None)
                        for i, (seller, month, amount) in enumerate(sales)])
    add_targets(session, [Target(level="seller", unit_code=code, kpi_code="revenue", month=month,
                                 value=Decimal("1000"), source_period=f"{month:%Y-%m}")
                          for code in ("S1", "S2", "S3") for month in MONTHS])
    users = {name: make_user(session, role="leader", email=leader.email) for name, leader in leaders.items()}
    users |= {"admin": make_user(session, role="admin"), "finance": make_user(session, role="finance"),
              "s1": make_user(session, role="seller", email=s1.email),
              "s2": make_user(session, role="seller", email=s2.email)}
    return {"users": users, "headers": {name: signed_in(user) for name, user in users.items()}}


def _open(client, headers, **body):
    payload = {"level": "seller", "code": "S1", "kpi": "revenue", "arena": "training", "title": "Closing skills",
               "due": DUE, "owner_email": "s1@example.com", "period": "2026-03"}
    return client.post(f"{API}/actions", json={k: v for k, v in {**payload, **body}.items() if v is not None},
                       headers=headers)


def _ids(res):
    assert res.status_code == 200, res.text
    return sorted(item["id"] for item in res.json()["items"])


def _list(client, headers, **params):
    return client.get(f"{API}/actions", params=params, headers=headers)


def _events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_an_action_answers_its_baseline_and_every_month_since(client, session, org):
    h = org["headers"]
    res = _open(client, h["l1"])
    assert res.status_code == 201, res.text
    action = res.json()
    assert action["status"] == "open" and action["overdue"] is False and action["closed_at"] is None
    assert (action["level"], action["code"], action["name"], action["kpi"]) == ("seller", "S1", "Ann", "revenue")
    assert action["kpi_name"] == "Revenue" and action["kpi_name_nb"] == "Omsetning"
    # March alone: 800 / 1000
    assert action["baseline"] == {"period": "2026-03", "attainment": pytest.approx(0.8)}
    # April 950 / 1000 (amber: 0.9 <= 0.95 < 1.0), May 1100 / 1000 (green)
    assert action["follow_up"] == [
        {"period": "2026-04", "attainment": pytest.approx(0.95), "status": "amber"},
        {"period": "2026-05", "attainment": pytest.approx(1.1), "status": "green"},
    ]
    assert action["created_by"] == org["users"]["l1"].email and action["notes"] == []
    assert client.get(f"{API}/actions/{action['id']}", headers=h["s1"]).json() == action
    [event] = _events(session, "action.create")
    assert event.entity == f"action:{action['id']}"
    assert json.loads(event.after)["baseline"] == {"period": "2026-03", "attainment": pytest.approx(0.8)}


def test_the_baseline_defaults_to_the_open_month_and_stays_as_it_stood(client, session, org):
    h = org["headers"]
    now = _open(client, h["admin"], period=None).json()
    # the pages open on May (the latest sale's month): 1100 / 1000, nothing after it yet
    assert now["baseline"] == {"period": "2026-05", "attainment": pytest.approx(1.1)} and now["follow_up"] == []
    march = _open(client, h["admin"]).json()
    # a correction of March (another 100 sold): March is now 0.9, the baseline stays 0.8
    first = session.get(Sale, "x0")
    add_sales(session, [Sale(id="late", date=date(2026, 3, 20), seller_id=first.seller_id,
                             account_id=first.account_id, product_id=first.product_id,
                             quantity=Decimal("1"), amount=Decimal("100"), cost=None)])
    again = client.get(f"{API}/actions/{march['id']}", headers=h["admin"]).json()
    assert again["baseline"]["attainment"] == pytest.approx(0.8)
    card = client.get(f"{API}/scorecards/seller/S1", params={"period": "2026-03", "range": "month"},
                      headers=h["admin"]).json()
    revenue = next(k for p in card["perspectives"] for k in p["kpis"] if k["code"] == "revenue")
    assert revenue["attainment"] == pytest.approx(0.9)


def test_who_opens_actions(client, session, org):
    h = org["headers"]
    assert _open(client, h["l1"]).status_code == 201
    assert _open(client, h["lr"]).status_code == 201
    assert _open(client, h["admin"]).status_code == 201
    assert _open(client, h["l2"]).status_code == 404  # S1 is not L2's
    refused = _open(client, h["s1"])  # S1's own card: a seller does not open coaching actions
    assert refused.status_code == 403 and "only a leader or an administrator" in refused.json()["detail"]
    assert _open(client, h["s2"]).status_code == 404  # not S2's to see
    assert _open(client, h["finance"]).status_code == 404  # coaching is not finance's
    assert _open(client, h["l2"], code="S2", owner_email="s2@example.com").status_code == 201
    # S3 was L1's in March and April, L2's from May
    assert _open(client, h["l1"], code="S3", period="2026-04").status_code == 201
    assert _open(client, h["l1"], code="S3", period="2026-05").status_code == 404
    assert _open(client, h["l2"], code="S3", period="2026-05").status_code == 201
    assert len(session.scalars(select(CoachingAction)).all()) == 6


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"kpi": "nope"}, "kpi", "no KPI nope"),
    ({"level": "account", "code": "A1", "kpi": "coaching_sessions"}, "kpi", "no KPI coaching_sessions"),
    ({"due": (TODAY - timedelta(days=1)).isoformat()}, "due", "due before the day the action is opened"),
    ({"owner_email": "nobody@example.com"}, "owner_email", "not the e-mail of a seller, a leader or a login"),
    ({"owner_email": "not an e-mail"}, "owner_email", ""),
    ({"arena": "coffee"}, "arena", ""),
    ({"period": "2026-06"}, "period", "the baseline month must be from 2023-06 through 2026-05"),
    ({"period": "2023-05"}, "period", "the baseline month must be from"),
    ({"title": "  "}, "title", ""),
])
def test_bad_actions_are_422s_naming_the_field(client, session, org, body, field, message):
    res = _open(client, org["headers"]["l1"], **body)
    assert res.status_code == 422, res.text
    [problem] = [p for p in res.json()["detail"] if p["loc"] == ["body", field]]
    assert message in problem["msg"]
    assert session.scalars(select(CoachingAction)).all() == []


def test_owners_may_be_sellers_leaders_or_logins_and_are_kept_in_lower_case(client, org):
    h, users = org["headers"], org["users"]
    assert _open(client, h["l1"], owner_email="S2@Example.com").json()["owner_email"] == "s2@example.com"
    assert _open(client, h["l1"], owner_email=users["l2"].email).status_code == 201  # a leader
    assert _open(client, h["l1"], owner_email=users["finance"].email).status_code == 201  # a login
    assert _open(client, h["l1"], due=TODAY.isoformat()).status_code == 201  # due today is fine


def test_who_lists_which_actions(client, session, org):
    h = org["headers"]
    leader = org["users"]["l1"].email
    on_s1 = _open(client, h["l1"]).json()["id"]  # S1 carries it out
    on_d1 = _open(client, h["l1"], level="district", code="D1", owner_email="s2@example.com").json()["id"]
    on_a1 = _open(client, h["l1"], level="account", code="A1", owner_email=leader).json()["id"]
    on_s2 = _open(client, h["l2"], code="S2", owner_email="s2@example.com").json()["id"]
    on_d2 = _open(client, h["l2"], level="district", code="D2", owner_email="s1@example.com").json()["id"]
    on_r1 = _open(client, h["lr"], level="region", code="R1", owner_email=leader).json()["id"]
    on_company = _open(client, h["admin"], level="company", code="-", owner_email=leader).json()["id"]
    every = sorted([on_s1, on_d1, on_a1, on_s2, on_d2, on_r1, on_company])
    assert _ids(_list(client, h["admin"])) == every
    assert _ids(_list(client, h["l1"])) == sorted([on_s1, on_d1, on_a1])
    assert _ids(_list(client, h["l2"])) == sorted([on_s2, on_d2])
    assert _ids(_list(client, h["lr"])) == sorted([on_s1, on_d1, on_a1, on_s2, on_d2, on_r1])
    # a seller: the actions on their own card (not those on a district they carry out: it shows its figures)
    assert _ids(_list(client, h["s1"])) == [on_s1]
    assert _ids(_list(client, h["s2"])) == [on_s2]
    assert _list(client, h["finance"]).status_code == 404
    # one unit and everything below it
    assert _ids(_list(client, h["l1"], level="district", code="D1")) == sorted([on_s1, on_d1, on_a1])
    assert _ids(_list(client, h["lr"], level="district", code="D1")) == sorted([on_s1, on_d1, on_a1])
    assert _ids(_list(client, h["lr"], level="region", code="R1")) == sorted([on_s1, on_d1, on_a1, on_s2, on_d2,
                                                                               on_r1])
    assert _ids(_list(client, h["admin"], level="company", code="-")) == every
    assert _ids(_list(client, h["l1"], level="seller", code="S1")) == [on_s1]
    assert _ids(_list(client, h["s1"], level="seller", code="S1")) == [on_s1]
    assert _list(client, h["l2"], level="district", code="D1").status_code == 404
    assert _list(client, h["s1"], level="seller", code="S2").status_code == 404
    assert _list(client, h["l1"], level="company", code="-").status_code == 404
    assert _list(client, h["finance"], level="district", code="D1").status_code == 404
    half = _list(client, h["l1"], level="district")
    assert half.status_code == 422 and half.json()["detail"][0]["loc"] == ["query", "code"]
    # one by one, as the lists say
    for who, seen in (("l1", on_s1), ("s1", on_s1), ("l2", on_d2), ("admin", on_r1)):
        assert client.get(f"{API}/actions/{seen}", headers=h[who]).status_code == 200, who
    for who, unseen in (("l2", on_s1), ("s1", on_d1), ("s1", on_d2), ("l1", on_r1), ("finance", on_s1)):
        assert client.get(f"{API}/actions/{unseen}", headers=h[who]).status_code == 404, who
    assert client.get(f"{API}/actions/{2**31}", headers=h["admin"]).status_code == 422


def test_status_filters_and_overdue(client, session, org):
    h = org["headers"]
    first = _open(client, h["l1"]).json()["id"]
    late = _open(client, h["l1"]).json()["id"]
    done = _open(client, h["l1"]).json()["id"]
    # due yesterday: cannot be opened so, but an action opened earlier falls due
    session.get(CoachingAction, late).due = TODAY - timedelta(days=1)
    session.flush()
    assert client.patch(f"{API}/actions/{done}", json={"status": "done"}, headers=h["l1"]).status_code == 200
    assert _ids(_list(client, h["l1"], status="open")) == sorted([first, late])
    assert _ids(_list(client, h["l1"], status="overdue")) == [late]
    assert _ids(_list(client, h["l1"], status="done")) == [done]
    assert _ids(_list(client, h["l1"], status="dropped")) == []
    assert client.get(f"{API}/actions/{late}", headers=h["l1"]).json()["overdue"] is True
    assert _list(client, h["l1"], status="late").status_code == 422


def test_changing_an_action(client, session, org):
    h, users = org["headers"], org["users"]
    made = _open(client, h["l1"]).json()
    path = f"{API}/actions/{made['id']}"
    assert client.patch(path, json={"status": "done"}, headers=h["s1"]).status_code == 403  # the seller it is about
    assert client.patch(path, json={"status": "done"}, headers=h["l2"]).status_code == 404
    assert client.patch(path, json={"status": "done"}, headers=h["finance"]).status_code == 404
    res = client.patch(path, json={"status": "done", "outcome": f"  {'<b>worked</b>'} "}, headers=h["l1"])
    assert res.status_code == 200, res.text
    done = res.json()
    assert done["status"] == "done" and done["outcome"] == "<b>worked</b>" and done["closed_at"] is not None
    assert done["updated_at"] >= made["updated_at"] and done["baseline"] == made["baseline"]
    reopened = client.patch(path, json={"status": "open", "owner_email": "S2@example.com"}, headers=h["admin"]).json()
    assert (reopened["status"], reopened["closed_at"], reopened["owner_email"]) == ("open", None, "s2@example.com")
    dropped = client.patch(path, json={"status": "dropped", "due": TODAY.isoformat()}, headers=h["lr"])
    assert dropped.status_code == 200, dropped.text
    dropped = dropped.json()
    assert dropped["status"] == "dropped" and dropped["closed_at"] is not None and dropped["due"] == TODAY.isoformat()
    for body, field in (({"status": None}, "status"), ({"status": "closed"}, "status"),
                        ({"due": (TODAY - timedelta(days=1)).isoformat()}, "due"),
                        ({"owner_email": "nobody@example.com"}, "owner_email"), ({"kpi": "csat"}, "kpi")):
        refused = client.patch(path, json=body, headers=h["l1"])
        assert refused.status_code == 422, body
        assert ["body", field] in [p["loc"] for p in refused.json()["detail"]], body
    events = _events(session, "action.update")
    assert [e.actor for e in events] == [users["l1"].email, users["admin"].email, users["lr"].email]
    first = (json.loads(events[0].before), json.loads(events[0].after))
    assert first[0] == {"status": "open", "outcome": None, "closed_at": None}
    assert first[1]["status"] == "done" and first[1]["outcome"] == "<b>worked</b>" and first[1]["closed_at"]
    assert json.loads(events[1].before)["owner_email"] == "s1@example.com"
    assert json.loads(events[1].after) == {"status": "open", "owner_email": "s2@example.com", "closed_at": None}


def test_notes_by_the_leaders_and_the_seller_it_is_about(client, session, org):
    h, users = org["headers"], org["users"]
    made = _open(client, h["l1"]).json()
    path = f"{API}/actions/{made['id']}/notes"
    first = client.post(path, json={"text": "Booked a course"}, headers=h["l1"])
    assert first.status_code == 201 and first.json()["author"] == users["l1"].email
    second = client.post(path, json={"text": "<i>Done</i> it"}, headers=h["s1"])
    assert second.status_code == 201 and second.json()["text"] == "<i>Done</i> it"
    assert client.post(path, json={"text": "admin"}, headers=h["admin"]).status_code == 201
    for who in ("l2", "s2", "finance"):
        assert client.post(path, json={"text": "x"}, headers=h[who]).status_code == 404, who
    assert client.post(path, json={"text": "  "}, headers=h["l1"]).status_code == 422
    assert client.post(path, json={"text": "x" * 10_000}, headers=h["l1"]).status_code == 422
    notes = client.get(f"{API}/actions/{made['id']}", headers=h["s1"]).json()["notes"]
    assert [n["text"] for n in notes] == ["Booked a course", "<i>Done</i> it", "admin"]
    assert notes[0] == first.json()
    events = _events(session, "action.note")
    assert [(e.entity, e.actor) for e in events] == [(f"action:{made['id']}", users[who].email)
                                                     for who in ("l1", "s1", "admin")]
    # a seller who carries out an action on a district neither reads nor notes it: it shows the district's
    # figures (404, as for any action not theirs); the district's leader does
    on_d1 = _open(client, h["l1"], level="district", code="D1", owner_email="s2@example.com").json()
    assert client.post(f"{API}/actions/{on_d1['id']}/notes", json={"text": "ok"}, headers=h["s2"]).status_code == 404
    assert client.get(f"{API}/actions/{on_d1['id']}", headers=h["s2"]).status_code == 404
    assert client.get(f"{API}/actions/{on_d1['id']}", headers=h["l1"]).status_code == 200


def test_the_follow_up_blanks_the_months_the_caller_may_not_see(client, org):
    h = org["headers"]
    made = _open(client, h["l1"], code="S3", period="2026-03", owner_email="s3@example.com").json()
    assert made["baseline"] == {"period": "2026-03", "attainment": pytest.approx(0.5)}
    # L1 led S3 in April, not in May; L2 the other way round; the administrator sees both
    blank = {"attainment": None, "status": "none"}
    assert made["follow_up"] == [{"period": "2026-04", "attainment": pytest.approx(0.6), "status": "red"},
                                 {"period": "2026-05", **blank}]
    # an action belongs to the leader who saw the seller in its baseline month: the new leader (L2) neither
    # reads nor changes nor notes L1's March action (its baseline is a month L2 may not see)
    path = f"{API}/actions/{made['id']}"
    assert client.get(path, headers=h["l2"]).status_code == 404
    assert client.patch(path, json={"status": "dropped"}, headers=h["l2"]).status_code == 404
    assert client.post(f"{path}/notes", json={"text": "x"}, headers=h["l2"]).status_code == 404
    assert made["id"] not in _ids(_list(client, h["l2"], level="district", code="D2"))
    seen_by_admin = client.get(path, headers=h["admin"]).json()
    assert [f["attainment"] for f in seen_by_admin["follow_up"]] == [pytest.approx(0.6), pytest.approx(0.7)]
    # L2's own action on S3 after the move: baseline May, 700 / 1000; L1 (who led S3 until April) gets 404
    after = _open(client, h["l2"], code="S3", period="2026-05", owner_email="s3@example.com").json()
    assert after["baseline"] == {"period": "2026-05", "attainment": pytest.approx(0.7)}
    assert client.get(f"{API}/actions/{after['id']}", headers=h["l2"]).status_code == 200
    assert client.get(f"{API}/actions/{after['id']}", headers=h["l1"]).status_code == 404
    assert after["id"] not in _ids(_list(client, h["l1"]))


def test_the_meeting_packs_call_lists_the_open_actions_of_a_unit(session, org):
    """What the meeting pack asks for: actions.list_for(…, status="open") under the caller's scope."""
    from app.access import scope_for
    from app.steering import actions

    user = org["users"]["l1"]
    scope = scope_for(session, user)
    assert actions.list_for(session, scope=scope, user=user, level="district", code="D1", status="open") == {
        "items": []}
    assert actions.list_for(session, scope=scope, user=user, level="district", code="D2", status="open") is None
