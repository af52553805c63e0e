"""The audit trail: imports, KPI registry, users and tokens are recorded with the change (who, when, what,
before and after; an import's file name, size and SHA-256), nothing for rejected or dry-run loads,
administrators read it through GET /api/v1/audit, and nothing in the app changes it."""

import getpass
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from app import migrate
from app.audit.service import record
from app.db import make_engine
from app.imports.service import import_file
from app.models import AuditEvent
from app.tokens.service import hash_secret
from tests.builders import login, make_district, make_user

AUDIT = "/api/v1/audit"


@pytest.fixture
def admin(session):
    return make_user(session, role="admin", email="boss@example.com")


@pytest.fixture
def admin_headers(client, admin):
    return login(client, admin)


def events(session, **where) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    for column, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, column) == value)
    return list(session.scalars(stmt))


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


def upload(client, headers, dataset: str, body: bytes, name: str, **kw):
    return client.post(f"/api/v1/imports/{dataset}", files={"file": (name, body, "text/csv")}, headers=headers, **kw)


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------------
# Imports


def test_import_records_who_when_file_and_counts(client, session, admin, admin_headers):
    make_district(session, code="D1")
    first = b"level,code,kpi,period,value\ndistrict,D1,meetings,2026-03,40\ndistrict,D1,proposals,2026-03,7\n"
    started = datetime.now(UTC)
    assert upload(client, admin_headers, "targets", first, "targets-v1.csv").status_code == 200
    # The second file changes one row, keeps one, adds one.
    second = (b"level,code,kpi,period,value\ndistrict,D1,meetings,2026-03,45\ndistrict,D1,proposals,2026-03,7\n"
              b"district,D1,training_hours,2026-04,12.5\n")
    res = upload(client, admin_headers, "targets", second, "targets-v2.csv")
    assert res.status_code == 200, res.text
    finished = datetime.now(UTC)

    one, two = events(session, action="import")
    assert (one.file_name, one.rows, one.inserted, one.updated, one.unchanged) == ("targets-v1.csv", 2, 2, 0, 0)
    # Only inserts: each inserted row has an empty "before" (null), and its whole row after.
    assert one.changed_rows == 0
    assert json.loads(one.before) == [None, None]
    assert json.loads(one.after) == [
        {"level": "district", "unit_code": "D1", "kpi_code": "meetings", "month": "2026-03-01", "value": "40.0000",
         "source_period": "2026-03", "stretch": None},
        {"level": "district", "unit_code": "D1", "kpi_code": "proposals", "month": "2026-03-01", "value": "7.0000",
         "source_period": "2026-03", "stretch": None}]
    assert two.actor_user_id == admin.id and two.actor == "boss@example.com"
    assert started <= as_utc(two.at) <= finished
    assert (two.entity, two.dataset, two.file_name) == ("targets", "targets", "targets-v2.csv")
    assert two.file_size == len(second)
    assert two.file_sha256 == hashlib.sha256(second).hexdigest()
    assert (two.rows, two.inserted, two.updated, two.unchanged, two.changed_rows) == (3, 1, 1, 1, 1)
    # The changed row, before and after: its key and the value (4 decimals, as stored).
    key = {"level": "district", "unit_code": "D1", "kpi_code": "meetings", "month": "2026-03-01"}
    # Changed rows first, then the inserted one (training_hours, new in April) with an empty "before".
    assert json.loads(two.before) == [{**key, "value": "40.0000"}, None]
    assert json.loads(two.after) == [{**key, "value": "45.0000"},
                                     {"level": "district", "unit_code": "D1", "kpi_code": "training_hours",
                                      "month": "2026-04-01", "value": "12.5000", "source_period": "2026-04",
                                      "stretch": None}]

    listed = client.get(AUDIT, params={"action": "import"}, headers=admin_headers).json()
    assert [e["file_name"] for e in listed["items"]] == ["targets-v2.csv", "targets-v1.csv"]  # newest first
    assert listed["items"][0]["before"] == [{**key, "value": "40.0000"}, None]
    assert listed["items"][0]["file_sha256"] == hashlib.sha256(second).hexdigest()
    assert listed["items"][0]["at"].endswith(("+00:00", "Z"))


