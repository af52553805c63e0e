"""schemathesis' own command, `--checks all`, against a served instance (`scorecard serve`, a real
HTTP server) on each database: SQLite, and PostgreSQL when TEST_DATABASE_URL is set (as in CI).

The in-process run (test_schemathesis.py) goes through the test's SQLite or PostgreSQL session and
only the checks picked there; this one is the app as deployed, strings with NUL included, every
check schemathesis has. Bounded and seeded: SCHEMATHESIS_LIVE_EXAMPLES examples per operation
(default 12), seed 1, every request answered within 10 s. One worker: with two threads, CPython 3.11's
compiler sometimes fails inside schemathesis ("AST constructor recursion depth mismatch").
"""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from app import migrate
from app.db import make_engine
from tests.builders import PASSWORD, make_account, make_district, make_product, make_region, make_seller, make_user
from tests.conftest import BACKENDS
from tests.liveserver import server_process

EXAMPLES = int(os.environ.get("SCHEMATHESIS_LIVE_EXAMPLES", "12"))
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CONFIG = Path(__file__).with_name("schemathesis.toml")  # the documented business rules, per operation


def _organization(url: str) -> None:
    """A little organization, so generated codes sometimes hit real rows, and an administrator."""
    engine = make_engine(url)
    with Session(engine) as session:
        region = make_region(session, code="R1")
        district = make_district(session, code="D1", region=region)
        make_seller(session, code="S1", district=district, email="s1@example.com")
        make_account(session, code="A1", district=district)
        make_product(session, code="P1")
        make_user(session, role="admin", email="admin@example.com")
        session.commit()
    engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("empty_db_url", BACKENDS, indirect=True)
def test_schemathesis_live_with_every_check(empty_db_url, tmp_path):
    migrate.upgrade(empty_db_url)
    _organization(empty_db_url)
    with server_process(empty_db_url, tmp_path, env={"PRECOMPUTE_FIGURES": "false"}) as (base, _proc):
        token = httpx.post(f"{base}/api/v1/auth/token",
                           data={"username": "admin@example.com", "password": PASSWORD}).json()["access_token"]
        run = subprocess.run(
            [SCHEMATHESIS, "--config-file", str(CONFIG), "run", f"{base}/api/openapi.json", "--checks", "all", "--max-examples", str(EXAMPLES),
             "--seed", "1", "--generation-deterministic", "--generation-allow-x00", "true",
             "--request-timeout", "10", "--workers", "1",
             "-H", f"Authorization: Bearer {token}", "--no-color"],
            capture_output=True, text=True, timeout=900, cwd=tmp_path, check=False)
        (tmp_path / "schemathesis.txt").write_text(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
