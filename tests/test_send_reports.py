"""`scorecard send-reports` as cron runs it: on a committed database (the world of test_close_reports,
one per module and backend), with its settings from the environment, against real SMTP servers on
loopback (aiosmtpd): the settings missing, a server that is not there, a login refused, STARTTLS
missing, another run holding the lock, an owner switched off, and a run killed halfway (a subprocess
killed with SIGKILL while the server holds its second message).

STARTTLS itself (a server offering it, the certificate checked) is not tested: it needs a certificate
the client trusts. Only its refusal is: SMTP_STARTTLS on against a server without it sends nothing.
"""

import json
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session

from app import cli, db, migrate
from app.config import get_settings
from app.db import make_engine
from app.models import ReportSend, Subscription, User
from tests.conftest import PG_URL, drop_pg_database, fresh_pg_database
from tests.liveserver import SCORECARD, free_port, scorecard_env
from tests.test_close_reports import SENDER, attachment, build_world, sheet_rows, smtp_server

TODAY = "2026-03-02"
VARIANCE = {"range": "month", "by": "district,product"}


@pytest.fixture(scope="module")
def world_db(backend, tmp_path_factory) -> Iterator[tuple[str, Engine, dict[str, int]]]:
    """A migrated database of the backend holding the world, committed; the logins' ids by name."""
    if backend == "sqlite":
        url = f"sqlite:///{(tmp_path_factory.mktemp('send') / 'send.db').as_posix()}"
    else:
        url = fresh_pg_database(PG_URL)
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        users = {name: user.id for name, user in build_world(session).items()}
        session.commit()
    try:
        yield url, engine, users
    finally:
        engine.dispose()
        if backend != "sqlite":
            drop_pg_database(url)


@pytest.fixture(scope="module")
def server() -> Iterator:
    with smtp_server() as found:
        yield found


@pytest.fixture
def inbox(server):
    server[0].reset()
    return server[0]


def _clear_caches() -> None:
    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose()
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()