def test_import_sample_of_changed_rows_is_bounded(session):
    make_district(session, code="D1")
    yearly = "level,code,kpi,period,value\ncompany,,revenue,2026,{v}\ndistrict,D1,revenue,2026,{v}\n"
    import_file(session, dataset="targets", data=yearly.format(v=1200).encode(), filename="t.csv")
    import_file(session, dataset="targets", data=yearly.format(v=2400).encode(), filename="t.csv")
    event = events(session, action="import")[-1]
    # Two yearly rows, no seasonality: 12 flat months each, every one changes from 100 to 200.
    assert (event.updated, event.changed_rows) == (2, 24)
    before, after = json.loads(event.before), json.loads(event.after)
    assert len(before) == len(after) == 20
    assert {b["value"] for b in before} == {"100.0000"} and {a["value"] for a in after} == {"200.0000"}
    assert [(b["level"], b["month"]) for b in before] == [(a["level"], a["month"]) for a in after]


def test_budget_import_records_changed_amounts(session):
    from tests.builders import make_product
    make_district(session, code="D1")
    make_product(session, code="P1")
    head = "district_code,product_code,period,quantity,amount\n"
    import_file(session, dataset="budgets", data=(head + "D1,P1,2026-05,3,300\n").encode(), filename="b.csv")
    import_file(session, dataset="budgets", data=(head + "D1,P1,2026-05,3,350.5\n").encode(), filename="b.csv")
    event = events(session, action="import")[-1]
    # Named by the codes of the file, not by internal ids (district_id, product_id).
    key = {"district_code": "D1", "product_code": "P1", "month": "2026-05-01"}
    assert json.loads(event.before) == [{**key, "amount": "300.00"}]
    assert json.loads(event.after) == [{**key, "amount": "350.50"}]
    assert "_id" not in event.before + event.after


def test_import_samples_name_sellers_accounts_products_and_leaders_by_code(session):
    """Every id column of a sample is shown as the code of the file (a leader by e-mail); an inserted row has
    an empty "before"."""
    from tests.builders import make_account, make_product, make_region, make_seller
    r1 = make_region(session, code="R1")
    d1 = make_district(session, code="D1", region=r1)
    make_district(session, code="D2")
    make_seller(session, code="S1", district=d1)
    account = make_account(session, code="A1", district=d1)
    make_product(session, code="P1")

    def sample(dataset: str, body: str) -> list[tuple]:
        import_file(session, dataset=dataset, data=body.encode(), filename=f"{dataset}.csv")
        event = events(session, action="import")[-1]
        return list(zip(json.loads(event.before), json.loads(event.after), strict=True))

    head = "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
    assert sample("sales", head + "I1,2026-01-05,S1,A1,P1,2,10,\n") == [
        (None, {"id": "I1", "date": "2026-01-05", "seller_code": "S1", "account_code": "A1", "product_code": "P1",
                "quantity": "2.00", "amount": "10.00", "cost": None})]
    # A correction: the key and the changed field, before and after.
    assert sample("sales", head + "I1,2026-01-05,S1,A1,P1,2,12.5,\n") == [
        ({"id": "I1", "amount": "10.00"}, {"id": "I1", "amount": "12.50"})]
    # A move of S2 to D2: two inserted sellers rows, then the district history by seller and district code.
    moved = sample("sellers", "code,name,email,district_code,valid_from\n"
                              "S2,Bo,bo@example.com,D1,2025-01-01\nS2,Bo,bo@example.com,D2,01.06.2026\n")
    assert moved == [
        (None, {"code": "S2", "name": "Bo", "email": "bo@example.com"}),
        (None, {"seller_code": "S2", "valid_from": "2025-01-01", "district_code": "D1"}),
        (None, {"seller_code": "S2", "valid_from": "2026-06-01", "district_code": "D2"}),
    ]
    body = f"code,name,district_code,key_account,kam_seller_code\nA1,{account.name},D2,true,S2\n"  # the name kept
    assert sample("accounts", body) == [
        ({"code": "A1", "district_code": "D1", "key_account": False, "kam_seller_code": None},
         {"code": "A1", "district_code": "D2", "key_account": True, "kam_seller_code": "S2"})]
    assert sample("leaders", "email,name,district_code,region_code\nlea@example.com,Lea,,R1\n") == [
        (None, {"email": "lea@example.com", "name": "Lea"}),
        (None, {"leader_email": "lea@example.com", "level": "region", "unit_code": "R1"})]


