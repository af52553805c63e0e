"""Display tokens for the wallboard (POST/GET /displays, DELETE /displays/{id}) and what a display token
may read: GET /wall of its unit, and nothing else (every other route 401).

The world is tests/floor_world.py: R1 (D1 led by ld1, D2), R2 (D3 led by ld3); lr1 leads R1.
"""

import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from app.floor import displays
from app.main import create_app
from app.models import AuditEvent, Display, Leader, LeaderUnit
from app.reporting.version import bump_version
from app.tokens.service import create_token
from tests.builders import signed_in
from tests.floor_world import build_floor
from tests.test_access_matrix import _routes

API = "/api/v1"


@pytest.fixture
def floor(session, client):
    world = build_floor(session)
    session.commit()
    return world


def _as(floor, who: str) -> dict[str, str]:
    return signed_in(floor.users[who])


def _make(client, headers, level="district", code="D1", name="Floor TV"):
    return client.post(f"{API}/displays", json={"name": name, "level": level, "code": code}, headers=headers)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- who may make a display -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "level", "code"),
    [
        ("ld1", "district", "D1"),  # a unit the leader leads
        ("lr1", "district", "D2"),  # one below a unit the leader leads
        ("lr1", "region", "R1"),
        ("admin", "district", "D3"),  # an administrator: any unit
        ("admin", "company", "-"),
    ],
)
def test_a_leader_makes_a_display_of_a_unit_they_lead_and_an_admin_of_any(client, session, floor, who, level, code):
    res = _make(client, _as(floor, who), level, code)
    assert res.status_code == 201, res.text
    body = res.json()
    assert (body["level"], body["code"], body["name"], body["created_by"]) == (
        level, code, "Floor TV", floor.users[who].email
    )
    assert body["wall_url"] == f"/wall#{body['token']}"
    assert body["revoked_at"] is None and body["last_seen_at"] is None


@pytest.mark.parametrize(
    ("who", "level", "code"),
    [("ld1", "district", "D2"), ("ld1", "region", "R1"), ("ld1", "company", "-"), ("lr1", "district", "D3"),
     ("ld3", "region", "R2")],
)
def test_a_unit_the_leader_does_not_lead_is_404_word_for_word_as_an_unknown_one(client, floor, session, who, level,
                                                                                code):
    hidden = _make(client, _as(floor, who), level, code)
    unknown = _make(client, _as(floor, who), level, "ZZ")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.text.replace(code, "ZZ") == unknown.text
    assert session.scalar(select(Display.id)) is None  # nothing was made


def test_an_unknown_unit_is_404_for_an_admin_too(client, floor):
    assert _make(client, _as(floor, "admin"), "district", "ZZ").status_code == 404
    assert _make(client, _as(floor, "admin"), "company", "ZZ").status_code == 404  # the company's code is '-'


@pytest.mark.parametrize("who", ["seller", "fin"])
def test_sellers_and_finance_may_not_make_displays(client, floor, session, who):
    res = _make(client, _as(floor, who))
    assert res.status_code == 403
    assert session.scalar(select(Display.id)) is None
    assert _make(client, _as(floor, "ld1")).status_code == 201  # the same request, by D1's leader


def test_an_api_token_may_not_make_list_or_revoke_displays(client, floor, session):
    made = _make(client, _as(floor, "ld1")).json()
    token = create_token(session, user=floor.users["ld1"], name="bi", scopes=["scorecards:read"], expires_in_days=None)
    session.commit()
    headers = _bearer(token.token)
    assert _make(client, headers).status_code == 403
    assert client.get(f"{API}/displays", headers=headers).status_code == 403
    assert client.delete(f"{API}/displays/{made['id']}", headers=headers).status_code == 403
    assert session.get(Display, made["id"]).revoked_at is None


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"name": "TV", "level": "seller", "code": "ZQA"}, "level"),  # a wall is of a district, region or company
        ({"name": "TV", "level": "account", "code": "ACZQA"}, "level"),
        ({"name": "", "level": "district", "code": "D1"}, "name"),
        ({"name": "   ", "level": "district", "code": "D1"}, "name"),
        ({"name": "TV", "level": "district", "code": 7}, "code"),
        ({"level": "district", "code": "D1"}, "name"),
        ({"name": "TV", "level": "district", "code": "D1", "token": "mine"}, "token"),
        ({"name": "TV" * 51, "level": "district", "code": "D1"}, "name"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(client, floor, body, where):
    res = client.post(f"{API}/displays", json=body, headers=_as(floor, "ld1"))
    assert res.status_code == 422
    assert [e["loc"] for e in res.json()["detail"]] == [["body", where]]


# --- the token: shown once, stored hashed -----------------------------------------------------------


def test_the_token_is_shown_once_and_only_its_prefix_and_hash_are_stored(client, session, floor):
    made = _make(client, _as(floor, "ld1")).json()
    match = re.fullmatch(r"scd_([0-9a-f]{10})_([A-Za-z0-9_-]{43})", made["token"])
    assert match, made["token"]
    prefix, secret = match.groups()
    row = session.get(Display, made["id"])
    assert row.prefix == prefix
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = json.dumps([str(v) for v in (row.name, row.level, row.code, row.prefix, row.token_hash)])
    assert secret not in stored
    listed = client.get(f"{API}/displays", headers=_as(floor, "ld1"))
    assert secret not in listed.text and "token" not in listed.json()["items"][0]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "display.create")).one()
    assert event.entity == f"display:{prefix}" and secret not in event.after
    assert json.loads(event.after) == {"name": "Floor TV", "level": "district", "code": "D1"}


