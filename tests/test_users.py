"""The user lifecycle: switching a login off and on, changing its role, setting and changing passwords.

Each refusal is paired with the caller who gets the thing, so a missing route cannot pass a test.
"""

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth.passwords import verify_password
from app.models import ApiToken, AuditEvent, User
from tests.builders import PASSWORD, login, make_district, make_leader, make_seller, make_user

NEW_PASSWORD = "a whole new password"


def _api_token(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    res = client.post("/api/v1/tokens", json={"name": "ERP", "scopes": ["scorecards:read"]}, headers=headers)
    assert res.status_code == 201, res.text
    return {"Authorization": f"Bearer {res.json()['token']}"}


def _sign_in(client: TestClient, email: str, password: str) -> int:
    return client.post("/api/v1/auth/token", data={"username": email, "password": password}).status_code


@pytest.fixture
def people(session):
    district = make_district(session, code="D1")
    make_seller(session, district=district, code="S1", email="kari@example.com")
    make_leader(session, units=[("district", "D1")], email="lead@example.com")
    return {"admin": make_user(session, role="admin", email="admin@example.com"),
            "seller": make_user(session, role="seller", email="kari@example.com"),
            "leader": make_user(session, role="leader", email="lead@example.com")}


def _events(session, action: str, entity: str) -> list[tuple[str, object, object]]:
    """(actor, before, after) of each audit event, oldest first; before and after are stored as JSON text."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.entity == entity)
                           .order_by(AuditEvent.id))
    return [(r.actor, r.before and json.loads(r.before), r.after and json.loads(r.after)) for r in rows]


def test_switching_a_login_off_ends_its_tokens_at_once_and_on_again_needs_the_password(client, session, people):
    admin, seller = login(client, people["admin"]), people["seller"]
    seller_login = login(client, seller)
    seller_api = _api_token(client, seller_login)
    assert client.get("/api/v1/me", headers=seller_login).status_code == 200
    assert client.get("/api/v1/me", headers=seller_api).status_code == 200

    res = client.patch(f"/api/v1/users/{seller.id}", json={"active": False}, headers=admin)
    assert res.status_code == 200, res.text
    assert res.json()["is_active"] is False
    assert client.get("/api/v1/me", headers=seller_login).status_code == 401
    assert client.get("/api/v1/me", headers=seller_api).status_code == 401
    assert _sign_in(client, seller.email, PASSWORD) == 401
    token_row = session.scalar(select(ApiToken).where(ApiToken.user_id == seller.id))
    assert token_row.revoked_at is not None

    assert client.patch(f"/api/v1/users/{seller.id}", json={"active": True}, headers=admin).status_code == 200
    assert _sign_in(client, seller.email, PASSWORD) == 200
    assert client.get("/api/v1/me", headers=seller_login).status_code == 401  # the old session stays ended
    assert client.get("/api/v1/me", headers=seller_api).status_code == 401  # and the API token revoked

    off, on = _events(session, "user.update", "user:kari@example.com")
    assert off == ("admin@example.com", {"role": "seller", "is_active": True},
                   {"role": "seller", "is_active": False, "api_tokens_revoked": 1})
    assert on == ("admin@example.com", {"role": "seller", "is_active": False}, {"role": "seller", "is_active": True})


def test_a_login_switched_off_through_one_instance_fails_on_another(session, people):
    """Two app instances on one database (as two servers behind a load balancer): nothing is cached."""
    from app.db import get_session
    from app.main import create_app

    def instance() -> TestClient:
        app = create_app(precompute=False)
        app.dependency_overrides[get_session] = lambda: (yield session)
        return TestClient(app)

    with instance() as one, instance() as two:
        seller_on_two = login(two, people["seller"])
        assert two.get("/api/v1/me", headers=seller_on_two).status_code == 200
        res = one.patch(f"/api/v1/users/{people['seller'].id}", json={"active": False},
                        headers=login(one, people["admin"]))
        assert res.status_code == 200
        assert two.get("/api/v1/me", headers=seller_on_two).status_code == 401


def test_only_an_administrator_changes_logins(client, session, people):
    seller = people["seller"]
    for who in ("seller", "leader"):
        res = client.patch(f"/api/v1/users/{seller.id}", json={"active": False}, headers=login(client, people[who]))
        assert res.status_code == 403
        res = client.put(f"/api/v1/users/{seller.id}/password", json={"password": NEW_PASSWORD},
                         headers=login(client, people[who]))
        assert res.status_code == 403
    assert client.patch(f"/api/v1/users/{seller.id}", json={"active": False}).status_code == 401
    assert session.get(User, seller.id).is_active is True
    admin = login(client, people["admin"])
    assert client.patch(f"/api/v1/users/{seller.id}", json={"active": False}, headers=admin).status_code == 200
    assert client.patch("/api/v1/users/999999", json={"active": False}, headers=admin).status_code == 404


def test_an_api_token_changes_no_login(client, session, people):
    admin = login(client, people["admin"])
    api = _api_token(client, admin)
    target = people["leader"].id
    assert client.patch(f"/api/v1/users/{target}", json={"active": False}, headers=api).status_code == 403
    assert client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                       headers=api).status_code == 403
    assert client.patch(f"/api/v1/users/{target}", json={"active": False}, headers=admin).status_code == 200


def test_no_one_switches_off_or_demotes_their_own_login(client, session, people):
    me = people["admin"]
    headers = login(client, me)
    for body, field in (({"active": False}, "active"), ({"role": "finance"}, "role")):
        res = client.patch(f"/api/v1/users/{me.id}", json=body, headers=headers)
        assert res.status_code == 422
        assert res.json()["detail"][0]["loc"] == ["body", field]
    assert session.get(User, me.id).is_active is True and session.get(User, me.id).role == "admin"
    # Another administrator can.
    other = make_user(session, role="admin")
    res = client.patch(f"/api/v1/users/{me.id}", json={"role": "finance"}, headers=login(client, other))
    assert res.status_code == 200 and res.json()["role"] == "finance"


def test_a_role_change_keeps_the_link_rule(client, session, people):
    admin = login(client, people["admin"])
    finance = make_user(session, role="finance", email="cfo@example.com")
    res = client.patch(f"/api/v1/users/{finance.id}", json={"role": "seller"}, headers=admin)
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["body", "role"]
    assert "no seller has e-mail cfo@example.com" in res.json()["detail"][0]["msg"]
    res = client.patch(f"/api/v1/users/{people['seller'].id}", json={"role": "finance"}, headers=admin)
    assert res.status_code == 200 and res.json()["role"] == "finance"
    # The new role holds on the next request: finance reads budgets, which a seller may not.
    assert client.get("/api/v1/me", headers=login(client, people["seller"])).json()["role"] == "finance"


@pytest.mark.parametrize("body", [{"active": None}, {"role": None}, {"active": "false"}, {"active": 0},
                                  {"role": "owner"}, {"email": "x@example.com"}])
def test_bad_changes_are_422_naming_the_field(client, session, people, body):
    res = client.patch(f"/api/v1/users/{people['seller'].id}", json=body, headers=login(client, people["admin"]))
    assert res.status_code == 422, res.text
    assert res.json()["detail"][0]["loc"][:2] == ["body", next(iter(body))]
    assert session.get(User, people["seller"].id).is_active is True


def test_an_administrator_sets_a_new_password(client, session, people):
    seller = people["seller"]
    old_session = login(client, seller)
    api = _api_token(client, old_session)
    res = client.put(f"/api/v1/users/{seller.id}/password", json={"password": NEW_PASSWORD},
                     headers=login(client, people["admin"]))
    assert res.status_code == 204, res.text
    assert _sign_in(client, seller.email, PASSWORD) == 401
    assert _sign_in(client, seller.email, NEW_PASSWORD) == 200
    assert client.get("/api/v1/me", headers=old_session).status_code == 401
    assert client.get("/api/v1/me", headers=api).status_code == 200  # API tokens are not sessions
    (event,) = _events(session, "user.password", "user:kari@example.com")
    assert event == ("admin@example.com", None, {"changed_by": "an administrator"})  # never the password or hash


def test_a_user_changes_their_own_password_with_the_current_one(client, session, people):
    seller = people["seller"]
    here, elsewhere = login(client, seller), login(client, seller)
    res = client.post("/api/v1/me/password", json={"current_password": "not it at all",
                                                   "new_password": NEW_PASSWORD}, headers=here)
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["body", "current_password"]
    assert verify_password(PASSWORD, session.get(User, seller.id).password_hash)

    res = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                      headers=here)
    assert res.status_code == 200, res.text
    fresh = {"Authorization": f"Bearer {res.json()['access_token']}"}
    assert client.get("/api/v1/me", headers=fresh).json()["email"] == seller.email
    assert client.get("/api/v1/me", headers=elsewhere).status_code == 401
    assert client.get("/api/v1/me", headers=here).status_code == 401
    assert _sign_in(client, seller.email, NEW_PASSWORD) == 200
    (event,) = _events(session, "user.password", "user:kari@example.com")
    assert event == (seller.email, None, {"changed_by": "the user"})


def test_a_new_password_must_be_long_enough(client, session, people):
    res = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "short"},
                      headers=login(client, people["seller"]))
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["body", "new_password"]


def test_every_timestamp_carries_its_time_zone(client, session, people):
    """SQLite hands back naive datetimes; the API says UTC on both databases, on GET as on POST."""
    admin = login(client, people["admin"])
    created = client.post("/api/v1/users", json={"email": "new@example.com", "password": NEW_PASSWORD,
                                                 "role": "finance"}, headers=admin).json()["created_at"]
    listed = {u["email"]: u["created_at"] for u in client.get("/api/v1/users", headers=admin).json()}
    tokens = client.get("/api/v1/tokens", headers=admin).json()
    audit = client.get("/api/v1/audit", headers=admin).json()["items"]
    stamps = [created, *listed.values(), *(t["created_at"] for t in tokens), *(e["at"] for e in audit)]
    assert stamps and all(s.endswith(("Z", "+00:00")) for s in stamps), stamps
    assert datetime.fromisoformat(listed["new@example.com"]) == datetime.fromisoformat(created)
    assert abs(datetime.fromisoformat(created) - datetime.now(UTC)).total_seconds() < 60


def test_an_administrator_changes_their_own_password_only_with_the_current_one(client, session, people):
    """A token alone (a stolen one, say) must not be enough to take a login over."""
    me = people["admin"]
    headers = login(client, me)
    res = client.put(f"/api/v1/users/{me.id}/password", json={"password": NEW_PASSWORD}, headers=headers)
    assert res.status_code == 422
    assert "/api/v1/me/password" in res.json()["detail"][0]["msg"]
    res = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                      headers=headers)
    assert res.status_code == 200


def test_wrong_current_passwords_count_as_failed_sign_ins(client, session, people):
    """A stolen token must not be a way to guess the password: the throttle counts these too."""
    seller = people["seller"]
    headers = login(client, seller)
    wrong = {"current_password": "a guess at it", "new_password": NEW_PASSWORD}
    for _ in range(5):
        assert client.post("/api/v1/me/password", json=wrong, headers=headers).status_code == 422
    res = client.post("/api/v1/me/password", json={**wrong, "current_password": PASSWORD}, headers=headers)
    assert res.status_code == 429 and int(res.headers["retry-after"]) >= 1
    assert _sign_in(client, seller.email, PASSWORD) == 429  # the same pair: e-mail and address
    assert verify_password(PASSWORD, session.get(User, seller.id).password_hash)