def test_rejected_import_and_dry_run_record_nothing(client, session, admin_headers):
    before = count(session)
    bad = upload(client, admin_headers, "regions", b"code,name\nN,North\n,Nameless\n", "bad.csv")
    assert bad.status_code == 422
    dry = upload(client, admin_headers, "regions", b"code,name\nN,North\n", "ok.csv", params={"dry_run": "true"})
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    unknown_ref = upload(client, admin_headers, "districts", b"code,name,region_code\nD9,Nine,NOPE\n", "d.csv")
    assert unknown_ref.status_code == 422
    assert count(session) == before


def test_rolled_back_import_leaves_no_event(session):
    before = count(session)
    savepoint = session.begin_nested()
    import_file(session, dataset="regions", data=b"code,name\nN,North\n", filename="r.csv")
    assert count(session) == before + 1  # recorded in the same transaction as the rows ...
    savepoint.rollback()
    assert count(session) == before  # ... and gone with them
    assert session.execute(text("SELECT count(*) FROM regions WHERE code = 'N'")).scalar() == 0


def test_import_without_a_user_records_the_os_account(session):
    import_file(session, dataset="regions", data=b"code,name\nN,North\n", filename="r.csv")
    event = events(session, action="import")[-1]
    assert event.actor_user_id is None
    assert event.actor == f"cli:{getpass.getuser()}"


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_cli_import_is_recorded(empty_db_url, tmp_path):
    migrate.upgrade(empty_db_url)
    path = tmp_path / "regions.csv"
    body = b"code,name\nN,North\nS,South\n"
    path.write_bytes(body)
    env = {**os.environ, "DATABASE_URL": empty_db_url}
    for extra in (["--dry-run"], []):
        done = subprocess.run([sys.executable, "-m", "app.cli", "import", "regions", str(path), *extra], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT actor_user_id, actor, action, file_name, file_size, file_sha256, rows, "
                                     "inserted FROM audit_events")).all()
    finally:
        engine.dispose()
    # The dry run wrote nothing; the load one event.
    assert [tuple(r) for r in rows] == [(None, f"cli:{getpass.getuser()}", "import", "regions.csv", len(body),
                                         hashlib.sha256(body).hexdigest(), 2, 2)]


# --------------------------------------------------------------------------------------------------
# KPI registry, users, tokens


def test_kpi_weight_change_records_before_and_after(client, session, admin, admin_headers):
    # The migration seeds every built-in KPI with weight 1 and green threshold 1.0.
    res = client.patch("/api/v1/kpis/revenue", json={"weight": 2.5, "green_threshold": 1.0}, headers=admin_headers)
    assert res.status_code == 200, res.text
    [event] = events(session, action="kpi.update")
    assert (event.entity, event.actor, event.actor_user_id) == ("kpi:revenue", "boss@example.com", admin.id)
    # Only what changed: the unchanged green threshold is left out.
    assert json.loads(event.before) == {"weight": "1"}
    assert json.loads(event.after) == {"weight": "2.5"}
    # A refused change (amber above green) records nothing.
    bad = client.patch("/api/v1/kpis/revenue", json={"amber_threshold": 5}, headers=admin_headers)
    assert bad.status_code == 422
    assert len(events(session, action="kpi.update")) == 1


def test_registry_creation_perspective_and_settings_recorded(client, session, admin_headers):
    body = {"code": "nps", "name": "NPS", "perspective": "customer", "unit": "score", "direction": "higher",
            "weight": 1, "green_threshold": 1.0, "amber_threshold": 0.9, "time_rollup": "last"}
    assert client.post("/api/v1/kpis", json=body, headers=admin_headers).status_code == 201
    assert client.patch("/api/v1/perspectives/process", json={"weight": 0.3}, headers=admin_headers).status_code == 200
    assert client.patch("/api/v1/settings/scorecard", json={"score_cap": 1.5, "fiscal_year_start_month": 1},
                        headers=admin_headers).status_code == 200
    [created] = events(session, action="kpi.create")
    assert created.entity == "kpi:nps" and created.before is None
    assert json.loads(created.after)["weight"] == "1" and json.loads(created.after)["manual"] is True
    [perspective] = events(session, action="perspective.update")
    assert (perspective.entity, json.loads(perspective.before), json.loads(perspective.after)) == (
        "perspective:process", {"weight": "0.2"}, {"weight": "0.3"})
    [settings] = events(session, action="settings.update")
    # The fiscal year start was 1 already: only the cap changed (seeded 1.2).
    assert (json.loads(settings.before), json.loads(settings.after)) == ({"score_cap": "1.2"}, {"score_cap": "1.5"})