# --- listing and revoking ---------------------------------------------------------------------------


def test_each_lists_their_own_and_an_admin_every_one(client, floor):
    mine = _make(client, _as(floor, "ld1"), name="D1 TV").json()
    theirs = _make(client, _as(floor, "lr1"), "region", "R1", name="R1 TV").json()
    ours = _make(client, _as(floor, "admin"), "company", "-", name="Lobby").json()
    listed = {who: client.get(f"{API}/displays", headers=_as(floor, who)).json()["items"]
              for who in ("ld1", "lr1", "admin")}
    assert [d["id"] for d in listed["ld1"]] == [mine["id"]]
    assert [d["id"] for d in listed["lr1"]] == [theirs["id"]]
    assert {d["id"] for d in listed["admin"]} == {mine["id"], theirs["id"], ours["id"]}
    by_id = {d["id"]: d for d in listed["admin"]}
    assert by_id[mine["id"]]["unit_name"] == "Alder District"
    assert by_id[theirs["id"]]["unit_name"] == "Fjord Region"
    assert by_id[ours["id"]]["unit_name"] == "Company"
    assert client.get(f"{API}/displays", headers=_as(floor, "seller")).status_code == 403
    assert client.get(f"{API}/displays", headers=_as(floor, "fin")).status_code == 403


def test_revoking_blanks_the_wall_at_once_and_is_listed(client, session, floor):
    made = _make(client, _as(floor, "ld1")).json()
    wall = _bearer(made["token"])
    assert client.get(f"{API}/wall", headers=wall).status_code == 200
    # another leader cannot revoke it (404, as an unknown id); its maker can
    assert client.delete(f"{API}/displays/{made['id']}", headers=_as(floor, "lr1")).status_code == 404
    assert client.delete(f"{API}/displays/999999", headers=_as(floor, "ld1")).status_code == 404
    assert client.get(f"{API}/wall", headers=wall).status_code == 200
    assert client.delete(f"{API}/displays/{made['id']}", headers=_as(floor, "ld1")).status_code == 204
    refused = client.get(f"{API}/wall", headers=wall)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    first = session.get(Display, made["id"]).revoked_at
    assert first is not None
    # revoking again: 204, the first moment kept, one audit event
    assert client.delete(f"{API}/displays/{made['id']}", headers=_as(floor, "ld1")).status_code == 204
    session.expire_all()
    assert session.get(Display, made["id"]).revoked_at == first
    assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "display.revoke")).all()) == 1
    listed = client.get(f"{API}/displays", headers=_as(floor, "ld1")).json()["items"]
    assert listed[0]["revoked_at"] is not None


def test_an_admin_revokes_anyones_display(client, floor):
    made = _make(client, _as(floor, "ld1")).json()
    assert client.delete(f"{API}/displays/{made['id']}", headers=_as(floor, "admin")).status_code == 204
    assert client.get(f"{API}/wall", headers=_bearer(made["token"])).status_code == 401


# --- what a display token reads -----------------------------------------------------------------------


