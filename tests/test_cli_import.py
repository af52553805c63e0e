"""`scorecard import DATASET FILE [--dry-run]` as a user runs it: a subprocess on a fresh migrated SQLite file."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from app import migrate
from app.db import make_engine

pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)


@pytest.fixture
def db_url(empty_db_url):
    migrate.upgrade(empty_db_url)
    return empty_db_url


def scorecard(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run([sys.executable, "-m", "app.cli", "import", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def regions_in(db_url: str) -> list[tuple]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT code, name FROM regions ORDER BY code"))]
    finally:
        engine.dispose()


def test_import_prints_a_summary(db_url, tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("code,name\nN,North\nS,South\n")
    done = scorecard(db_url, "regions", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "regions: 2 rows, 2 inserted, 0 updated, 0 unchanged"
    assert regions_in(db_url) == [("N", "North"), ("S", "South")]
    again = scorecard(db_url, "regions", str(path))
    assert again.stdout.strip() == "regions: 2 rows, 0 inserted, 0 updated, 2 unchanged"


def test_dry_run_writes_nothing(db_url, tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("code,name\nN,North\n")
    done = scorecard(db_url, "regions", str(path), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("regions: 1 rows, 1 inserted, 0 updated, 0 unchanged")
    assert "dry run" in done.stdout
    assert regions_in(db_url) == []


def test_rejected_file_prints_a_summary_then_an_error_table_and_exits_1(db_url, tmp_path):
    path = tmp_path / "regions.csv"
    # Rows 2..61 lack a name (60 errors); row 62 is fine.
    path.write_text("code,name\n" + "".join(f"R{i},\n" for i in range(60)) + "OK,Fine\n")
    done = scorecard(db_url, "regions", str(path))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert "60 problem" in lines[0]
    # First the summary: one kind of problem, 60 times, first on rows 2..6.
    assert lines[1].split() == ["count", "column", "message", "first", "rows"]
    assert lines[2].split() == ["60", "name", "a", "value", "is", "required", "2,", "3,", "4,", "5,", "6"]
    assert lines[3] == ""
    # Then the first 50 problems.
    header = lines[4]
    assert header.split() == ["row", "column", "value", "message"]
    first = lines[5]
    assert first.split()[:2] == ["2", "name"]
    # Aligned: the message column starts at the same place on every line of the table.
    start = header.index("message")
    assert all(len(line) > start and line[start - 2:start] == "  " for line in lines[5:55])
    assert lines[-1] == "... and 10 more (--all-errors lists every one)"
    assert len(lines) == 5 + 50 + 1
    assert regions_in(db_url) == []

    every = scorecard(db_url, "regions", str(path), "--all-errors").stderr.strip().splitlines()
    assert [line.split()[0] for line in every[5:]] == [str(r) for r in range(2, 62)]  # all 60, rows 2..61


def test_a_few_different_problems_need_no_summary(db_url, tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("code,name\n,North\nS,\n")  # row 2: no code; row 3: no name
    lines = scorecard(db_url, "regions", str(path)).stderr.strip().splitlines()
    assert lines[1].split() == ["row", "column", "value", "message"]
    assert [line.split()[:2] for line in lines[2:]] == [["2", "code"], ["3", "name"]]


def test_unknown_dataset_exits_2(db_url, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("code,name\n")
    done = scorecard(db_url, "regionz", str(path))
    assert done.returncode == 2
    assert "unknown dataset 'regionz'" in done.stderr
    assert "regions" in done.stderr


def test_missing_file_exits_2(db_url, tmp_path):
    done = scorecard(db_url, "regions", str(tmp_path / "nope.csv"))
    assert done.returncode == 2
    assert "no such file" in done.stderr


def test_large_file_reports_progress_on_stderr(db_url, tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("code,name\n" + "".join(f"R{i},Region number {i}\n" for i in range(60_000)))  # > 1 MB
    done = scorecard(db_url, "regions", str(path))
    assert done.returncode == 0, done.stderr
    assert "reading: 0%" in done.stderr
    assert "writing regions: 100%" in done.stderr
    assert done.stdout.strip() == "regions: 60000 rows, 60000 inserted, 0 updated, 0 unchanged"


def test_unreadable_file_is_one_clear_line(db_url, tmp_path):
    empty = tmp_path / "regions.csv"
    empty.write_bytes(b"")
    result = scorecard(db_url, "regions", str(empty))
    assert result.returncode == 1
    assert result.stderr.strip() == "regions: the file is empty"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("code,name\nS,Sør\n".encode("latin-1"))
    result = scorecard(db_url, "regions", str(latin))
    assert result.returncode == 1
    assert "not UTF-8: line 2" in result.stderr and "Traceback" not in result.stderr
    assert regions_in(db_url) == []
