"""Long-lived API tokens: shown once, stored hashed, read-only, limited by scopes and by the user's
own access, and dead at once when revoked or expired."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import ApiToken, KpiDefinition, Region, User
from tests.builders import login, make_district, make_leader, make_seller, make_user

SCORECARD = "/api/v1/scorecards/company/-?period=2026-01"
BOTH = ["scorecards:read", "budgets:read"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _create(client, headers, *, name="ERP pull", scopes=BOTH, **extra) -> dict:
    res = client.post("/api/v1/tokens", headers=headers, json={"name": name, "scopes": scopes, **extra})
    assert res.status_code == 201, res.text
    return res.json()


def _row(session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    session.refresh(row)
    return row


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_token_is_shown_once_and_stored_only_as_a_hash(client, session):
    finance = make_user(session, role="finance")
    headers = login(client, finance)
    body = _create(client, headers, name="  ERP pull  ", scopes=["budgets:read", "scorecards:read", "budgets:read"])

    token = body["token"]
    mark, prefix, secret = token.split("_", 2)
    assert mark == "sct" and prefix == body["prefix"] and len(secret) >= 40
    assert body["name"] == "ERP pull"
    assert body["scopes"] == ["scorecards:read", "budgets:read"]
    assert body["expires_at"] is None

    row = _row(session, body["id"])
    assert row.user_id == finance.id
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(getattr(row, column.key)) for column in ApiToken.__table__.columns]
    assert not any(secret in value for value in stored)
    assert not any(token in value for value in stored)

    # The list never shows it again, nor the hash.
    listed = client.get("/api/v1/tokens", headers=headers)
    assert listed.status_code == 200
    assert secret not in listed.text and row.token_hash not in listed.text
    assert "token" not in listed.json()[0] and "token_hash" not in listed.json()[0]


def test_token_acts_as_its_user_for_me_and_scorecards(client, session):
    finance = make_user(session, role="finance")
    token = _create(client, login(client, finance), scopes=["scorecards:read"])["token"]

    me = client.get("/api/v1/me", headers=_bearer(token))
    assert me.status_code == 200
    assert me.json()["email"] == finance.email and me.json()["role"] == "finance"
    card = client.get(SCORECARD, headers=_bearer(token))
    assert card.status_code == 200, card.text
    assert card.json()["level"] == "company"


def test_token_without_the_scorecards_scope_gets_403_on_scorecards(client, session):
    finance = make_user(session, role="finance")
    headers = login(client, finance)
    token = _create(client, headers, scopes=["budgets:read"])["token"]

    assert client.get(SCORECARD, headers=_bearer(token)).status_code == 403
    res = client.get("/api/v1/scorecards/company/-/children?period=2026-01", headers=_bearer(token))
    assert res.status_code == 403
    assert "scorecards:read" in res.json()["detail"]
    # The same user signed in, and the token for what it may do, still pass.
    assert client.get(SCORECARD, headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200


def test_a_token_never_writes_even_an_administrators(client, session):
    admin = make_user(session, role="admin")
    headers = login(client, admin)
    created = _create(client, headers)
    token = _bearer(created["token"])
    csv = ("regions.csv", b"code,name\nRX1,Region X1\n", "text/csv")
    new_user = {"email": "new-finance@example.com", "password": "s3cret-enough", "role": "finance"}
    kpi_change = {"name": "Revenue (net)"}

    refused = [
        client.post("/api/v1/users", headers=token, json=new_user),
        client.get("/api/v1/users", headers=token),  # AdminUser refuses tokens, reads included
        client.post("/api/v1/imports/regions", headers=token, files={"file": csv}),
        client.post("/api/v1/tokens", headers=token, json={"name": "child", "scopes": BOTH}),
        client.patch("/api/v1/kpis/revenue", headers=token, json=kpi_change),
        client.delete(f"/api/v1/tokens/{created['id']}", headers=token),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]
    assert session.scalar(select(User).where(User.email == new_user["email"])) is None
    assert session.scalar(select(Region).where(Region.code == "RX1")) is None
    assert session.scalar(select(KpiDefinition.name).where(KpiDefinition.code == "revenue")) != "Revenue (net)"
    assert session.scalar(select(ApiToken).where(ApiToken.name == "child")) is None
    assert _row(session, created["id"]).revoked_at is None

    # The same requests signed in as the administrator do work: the 403s came from the token.
    assert client.post("/api/v1/users", headers=headers, json=new_user).status_code == 201
    assert client.post("/api/v1/imports/regions", headers=headers, files={"file": csv}).status_code == 200
    assert session.scalar(select(Region.name).where(Region.code == "RX1")) == "Region X1"
    assert client.patch("/api/v1/kpis/revenue", headers=headers, json=kpi_change).status_code == 200
    assert client.get(SCORECARD, headers=token).status_code == 200


def test_any_write_route_refuses_tokens_even_one_that_only_asks_for_a_user(app, client, session):
    """The safety net in get_principal: a future write route taking CurrentUser still refuses tokens."""
    from app.deps import CurrentUser

    calls = []

    @app.post("/api/v1/_probe")
    def probe(user: CurrentUser) -> dict:
        calls.append(user.id)
        return {"ok": True}

    finance = make_user(session, role="finance")
    headers = login(client, finance)
    token = _bearer(_create(client, headers)["token"])
    assert client.post("/api/v1/_probe", headers=token).status_code == 403
    assert calls == []
    assert client.post("/api/v1/_probe", headers=headers).status_code == 200
    assert calls == [finance.id]


def test_revoked_token_is_refused_at_once(client, session):
    finance = make_user(session, role="finance")
    headers = login(client, finance)
    created = _create(client, headers)
    token = _bearer(created["token"])
    assert client.get(SCORECARD, headers=token).status_code == 200

    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=headers).status_code == 204
    assert client.get(SCORECARD, headers=token).status_code == 401
    res = client.get("/api/v1/me", headers=token)
    assert res.status_code == 401
    assert res.headers["www-authenticate"] == "Bearer"
    listed = client.get("/api/v1/tokens", headers=headers).json()
    assert [(t["id"], t["revoked"]) for t in listed] == [(created["id"], True)]
    assert listed[0]["revoked_at"] is not None
    # Revoking again is harmless.
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=headers).status_code == 204


def test_expired_token_is_refused(client, session):
    finance = make_user(session, role="finance")
    created = _create(client, login(client, finance), expires_in_days=30)
    expires = datetime.fromisoformat(created["expires_at"])
    assert expires - datetime.fromisoformat(created["created_at"]) == timedelta(days=30)
    token = _bearer(created["token"])
    assert client.get("/api/v1/me", headers=token).status_code == 200

    row = _row(session, created["id"])
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.flush()
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert client.get(SCORECARD, headers=token).status_code == 401


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),   # secret's last character changed
    lambda t: t + "x",                                   # secret lengthened
    lambda t: "_".join(t.split("_", 2)[:2]) + "_",       # secret dropped
    lambda t: "sct_0000000000_" + t.split("_", 2)[2],    # someone else's (unknown) prefix
    lambda t: t.replace("sct_", "sct_x", 1),             # malformed prefix
    lambda t: "sct_",
])
def test_tampered_token_is_refused(client, session, tamper):
    finance = make_user(session, role="finance")
    token = _create(client, login(client, finance))["token"]
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    forged = tamper(token)
    assert forged != token
    assert client.get("/api/v1/me", headers=_bearer(forged)).status_code == 401


def test_token_of_an_inactive_user_is_refused(client, session):
    finance = make_user(session, role="finance")
    token = _bearer(_create(client, login(client, finance))["token"])
    finance.is_active = False
    session.flush()
    assert client.get("/api/v1/me", headers=token).status_code == 401


def test_list_shows_prefix_and_last_use_recorded_at_most_once_a_minute(client, session):
    finance = make_user(session, role="finance")
    headers = login(client, finance)
    first = _create(client, headers, name="first", scopes=["budgets:read"])
    second = _create(client, headers, name="second", expires_in_days=7)

    listed = {t["name"]: t for t in client.get("/api/v1/tokens", headers=headers).json()}
    assert set(listed) == {"first", "second"}
    assert listed["first"]["prefix"] == first["prefix"] and listed["first"]["scopes"] == ["budgets:read"]
    assert listed["first"]["last_used_at"] is None and listed["first"]["revoked"] is False
    assert listed["second"]["expires_at"] is not None and listed["second"]["user_email"] == finance.email

    before = datetime.now(UTC)
    assert client.get("/api/v1/me", headers=_bearer(first["token"])).status_code == 200
    used = client.get("/api/v1/tokens", headers=headers).json()
    used = {t["name"]: t for t in used}
    first_use = datetime.fromisoformat(used["first"]["last_used_at"])
    assert before - timedelta(seconds=1) <= first_use <= datetime.now(UTC)
    assert used["second"]["last_used_at"] is None
    for secret in (first["token"], second["token"]):
        assert secret.split("_", 2)[2] not in str(used)

    # A second use within the minute writes nothing; one after it does.
    assert client.get("/api/v1/me", headers=_bearer(first["token"])).status_code == 200
    assert _utc(_row(session, first["id"]).last_used_at) == first_use
    row = _row(session, first["id"])
    row.last_used_at = first_use - timedelta(minutes=2)
    session.flush()
    assert client.get("/api/v1/me", headers=_bearer(first["token"])).status_code == 200
    assert _utc(_row(session, first["id"]).last_used_at) >= before


def test_delete_someone_elses_token_is_404_but_an_admin_may(client, session):
    owner = make_user(session, role="finance")
    other = make_user(session, role="finance")
    admin = make_user(session, role="admin")
    created = _create(client, login(client, owner))
    token = _bearer(created["token"])

    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=login(client, other)).status_code == 404
    assert client.delete("/api/v1/tokens/999999", headers=login(client, owner)).status_code == 404
    assert client.get("/api/v1/me", headers=token).status_code == 200
    # Nor does the other user see it in their list.
    assert client.get("/api/v1/tokens", headers=login(client, other)).json() == []

    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=login(client, admin)).status_code == 204
    assert client.get("/api/v1/me", headers=token).status_code == 401


def test_only_an_admin_lists_every_users_tokens(client, session):
    finance = make_user(session, role="finance")
    admin = make_user(session, role="admin")
    mine = _create(client, login(client, finance))
    own_admin = _create(client, login(client, admin), name="admin's")

    assert client.get("/api/v1/tokens?all=true", headers=login(client, finance)).status_code == 403
    assert [t["id"] for t in client.get("/api/v1/tokens", headers=login(client, admin)).json()] == [own_admin["id"]]
    everything = client.get("/api/v1/tokens?all=true", headers=login(client, admin)).json()
    assert {(t["id"], t["user_email"]) for t in everything} >= {
        (mine["id"], finance.email), (own_admin["id"], admin.email)}
    # Listing is for people: a token cannot list tokens.
    assert client.get("/api/v1/tokens", headers=_bearer(mine["token"])).status_code == 403


def test_a_sellers_token_sees_only_the_sellers_own_scorecard(client, session):
    district = make_district(session)
    me = make_seller(session, district=district, email="me@example.com")
    other = make_seller(session, district=district)
    user = make_user(session, role="seller", email="me@example.com")
    token = _bearer(_create(client, login(client, user), scopes=["scorecards:read"])["token"])

    own = client.get(f"/api/v1/scorecards/seller/{me.code}?period=2026-01", headers=token)
    assert own.status_code == 200, own.text
    assert own.json()["code"] == me.code
    assert client.get(f"/api/v1/scorecards/seller/{other.code}?period=2026-01", headers=token).status_code == 404
    assert client.get(f"/api/v1/scorecards/district/{district.code}?period=2026-01", headers=token).status_code == 404
    assert client.get(SCORECARD, headers=token).status_code == 404


def test_every_role_may_create_tokens(client, session):
    district = make_district(session)
    make_seller(session, district=district, email="s@example.com")
    make_leader(session, units=[("district", district.code)], email="l@example.com")
    users = [make_user(session, role="seller", email="s@example.com"),
             make_user(session, role="leader", email="l@example.com"),
             make_user(session, role="finance"), make_user(session, role="admin")]
    for user in users:
        created = _create(client, login(client, user), scopes=["scorecards:read"])
        assert client.get("/api/v1/me", headers=_bearer(created["token"])).json()["email"] == user.email


@pytest.mark.parametrize("body", [
    {"name": "x", "scopes": ["budgets:write"]},
    {"name": "x", "scopes": []},
    {"name": "x"},
    {"name": "   ", "scopes": ["budgets:read"]},
    {"name": "x", "scopes": ["budgets:read"], "expires_in_days": 0},
    {"name": "x", "scopes": ["budgets:read"], "expires_in_days": "soon"},
    {"name": "x", "scopes": ["budgets:read"], "role": "admin"},
])
def test_bad_create_requests_are_422_and_name_the_field(client, session, body):
    finance = make_user(session, role="finance")
    res = client.post("/api/v1/tokens", headers=login(client, finance), json=body)
    assert res.status_code == 422, res.text
    assert all(err["loc"][0] == "body" for err in res.json()["detail"])
    assert session.scalar(select(ApiToken).where(ApiToken.user_id == finance.id)) is None


def test_creating_needs_a_sign_in(client, session):
    assert client.post("/api/v1/tokens", json={"name": "x", "scopes": BOTH}).status_code == 401
    assert client.get("/api/v1/tokens").status_code == 401
