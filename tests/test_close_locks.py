"""Locked months (POST /periods/{YYYY-MM}/lock and /unlock, GET /periods) and what a lock refuses:
imports over the API and the command line that would change the month's sales, activities, targets,
KPI values, budgets or district assignments, and goal conversations dated in it.

The world, built once per backend (each test runs in a SAVEPOINT of it): R1 with districts D1
(seller S1, account AC1) and D2 (seller S2, account AC2), both sellers from 2020-01-01; products A
and B; a manual KPI `survey`. Sales: x0 15 May (S1 A 2 for 20.00), x1 10 June (S1 A 10 for 100.00),
x2 20 June (S2 B 5 for 50.00), x3 5 July (S1 A 1 for 10.00); one meeting of S1 on 11 June; S1's
revenue target for June 1,000; D1's budget for A in June 100 for 1,000.00; D1's survey value for
June 4; D2's budget for B in August 10 for 500.00 (a month with plans only). So the months with data
are 2026-05 … 2026-08, the pages open on 2026-07 (the latest sale), and 2026-09 has none.
Logins: finance, admin, D1's leader, S1's seller login.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app import migrate
from app.close import locks
from app.db import get_session, make_engine
from app.imports import batches as batch_reader
from app.imports import driver, service
from app.imports.service import import_file
from app.main import create_app
from app.models import (
    Account,
    Activity,
    AuditEvent,
    Budget,
    District,
    GoalConversation,
    KpiDefinition,
    KpiValue,
    PeriodLock,
    Sale,
    SellerDistrict,
    Snapshot,
    Target,
    User,
)
from app.tokens.service import create_token
from tests.builders import (
    add_activities,
    add_budgets,
    add_sales,
    add_targets,
    make_account,
    make_district,
    make_leader,
    make_product,
    make_region,
    make_seller,
    make_user,
    signed_in,
)

API = "/api/v1"
SALES_HEADER = "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
# The world's sales exactly as stored: loaded again, every row is unchanged.
STORED_SALES = (
    SALES_HEADER + "x0,2026-05-15,S1,AC1,A,2,20.00,\nx1,2026-06-10,S1,AC1,A,10,100.00,\n"
    "x2,2026-06-20,S2,AC2,B,5,50.00,\nx3,2026-07-05,S1,AC1,A,1,10.00,\n"
)


@dataclass
class World:
    connection: Connection
    client: TestClient
    holder: dict
    users: dict[str, User] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return signed_in(self.users[who])


def _build(session: Session) -> dict[str, User]:
    r1 = make_region(session, code="R1")
    d1, d2 = make_district(session, code="D1", region=r1), make_district(session, code="D2", region=r1)
    s1 = make_seller(session, code="S1", district=d1, name="Siri", email="s1@example.com")
    s2 = make_seller(session, code="S2", district=d2, name="Stig", email="s2@example.com")
    ac1, ac2 = make_account(session, code="AC1", district=d1), make_account(session, code="AC2", district=d2)
    a, b = make_product(session, code="A"), make_product(session, code="B")
    session.add(KpiDefinition(code="survey", name="Employee survey", perspective="learning", unit="score",
                              direction="higher", weight=Decimal(1), time_rollup="last", manual=True, active=True))
    session.flush()

    def sale(sid: str, day: date, seller, account, product, qty: str, amount: str) -> Sale:
        return Sale(id=sid, date=day, seller_id=seller.id, account_id=account.id, product_id=product.id,
                    quantity=Decimal(qty), amount=Decimal(amount), cost=None)

    add_sales(session, [sale("x0", date(2026, 5, 15), s1, ac1, a, "2", "20.00"),
                        sale("x1", date(2026, 6, 10), s1, ac1, a, "10", "100.00"),
                        sale("x2", date(2026, 6, 20), s2, ac2, b, "5", "50.00"),
                        sale("x3", date(2026, 7, 5), s1, ac1, a, "1", "10.00")])
    add_activities(session, [Activity(id="m1", date=date(2026, 6, 11), seller_id=s1.id, account_id=ac1.id,
                                      type="meeting", value=Decimal(1))])
    add_targets(session, [Target(level="seller", unit_code="S1", kpi_code="revenue", month=date(2026, 6, 1),
                                 value=Decimal(1000), source_period="2026-06")])
    add_budgets(session, [
        Budget(district_id=d1.id, product_id=a.id, month=date(2026, 6, 1), quantity=Decimal(100),
               amount=Decimal("1000.00"), cost=None, source_period="2026-06"),
        Budget(district_id=d2.id, product_id=b.id, month=date(2026, 8, 1), quantity=Decimal(10),
               amount=Decimal("500.00"), cost=None, source_period="2026-08"),
    ])
    session.add(KpiValue(level="district", unit_code="D1", kpi_code="survey", month=date(2026, 6, 1),
                         value=Decimal(4), source_period="2026-06"))
    session.flush()
    leader = make_leader(session, units=[("district", "D1")], email="lead1@example.com")
    return {
        "finance": make_user(session, role="finance", email="okonomi@example.com"),
        "admin": make_user(session, role="admin", email="admin@example.com"),
        "leader": make_user(session, role="leader", email=leader.email),
        "seller": make_user(session, role="seller", email=s1.email),
    }


@pytest.fixture(scope="module")
def world(engine) -> Iterator[World]:
    connection = engine.connect()
    outer = connection.begin()
    setup = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    holder = {"session": setup}
    app = create_app(precompute=False)

    def _session_override() -> Iterator[Session]:
        yield holder["session"]

    app.dependency_overrides[get_session] = _session_override
    try:
        users = _build(setup)
        setup.commit()
        with TestClient(app) as client:
            yield World(connection=connection, client=client, holder=holder, users=users)
    finally:
        setup.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def db(world) -> Iterator[Session]:
    """A session in a SAVEPOINT of the module's transaction (the app's too), rolled back after the test."""
    savepoint = world.connection.begin_nested()
    session = Session(bind=world.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    world.holder["session"] = session
    try:
        yield session
    finally:
        session.close()
        savepoint.rollback()


def lock(world: World, period: str, who: str = "finance"):
    return world.client.post(f"{API}/periods/{period}/lock", headers=world.headers(who))


def unlock(world: World, period: str, who: str = "finance"):
    return world.client.post(f"{API}/periods/{period}/unlock", headers=world.headers(who))


def upload(world: World, dataset: str, body: str, **params):
    return world.client.post(f"{API}/imports/{dataset}", params=params, headers=world.headers("admin"),
                             files={"file": (f"{dataset}.csv", body.encode(), "text/csv")})


def count(db: Session, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def lock_note(db: Session, period: str) -> str:
    """'2026-06 is locked (by okonomi@example.com on <the lock's day>)'."""
    row = db.get(PeriodLock, period)
    assert row is not None
    return f"{period} is locked (by {row.locked_by} on {row.locked_at.astimezone(UTC):%Y-%m-%d})"


