"""Engine, session factory and the declarative Base with a constraint naming convention."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import lru_cache

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, DateTime, Dialect, Engine, MetaData, TypeDecorator, create_engine, event, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from starlette.concurrency import run_in_threadpool

from app.config import get_settings

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Execution option naming the SQLite BEGIN mode of a connection's transactions ('' or 'IMMEDIATE').
SQLITE_BEGIN = "sqlite_begin"
# Methods whose requests only read; every other request's transaction is a write transaction.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A pooled server connection unused for longer than this is checked (SELECT 1) before it is handed out:
# under load none is (each is back in use within milliseconds), in a quiet hour nearly every one is.
PING_AFTER_IDLE_SECONDS = 1.0


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored as `TIMESTAMP WITH TIME ZONE` and always read back with its time zone (UTC).

    PostgreSQL gives aware datetimes; SQLite has no time zones and gives naive ones. Everything stored
    is UTC, so a naive value read back is UTC: every API answer then carries its `Z` on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, a busy timeout, and real BEGINs so SAVEPOINTs work under pysqlite."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A transaction that will write takes the write lock at BEGIN (IMMEDIATE), waiting up to the
        # busy timeout for it. A deferred one that reads first and writes later cannot wait: once
        # another writer commits after its first read, SQLite refuses the upgrade at once with
        # "database is locked" (SQLITE_BUSY_SNAPSHOT), and no timeout helps. Reads stay deferred so
        # that, under WAL, they never wait for a writer.
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get(SQLITE_BEGIN, '')}".rstrip())


def _ping_after_idle(engine: Engine, seconds: float) -> None:
    """Check a pooled connection before it is handed out, but only when it sat unused for `seconds`:
    one that died meanwhile (the server restarted, a firewall dropped it) is replaced, unseen.

    SQLAlchemy's pool_pre_ping checks at every checkout: a round trip on every request, for nothing
    while the connections are busy. A connection that dies while in use (or within `seconds` of its
    last use) fails the statement it runs instead; the pool then replaces every connection it had
    at that time (SQLAlchemy's handling of a disconnect), and the caller gets a 503 to try again
    (`database_error_handler`).
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(
        dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"a pooled connection was dead: {exc}") from exc  # the pool connects anew


def make_engine(url: str, *, connections: int = 20) -> Engine:
    """An engine for `url` keeping up to `connections` connections open (a file or server database),
    with the SQLite settings applied when it is SQLite."""
    if url.startswith("sqlite"):
        memory = make_url(url).database in (None, "", ":memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **({} if memory else {"pool_size": connections, "max_overflow": 0}),
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=connections, max_overflow=0)
    _ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, connections=settings.database_connections)


def writing(engine: Engine) -> Engine:
    """`engine` for write transactions: on SQLite each BEGIN takes the write lock (BEGIN IMMEDIATE)."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})


def reading(engine: Engine) -> Engine:
    """`engine` for work that only reads: on PostgreSQL each statement runs on its own (autocommit).

    PostgreSQL's default isolation (READ COMMITTED) gives every statement its own snapshot anyway;
    autocommit spares the BEGIN before the first statement and the ROLLBACK at the end. With the
    pool's check of the connection before every use (now only after idling, `_ping_after_idle`), a
    request answered from the cache made four round trips; now one. Work that needs one snapshot for
    several statements asks for it (`session.connection(execution_options={"isolation_level": ...})`);
    work that writes uses `writing`.
    """
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@lru_cache
def get_sessionmaker(write: bool = False) -> sessionmaker[Session]:
    """Sessions on the configured database: `write=True` for work that writes (see `writing`), else
    for work that only reads (see `reading`)."""
    engine = get_engine()
    return sessionmaker(bind=writing(engine) if write else reading(engine), expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; writes call `session.commit()` once at the end of the route.

    Requests other than GET/HEAD/OPTIONS get write transactions, so that concurrent writers on SQLite
    queue for the lock (up to the busy timeout) instead of failing with "database is locked".

    Opened on the event loop (making a Session does not touch the database); closed (its transaction
    rolled back when uncommitted, its connection handed back) in a worker thread when it holds one,
    since that talks to the database. Every hop to a thread costs about 0.1 ms of CPU, a good part of
    a cached answer's cost.
    """
    async with getattr(request.app.state, "session_slots", None) or nullcontext():
        session = get_sessionmaker(request.method not in READ_METHODS)()
        try:
            yield session
        finally:
            if session.in_transaction():
                await run_in_threadpool(session.close)
            else:
                session.close()


def session_slots(precomputer: bool) -> asyncio.Semaphore:
    """How many requests may hold a session at once in this process: the connections the pool has
    for them (DATABASE_CONNECTIONS, less the precomputer's one). A request waits for its slot on the
    event loop, before any worker thread works for it; so a worker thread never waits for a pooled
    connection. Without the slots, more requests at once than connections and threads together
    stalled the process: every thread waited for a connection, held by requests that waited for a
    thread, until the pool's timeout failed them."""
    return asyncio.Semaphore(get_settings().database_connections - (1 if precomputer else 0))


def is_locked(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "database table is locked" (the busy timeout ran out)."""
    return isinstance(exc, OperationalError) and "is locked" in str(getattr(exc, "orig", exc))


def is_unreachable(exc: BaseException) -> bool:
    """True when the database server could not be reached or dropped the connection (restarting,
    say): a connection SQLAlchemy found dead, a failed connect, or PostgreSQL's connection and
    shutdown errors (SQLSTATE classes 08 and 57P)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", "")  # psycopg's errors have one (None for a failed connect)
    return sqlstate is None or sqlstate.startswith(("08", "57P"))


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After when the database is busy or out of reach for a moment:
    - SQLite stayed locked past the busy timeout (a long import holds it);
    - the server could not be reached, or a connection died (the pool has already replaced it).
    Any other OperationalError is re-raised to the app's 500 handler."""
    if is_locked(exc):
        return JSONResponse(
            {"detail": "the database is busy with another change (a large import, say); try again in a moment"},
            status_code=503,
            headers={"Retry-After": "10"},
        )
    if is_unreachable(exc):
        log.warning("database unreachable on %s %s: %s", request.method, request.url.path, getattr(exc, "orig", exc))
        return JSONResponse(
            {"detail": "the database could not be reached; try again in a moment"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    raise exc