def test_the_wall_refuses_everything_but_a_live_display_token(client, session, floor):
    made = _make(client, _as(floor, "ld1")).json()
    assert client.get(f"{API}/wall", headers=_bearer(made["token"])).status_code == 200
    prefix = made["token"].split("_")[1]
    api_token = create_token(session, user=floor.users["admin"], name="bi", scopes=["scorecards:read"],
                             expires_in_days=None)
    session.commit()
    for headers in (
        {},  # none
        _as(floor, "admin"),  # a login
        _as(floor, "ld1"),  # the maker's own login
        _bearer(api_token.token),  # an API token
        _bearer(f"scd_{prefix}_{'x' * 43}"),  # the right prefix, a wrong secret
        _bearer(f"scd_{'0' * 10}_{'x' * 43}"),  # an unknown prefix
        _bearer(made["token"][:-1]),  # cut short
        {"Authorization": f"Basic {made['token']}"},  # not a bearer
    ):
        res = client.get(f"{API}/wall", headers=headers)
        assert res.status_code == 401, (headers, res.text)
        assert res.headers["www-authenticate"] == "Bearer"


def test_a_display_token_is_401_on_every_other_route(client, floor):
    """Every route of the API, with a live display token: 401, but the wall itself and the health check
    (public); the sign-in takes a form, not a bearer token (422 without one, and no sign-in)."""
    made = _make(client, _as(floor, "ld1")).json()
    headers = _bearer(made["token"])
    routes = _routes()
    assert ("GET", "/wall") in routes and len(routes) > 60
    values = {"period": "2026-11", "level": "district", "code": "D1", "dataset": "sales", "key": "financial"}
    for method, path in sorted(routes):
        url = API + re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)
        res = client.request(method, url, headers=headers)
        if (method, path) in (("GET", "/wall"), ("GET", "/health")):
            assert res.status_code == 200, f"{method} {path}: {res.status_code}"
        elif (method, path) == ("POST", "/auth/token"):
            assert res.status_code == 422, f"{method} {path}: {res.status_code}"
        else:
            assert res.status_code == 401, f"{method} {path}: {res.status_code} {res.text[:200]}"
            assert res.headers["www-authenticate"].lower().startswith("bearer")
    assert client.get(f"{API}/wall", headers=headers).status_code == 200  # still live: nothing above revoked it


def test_a_display_goes_dark_when_its_maker_may_no_longer_make_it(client, session, floor):
    made = _make(client, _as(floor, "ld1")).json()
    other = _make(client, _as(floor, "lr1"), "region", "R1").json()
    wall, other_wall = _bearer(made["token"]), _bearer(other["token"])
    # ld1 no longer leads D1 (an organization import took the unit away, counting the data version up)
    leader = session.scalar(select(Leader).where(Leader.email == "lead-d1@floor.test"))
    session.execute(delete(LeaderUnit).where(LeaderUnit.leader_id == leader.id))
    bump_version(session)
    session.commit()
    assert client.get(f"{API}/wall", headers=wall).status_code == 401
    assert client.get(f"{API}/wall", headers=other_wall).status_code == 200  # R1's leader still leads R1
    # R1's leader's login switched off: their display goes dark too
    floor.users["lr1"].is_active = False
    session.commit()
    assert client.get(f"{API}/wall", headers=other_wall).status_code == 401


def test_last_seen_is_written_at_most_once_a_minute(client, session, floor):
    made = _make(client, _as(floor, "ld1")).json()
    assert client.get(f"{API}/wall", headers=_bearer(made["token"])).status_code == 200
    row = session.get(Display, made["id"])
    session.refresh(row)
    seen = row.last_seen_at
    assert seen is not None
    assert client.get(f"{API}/wall", headers=_bearer(made["token"])).status_code == 200
    session.refresh(row)
    assert row.last_seen_at == seen  # within the minute: not written again
    assert displays.touch(session, row, now=seen + timedelta(seconds=59)) is False
    assert displays.touch(session, row, now=seen + timedelta(minutes=1)) is True
    assert row.last_seen_at == seen + timedelta(minutes=1)
    listed = client.get(f"{API}/displays", headers=_as(floor, "ld1")).json()["items"]
    assert listed[0]["last_seen_at"] is not None


def test_parse_refuses_what_is_not_shaped_like_a_display_token():
    assert displays.parse("scd_0123456789_secret") == ("0123456789", "secret")
    for text in ("sct_0123456789_secret", "scd_012345678_secret", "scd_0123456789_", "scd_0123456789", "",
                 "eyJhbGciOi.eyJzdWIi.sig"):
        assert displays.parse(text) is None, text


def test_the_openapi_documents_the_display_token_scheme():
    schema = create_app(precompute=False).openapi()
    assert "DisplayToken" in schema["components"]["securitySchemes"]
    wall = schema["paths"][f"{API}/wall"]["get"]
    assert wall["security"] == [{"DisplayToken": []}]
    assert "401" in wall["responses"]