@pytest.fixture
def june(world, db) -> str:
    """June locked by finance: the note its refusals carry."""
    res = lock(world, "2026-06")
    assert res.status_code == 201, res.text
    return lock_note(db, "2026-06")


# --- locking and unlocking --------------------------------------------------------------------------


def test_lock_and_unlock_answer_and_audit(world, db):
    before = datetime.now(UTC)
    res = lock(world, "2026-06")
    assert res.status_code == 201, res.text
    body = res.json()
    assert (body["period"], body["locked"], body["locked_by"]) == ("2026-06", True, "okonomi@example.com")
    assert body["unlocked_at"] is None and body["unlocked_by"] is None
    locked_at = datetime.fromisoformat(body["locked_at"])
    assert before <= locked_at <= datetime.now(UTC)
    snapshot = db.get(Snapshot, body["snapshot_id"])
    assert snapshot is not None and snapshot.period == "2026-06"
    row = db.get(PeriodLock, "2026-06")
    assert (row.locked_by, row.snapshot_id) == ("okonomi@example.com", snapshot.id)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "lock")).one()
    assert (event.actor, event.entity) == ("okonomi@example.com", "period 2026-06")
    assert event.after == f'{{"period": "2026-06", "snapshot_id": {snapshot.id}}}'

    periods = world.client.get(f"{API}/periods", headers=world.headers("seller")).json()
    june = next(p for p in periods["items"] if p["period"] == "2026-06")
    assert (june["locked"], june["locked_by"], june["snapshot_id"], june["has_data"]) == (
        True, "okonomi@example.com", snapshot.id, True)

    res = unlock(world, "2026-06", who="admin")
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["period"], body["locked"], body["locked_by"], body["unlocked_by"], body["snapshot_id"]) == (
        "2026-06", False, "okonomi@example.com", "admin@example.com", snapshot.id)
    assert db.get(PeriodLock, "2026-06") is None
    db.refresh(snapshot)
    assert snapshot.unlocked_by == "admin@example.com" and snapshot.unlocked_at is not None
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "unlock")).one()
    assert (event.actor, event.entity, event.after) == ("admin@example.com", "period 2026-06", None)
    assert f'"snapshot_id": {snapshot.id}' in event.before and '"locked_by": "okonomi@example.com"' in event.before
    periods = world.client.get(f"{API}/periods", headers=world.headers("seller")).json()
    assert next(p for p in periods["items"] if p["period"] == "2026-06")["locked"] is False