def test_user_creation_records_no_password(client, session, admin, admin_headers):
    password = "correct-horse-battery"
    res = client.post("/api/v1/users", json={"email": "Finance@Example.com", "password": password, "role": "finance"},
                      headers=admin_headers)
    assert res.status_code == 201, res.text
    [event] = events(session, action="user.create")
    assert (event.entity, event.actor_user_id) == ("user:finance@example.com", admin.id)
    assert json.loads(event.after) == {"email": "finance@example.com", "role": "finance", "is_active": True}
    stored_hash = session.scalar(text("SELECT password_hash FROM users WHERE email = 'finance@example.com'"))
    every_column = json.dumps([getattr(event, c.key) for c in AuditEvent.__table__.columns], default=str)
    assert password not in every_column and stored_hash not in every_column
    assert "password" not in every_column


def test_token_create_and_revoke_recorded_without_the_secret(client, session, admin_headers):
    finance = make_user(session, role="finance", email="fin@example.com")
    headers = login(client, finance)
    made = client.post("/api/v1/tokens", json={"name": "ERP pull", "scopes": ["budgets:read"]}, headers=headers)
    assert made.status_code == 201, made.text
    token, prefix = made.json()["token"], made.json()["prefix"]
    secret = token.split(f"{prefix}_", 1)[1]  # the secret itself may hold "_" (URL-safe base64)
    [created] = events(session, action="token.create")
    assert (created.entity, created.actor, created.actor_user_id) == (f"token:{prefix}", "fin@example.com", finance.id)
    assert json.loads(created.after) == {"name": "ERP pull", "user": "fin@example.com", "scopes": ["budgets:read"],
                                         "expires_at": None}
    # An administrator revokes it; revoking again changes nothing and records nothing.
    for _ in range(2):
        assert client.delete(f"/api/v1/tokens/{made.json()['id']}", headers=admin_headers).status_code == 204
    [revoked] = events(session, action="token.revoke")
    assert (revoked.entity, revoked.actor) == (f"token:{prefix}", "boss@example.com")
    assert json.loads(revoked.before) == {"revoked_at": None}
    assert json.loads(revoked.after)["revoked_at"] is not None
    trail = json.dumps([[getattr(e, c.key) for c in AuditEvent.__table__.columns] for e in (created, revoked)],
                       default=str)
    assert secret not in trail and hash_secret(secret) not in trail


# --------------------------------------------------------------------------------------------------
# Reading the trail


@pytest.fixture
def trail(session, admin):
    """Five events at known moments, recorded the way the services record them."""
    moments = [datetime(2026, 1, d, 12, tzinfo=UTC) for d in (1, 2, 3, 4, 5)]
    specs = [("kpi.update", "kpi:revenue", admin), ("kpi.create", "kpi:nps", admin), ("import", "targets", None),
             ("kpi.update", "kpi:revenue", admin), ("token.create", "token:abc", admin)]
    ids = []
    for moment, (action, entity, actor) in zip(moments, specs, strict=True):
        event = record(session, actor=actor, action=action, entity=entity)
        event.at = moment
        ids.append(event.id)
    session.flush()
    return ids


def listed(client, headers, **params) -> dict:
    res = client.get(AUDIT, params=params, headers=headers)
    assert res.status_code == 200, res.text
    return res.json()