@pytest.fixture
def env(world_db, server, monkeypatch) -> Iterator[dict[str, str]]:
    """The command's environment on the world's database and the module's SMTP server (set it to
    change a setting); the subscriptions and their log emptied, every login switched on."""
    url, engine, _ = world_db
    with engine.begin() as conn:
        conn.execute(delete(ReportSend))
        conn.execute(delete(Subscription))
        conn.execute(update(User).values(is_active=True))
    values = {"DATABASE_URL": url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server[1]), "SMTP_FROM": SENDER}
    for name in ("SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS", "SMTP_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)

    class Env(dict):
        def __setitem__(self, key: str, value: str) -> None:
            super().__setitem__(key, value)
            monkeypatch.setenv(key, value)

        def __delitem__(self, key: str) -> None:
            super().__delitem__(key)
            monkeypatch.delenv(key, raising=False)

    found = Env()
    for key, value in values.items():
        found[key] = value
    _clear_caches()
    yield found
    _clear_caches()


def send(capsys, *args: str) -> tuple[int, str, str]:
    """`scorecard send-reports --today 2026-03-02 ARGS` in this process: exit code, stdout, stderr."""
    _clear_caches()  # the settings as the environment has them now
    code = cli.main(["send-reports", "--today", TODAY, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def subscribe(engine: Engine, owner_id: int, *, fmt: str = "xlsx", schedule: str = "daily",
              recipients: tuple[str, ...] = ("cfo@example.com",)) -> int:
    with Session(engine) as session:
        row = Subscription(owner_user_id=owner_id, report="variance", params=json.dumps(VARIANCE), format=fmt,
                           schedule=schedule, recipients=json.dumps(list(recipients)), active=True)
        session.add(row)
        session.commit()
        return row.id


def log(engine: Engine) -> dict[tuple[int, str], tuple[str, int]]:
    """(subscription, key) -> (status, attempts) of the send log."""
    with Session(engine) as session:
        rows = session.scalars(select(ReportSend))
        return {(r.subscription_id, r.period_key): (r.status, r.attempts) for r in rows}


def test_the_settings_missing_say_so(env, world_db, inbox, capsys):
    _, engine, users = world_db
    sub = subscribe(engine, users["finance"])
    del env["SMTP_HOST"]
    code, out, err = send(capsys)
    assert code == 2
    assert err.strip() == "error: SMTP_HOST must be set to send reports (see docs/close.md)"
    env["SMTP_HOST"] = "127.0.0.1"
    env["SMTP_USER"] = "reports"  # without a password
    code, _, err = send(capsys)
    assert (code, err.strip()) == (2, "error: SMTP_USER and SMTP_PASSWORD go together: set both or neither")
    # a dry run needs no mail server: it makes the reports and lists them
    del env["SMTP_USER"]
    del env["SMTP_HOST"]
    code, out, err = send(capsys, "--dry-run")
    assert code == 0, err
    assert f"would send #{sub} variance daily 2026-03-02 to cfo@example.com: " in out
    assert out.strip().endswith("dry run: 1 would be sent, 0 failed, 0 skipped")
    assert log(engine) == {} and inbox.messages == []


def test_a_server_that_is_not_there_sends_nothing_and_the_next_run_does(env, world_db, server, inbox, capsys):
    _, engine, users = world_db
    first, second = subscribe(engine, users["finance"]), subscribe(engine, users["lead1"])
    dead = free_port()
    env["SMTP_PORT"] = str(dead)
    code, out, err = send(capsys)
    assert code == 1
    assert err.startswith(f"error: cannot reach the SMTP server at 127.0.0.1:{dead} (SMTP_HOST, SMTP_PORT): ")
    assert err.strip().endswith("; nothing sent") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out
    assert log(engine) == {}  # nothing marked, sent or failed
    env["SMTP_PORT"] = str(server[1])
    code, out, err = send(capsys)
    assert code == 0, err
    assert log(engine) == {(first, TODAY): ("sent", 1), (second, TODAY): ("sent", 1)}
    assert len(inbox.messages) == 2
    assert out.strip().endswith("2 sent, 0 failed, 0 skipped")
    code, out, _ = send(capsys)  # a second run sends nothing
    assert code == 0 and len(inbox.messages) == 2
    assert out.count("skipped  #") == 2 and out.strip().endswith("0 sent, 0 failed, 2 skipped")


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"reports", b"right")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback, on purpose
def test_a_login_refused_says_so_and_the_right_one_sends(env, world_db, capsys):
    _, engine, users = world_db
    sub = subscribe(engine, users["finance"])
    with smtp_server(authenticator=_authenticator, auth_required=True, auth_require_tls=False) as (box, port):
        env["SMTP_PORT"] = str(port)
        code, _, err = send(capsys)  # no login: the server wants one
        assert code == 1
        assert err.startswith(f"error: the SMTP server at 127.0.0.1:{port} wants a login (530 ")
        assert "set SMTP_USER and SMTP_PASSWORD; nothing sent" in err
        env["SMTP_USER"], env["SMTP_PASSWORD"] = "reports", "wrong"
        code, out, err = send(capsys)
        assert code == 1
        assert err.startswith(f"error: the SMTP server at 127.0.0.1:{port} refused the login of reports "
                              "(SMTP_USER, SMTP_PASSWORD): 535 ")
        assert len(err.strip().splitlines()) == 1 and "wrong" not in err + out  # the password is not shown
        assert log(engine) == {} and box.messages == []
        env["SMTP_PASSWORD"] = "right"
        code, _, err = send(capsys)
        assert code == 0, err
        assert log(engine) == {(sub, TODAY): ("sent", 1)} and len(box.messages) == 1


def test_starttls_asked_of_a_server_without_it_sends_nothing(env, world_db, inbox, capsys):
    _, engine, users = world_db
    subscribe(engine, users["finance"])
    env["SMTP_STARTTLS"] = "true"
    code, _, err = send(capsys)
    assert code == 1
    assert f"the SMTP server at 127.0.0.1:{env['SMTP_PORT']} does not offer STARTTLS" in err
    assert log(engine) == {} and inbox.messages == []


def test_an_owner_switched_off_fails_and_the_others_go_on(env, world_db, inbox, capsys):
    _, engine, users = world_db
    off, fine = subscribe(engine, users["finance"]), subscribe(engine, users["lead1"], fmt="csv")
    with engine.begin() as conn:
        conn.execute(update(User).where(User.id == users["finance"]).values(is_active=False))
    code, out, err = send(capsys)
    assert code == 1, err
    assert (f"failed   #{off} variance daily 2026-03-02 to cfo@example.com: "
            "the owner's login fin@example.com is switched off") in out
    assert f"sent     #{fine} variance daily 2026-03-02 to cfo@example.com: " \
           "variance_2026-02_2026-02_district-product.csv, " in out
    assert log(engine) == {(off, TODAY): ("failed", 1), (fine, TODAY): ("sent", 1)}
    assert len(inbox.messages) == 1


@contextmanager
def _held_lock(url: str, engine: Engine) -> Iterator[None]:
    """Hold send-reports' run lock as another run would."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(hashtext('scorecard send-reports'))"))
            yield
            conn.execute(text("SELECT pg_advisory_unlock(hashtext('scorecard send-reports'))"))
        return
    import fcntl

    with open(f"{engine.url.database}.send-reports.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
        fcntl.flock(handle, fcntl.LOCK_UN)


def test_one_run_at_a_time(env, world_db, inbox, capsys):
    url, engine, users = world_db
    sub = subscribe(engine, users["finance"])
    with _held_lock(url, engine):
        code, _, err = send(capsys)
    assert code == 1
    assert err.startswith("error: another scorecard send-reports is running on this database")
    assert log(engine) == {} and inbox.messages == []
    code, _, err = send(capsys)
    assert code == 0, err
    assert log(engine) == {(sub, TODAY): ("sent", 1)}


def test_killed_halfway_nothing_is_marked_sent_that_was_not(env, world_db, inbox, capsys, tmp_path):
    """The server holds the second message; the command is killed (SIGKILL) while it waits. The log
    then holds the first as sent and nothing of the others; the next run sends exactly those two,
    the second with the Message-ID it had when the server got it the first time."""
    url, engine, users = world_db
    subs = [subscribe(engine, users["finance"], recipients=(f"r{i}@example.com",)) for i in range(3)]
    inbox.hold = 2
    proc_env = {**scorecard_env(url), **{k: env[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM")}}
    proc = subprocess.Popen([SCORECARD, "send-reports", "--today", TODAY], env=proc_env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert inbox.arrived.wait(90), "the second message never reached the server"
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        inbox.release.set()
    assert proc.returncode == -signal.SIGKILL
    assert out.startswith(f"sent     #{subs[0]} ")
    assert log(engine) == {(subs[0], TODAY): ("sent", 1)}
    assert [m["To"] for m in inbox.messages] == ["r0@example.com"]
    held_id = inbox.held[0]["Message-ID"]

    code, out, err = send(capsys)
    assert code == 0, err
    assert out.startswith(f"skipped  #{subs[0]} variance daily: sent today already (2026-03-02)")
    assert [m["To"] for m in inbox.messages] == ["r0@example.com", "r1@example.com", "r2@example.com"]
    assert inbox.messages[1]["Message-ID"] == held_id  # the receiving system can drop the duplicate
    assert log(engine) == {(s, TODAY): ("sent", 1) for s in subs}
    # and what arrived is the variance, figures by hand (February: D1/A -50.00, D2/A 0, total -50.00)
    rows = sheet_rows(attachment(inbox.messages[2])[2])
    assert [(r["district_code"], round(r["variance_amount"], 2)) for r in rows] == [
        ("D1", -50.0), ("D2", 0.0), ("Total", -50.0)]


def test_the_today_argument_is_checked(env, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["send-reports", "--today", "2026-02-30"])
    assert exc.value.code == 2
    assert "not a day (YYYY-MM-DD): '2026-02-30'" in capsys.readouterr().err


def test_the_day_is_today_by_default(env, world_db, inbox, capsys):
    _, engine, users = world_db
    sub = subscribe(engine, users["finance"])
    _clear_caches()
    code = cli.main(["send-reports"])
    assert code == 0, capsys.readouterr().err
    assert log(engine) == {(sub, date.today().isoformat()): ("sent", 1)}