def test_periods_lists_the_months_with_data_newest_first(world, db):
    res = world.client.get(f"{API}/periods", headers=world.headers("leader"))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["open_period"] == "2026-07"
    assert [(p["period"], p["locked"], p["has_data"]) for p in body["items"]] == [
        ("2026-08", False, True), ("2026-07", False, True), ("2026-06", False, True), ("2026-05", False, True)]
    assert world.client.get(f"{API}/periods").status_code == 401


def test_locking_twice_an_open_month_or_an_empty_one_is_a_clear_refusal(world, db, june):
    again = lock(world, "2026-06", who="admin")
    assert again.status_code == 409
    assert again.json()["detail"] == june.replace("is locked (", "is locked already (")
    res = unlock(world, "2026-05")
    assert (res.status_code, res.json()["detail"]) == (409, "2026-05 is not locked")
    res = lock(world, "2026-09")
    assert res.status_code == 422
    assert res.json()["detail"].startswith("2026-09 has no data to lock")
    for bad in ("2026-13", "2026-00", "26-06", "2026-6"):
        assert lock(world, bad).status_code == 422, bad
    # A month after the one the pages open on, with plans only, has data: it locks.
    assert lock(world, "2026-08").status_code == 201
    assert count(db, PeriodLock) == 2


@pytest.mark.parametrize("who", ["leader", "seller"])
def test_only_finance_and_administrators_lock(world, db, who):
    assert lock(world, "2026-05", who=who).status_code == 403
    assert count(db, PeriodLock) == 0
    assert lock(world, "2026-05", who="admin").status_code == 201
    assert unlock(world, "2026-05", who=who).status_code == 403
    assert db.get(PeriodLock, "2026-05") is not None


def test_an_api_token_does_not_lock(world, db):
    token = create_token(db, user=world.users["finance"], name="erp", scopes=["budgets:read", "scorecards:read"],
                         expires_in_days=None)
    bearer = {"Authorization": f"Bearer {token.token}"}
    assert world.client.post(f"{API}/periods/2026-06/lock", headers=bearer).status_code == 403
    assert world.client.get(f"{API}/periods", headers=bearer).status_code == 200
    assert count(db, PeriodLock) == 0


# --- imports refused in a locked month ----------------------------------------------------------------


def test_a_june_sales_import_is_refused_whole_naming_each_row(world, db, june):
    before = count(db, Sale)
    body = (SALES_HEADER
            + "x9,2026-06-25,S1,AC1,A,1,5.00,\n"    # row 2: new in June
            + "x1,2026-06-10,S1,AC1,A,10,110.00,\n"  # row 3: changes a June sale
            + "x2,2026-06-20,S2,AC2,B,5,50.00,\n"    # row 4: a June sale as stored: fine
            + "x10,2026-07-06,S1,AC1,A,1,5.00,\n")   # row 5: July: fine
    for dry in ("false", "true"):
        res = upload(world, "sales", body, dry_run=dry)
        assert res.status_code == 422, res.text
        answer = res.json()
        assert answer["locked_months"] == ["2026-06"]
        assert answer["detail"] == "the file was not loaded: it would change the locked month 2026-06"
        message = f"{june}: unlock it to change its sales"
        assert answer["errors"] == [
            {"row": 2, "column": "date", "value": "2026-06-25", "message": message},
            {"row": 3, "column": "date", "value": "2026-06-10", "message": message},
        ]
        assert answer["error_count"] == 2
    db.expire_all()
    assert count(db, Sale) == before
    assert db.get(Sale, "x1").amount == Decimal("100.00")
    assert db.get(Sale, "x10") is None


