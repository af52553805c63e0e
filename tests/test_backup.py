"""`scorecard backup`: a consistent copy taken while imports are being written, never half a file."""

import shutil
import sqlite3
import subprocess
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import migrate
from app.db import make_engine, writing
from app.imports.service import import_file
from app.models import Comment
from benchmarks.import_throughput import ORG_DATASETS, generate
from tests.liveserver import run_scorecard

BATCH = 30_000  # sales rows per import: each committed whole or not at all


def _batch(n: int) -> bytes:
    lines = ["id,date,seller_code,account_code,product_code,quantity,amount,cost"]
    lines += [f"B{n}-{k},2025-05-{1 + k % 28:02d},S{k % 1000},A{k % 20000},P{k % 500},1,{k}.00,{k // 2}.00"
              for k in range(BATCH)]
    return ("\n".join(lines) + "\n").encode()


def _prepare(url: str, folder) -> None:
    generate(folder, 1)
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        for dataset in ORG_DATASETS:
            import_file(session, dataset=dataset, data=(folder / f"{dataset}.csv").read_bytes(),
                        filename=f"{dataset}.csv")
        session.commit()
    engine.dispose()


def test_sqlite_backup_during_imports_is_a_committed_state(tmp_path):
    url = f"sqlite:///{(tmp_path / 'live.db').as_posix()}"
    _prepare(url, tmp_path)
    batches = [_batch(n) for n in range(40)]
    committed: list[int] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        engine = writing(make_engine(url))
        try:
            for n, data in enumerate(batches):
                if stop.is_set():
                    break
                with Session(engine) as session:
                    import_file(session, dataset="sales", data=data, filename=f"b{n}.csv")
                    session.commit()
                committed.append(n + 1)
        except BaseException as exc:  # noqa: BLE001  (reported by the test below)
            failures.append(exc)
        finally:
            engine.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    copies = []
    try:
        while not committed and thread.is_alive():
            time.sleep(0.05)
        for i in range(4):
            before = len(committed)
            result = run_scorecard(["backup", str(tmp_path / f"copy{i}.db")], url, tmp_path)
            copies.append((before, len(committed), result))
    finally:
        stop.set()
        thread.join(timeout=300)
    assert not failures, failures
    assert len(committed) > copies[-1][1]  # the writer was still committing after the last backup began

    seen = set()
    for i, (low, high, result) in enumerate(copies):
        assert result.returncode == 0, result.stderr
        assert f"copy{i}.db" in result.stdout and "integrity_check ok" in result.stdout
        path = tmp_path / f"copy{i}.db"
        assert not path.with_name(path.name + "-wal").exists()  # one self-contained file
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            per_batch = dict(conn.execute("SELECT substr(id, 2, instr(id, '-') - 2), count(*) FROM sales "
                                          "GROUP BY 1").fetchall())
            assert conn.execute("SELECT count(*) FROM sellers").fetchone()[0] == 1000
        finally:
            conn.close()
        # Whole batches only, and exactly the first k of them, k between the commits seen around the copy.
        k = len(per_batch)
        assert per_batch == {str(n): BATCH for n in range(k)}, {b: c for b, c in per_batch.items() if c != BATCH}
        assert low <= k <= high, (low, k, high)
        seen.add(k)
    assert max(seen) > 0


def test_backup_refuses_an_existing_file_and_a_missing_database(tmp_path):
    url = f"sqlite:///{(tmp_path / 'db.sqlite').as_posix()}"
    migrate.upgrade(url)
    (tmp_path / "taken.db").write_text("keep me")
    taken = run_scorecard(["backup", str(tmp_path / "taken.db")], url, tmp_path)
    assert taken.returncode == 1 and "already exists" in taken.stderr and "Traceback" not in taken.stderr
    assert (tmp_path / "taken.db").read_text() == "keep me"
    missing = run_scorecard(["backup", str(tmp_path / "x.db")], f"sqlite:///{tmp_path}/none.db", tmp_path)
    assert missing.returncode == 1 and "no database file" in missing.stderr
    into_folder = run_scorecard(["backup", str(tmp_path)], url, tmp_path)
    assert into_folder.returncode == 0, into_folder.stderr
    made = list(tmp_path.glob("scorecard-*.db"))
    assert len(made) == 1 and str(made[0]) in into_folder.stdout


def test_postgresql_backup_is_pg_dump_and_restores(backend, empty_db_url, tmp_path):
    if backend != "postgresql":
        pytest.skip("the PostgreSQL backup (pg_dump)")
    if shutil.which("pg_dump") is None:
        result = run_scorecard(["backup", str(tmp_path / "pg.dump")], empty_db_url, tmp_path)
        assert result.returncode == 1 and "pg_dump --format=custom" in result.stderr
        return
    _prepare(empty_db_url, tmp_path)
    result = run_scorecard(["backup", str(tmp_path / "pg.dump")], empty_db_url, tmp_path)
    assert result.returncode == 0, result.stderr
    # Restore it into a second fresh database: the same rows come back.
    from tests.conftest import drop_pg_database, fresh_pg_database

    restored = fresh_pg_database(empty_db_url)
    try:
        dbname = restored.rsplit("/", 1)[1]
        done = subprocess.run(["pg_restore", "--no-owner", "-h", "127.0.0.1", "-U", "postgres", "-d", dbname,
                               str(tmp_path / "pg.dump")], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        counts = {}
        for url in (empty_db_url, restored):
            engine = make_engine(url)
            with engine.connect() as conn:
                counts[url] = [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                               for t in ("regions", "districts", "sellers", "accounts", "products",
                                         "kpi_definitions")]
            engine.dispose()
        assert counts[restored] == counts[empty_db_url] == [10, 100, 1000, 20000, 500, 12]
    finally:
        drop_pg_database(restored)


def test_a_backup_holds_the_comments(tmp_path):
    """The steering tables are copied like every other: a comment written before the backup is in it."""
    url = f"sqlite:///{(tmp_path / 'live.db').as_posix()}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(Comment(level="company", unit_code="", kpi_code="revenue", period="2026-03",
                            text="<b>kept</b> as written", author_user_id=None, author="lead@example.com"))
        session.commit()
    engine.dispose()
    result = run_scorecard(["backup", str(tmp_path / "copy.db")], url, tmp_path)
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(f"file:{tmp_path / 'copy.db'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT level, unit_code, kpi_code, period, text, author FROM comments").fetchall()
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    assert rows == [("company", "", "revenue", "2026-03", "<b>kept</b> as written", "lead@example.com")]
    assert {"coaching_actions", "action_notes", "goal_conversations", "goal_conversation_kpis"} <= tables


def test_write_sessions_begin_immediate_on_sqlite(tmp_path):
    """The app's write sessions take SQLite's write lock at BEGIN; read sessions do not."""
    url = f"sqlite:///{(tmp_path / 'w.db').as_posix()}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(writing(engine)) as holder:
            holder.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is held from here
            probe = sqlite3.connect(tmp_path / "w.db", timeout=0)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    probe.execute("BEGIN IMMEDIATE")
            finally:
                probe.close()
        with Session(engine) as reader:
            reader.execute(text("SELECT 1"))  # a deferred BEGIN: no lock taken
            probe = sqlite3.connect(tmp_path / "w.db", timeout=0)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            finally:
                probe.close()
    finally:
        engine.dispose()
