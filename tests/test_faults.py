"""Faults: a sales import killed halfway leaves nothing behind; concurrent imports and reads never see a lock.

The kill test runs `scorecard import sales` on a generated file of 300,000 rows in a subprocess and
sends it SIGKILL once it reports it is halfway through writing (the CLI prints progress on stderr for
big files). Big loads run in bulk mode (the table's indexes, and on PostgreSQL its foreign keys,
dropped and rebuilt inside the transaction), so the test also checks that they are all still there.
"""

import hashlib
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from app import migrate
from app.db import make_engine
from app.imports.service import import_file
from app.models import Sale
from benchmarks.import_throughput import ORG_DATASETS, generate
from tests.liveserver import SCORECARD, run_scorecard, scorecard_env, server_process, serving

BIG = 300_000  # well above the bulk mode's 50,000 (app.imports.upsert.BULK_MIN_ROWS): a bulk import is killed
OLD_SALES = 1_000  # committed before the kill: the checksum must find them unchanged


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """The benchmark's org files and BIG sales rows, plus `old_sales.csv` with other invoice ids."""
    folder = tmp_path_factory.mktemp("faults")
    generate(folder, BIG)
    lines = ["id,date,seller_code,account_code,product_code,quantity,amount,cost"]
    lines += [f"OLD{i},2025-03-{1 + i % 28:02d},S{i % 1000},A{i % 20000},P{i % 500},{1 + i % 7},{i}.25,{i // 2}.10"
              for i in range(OLD_SALES)]
    (folder / "old_sales.csv").write_text("\n".join(lines) + "\n")
    return folder


def _load(url: str, folder: Path, datasets: tuple[str, ...]) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for dataset in datasets:
                name = "old_sales.csv" if dataset == "sales" else f"{dataset}.csv"
                import_file(session, dataset=dataset, data=(folder / name).read_bytes(), filename=name)
            session.commit()
    finally:
        engine.dispose()