def test_a_correction_moving_a_sale_out_of_june_is_refused(world, db, june):
    res = upload(world, "sales", SALES_HEADER + "x1,2026-07-01,S1,AC1,A,10,100.00,\n")
    assert res.status_code == 422, res.text
    assert res.json()["errors"] == [{
        "row": 2, "column": "date", "value": "2026-07-01",
        "message": f"moves a sale out of 2026-06, which is locked {june.split(' is locked ')[1]}: "
                   "unlock it to change its sales",
    }]
    db.expire_all()
    assert db.get(Sale, "x1").date == date(2026, 6, 10)


def test_the_same_file_again_and_a_july_file_load_while_june_is_locked(world, db, june):
    res = upload(world, "sales", STORED_SALES)
    assert res.status_code == 200, res.text
    assert (res.json()["rows"], res.json()["unchanged"]) == (4, 4)
    res = upload(world, "sales", SALES_HEADER + "x3,2026-07-05,S1,AC1,A,1,12.00,\nx10,2026-07-06,S1,AC1,A,1,5.00,\n")
    assert res.status_code == 200, res.text
    assert (res.json()["inserted"], res.json()["updated"]) == (1, 1)
    db.expire_all()
    assert db.get(Sale, "x3").amount == Decimal("12.00") and db.get(Sale, "x10") is not None


PLANS = "level,code,kpi,period,value\n"


@pytest.mark.parametrize(("dataset", "refused", "column", "value", "noun", "accepted"), [
    # A yearly target is phased into every month, June among them (S1's June target changes).
    ("targets", PLANS + "seller,S1,revenue,2026,12000\n", "period", "2026", "targets",
     PLANS + "seller,S1,revenue,2026-07,1000\n"),
    ("kpi_values", PLANS + "district,D1,survey,2026-06,5\n", "period", "2026-06", "KPI values",
     PLANS + "district,D1,survey,2026-07,5\n"),
    ("budgets", "district_code,product_code,period,quantity,amount,cost\nD2,A,2026-06,1,10.00,\n", "period",
     "2026-06", "budgets", "district_code,product_code,period,quantity,amount,cost\nD2,A,2026-07,1,10.00,\n"),
    ("activities", "id,date,seller_code,account_code,type,value\nm2,2026-06-30,S2,AC2,call,\n", "date",
     "2026-06-30", "activities", "id,date,seller_code,account_code,type,value\nm2,2026-07-01,S2,AC2,call,\n"),
    # A new district assignment from 15 June moves S1's June sales from D1 to D2.
    ("sellers", "code,name,email,district_code,valid_from\nS1,Siri,s1@example.com,D1,2020-01-01\n"
                "S1,Siri,s1@example.com,D2,2026-06-15\n", "valid_from", "2026-06-15", "district figures",
     "code,name,email,district_code,valid_from\nS1,Siri,s1@example.com,D2,2026-07-01\n"),
])
def test_plans_activities_and_assignments_of_june_are_refused(world, db, june, dataset, refused, column, value,
                                                               noun, accepted):
    tables = (Target, KpiValue, Budget, Activity, SellerDistrict)
    before = [count(db, t) for t in tables]
    res = upload(world, dataset, refused)
    assert res.status_code == 422, res.text
    row = 3 if dataset == "sellers" else 2
    assert res.json()["errors"] == [
        {"row": row, "column": column, "value": value, "message": f"{june}: unlock it to change its {noun}"}]
    assert res.json()["locked_months"] == ["2026-06"]
    db.expire_all()
    assert [count(db, t) for t in tables] == before
    res = upload(world, dataset, accepted)
    assert res.status_code == 200, res.text
    assert res.json()["inserted"] + res.json()["updated"] == 1


