"""Scale-out: several `scorecard serve` processes on one database behave as one app.

Nothing a request depends on lives only in one process: tokens are checked with the shared
SECRET_KEY, users, API tokens, KPI weights and the data live in the database, and each process's
figure cache answers only for the data version it was computed under. So server B never contradicts
what was just done through server A. Two servers on one PostgreSQL (the database several machines
share) when TEST_DATABASE_URL is PostgreSQL; on SQLite, the workers of one `serve --workers 2`.
"""

import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from app import migrate
from app.auth.service import create_user
from app.db import make_engine
from app.reporting.version import current_version
from tests.conftest import PG_URL, drop_pg_database, fresh_pg_database
from tests.liveserver import server_process

on_postgresql = pytest.mark.skipif(
    not (PG_URL or "").startswith("postgresql"),
    reason="two app servers on one PostgreSQL database: needs TEST_DATABASE_URL=postgresql+psycopg://... "
           "(CI sets it); SQLite is one machine's file, not the scale-out setup",
)

ADMIN = "admin@scale.example"
PASSWORD = "a long enough password"
PERIOD = "2026-01"

# One seller, one account, one product; revenue target 2,000.00 and gross margin target 400.00 for January.
ORG_FILES = {
    "regions": "code,name\nR1,Region One\n",
    "districts": "code,name,basis,region_code\nD1,District One,geographic,R1\n",
    "sellers": "code,name,email,district_code,valid_from\nS1,Seller One,s1@scale.example,D1,2025-01-01\n",
    "accounts": "code,name,district_code\nA1,Account One,D1\n",
    "products": "code,name,product_group\nP1,Product One,G1\n",
    "sales": "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
             "L1,2026-01-10,S1,A1,P1,2,1000.00,600.00\n",
    "targets": "level,code,kpi,period,value\nseller,S1,revenue,2026-01,2000\nseller,S1,gross_margin,2026-01,400\n",
}


@contextmanager
def _servers(database_url: str, cwd: Path, workers: list[int], timeout: float = 60
             ) -> Iterator[list[tuple[str, subprocess.Popen]]]:
    """A `scorecard serve --workers W` process per entry of `workers` on `database_url`, all with one
    SECRET_KEY; yields (base URL, process) of each once all answer /health."""
    secret = {"SECRET_KEY": secrets.token_hex(32)}
    with ExitStack() as stack:
        yield [stack.enter_context(server_process(database_url, cwd, workers=count, env=secret, name=name,
                                                  timeout=timeout))
               for name, count in zip("abcdef", workers)]