def _state(url: str) -> dict:
    """Row counts of every table, a checksum of the sales rows, the indexes and foreign keys of `sales`."""
    engine = make_engine(url)
    try:
        insp = inspect(engine)
        with engine.connect() as conn:
            counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                      for t in insp.get_table_names()}
            digest = hashlib.sha256()
            for row in conn.execute(text("SELECT id, date, seller_id, account_id, product_id, quantity, amount, "
                                         "cost FROM sales ORDER BY id")):
                digest.update(repr(tuple(str(v) for v in row)).encode())
            integrity = (conn.execute(text("PRAGMA integrity_check")).scalar_one()
                         if engine.dialect.name == "sqlite" else "ok")
        return {
            "counts": counts,
            "sales_checksum": digest.hexdigest(),
            "indexes": sorted(ix["name"] for ix in insp.get_indexes("sales")),
            "foreign_keys": sorted((fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"])
                                   for fk in insp.get_foreign_keys("sales")),
            "integrity": integrity,
        }
    finally:
        engine.dispose()


def _kill_when_halfway(url: str, sales: Path, cwd: Path) -> list[str]:
    """Start `scorecard import sales`, SIGKILL it once it has written 40 % or more of the rows; its stderr lines."""
    proc = subprocess.Popen([SCORECARD, "import", "sales", str(sales)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=scorecard_env(url), cwd=cwd)
    seen: list[str] = []
    killer = threading.Timer(600, proc.kill)  # a hung import must not hang the suite
    killer.start()
    try:
        for line in proc.stderr:
            seen.append(line.strip())
            # progress comes a chunk at a time (…, 37%, 49%, …): kill at the first at or past 40 %
            if line.startswith("writing sales: ") and 40 <= int(line.split(": ")[1].rstrip("%\n")) < 100:
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        killer.cancel()
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, seen)
    assert seen[-1].startswith("writing sales: "), seen
    return seen


def test_import_killed_halfway_leaves_the_database_as_before(backend, empty_db_url, files, tmp_path):
    migrate.upgrade(empty_db_url)
    _load(empty_db_url, files, (*ORG_DATASETS, "sales"))
    before = _state(empty_db_url)
    # The fixture's sizes, counted by hand: 10 regions, 100 districts, 1,000 sellers (one history row
    # each), 20,000 accounts, 500 products, the 1,000 old sales.
    assert {t: before["counts"][t] for t in ("regions", "districts", "sellers", "seller_districts", "accounts",
                                             "products", "sales")} == {
        "regions": 10, "districts": 100, "sellers": 1000, "seller_districts": 1000, "accounts": 20000,
        "products": 500, "sales": OLD_SALES}
    model_indexes = sorted(ix.name for ix in Sale.__table__.indexes)
    assert before["indexes"] == model_indexes and len(model_indexes) == 4
    assert len(before["foreign_keys"]) == 3
    assert before["integrity"] == "ok"

    started = time.monotonic()
    seen = _kill_when_halfway(empty_db_url, files / "sales.csv", tmp_path)
    # it was killed while writing, some rows written, not before or after
    assert 40 <= int(seen[-1].split(": ")[1].rstrip("%")) < 100 and "writing sales: 0%" in seen, seen

    after = _state(empty_db_url)
    assert after == before

    # The same database takes the whole file normally afterwards, in bulk mode again.
    done = run_scorecard(["import", "sales", str(files / "sales.csv")], empty_db_url, tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"sales: {BIG} rows, {BIG} inserted, 0 updated, 0 unchanged" in done.stdout
    loaded = _state(empty_db_url)
    assert loaded["counts"]["sales"] == OLD_SALES + BIG
    # Nothing else changed (the audit trail, where there is one, records the import; the monthly
    # aggregates follow the sales: tests/test_aggregates.py compares them with the raw rows).
    derived = {"sales", "audit_events", "sales_monthly", "sales_product_monthly", "account_first_sales"}
    assert {t: n for t, n in loaded["counts"].items() if t not in derived} == \
        {t: n for t, n in before["counts"].items() if t not in derived}
    assert loaded["counts"]["sales_monthly"] > before["counts"]["sales_monthly"]
    assert (loaded["indexes"], loaded["foreign_keys"], loaded["integrity"]) == \
        (before["indexes"], before["foreign_keys"], "ok")
    print(f"\n[{backend}] kill at half and full reload took {time.monotonic() - started:.1f} s")


# --------------------------------------------------------------------------------------------------
# Concurrent imports and reads against `scorecard serve`

ADMIN = "admin@example.com"
PASSWORD = "a long enough password"
RUN_SECONDS = 12


def _sales_csv(tag: str, rows: int) -> bytes:
    lines = ["id,date,seller_code,account_code,product_code,quantity,amount,cost"]
    lines += [f"{tag}-{k},2025-06-{1 + k % 28:02d},S{k % 1000},A{(7 * k) % 20000},P{k % 500},{1 + k % 5},"
              f"{10 + k}.50,{k}.00" for k in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_concurrent_imports_and_reads_never_see_a_lock(backend, empty_db_url, files, tmp_path):
    migrate.upgrade(empty_db_url)
    _load(empty_db_url, files, ORG_DATASETS)
    created = run_scorecard(["create-user", ADMIN, "--role", "admin"], empty_db_url, tmp_path,
                            stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    problems: list[str] = []
    imported: list[int] = []
    counts = {"import": 0, "read": 0}
    lock = threading.Lock()

    with serving(empty_db_url, tmp_path) as base:
        login = httpx.post(f"{base}/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD}, timeout=30)
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        made = httpx.post(f"{base}/api/v1/tokens", json={"name": "reader", "scopes": ["scorecards:read"]},
                          headers=auth, timeout=30)
        assert made.status_code == 201, made.text
        api_token = {"Authorization": f"Bearer {made.json()['token']}"}
        deadline = time.monotonic() + RUN_SECONDS

        def check(what: str, response: httpx.Response, expected: int) -> None:
            with lock:
                counts["import" if what.startswith("import") else "read"] += 1
                if response.status_code != expected or "locked" in response.text.lower():
                    problems.append(f"{what}: {response.status_code} {response.text[:200]}")

        def importer(n: int) -> None:
            with httpx.Client(base_url=base, headers=auth, timeout=120) as client:
                i = 0
                while time.monotonic() < deadline:
                    rows = 3_000
                    try:
                        r = client.post("/api/v1/imports/sales",
                                        files={"file": (f"t{n}-{i}.csv", _sales_csv(f"T{n}-{i}", rows), "text/csv")})
                    except httpx.HTTPError as exc:
                        with lock:
                            problems.append(f"import {n}-{i}: {exc!r}")
                        return
                    check(f"import {n}-{i}", r, 200)
                    if r.status_code == 200:
                        with lock:
                            imported.append(r.json()["inserted"])
                    i += 1

        def reader(n: int) -> None:
            headers = api_token if n == 0 else auth
            paths = ["/api/v1/health", "/api/v1/scorecards/district/D1?period=2025-06",
                     "/api/v1/scorecards/company/-?period=2025-06", "/api/v1/scorecards/seller/S5?period=2025-06"]
            with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
                i = 0
                while time.monotonic() < deadline:
                    path = paths[i % len(paths)]
                    try:
                        r = client.get(path)
                    except httpx.HTTPError as exc:
                        with lock:
                            problems.append(f"read {path}: {exc!r}")
                        return
                    check(f"read {path}", r, 200)
                    i += 1

        threads = [threading.Thread(target=importer, args=(n,)) for n in range(3)]
        threads += [threading.Thread(target=reader, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=RUN_SECONDS + 180)
        assert not any(t.is_alive() for t in threads)
        log = "\n".join(p.read_text() for p in tmp_path.glob("serve-*.log"))

    assert problems == [], problems[:10]
    assert "locked" not in log.lower()
    assert counts["import"] >= 3 and counts["read"] >= 8, counts  # both sides really ran
    # Every accepted import is in the database, whole.
    assert imported and all(n == 3_000 for n in imported)
    assert _state(empty_db_url)["counts"]["sales"] == 3_000 * len(imported)


def _get_or_error(client: httpx.Client, path: str) -> httpx.Response | Exception:
    try:
        return client.get(path)
    except httpx.HTTPError as exc:
        return exc


def test_more_requests_at_once_than_connections_wait_their_turn(backend, empty_db_url, tmp_path):
    """120 requests at once against one process with 3 database connections (one the precomputer's).
    They used to stall the process: each of its 40 worker threads waited for a pooled connection,
    and the requests holding the connections waited for a thread to finish, until the pool's 30 s
    timeout failed them. Now a request waits for a connection on the event loop, and all answer."""
    migrate.upgrade(empty_db_url)
    created = run_scorecard(["create-user", ADMIN, "--role", "admin"], empty_db_url, tmp_path,
                            stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    with server_process(empty_db_url, tmp_path, env={"DATABASE_CONNECTIONS": "3"}) as (base, _proc):
        login = httpx.post(f"{base}/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD}, timeout=30)
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}

        paths = ["/api/v1/health", "/api/v1/me", "/api/v1/regions"] * 40
        limits = httpx.Limits(max_connections=len(paths), max_keepalive_connections=len(paths))
        started = time.monotonic()
        with httpx.Client(base_url=base, headers=auth, timeout=20, limits=limits) as client, \
                ThreadPoolExecutor(len(paths)) as pool:
            answers = list(pool.map(lambda path: _get_or_error(client, path), paths))
        took = time.monotonic() - started
    failed = [a if isinstance(a, Exception) else f"{a.status_code} {a.text[:100]}"
              for a in answers if isinstance(a, Exception) or a.status_code != 200]
    assert failed == [], (len(failed), failed[:3], f"{took:.1f} s")


def test_a_database_locked_or_out_of_reach_is_a_503_not_a_500():
    import sqlite3

    import psycopg

    from fastapi.testclient import TestClient
    from sqlalchemy.exc import OperationalError

    from app.main import create_app

    app = create_app(precompute=False)

    @app.get("/locked")
    def locked() -> None:
        raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

    @app.get("/broken")
    def broken() -> None:
        raise OperationalError("SELECT ...", {}, sqlite3.OperationalError("no such table: x"))

    @app.get("/unreachable")
    def unreachable() -> None:  # what psycopg raises when the server cannot be reached (no SQLSTATE)
        raise OperationalError("SELECT ...", {}, psycopg.OperationalError("connection failed: Connection refused"))

    with TestClient(app, raise_server_exceptions=False) as client:
        away = client.get("/unreachable")
        assert away.status_code == 503 and away.headers["retry-after"] == "5"
        assert "could not be reached" in away.json()["detail"] and "refused" not in away.text
        busy = client.get("/locked")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "10"
        assert "busy" in busy.json()["detail"] and "locked" not in busy.text
        other = client.get("/broken")
        assert other.status_code == 500 and "no such table" not in other.text
