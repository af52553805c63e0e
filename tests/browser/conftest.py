"""Browser tests: Debian's chromium driven by pytest-playwright against a real `scorecard serve`.

Never `playwright install` (it downloads and fails here); chromium comes from apt (`.ci/run` installs
it). A missing chromium is an error, not a skip, so CI cannot pass without a real browser.
"""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from app import migrate
from app.auth.service import create_user
from app.db import make_engine
from sqlalchemy.orm import Session
from tests.liveserver import run_scorecard, serving

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "browser test password"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # The --disable-* flags keep chromium from piling up background connections on a machine
    # without internet.
    return {**browser_type_launch_args,
            "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run"]}


# Every page of every browser test runs under the app's Content-Security-Policy: a violation
# (a blocked script, eval, style or connection) fails the test that caused it.
_REPORT_CSP = """document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile}:${e.lineNumber}`);
});"""


@pytest.fixture
def page(page):
    violations: list[str] = []
    page.expose_function("__cspViolation", lambda text: violations.append(text))
    page.add_init_script(_REPORT_CSP)
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    assert not violations, f"Content-Security-Policy violations: {violations}"


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    admin_email: str = ADMIN_EMAIL
    admin_password: str = ADMIN_PASSWORD


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """`scorecard serve` on a fresh migrated SQLite file with one admin login, for the whole run."""
    workdir = tmp_path_factory.mktemp("live")
    database_url = f"sqlite:///{(workdir / 'live.db').as_posix()}"
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        create_user(session, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, role="admin")
        session.commit()
    engine.dispose()
    with serving(database_url, workdir) as url:
        yield LiveServer(url=url, database_url=database_url)


DEMO_PASSWORD = "demo-scorecard"  # app/demo/command.py
DEMO_DOMAIN = "fjordkjokken.example.com"
DEMO_DAY = "2026-11-27"  # the day the demo is made as of: its data runs 2024-11-01 .. 2026-10-31


@dataclass(frozen=True)
class DemoServer:
    url: str
    database_url: str
    password: str = DEMO_PASSWORD

    def email(self, local: str) -> str:
        return f"{local}@{DEMO_DOMAIN}"


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory) -> Iterator[DemoServer]:
    """`scorecard demo --no-serve` into a fresh SQLite file, then `scorecard serve` on it, for the whole run."""
    workdir = tmp_path_factory.mktemp("demo")
    path = workdir / "demo.db"
    database_url = f"sqlite:///{path.as_posix()}"
    # the demo refuses to replace the database DATABASE_URL names: point that elsewhere
    # made as on DEMO_DAY: its sales end on 31 October 2026, whatever the real clock says
    done = run_scorecard(["demo", "--no-serve", "--database", str(path), "--today", DEMO_DAY],
                         f"sqlite:///{(workdir / 'other.db').as_posix()}",
                         workdir, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    with serving(database_url, workdir) as url:
        yield DemoServer(url=url, database_url=database_url)