def test_moving_a_district_or_an_account_is_refused_renaming_one_loads(world, db, june):
    """Regions and accounts are not dated: moving D1 to another region restates R1's June (and every
    month's), making AC1 a key account of S1 restates June's key account share. Refused, naming the
    row, the column, the cell and the locked month; a new name, a new district or account loads."""
    make_region(db, code="R2")
    d1 = db.scalar(select(District).where(District.code == "D1"))
    ac1 = db.scalar(select(Account).where(Account.code == "AC1"))
    before = [(d1.region_id, ac1.district_id, ac1.key_account, ac1.kam_seller_id)]
    res = upload(world, "districts", f"code,name,basis,region_code\nD1,{d1.name},geographic,R2\n")
    assert res.status_code == 422, res.text
    assert res.json()["errors"] == [{"row": 2, "column": "region_code", "value": "R2",
                                     "message": f"changes the region figures of every month, and {june}: "
                                                "unlock it to change its region_code"}]
    assert res.json()["locked_months"] == ["2026-06"]
    body = "code,name,district_code,segment,key_account,kam_seller_code\n"
    res = upload(world, "accounts", body + f"AC1,{ac1.name},D2,,true,S1\n")
    assert res.status_code == 422, res.text
    note = f"changes the customer figures of every month, and {june}: unlock it to change its"
    assert sorted((e["column"], e["value"], e["message"]) for e in res.json()["errors"]) == [
        ("district_code", "D2", f"{note} district_code"), ("kam_seller_code", "S1", f"{note} kam_seller_code"),
        ("key_account", "true", f"{note} key_account")]
    db.expire_all()
    assert [(d1.region_id, ac1.district_id, ac1.key_account, ac1.kam_seller_id)] == before
    # what moves no figure loads: a new name, a new district in R2, a new account
    res = upload(world, "districts", f"code,name,basis,region_code\nD1,Renamed,geographic,R1\nD9,New,geographic,R2\n")
    assert res.status_code == 200, res.text
    assert (res.json()["inserted"], res.json()["updated"]) == (1, 1)
    res = upload(world, "accounts", body + f"AC1,Renamed,D1,,false,\nAC9,New,D2,,true,S2\n")
    assert res.status_code == 200, res.text
    assert (res.json()["inserted"], res.json()["updated"]) == (1, 1)


def test_after_the_unlock_the_same_import_loads(world, db, june):
    body = SALES_HEADER + "x1,2026-06-10,S1,AC1,A,10,110.00,\n"
    assert upload(world, "sales", body).status_code == 422
    assert unlock(world, "2026-06").status_code == 200
    res = upload(world, "sales", body)
    assert res.status_code == 200, res.text
    assert res.json()["updated"] == 1
    db.expire_all()
    assert db.get(Sale, "x1").amount == Decimal("110.00")