def test_audit_api_filters(client, session, admin_headers, trail):
    first, second, third, fourth, fifth = trail
    window = {"from": "2026-01-01", "to": "2026-01-05"}
    assert [e["id"] for e in listed(client, admin_headers, **window)["items"]] == [fifth, fourth, third, second, first]
    assert [e["id"] for e in listed(client, admin_headers, action="kpi.update", **window)["items"]] == [fourth, first]
    # A prefix before the dot matches the family.
    assert [e["id"] for e in listed(client, admin_headers, action="kpi", **window)["items"]] == [fourth, second, first]
    assert [e["id"] for e in listed(client, admin_headers, entity="kpi:nps")["items"]] == [second]
    assert [e["id"] for e in listed(client, admin_headers, entity="kpi", **window)["items"]] == [fourth, second, first]
    # A wildcard in the filter is literal, not a pattern.
    assert listed(client, admin_headers, action="kpi%", **window)["total"] == 0
    assert [e["id"] for e in listed(client, admin_headers, actor="BOSS@example.com", action="token")["items"]] == [fifth]
    cli = listed(client, admin_headers, actor=f"cli:{getpass.getuser()}", **window)
    assert [e["id"] for e in cli["items"]] == [third]
    assert cli["items"][0]["actor_user_id"] is None
    # Whole days, both ends inclusive.
    assert [e["id"] for e in listed(client, admin_headers, **{"from": "2026-01-02", "to": "2026-01-03"})["items"]] == [
        third, second]
    assert client.get(AUDIT, params={"from": "2026-01-03", "to": "2026-01-02"}, headers=admin_headers).status_code == 422
    assert client.get(AUDIT, params={"from": "2026-02-30"}, headers=admin_headers).status_code == 422


def test_audit_api_paginates(client, session, admin_headers, trail):
    first, second, third, fourth, fifth = trail
    window = {"from": "2026-01-01", "to": "2026-01-05"}
    page1 = listed(client, admin_headers, limit=2, offset=0, **window)
    page2 = listed(client, admin_headers, limit=2, offset=2, **window)
    page3 = listed(client, admin_headers, limit=2, offset=4, **window)
    assert (page1["total"], page1["limit"], page1["offset"]) == (5, 2, 0)
    assert [[e["id"] for e in p["items"]] for p in (page1, page2, page3)] == [[fifth, fourth], [third, second], [first]]
    for bad in ({"limit": 501}, {"limit": 0}, {"offset": -1}):
        assert client.get(AUDIT, params=bad, headers=admin_headers).status_code == 422
    assert listed(client, admin_headers, limit=500)["limit"] == 500
    one = client.get(f"{AUDIT}/{second}", headers=admin_headers)
    assert one.status_code == 200 and one.json()["entity"] == "kpi:nps"
    assert client.get(f"{AUDIT}/999999", headers=admin_headers).status_code == 404


@pytest.mark.parametrize("role", ["finance", "leader", "seller"])
def test_only_administrators_read_the_trail(client, session, trail, role):
    if role in ("leader", "seller"):
        from tests.builders import make_leader, make_seller
        if role == "leader":
            make_leader(session, units=[("company", "")], email="lead@example.com")
        else:
            make_seller(session, district=make_district(session), email="sell@example.com")
        user = make_user(session, role=role, email=f"{'lead' if role == 'leader' else 'sell'}@example.com")
    else:
        user = make_user(session, role=role)
    headers = login(client, user)
    assert client.get(AUDIT, headers=headers).status_code == 403
    assert client.get(f"{AUDIT}/{trail[0]}", headers=headers).status_code == 403


def test_api_tokens_and_anonymous_callers_cannot_read_the_trail(client, session, admin_headers, trail):
    made = client.post("/api/v1/tokens", json={"name": "x", "scopes": ["scorecards:read", "budgets:read"]},
                       headers=admin_headers)
    token = {"Authorization": f"Bearer {made.json()['token']}"}
    assert client.get(AUDIT, headers=token).status_code == 403  # even an administrator's token
    assert client.get(AUDIT).status_code == 401


def test_the_trail_cannot_be_edited_through_the_app(client, session, admin_headers, trail):
    target = trail[0]
    stored = session.execute(select(AuditEvent.action, AuditEvent.entity, AuditEvent.at)
                             .where(AuditEvent.id == target)).one()
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for url in (AUDIT, f"{AUDIT}/{target}"):
            res = client.request(method, url, json={"action": "nothing", "entity": "nothing"}, headers=admin_headers)
            assert res.status_code == 405, (method, url, res.status_code)
    session.expire_all()
    assert session.execute(select(AuditEvent.action, AuditEvent.entity, AuditEvent.at)
                           .where(AuditEvent.id == target)).one() == stored
    # The published API offers reading only.
    paths = client.get("/api/openapi.json").json()["paths"]
    audit_methods = {m for p, ops in paths.items() if p.startswith(AUDIT) for m in ops}
    assert audit_methods == {"get"}
