"""`scorecard backup DEST`: a consistent copy of the database, taken while the app runs.

SQLite: SQLite's online backup API copies the whole file in one step inside one read transaction,
so the copy is the database as of one commit (WAL lets writers go on meanwhile; a half-done import
is never in it). The copy is written beside DEST, turned into a single self-contained file (rollback
journal, not WAL), checked with `PRAGMA integrity_check`, then renamed to DEST.

PostgreSQL: the tool is `pg_dump` (custom format, restored with `pg_restore`). When `pg_dump` is on
PATH this runs it, the password passed in PGPASSWORD rather than on the command line; when it is not,
this prints the command to run and fails.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


@dataclass
class BackupResult:
    path: Path
    size: int
    detail: str


def _destination(dest: Path, suffix: str) -> Path:
    """DEST itself, or a dated file inside DEST when it is a folder; never an existing file."""
    if dest.is_dir():
        dest = dest / f"scorecard-{datetime.now():%Y%m%d-%H%M%S}{suffix}"
    if dest.exists():
        raise BackupError(f"{dest} already exists; give a new file name or a folder")
    if not dest.parent.is_dir():
        raise BackupError(f"no such folder: {dest.parent}")
    return dest


def backup_sqlite(url: URL, dest: Path) -> BackupResult:
    """Copy the SQLite database of `url` to `dest` with the online backup API; checked before it is kept."""
    if not url.database or url.database == ":memory:":
        raise BackupError("DATABASE_URL names no SQLite file to back up")
    source = Path(url.database)
    if not source.is_file():
        raise BackupError(f"no database file at {source}")
    dest = _destination(dest, ".db")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # One step (pages=-1): the whole database under one read snapshot, so one committed state.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"could not copy {source}: {exc}") from exc
    finally:
        src.close()
    os.replace(partial, dest)
    check = sqlite3.connect(f"file:{dest}?mode=ro", uri=True)
    try:
        result = [row[0] for row in check.execute("PRAGMA integrity_check")]
        tables = check.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        check.close()
    if result != ["ok"]:
        dest.unlink(missing_ok=True)
        raise BackupError(f"the copy failed PRAGMA integrity_check ({'; '.join(result[:5])}); nothing kept")
    return BackupResult(dest, dest.stat().st_size, f"{tables} tables, integrity_check ok")


def pg_dump_command(url: URL, dest: Path) -> list[str]:
    """The pg_dump command line for `url` (no password in it: libpq takes that from PGPASSWORD or ~/.pgpass)."""
    libpq = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=url.query
    ).render_as_string(hide_password=False)
    return ["pg_dump", "--format=custom", f"--file={dest}", f"--dbname={libpq}"]


def backup_postgresql(url: URL, dest: Path) -> BackupResult:
    """`pg_dump -Fc` of the database of `url` into `dest`; BackupError with the command when pg_dump is missing."""
    dest = _destination(dest, ".dump")
    command = pg_dump_command(url, dest)
    shown = " ".join(command)
    if shutil.which("pg_dump") is None:
        raise BackupError(
            "pg_dump is not on PATH. Back up PostgreSQL with pg_dump (same major version as the "
            f"server or newer), e.g.:\n  {shown}\n(the password from PGPASSWORD or ~/.pgpass)"
        )
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        dest.unlink(missing_ok=True)
        raise BackupError(f"{shown} failed ({done.returncode}): {done.stderr.strip()}")
    return BackupResult(dest, dest.stat().st_size, f"pg_dump custom format; restore with pg_restore ({shown})")


def backup(database_url: str, dest: Path) -> BackupResult:
    """Back up the database of `database_url` to `dest` (a file name, or a folder for a dated file)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return backup_sqlite(url, dest)
    if url.get_backend_name() == "postgresql":
        return backup_postgresql(url, dest)
    raise BackupError(f"cannot back up a {url.get_backend_name()} database; use that database's own tools")