def _sign_in(base: str, email: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/auth/token", data={"username": email, "password": password}, timeout=30)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _import(base: str, token: str, dataset: str, text: str) -> None:
    r = httpx.post(f"{base}/api/v1/imports/{dataset}", headers=_bearer(token), timeout=60,
                   files={"file": (f"{dataset}.csv", text.encode(), "text/csv")})
    assert r.status_code == 200, r.text


def _migrate_with_admin(url: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        create_user(session, email=ADMIN, password=PASSWORD, role="admin")
        session.commit()
    engine.dispose()


def _load_company(base: str) -> str:
    """The small company loaded through `base`; the administrator's access token."""
    login = _sign_in(base, ADMIN)
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    for dataset, text in ORG_FILES.items():
        _import(base, token, dataset, text)
    return token


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict]:
    """A fresh PostgreSQL database with the small company loaded through A, and servers A and B on it."""
    url = fresh_pg_database(PG_URL)
    try:
        _migrate_with_admin(url)
        with _servers(url, tmp_path_factory.mktemp("scale_out"), [1, 1]) as [(a, _), (b, _)]:
            yield {"a": a, "b": b, "admin": _load_company(a)}
    finally:
        drop_pg_database(url)


def _seller_card(base: str, token: str) -> dict:
    r = httpx.get(f"{base}/api/v1/scorecards/seller/S1", params={"period": PERIOD, "range": "month"},
                  headers=_bearer(token), timeout=60)
    assert r.status_code == 200, r.text
    card = r.json()
    card["by_kpi"] = {k["code"]: k for p in card["perspectives"] for k in p["kpis"]}
    return card


@on_postgresql
def test_a_token_issued_by_a_is_accepted_by_b(servers):
    a, b = servers["a"], servers["b"]
    login = _sign_in(a, ADMIN)
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    me = httpx.get(f"{b}/api/v1/me", headers=_bearer(token), timeout=30)
    assert me.status_code == 200, me.text
    assert (me.json()["email"], me.json()["role"]) == (ADMIN, "admin")
    # B checks the signature, it does not take any token: one changed character is refused.
    forged = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert httpx.get(f"{b}/api/v1/me", headers=_bearer(forged), timeout=30).status_code == 401


@on_postgresql
def test_an_import_and_a_kpi_weight_change_through_a_show_at_once_on_b(servers):
    a, b, admin = servers["a"], servers["b"], servers["admin"]
    # Before, by hand: revenue 1,000.00 of 2,000.00 = 0.5; gross margin 1,000.00 - 600.00 = 400.00 of 400.00 = 1.0.
    # No other KPI has a target, so only the financial perspective scores: overall = (0.5 + 1.0) / 2 (weights 1, 1).
    for _ in range(2):  # the second call is answered from B's own cache, if it keeps one
        before = _seller_card(b, admin)
        assert before["by_kpi"]["revenue"]["actual"] == pytest.approx(1000.0)
        assert before["by_kpi"]["revenue"]["attainment"] == pytest.approx(0.5)
        assert before["by_kpi"]["gross_margin"]["actual"] == pytest.approx(400.0)
        assert before["overall_score"] == pytest.approx(0.75)
    district = httpx.get(f"{b}/api/v1/scorecards/district/D1", params={"period": PERIOD, "range": "month"},
                         headers=_bearer(admin), timeout=60).json()
    assert {k["code"]: k["actual"] for p in district["perspectives"] for k in p["kpis"]}["revenue"] == \
        pytest.approx(1000.0)

    _import(a, admin, "sales", "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
                               "L2,2026-01-20,S1,A1,P1,1,500.00,300.00\n")
    # After, on B's very next call: revenue 1,500.00 / 2,000.00 = 0.75; gross margin 600.00 / 400.00 = 1.5,
    # scored at the cap 1.2; overall (0.75 + 1.2) / 2 = 0.975.
    after = _seller_card(b, admin)
    assert after["by_kpi"]["revenue"]["actual"] == pytest.approx(1500.0)
    assert after["by_kpi"]["gross_margin"]["actual"] == pytest.approx(600.0)
    assert after["by_kpi"]["gross_margin"]["score"] == pytest.approx(1.2)
    assert after["overall_score"] == pytest.approx(0.975)
    district = httpx.get(f"{b}/api/v1/scorecards/district/D1", params={"period": PERIOD, "range": "month"},
                         headers=_bearer(admin), timeout=60).json()
    assert {k["code"]: k["actual"] for p in district["perspectives"] for k in p["kpis"]}["revenue"] == \
        pytest.approx(1500.0)

    patched = httpx.patch(f"{a}/api/v1/kpis/revenue", json={"weight": 3.0}, headers=_bearer(admin), timeout=30)
    assert patched.status_code == 200, patched.text
    # Revenue now weighs 3 against gross margin's 1: (0.75 * 3 + 1.2 * 1) / 4 = 0.8625.
    assert _seller_card(b, admin)["overall_score"] == pytest.approx(0.8625)


@on_postgresql
def test_an_api_token_revoked_on_a_is_refused_by_b_at_once(servers):
    a, b, admin = servers["a"], servers["b"], servers["admin"]
    made = httpx.post(f"{a}/api/v1/tokens", json={"name": "erp pull", "scopes": ["scorecards:read"]},
                      headers=_bearer(admin), timeout=30)
    assert made.status_code == 201, made.text
    api_token, token_id = made.json()["token"], made.json()["id"]
    path = f"{b}/api/v1/scorecards/seller/S1?period={PERIOD}&range=month"
    assert httpx.get(path, headers=_bearer(api_token), timeout=30).status_code == 200

    revoked = httpx.delete(f"{a}/api/v1/tokens/{token_id}", headers=_bearer(admin), timeout=30)
    assert revoked.status_code == 204, revoked.text
    assert httpx.get(path, headers=_bearer(api_token), timeout=30).status_code == 401


@on_postgresql
def test_a_user_created_on_a_signs_in_on_b(servers):
    a, b, admin = servers["a"], servers["b"], servers["admin"]
    assert _sign_in(b, "s1@scale.example").status_code == 401  # not yet
    made = httpx.post(f"{a}/api/v1/users", json={"email": "s1@scale.example", "password": PASSWORD, "role": "seller"},
                      headers=_bearer(admin), timeout=30)
    assert made.status_code == 201, made.text
    login = _sign_in(b, "s1@scale.example")
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    me = httpx.get(f"{b}/api/v1/me", headers=_bearer(token), timeout=30)
    assert (me.json()["email"], me.json()["role"]) == ("s1@scale.example", "seller")
    # and B applies the new seller's access: their own scorecard, not the district's
    assert httpx.get(f"{b}/api/v1/scorecards/seller/S1?period={PERIOD}", headers=_bearer(token),
                     timeout=30).status_code == 200
    assert httpx.get(f"{b}/api/v1/scorecards/district/D1?period={PERIOD}", headers=_bearer(token),
                     timeout=30).status_code == 404


def _spawned_workers(supervisor: int) -> int:
    """How many uvicorn worker processes (multiprocessing spawn children) `supervisor` has."""
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, NotADirectoryError):
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        count += ppid == supervisor and b"spawn_main" in cmdline
    return count


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts worker processes through /proc (Linux)")
def test_two_workers_on_one_sqlite_file_serve_the_same_figures_after_an_import(tmp_path):
    url = f"sqlite:///{(tmp_path / 'shared.db').as_posix()}"
    _migrate_with_admin(url)
    with _servers(url, tmp_path, [2]) as [(base, proc)]:
        assert _spawned_workers(proc.pid) == 2
        admin = _load_company(base)
        # Each call is a new connection, which either worker may accept: 12 calls reach, and fill the
        # cache of, both workers in practice; every one must agree (revenue 1,000.00, overall 0.75).
        cards = [_seller_card(base, admin) for _ in range(12)]
        assert {(c["by_kpi"]["revenue"]["actual"], round(c["overall_score"], 9)) for c in cards} == {(1000.0, 0.75)}
        _import(base, admin, "sales", "id,date,seller_code,account_code,product_code,quantity,amount,cost\n"
                                      "L2,2026-01-20,S1,A1,P1,1,500.00,300.00\n")
        # After: 1,500.00 and (0.75 + 1.2) / 2 = 0.975 from whichever worker answers.
        cards = [_seller_card(base, admin) for _ in range(12)]
        assert {(c["by_kpi"]["revenue"]["actual"], round(c["overall_score"], 9)) for c in cards} == {(1500.0, 0.975)}
        # Each worker's figure precomputer sees the import's data version and computes the opening
        # figures again: those of the last complete month and of January (the latest sale's month).
        _wait_for_precompute(url, tmp_path, workers=2)
        ytd = [httpx.get(f"{base}/api/v1/scorecards/seller/S1", params={"period": PERIOD, "range": "ytd"},
                         headers=_bearer(admin), timeout=60).json() for _ in range(6)]
        assert [round(c["overall_score"], 9) for c in ytd] == [0.975] * 6  # January is the whole year so far
        log = "\n".join(p.read_text() for p in tmp_path.glob("serve-*.log"))
    assert "Traceback" not in log and "locked" not in log.lower()


def _wait_for_precompute(url: str, logs: Path, *, workers: int, timeout: float = 60) -> None:
    """Until `workers` processes logged that they precomputed the figures of the data version now in
    `url`'s database."""
    engine = make_engine(url)
    with Session(engine) as session:
        version = current_version(session)
    engine.dispose()
    done = re.compile(rf"precomputed \d+ figures for [\d, -]+ under data version {version} ")
    deadline = time.monotonic() + timeout
    while len(done.findall("\n".join(p.read_text() for p in logs.glob("serve-*.log")))) < workers:
        assert time.monotonic() < deadline, f"no {workers} precompute runs for data version {version} in {timeout} s"
        time.sleep(0.2)
