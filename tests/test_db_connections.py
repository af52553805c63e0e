"""The app's own database connections (app.db), not a test's rolled-back session: what a request sends
to PostgreSQL, and what happens when a pooled connection dies.

libpq's trace of every connection (psycopg's `PGconn.trace`) shows each message the app sends and
gets; a round trip is one ReadyForQuery from the server.
"""

import re
import tempfile
import time
from collections.abc import Iterator

import pytest
from psycopg.pq import Trace as TraceFlags
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from app import db, migrate
from app.auth.service import create_user
from app.config import get_settings
from app.main import create_app
from tests.conftest import PG_URL, drop_pg_database, fresh_pg_database

pytestmark = pytest.mark.skipif(not (PG_URL or "").startswith("postgresql"),
                                reason="PostgreSQL only (TEST_DATABASE_URL); SQLite has no round trips")

ADMIN, PASSWORD = "admin@example.com", "a long enough password"


def _clear_caches() -> None:
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()


@pytest.fixture
def database_url(monkeypatch) -> Iterator[str]:
    """A migrated PostgreSQL database with one administrator, which the app reaches through
    DATABASE_URL as when served."""
    url = fresh_pg_database(PG_URL)
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    _clear_caches()
    with db.get_sessionmaker(write=True)() as session:
        create_user(session, email=ADMIN, password=PASSWORD, role="admin")
        session.commit()
    try:
        yield url
    finally:
        db.get_engine().dispose()
        _clear_caches()
        drop_pg_database(url)


@pytest.fixture
def client(database_url) -> Iterator[TestClient]:
    with TestClient(create_app(precompute=False)) as test_client:
        token = test_client.post("/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD})
        assert token.status_code == 200, token.text
        test_client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield test_client


class Trace:
    """libpq's trace of the app's connections, in one file: from the moment a connection is handed out
    (before the pool's check of it) until it is handed back (when libpq flushes the trace)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115
        engine = db.get_engine()

        @event.listens_for(engine, "checkout", insert=True)
        def _trace(dbapi_connection, _record, _proxy):  # noqa: ANN001
            dbapi_connection.pgconn.trace(self.file.fileno())
            dbapi_connection.pgconn.set_trace_flags(TraceFlags.SUPPRESS_TIMESTAMPS)

        @event.listens_for(engine, "checkin")
        def _untrace(dbapi_connection, _record):  # noqa: ANN001
            if dbapi_connection is not None:
                dbapi_connection.pgconn.untrace()

    def lines(self, since: int) -> list[list[str]]:
        """The messages traced from byte `since` on, each [direction, length, type, the rest] (a
        statement's text may span lines)."""
        self.file.seek(since)
        messages: list[str] = []
        for line in self.file.read().decode().splitlines():
            if line.startswith(("F\t", "B\t")) or not messages:
                messages.append(line)
            else:
                messages[-1] += "\n" + line
        return [message.split("\t", 3) for message in messages]

    def during(self, call) -> list[list[str]]:  # noqa: ANN001
        """The traced lines while `call()` runs."""
        start = self.file.seek(0, 2)
        call()
        return self.lines(start)


def _round_trips(lines: list[list[str]]) -> int:
    return sum(1 for line in lines if line[0] == "B" and line[2] == "ReadyForQuery")


def _queries(lines: list[list[str]]) -> list[str]:
    """What the app sent: simple queries' text (Query "text"), and the statements parsed for extended
    queries (Parse "name" "text" ...): the last quoted string of each."""
    return [re.findall(r'"((?:[^"]|"")*)"', line[3])[-1] for line in lines
            if line[0] == "F" and line[2] in ("Query", "Parse")]


def test_a_read_request_is_one_round_trip_per_statement(client):
    """A GET runs in autocommit: no BEGIN before its statement, no ROLLBACK after it, and no check of
    a connection used a moment ago. Before, the health check took four round trips: the pool's check
    (a SELECT 1, sent before this trace starts), BEGIN, its SELECT 1 and ROLLBACK."""
    trace = Trace()
    lines = trace.during(lambda: client.get("/api/v1/health").raise_for_status())
    assert _queries(lines) == ["SELECT 1"] and _round_trips(lines) == 1

    # A signed-in caller: the user and the data version are one statement; /me adds nothing for an admin.
    lines = trace.during(lambda: client.get("/api/v1/me").raise_for_status())
    sent = _queries(lines)
    assert len(sent) == _round_trips(lines) == 1, sent
    assert "FROM users" in sent[0] and "data_version" in sent[0], sent


def test_a_write_request_is_one_transaction(client):
    """A POST still runs in a transaction of its own: BEGIN first, COMMIT last, nothing outside."""
    trace = Trace()
    lines = trace.during(lambda: client.post("/api/v1/users", json={
        "email": "finance@example.com", "password": PASSWORD, "role": "finance"}).raise_for_status())
    sent = _queries(lines)
    assert sent[0] == "BEGIN" and sent[-1] == "COMMIT" and sent.count("BEGIN") == 1, sent
    assert any("INSERT INTO users" in query for query in sent), sent


def _kill_app_connections(url: str) -> int:
    """Terminate every other session on the app's database (as a server restart would)."""
    admin = db.make_engine(url)
    try:
        with admin.connect() as conn:
            killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
            conn.commit()
    finally:
        admin.dispose()
    time.sleep(0.2)  # the terminated backends exit
    return killed


def test_a_connection_that_died_in_the_pool_is_replaced_unseen(database_url, monkeypatch):
    """A pooled connection unused for a while is checked before use: one the server dropped is
    replaced, and the caller never sees it."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.1)
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()
    with TestClient(create_app(precompute=False)) as client:
        assert client.get("/api/v1/health").status_code == 200
        assert _kill_app_connections(database_url) >= 1
        answers = [client.get("/api/v1/health") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]


def test_a_connection_that_died_while_in_use_is_a_503_then_the_pool_recovers(client, database_url):
    """A connection used a moment ago is not checked (that would be a round trip on every request):
    if the server dropped it meanwhile, the request it serves fails with a 503 that says to try
    again, not a 500; the pool replaces its connections, and the next request is answered."""
    assert client.get("/api/v1/me").status_code == 200
    assert _kill_app_connections(database_url) >= 1
    failed = client.get("/api/v1/me")
    assert failed.status_code == 503, failed.text
    assert failed.headers["retry-after"] == "5" and "could not be reached" in failed.json()["detail"]
    assert "terminat" not in failed.text  # the driver's message stays in the log
    again = [client.get("/api/v1/me").status_code for _ in range(3)]
    assert again == [200, 200, 200]
