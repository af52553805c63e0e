"""The demo's steering (app/demo/steering.py): the comments, coaching actions and goal conversations
that tell its story, checked against the API's own figures and plain queries over the demo file.

The demo is made as on 27 November 2026 (its data ends on 31 October 2026), built once for the module.
"""

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.db import get_session, make_engine
from app.demo.command import DEMO_PASSWORD, build_demo
from app.main import create_app

DAY = date(2026, 11, 27)
LATEST = "2026-10"  # the data's last month


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo_steering") / "demo.db"
    company, _ = build_demo(path, today=DAY)
    return company, path


@pytest.fixture(scope="module")
def db(demo) -> Iterator[Session]:
    """A plain session on the demo file, for the second, independent reads (raw SQL)."""
    _, path = demo
    engine = create_engine(f"sqlite:///{path.as_posix()}")
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="module")
def client(demo) -> Iterator[TestClient]:
    _, path = demo
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    app = create_app(precompute=False)

    def session_override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    with TestClient(app) as test_client:
        yield test_client
    engine.dispose()


def _headers(client, email: str) -> dict[str, str]:
    res = client.post("/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD})
    assert res.status_code == 200, res.text
    return {"Authorization": f"Bearer {res.json()['access_token']}"}


@pytest.fixture(scope="module")
def admin(client, demo) -> dict[str, str]:
    company, _ = demo
    return _headers(client, next(lg.email for lg in company.logins if lg.role == "admin"))


@pytest.fixture(scope="module")
def stv_leader(client, demo) -> dict[str, str]:
    company, _ = demo
    return _headers(client, next(lg.email for lg in company.logins if "Rogaland" in lg.who))


def _month_kpi(client, headers, level: str, code: str, period: str, kpi: str) -> dict:
    """The KPI of the unit's scorecard for the month alone (range=month), as the API gives it."""
    res = client.get(f"/api/v1/scorecards/{level}/{code}", params={"period": period, "range": "month"}, headers=headers)
    assert res.status_code == 200, res.text
    return next(k for p in res.json()["perspectives"] for k in p["kpis"] if k["code"] == kpi)


def _actions(client, headers) -> list[dict]:
    res = client.get("/api/v1/actions", headers=headers)
    assert res.status_code == 200, res.text
    return res.json()["items"]


def _conversations(db) -> list[tuple]:
    """(id, seller code, held_on, activity id) of every recorded goal conversation, by a plain query."""
    rows = db.execute(
        text(
            "SELECT g.id, s.code, g.held_on, g.activity_id FROM goal_conversations g "
            "JOIN sellers s ON s.id = g.seller_id ORDER BY g.id"
        )
    ).all()
    return [(gid, code, date.fromisoformat(str(day)), activity) for gid, code, day, activity in rows]


def _district_on(db, seller_code: str, day: date) -> str:
    """The seller's district on `day`: the assignment with the latest valid_from on or before it."""
    return db.execute(
        text(
            "SELECT d.code FROM seller_districts sd JOIN districts d ON d.id = sd.district_id "
            "JOIN sellers s ON s.id = sd.seller_id WHERE s.code = :code AND sd.valid_from <= :day "
            "ORDER BY sd.valid_from DESC LIMIT 1"
        ),
        {"code": seller_code, "day": day.isoformat()},
    ).scalar_one()


def test_the_story_is_recorded_in_its_sizes(db):
    count = lambda table: db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: E731
    assert 6 <= count("comments") <= 10
    assert 4 <= count("coaching_actions") <= 6
    assert 3 <= count("goal_conversations") <= 8
    assert count("action_notes") >= 2
    arenas = {row[0] for row in db.execute(text("SELECT arena FROM coaching_actions"))}
    assert len(arenas) >= 4  # actions in different arenas


def test_goal_conversations_are_held_in_the_data_and_never_in_rogaland(demo, db):
    company, _ = demo
    facts = company.facts
    held = _conversations(db)
    assert held
    for _gid, code, day, _activity in held:
        assert facts["first_day"] <= day <= facts["last_day"]
        assert _district_on(db, code, day) != facts["weak_district"]
    # Rogaland: no goal conversation with any of its sellers in the story's months, imported or recorded
    # (each day's district of the seller: the assignment valid on it).
    rows = db.execute(
        text(
            "SELECT s.code, a.date FROM activities a JOIN sellers s ON s.id = a.seller_id "
            "WHERE a.type = 'goal_conversation' AND a.date >= :since"
        ),
        {"since": facts["story_from"].isoformat()},
    ).all()
    assert rows  # other districts hold them
    assert not [r for r in rows if _district_on(db, r[0], date.fromisoformat(str(r[1]))) == facts["weak_district"]]


def test_rogalands_red_kpis_point_to_goal_conversations(client, stv_leader, demo):
    company, _ = demo
    weak = company.facts["weak_district"]
    res = client.get("/api/v1/attention", params={"period": LATEST, "range": "ytd"}, headers=stv_leader)
    assert res.status_code == 200, res.text
    district = [i for i in res.json()["items"] if i["level"] == "district" and i["code"] == weak]
    assert {"hit_rate", "revenue"} <= {i["kpi"] for i in district}  # the story's red KPIs
    assert {i["area"] for i in district} == {"goal_conversations"}
    # its sellers: the same area, unless their overall status has been red six months running (recruiting)
    sellers = [i for i in res.json()["items"] if i["level"] == "seller"]
    assert sellers and {i["area"] for i in sellers} <= {"goal_conversations", "recruiting"}


def test_a_seller_with_a_recorded_goal_conversation_is_not_pointed_to_goal_conversations(client, admin, demo, db):
    """The pair of the test above: the discounter's conversation (recorded this year) counts."""
    company, _ = demo
    code = company.facts["discount_seller"]
    assert code in {c for _g, c, day, _a in _conversations(db) if day.year == int(LATEST[:4])}  # in the ytd range
    res = client.get(
        "/api/v1/attention", params={"period": LATEST, "range": "ytd", "level": "seller", "code": code}, headers=admin
    )
    assert res.status_code == 200, res.text
    margin = [i for i in res.json()["items"] if i["code"] == code and i["kpi"] == "margin_pct"]
    assert len(margin) == 1 and margin[0]["area"] != "goal_conversations"


def test_recorded_goal_conversations_count_as_goal_conversation_activities(client, admin, demo, db):
    company, _ = demo
    files = pd.read_csv(io.StringIO(company.files["activities"]), dtype=str, keep_default_na=False)
    coaching = files[files["type"].isin(["coaching_session", "goal_conversation"])]
    held = _conversations(db)
    for _gid, code, day, activity in held:
        # the conversation's activity: a goal_conversation of the seller on its day
        kind, on, seller = db.execute(
            text(
                "SELECT a.type, a.date, s.code FROM activities a JOIN sellers s ON s.id = a.seller_id WHERE a.id = :id"
            ),
            {"id": activity},
        ).one()
        assert (kind, str(on)[:10], seller) == ("goal_conversation", day.isoformat(), code)
        month = day.strftime("%Y-%m")
        # imported: the file's coaching sessions and goal conversations of that seller that month
        mine = coaching[(coaching["seller_code"] == code) & coaching["date"].str.startswith(month)]
        imported = sum(Decimal(v or "1") for v in mine["value"])
        recorded = sum(1 for _g, c, d, _a in held if c == code and d.strftime("%Y-%m") == month)
        # stored: a plain sum over the activities table
        stored = db.execute(
            text(
                "SELECT coalesce(sum(a.value), 0) FROM activities a JOIN sellers s ON s.id = a.seller_id "
                "WHERE s.code = :code AND a.type IN ('coaching_session', 'goal_conversation') "
                "AND a.date >= :start AND a.date < :end"
            ),
            {"code": code, "start": f"{month}-01", "end": _next_month(month) + "-01"},
        ).scalar_one()
        assert Decimal(str(stored)) == imported + recorded
        kpi = _month_kpi(client, admin, "seller", code, month, "coaching_sessions")
        assert kpi["actual"] == pytest.approx(float(imported + recorded))


def _next_month(period: str) -> str:
    y, m = int(period[:4]), int(period[5:])
    return f"{y + m // 12}-{m % 12 + 1:02d}"


def _month_before(period: str) -> str:
    y, m = int(period[:4]), int(period[5:])
    return f"{y - (m == 1)}-{(m - 2) % 12 + 1:02d}"


def test_each_actions_baseline_and_follow_up_are_the_scorecards_month_attainments(client, admin):
    items = _actions(client, admin)
    assert 4 <= len(items) <= 6
    for action in items:
        level, code, kpi = action["level"], action["code"], action["kpi"]
        base = _month_kpi(client, admin, level, code, action["baseline"]["period"], kpi)
        assert action["baseline"]["attainment"] == pytest.approx(base["attainment"])
        periods = [f["period"] for f in action["follow_up"]]
        # every month after the baseline's through the data's last
        want, p = [], _next_month(action["baseline"]["period"])
        while p <= LATEST:
            want.append(p)
            p = _next_month(p)
        assert periods == want
        for f in action["follow_up"]:
            got = _month_kpi(client, admin, level, code, f["period"], kpi)
            assert f["attainment"] == pytest.approx(got["attainment"]), (action["title"], f["period"])
            assert f["status"] == got["status"]


def test_the_actions_tell_the_story(client, admin, demo):
    company, _ = demo
    facts = company.facts
    items = _actions(client, admin)
    opened_earlier = [a for a in items if a["baseline"]["period"] < _month_before(LATEST) and a["follow_up"]]
    assert len(opened_earlier) >= 2  # opened a few months before the data's last month
    worked = [a for a in opened_earlier if all(f["attainment"] > a["baseline"]["attainment"] for f in a["follow_up"])]
    not_worked = [a for a in opened_earlier if a["follow_up"][-1]["attainment"] <= a["baseline"]["attainment"]]
    assert worked and not_worked
    # Rogaland's hit rate: training that did not work
    assert any(a["code"] == facts["weak_district"] and a["kpi"] == "hit_rate" for a in not_worked)
    done = [a for a in items if a["status"] == "done"]
    assert len(done) == 1 and done[0]["outcome"] and done[0]["closed_at"] and done[0] in worked
    overdue = [a for a in items if a["overdue"]]
    assert overdue and all(a["status"] == "open" and date.fromisoformat(a["due"]) < date.today() for a in overdue)
    assert [a for a in items if a["status"] == "open" and not a["overdue"]]  # and some still running
    # a note by the seller the action is about
    seller = next(lg.email for lg in company.logins if lg.role == "seller" and facts["discount_seller"] in lg.who)
    discounter = [a for a in items if a["level"] == "seller" and a["code"] == facts["discount_seller"]]
    assert discounter
    assert any(n["author"] == seller for a in discounter for n in a["notes"])
    # opened in the demo's months: after the baseline month, never after the real now
    for a in items:
        opened = datetime.fromisoformat(a["created_at"])
        assert opened.strftime("%Y-%m") > a["baseline"]["period"]
        assert opened <= datetime.now(UTC)


def test_the_discounters_seller_reads_her_action_and_rogalands_leader_not(client, demo):
    company, _ = demo
    code = company.facts["discount_seller"]
    seller = next(lg.email for lg in company.logins if lg.role == "seller" and code in lg.who)
    mine = _actions(client, _headers(client, seller))
    assert mine and all((a["level"] == "seller" and a["code"] == code) or a["owner_email"] == seller for a in mine)
    stv = _actions(client, _headers(client, next(lg.email for lg in company.logins if "Rogaland" in lg.who)))
    assert stv and not [a for a in stv if a["code"] == code]


def test_comments_explain_red_kpis_in_the_months_they_were_red(client, admin, demo, db):
    company, _ = demo
    facts = company.facts
    rows = db.execute(text("SELECT level, unit_code, period, kpi_code, author, text, created_at FROM comments")).all()
    weak_leader = next(lg.email for lg in company.logins if "Rogaland" in lg.who)
    stv_hit = [r for r in rows if r[1] == facts["weak_district"] and r[3] == "hit_rate"]
    assert stv_hit and {r[4] for r in stv_hit} == {weak_leader}  # Rogaland's leader on its hit rate
    assert LATEST in {r[2] for r in stv_hit}
    assert [r for r in rows if r[1] == facts["discount_seller"] and r[3] == "margin_pct"]  # the margin given away
    for level, code, period, kpi, _author, body, created in rows:
        assert body.strip() == body and body
        if code != facts["strong_district"]:  # Bergen's is praise, on a green KPI
            assert _month_kpi(client, admin, level, code or "-", period, kpi)["status"] == "red", (code, kpi, period)
        assert str(created)[:7] > period  # written after the month it explains
    # the comments are on the scorecard's KPI (GET /comments as the district's leader)
    res = client.get(
        "/api/v1/comments",
        params={"level": "district", "code": facts["weak_district"], "period": LATEST},
        headers=_headers(client, weak_leader),
    )
    assert res.status_code == 200, res.text
    assert {c["kpi"] for c in res.json()["items"]} >= {"hit_rate"}
