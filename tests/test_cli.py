"""The `scorecard` command as users run it: a subprocess with DATABASE_URL in its environment."""

import httpx
import pytest
from sqlalchemy import inspect, text

from app import migrate
from app.db import make_engine
from tests.liveserver import run_scorecard, serving

PASSWORD = "a long enough password"


def _count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def _no_traceback(result) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def test_migrate_create_user_serve_and_log_in(backend, empty_db_url, tmp_path):
    migrated = run_scorecard(["migrate"], empty_db_url, tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "migrated to head" in migrated.stdout
    engine = make_engine(empty_db_url)
    assert {"users", "kpi_definitions", "sales"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    assert _count(empty_db_url, "SELECT count(*) FROM kpi_definitions") == 12

    created = run_scorecard(["create-user", "Admin@Example.com", "--role", "admin"], empty_db_url,
                            tmp_path, stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert "admin@example.com" in created.stdout
    assert _count(empty_db_url, "SELECT count(*) FROM users WHERE email = 'admin@example.com' "
                                "AND role = 'admin'") == 1

    with serving(empty_db_url, tmp_path) as base:
        health = httpx.get(f"{base}/api/v1/health", timeout=10)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok"}

        wrong = httpx.post(f"{base}/api/v1/auth/token",
                           data={"username": "admin@example.com", "password": PASSWORD + "x"}, timeout=10)
        assert wrong.status_code == 401
        token = httpx.post(f"{base}/api/v1/auth/token",
                           data={"username": "admin@example.com", "password": PASSWORD}, timeout=10)
        assert token.status_code == 200, token.text
        me = httpx.get(f"{base}/api/v1/me", timeout=10,
                       headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert me.status_code == 200
        assert (me.json()["email"], me.json()["role"]) == ("admin@example.com", "admin")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{(tmp_path / 'cli.db').as_posix()}"
    migrate.upgrade(url)
    return url


def test_create_user_with_a_bad_role_says_so(sqlite_url, tmp_path):
    result = run_scorecard(["create-user", "x@example.com", "--role", "boss"], sqlite_url, tmp_path,
                           stdin=PASSWORD + "\n")
    assert result.returncode != 0
    _no_traceback(result)
    assert "boss" in result.stderr and "admin" in result.stderr  # names the value and the choices
    assert _count(sqlite_url, "SELECT count(*) FROM users") == 0


def test_create_user_twice_says_the_user_exists(sqlite_url, tmp_path):
    first = run_scorecard(["create-user", "kari@example.com", "--role", "finance"], sqlite_url, tmp_path,
                          stdin=PASSWORD + "\n")
    assert first.returncode == 0, first.stderr
    again = run_scorecard(["create-user", "KARI@example.com", "--role", "admin"], sqlite_url, tmp_path,
                          stdin=PASSWORD + "\n")
    assert again.returncode != 0
    _no_traceback(again)
    assert "kari@example.com" in again.stderr and "exists" in again.stderr
    assert _count(sqlite_url, "SELECT count(*) FROM users") == 1


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["nobody@example.com", "--role", "seller"], PASSWORD, "no seller has e-mail nobody@example.com"),
    (["nobody@example.com", "--role", "leader"], PASSWORD, "no leader has e-mail nobody@example.com"),
    (["short@example.com", "--role", "admin"], "short", "password: at least"),
])
def test_create_user_refuses_with_a_clear_message(sqlite_url, tmp_path, args, stdin, message):
    result = run_scorecard(["create-user", *args], sqlite_url, tmp_path, stdin=stdin + "\n")
    assert result.returncode != 0
    _no_traceback(result)
    assert message in result.stderr
    assert _count(sqlite_url, "SELECT count(*) FROM users") == 0


def test_unreachable_or_unmigrated_database_is_a_clear_error(tmp_path):
    unmigrated = f"sqlite:///{(tmp_path / 'new.db').as_posix()}"
    created = run_scorecard(["create-user", "a@example.com", "--role", "admin"], unmigrated, tmp_path,
                            stdin=PASSWORD + "\n")
    assert created.returncode == 1
    assert "run `scorecard migrate`" in created.stderr
    _no_traceback(created)
    unreachable = run_scorecard(["migrate"], "postgresql+psycopg://u:secret@127.0.0.1:1/nope", tmp_path)
    assert unreachable.returncode == 1
    assert "cannot be used" in unreachable.stderr and "secret" not in unreachable.stderr
    _no_traceback(unreachable)


def test_rebuild_aggregates_after_rows_written_below_the_importer(backend, empty_db_url, tmp_path):
    """Rows loaded with the database's own tools reach the reports after `scorecard rebuild-aggregates`."""
    migrate.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO regions (id, code, name) VALUES (1, 'R', 'R')"))
        conn.execute(text("INSERT INTO districts (id, code, name, basis, region_id) VALUES (1, 'D', 'D', 'geographic', 1)"))
        conn.execute(text("INSERT INTO sellers (id, code, name, email) VALUES (1, 'S', 'S', 's@x.no')"))
        conn.execute(text("INSERT INTO seller_districts (seller_id, district_id, valid_from) VALUES (1, 1, '2025-01-01')"))
        conn.execute(text("INSERT INTO accounts (id, code, name, district_id, key_account) VALUES (1, 'A', 'A', 1, false)"))
        conn.execute(text("INSERT INTO products (id, code, name, product_group) VALUES (1, 'P', 'P', 'G')"))
        conn.execute(text("INSERT INTO sales (id, date, seller_id, account_id, product_id, quantity, amount, cost) "
                          "VALUES ('a', '2025-03-04', 1, 1, 1, 1, 10.50, 4.25), "
                          "('b', '2025-03-20', 1, 1, 1, 2, 0.25, NULL)"))
    engine.dispose()
    assert _count(empty_db_url, "SELECT count(*) FROM sales_monthly") == 0
    done = run_scorecard(["rebuild-aggregates"], empty_db_url, tmp_path)
    assert done.returncode == 0, done.stderr
    _no_traceback(done)
    # one row: 2 lines, both positive, 1 with a cost; 1050 + 25 cents; margin 1050 - 425 = 625 cents
    engine = make_engine(empty_db_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT lines, sale_lines, costed_lines, amount, margin, costed_amount "
                                "FROM sales_monthly")).all()
    engine.dispose()
    assert [tuple(r) for r in row] == [(2, 2, 1, 1075, 625, 1050)]
