"""Logging in, creating users, and the 401/403 answers."""

from datetime import UTC, datetime, timedelta

import jwt

from app.config import get_settings
from tests.builders import PASSWORD, login, make_district, make_leader, make_seller, make_user


def test_login_returns_bearer_token_that_identifies_the_user(client, session):
    user = make_user(session, role="finance", email="Kari@Example.com")
    res = client.post("/api/v1/auth/token", data={"username": "KARI@example.com", "password": PASSWORD})
    assert res.status_code == 200
    body = res.json()
    assert body["token_type"] == "bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"email": user.email, "role": "finance", "seller_code": None, "units": [], "key_accounts": []}


def test_wrong_password_and_unknown_user_are_401(client, session):
    make_user(session, role="admin", email="a@example.com")
    for username, password in (("a@example.com", "wrong password"), ("nobody@example.com", PASSWORD)):
        res = client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert res.status_code == 401
        assert res.json()["detail"] == "wrong e-mail or password"


def test_missing_forged_and_expired_tokens_are_401(client, session):
    user = make_user(session, role="admin")
    assert client.get("/api/v1/me").status_code == 401
    forged = jwt.encode({"sub": str(user.id), "exp": datetime.now(UTC) + timedelta(hours=1), "typ": "access"},
                        "another secret that is long enough for hs256", algorithm="HS256")
    expired = jwt.encode({"sub": str(user.id), "exp": datetime.now(UTC) - timedelta(seconds=5), "typ": "access"},
                         get_settings().secret_key, algorithm="HS256")
    for token in ("garbage", forged, expired):
        res = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert res.status_code == 401, token


def test_admin_creates_user_who_can_then_log_in(client, session):
    admin = make_user(session, role="admin")
    headers = login(client, admin)
    res = client.post("/api/v1/users", headers=headers,
                      json={"email": "Finance@Example.com", "password": "s3cret-enough", "role": "finance"})
    assert res.status_code == 201, res.text
    assert res.json()["email"] == "finance@example.com"
    assert res.json()["role"] == "finance"
    ok = client.post("/api/v1/auth/token", data={"username": "finance@example.com", "password": "s3cret-enough"})
    assert ok.status_code == 200


def test_password_is_stored_hashed_with_argon2(client, session):
    admin = make_user(session, role="admin")
    client.post("/api/v1/users", headers=login(client, admin),
                json={"email": "f@example.com", "password": "s3cret-enough", "role": "finance"})
    from sqlalchemy import select

    from app.models import User
    stored = session.scalar(select(User.password_hash).where(User.email == "f@example.com"))
    assert stored.startswith("$argon2")
    assert "s3cret-enough" not in stored


def test_the_app_hashes_with_pwdlibs_recommended_argon2id():
    # The tests sign in with a cheap argon2id (tests/conftest.py); the app's own hasher is the
    # recommended one: argon2id, 64 MiB, 3 passes, 4 lanes (RFC 9106's second recommended option).
    from tests.conftest import APP_HASHER

    stored = APP_HASHER.hash("s3cret-enough")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert APP_HASHER.verify("s3cret-enough", stored) and not APP_HASHER.verify("s3cret-enougH", stored)


def test_only_admin_creates_users(client, session):
    for role in ("finance", "seller", "leader"):
        district = make_district(session)
        email = f"{role}-x@example.com"
        if role == "seller":
            make_seller(session, district=district, email=email)
        if role == "leader":
            make_leader(session, units=[("district", district.code)], email=email)
        user = make_user(session, role=role, email=email)
        res = client.post("/api/v1/users", headers=login(client, user),
                          json={"email": f"new-{role}@example.com", "password": "s3cret-enough", "role": "admin"})
        assert res.status_code == 403, role


def test_user_creation_rejects_duplicates_short_passwords_and_unlinked_sellers(client, session):
    admin = make_user(session, role="admin", email="boss@example.com")
    headers = login(client, admin)
    cases = [
        ({"email": "boss@example.com", "password": "s3cret-enough", "role": "finance"}, "exists already"),
        ({"email": "x@example.com", "password": "short", "role": "finance"}, "at least 8"),
        ({"email": "ghost@example.com", "password": "s3cret-enough", "role": "seller"}, "no seller"),
        ({"email": "ghost@example.com", "password": "s3cret-enough", "role": "leader"}, "no leader"),
        ({"email": "x@example.com", "password": "s3cret-enough", "role": "emperor"}, "admin"),
        ({"email": "not-an-email", "password": "s3cret-enough", "role": "finance"}, "email"),
    ]
    for body, fragment in cases:
        res = client.post("/api/v1/users", headers=headers, json=body)
        assert res.status_code == 422, body
        assert fragment in res.text, (body, res.text)


def test_seller_login_links_to_seller_by_email(client, session):
    district = make_district(session)
    seller = make_seller(session, district=district, email="Ola@Example.com")
    user = make_user(session, role="seller", email="ola@example.com")
    me = client.get("/api/v1/me", headers=login(client, user)).json()
    assert me["seller_code"] == seller.code
