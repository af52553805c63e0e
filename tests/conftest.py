"""Test fixtures: every database test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.

The schema is built by the migrations (`alembic upgrade head`), once per backend per run. Each test
runs inside a transaction that is rolled back; the app gets the same session through
`dependency_overrides`, and its `commit()` calls only release a SAVEPOINT.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
from fastapi.dependencies import models as fastapi_dependencies
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.auth import passwords

# Passwords in the tests: argon2id at its cheapest (a millisecond, not a fifth of a second per sign-in),
# set before anything hashes one (tests/builders.py, the dummy hash of app.auth.service). The app's own
# hasher, pwdlib's recommended one, is kept here; tests/test_auth.py checks it is what the app uses.
APP_HASHER = passwords._hasher
passwords._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))

# (the app's modules after it: app.auth.service hashes its dummy password when imported)
from app import migrate  # noqa: E402
from app.db import get_session, make_engine  # noqa: E402
from app.main import create_app  # noqa: E402
from app.reporting.cache import FIGURES  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def fresh_pg_database(base_url: str) -> str:
    """Create an empty PostgreSQL database beside `base_url`'s and return its URL."""
    url = make_url(base_url)
    name = f"{url.database}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(db_url: str) -> None:
    url = make_url(db_url)
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_db_url(request, tmp_path) -> Iterator[str]:
    """The URL of a new, empty database of the test's backend (parametrize with `backend`)."""
    backend = getattr(request, "param", None) or request.getfixturevalue("backend")
    if backend == "sqlite":
        yield f"sqlite:///{(tmp_path / 'empty.db').as_posix()}"
        return
    url = fresh_pg_database(PG_URL)
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def migrated_url(backend, tmp_path_factory) -> Iterator[str]:
    """A database of `backend` migrated to head, shared by the run."""
    if backend == "sqlite":
        url = f"sqlite:///{(tmp_path_factory.mktemp('db') / 'test.db').as_posix()}"
        migrate.upgrade(url)
        yield url
        return
    url = fresh_pg_database(PG_URL)
    migrate.upgrade(url)
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def engine(migrated_url) -> Iterator[Engine]:
    eng = make_engine(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session in a transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _fresh_figure_cache() -> Iterator[None]:
    """Each test starts with an empty figure cache: tests roll their data back, and with it the data
    version the cache entries are keyed by, so an entry could otherwise outlive its data."""
    FIGURES.clear()
    yield
    FIGURES.clear()


# FastAPI remembers, per endpoint and dependency callable, whether it is a coroutine or a generator, in
# process-wide LRU caches of 4096 entries keyed by the callable itself. The app's own closures (the API
# docs pages of app.security, say) hold the app, so every app a test builds stayed alive until the cache
# overflowed: a 2.9 GB process by the end of a run, whose full garbage collections walked every one of
# those apps, and whose exit took a minute and a half to free them.
_FASTAPI_CALLABLE_CACHES = tuple(
    cache
    for name in ("_is_gen_callable_cached", "_is_async_gen_callable_cached", "_is_coroutine_callable_cached")
    if (cache := getattr(fastapi_dependencies, name, None)) is not None
)


@pytest.fixture(autouse=True)
def _forget_finished_apps() -> Iterator[None]:
    """After each test, FastAPI's callable caches let go of the apps the test built (see above)."""
    yield
    for cache in _FASTAPI_CALLABLE_CACHES:
        cache.cache_clear()


@pytest.fixture
def app(session):
    # No precomputer: it would read the committed database, not the test's rolled-back transaction.
    application = create_app(precompute=False)

    def _session_override() -> Iterator[Session]:
        yield session

    application.dependency_overrides[get_session] = _session_override
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