def test_a_big_streamed_file_lists_the_rows_of_every_batch(world, db, june, monkeypatch):
    """Read in batches of about three rows: the refused rows of every batch are listed, with the
    other problems of the file, and nothing of any batch stays."""
    monkeypatch.setattr(service, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(batch_reader, "HEAD_BYTES", 128)
    monkeypatch.setattr(batch_reader, "BATCH_BYTES", 150)
    monkeypatch.setattr(driver, "WRITE_CHUNK", 2)
    before = count(db, Sale)
    june_rows = [f"j{i},2026-06-{i + 1:02d},S1,AC1,A,1,1.00,\n" for i in range(20)]  # rows 2, 4, ..., 40
    july_rows = [f"k{i},2026-07-{i + 1:02d},S1,AC1,A,1,1.00,\n" for i in range(20)]  # rows 3, 5, ..., 41
    body = SALES_HEADER + "".join(j + k for j, k in zip(june_rows, july_rows, strict=True))
    res = upload(world, "sales", body)
    assert res.status_code == 422, res.text
    assert [(e["row"], e["value"]) for e in res.json()["errors"]] == [
        (2 + 2 * i, f"2026-06-{i + 1:02d}") for i in range(20)]
    db.expire_all()
    assert count(db, Sale) == before


def test_nothing_is_checked_when_nothing_is_locked(world, db, monkeypatch):
    calls = []
    monkeypatch.setattr(service.LockCheck, "check", lambda *args, **kw: calls.append(args))
    res = upload(world, "sales", SALES_HEADER + "x9,2026-06-25,S1,AC1,A,1,5.00,\n")
    assert res.status_code == 200, res.text
    assert calls == []


# --- goal conversations -----------------------------------------------------------------------------


def test_a_goal_conversation_in_a_locked_month_is_neither_recorded_nor_removed(world, db):
    url = f"{API}/goal-conversations"
    leader = world.headers("leader")
    held = world.client.post(url, headers=leader, json={"seller_code": "S1", "held_on": "2026-06-12"})
    assert held.status_code == 201, held.text
    assert lock(world, "2026-06").status_code == 201
    note = lock_note(db, "2026-06")
    activities = count(db, Activity)

    res = world.client.post(url, headers=leader, json={"seller_code": "S1", "held_on": "2026-06-15"})
    assert res.status_code == 422
    assert res.json()["detail"] == [{"type": "value_error", "loc": ["body", "held_on"], "input": "2026-06-15",
                                     "msg": f"{note}: unlock it to record a goal conversation in it"}]
    assert world.client.post(url, headers=leader, json={"seller_code": "S1", "held_on": "2026-07-15"}).status_code \
        == 201
    res = world.client.delete(f"{url}/{held.json()['id']}", headers=leader)
    assert res.status_code == 422
    assert res.json()["detail"][0]["msg"] == (
        f"{note}: unlock it to remove this goal conversation (held on 2026-06-12)")
    db.expire_all()
    assert count(db, Activity) == activities + 1  # July's
    assert db.get(GoalConversation, held.json()["id"]) is not None

    assert unlock(world, "2026-06").status_code == 200
    assert world.client.delete(f"{url}/{held.json()['id']}", headers=leader).status_code == 204


# --- the command line ---------------------------------------------------------------------------------


def test_the_command_line_refuses_a_june_import_and_exits_1(tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the command line runs on a SQLite file here; the check is the same code")
    url = f"sqlite:///{(tmp_path / 'cli.db').as_posix()}"
    migrate.upgrade(url)
    engine = make_engine(url)
    org = {
        "regions": "code,name\nR1,Region 1\n",
        "districts": "code,name,basis,region_code\nD1,Nord,geographic,R1\n",
        "sellers": "code,name,email,district_code,valid_from\nS1,Siri,s1@example.com,D1,2020-01-01\n",
        "accounts": "code,name,district_code,segment,key_account,kam_seller_code\nAC1,Kunde,D1,,false,\n",
        "products": "code,name,product_group\nA,Alpha,G\n",
        "sales": SALES_HEADER + "x1,2026-06-10,S1,AC1,A,10,100.00,\n",
    }
    try:
        with Session(engine) as session:
            for dataset, body in org.items():
                import_file(session, dataset=dataset, data=body.encode(), filename=f"{dataset}.csv")
            finance = make_user(session, role="finance", email="okonomi@example.com")
            locks.lock(session, period="2026-06", user=finance)
            session.commit()
            note = lock_note(session, "2026-06")
        path = tmp_path / "june.csv"
        path.write_text(SALES_HEADER + "x1,2026-06-10,S1,AC1,A,10,110.00,\nx2,2026-06-11,S1,AC1,A,1,1.00,\n")
        done = subprocess.run([sys.executable, "-m", "app.cli", "import", "sales", str(path)],
                              env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 1, done.stderr
        lines = done.stderr.strip().splitlines()
        assert lines[0] == "sales: the file was not loaded: it would change the locked month 2026-06; 2 problem(s):"
        message = f"{note}: unlock it to change its sales"
        table = lines[next(i for i, line in enumerate(lines) if line.startswith("row ")) + 1:]
        assert [line.split(None, 3) for line in table] == [
            ["2", "date", "'2026-06-10'", message], ["3", "date", "'2026-06-11'", message]]
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Sale)) == 1
            assert session.get(Sale, "x1").amount == Decimal("100.00")
    finally:
        engine.dispose()

