"""Web security: throttled logins (429 + Retry-After), security headers on every kind of response,
CORS closed unless configured, the production secret check, expiring access tokens, offline API docs."""

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.config import DEFAULT_SECRET, Settings, get_settings
from app.db import get_session, make_engine, writing
from app.main import create_app
from app.models import LoginFailure
from app.security import ConfigError, LoginThrottle, backoff_steps, parse_origins, settings_problem
from tests.builders import PASSWORD, make_user
from tests.liveserver import SCORECARD, free_port, scorecard_env

TOKEN_URL = "/api/v1/auth/token"
ATTACKER = ("203.0.113.7", 40000)
SOMEONE_ELSE = ("198.51.100.2", 40000)


class FakeClock:
    """A UTC clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_the_default_limits():
    settings = Settings(_env_file=None)
    assert (settings.login_max_failures, settings.login_max_failures_per_ip, settings.login_window_seconds,
            settings.login_backoff_seconds) == (5, 20, 900, 30)
    assert backoff_steps(30, 900) == [30, 60, 120, 240, 480, 900]
    assert backoff_steps(900, 900) == backoff_steps(1000, 900) == [900]


def throttle_on(app: FastAPI, clock: FakeClock, *, per_address: int = 20) -> None:
    """The app's login throttle: 5 failures per e-mail and address, `per_address` per address, a
    15-minute window, back-offs from 30 s, on `clock`."""
    app.state.login_throttle = LoginThrottle(max_failures=5, max_failures_per_ip=per_address,
                                             window_seconds=900, backoff_seconds=30, clock=clock)


@pytest.fixture
def clock(app) -> FakeClock:
    """The app's login throttle with the default limits on a fake clock."""
    fake = FakeClock()
    throttle_on(app, fake)
    return fake


def sign_in(client: TestClient, email: str, password: str):
    return client.post(TOKEN_URL, data={"username": email, "password": password})


def fail(client: TestClient, email: str, times: int, clock: FakeClock | None = None) -> None:
    """`times` wrong passwords for `email`, each a 401 (one second apart when a clock is given)."""
    for _ in range(times):
        res = sign_in(client, email, "not the password")
        assert res.status_code == 401, res.text
        if clock is not None:
            clock.advance(1)


def refused(res, seconds: int, source: str = "for this e-mail from your address") -> bool:
    minutes = -(-seconds // 60)
    return (res.status_code, res.headers.get("Retry-After"), res.json()["detail"]) == (
        429, str(seconds), (f"too many failed sign-ins {source}; try again in {seconds} seconds "
                            f"(about {minutes} minute{'' if minutes == 1 else 's'})"))


# --- throttling ------------------------------------------------------------------------------


def test_guesses_at_the_admins_password_do_not_lock_the_admin_out(app, session, clock):
    """Issue #14: five wrong passwords for a known e-mail used to refuse even the right one, from
    everywhere, for 15 minutes."""
    make_user(session, role="admin", email="admin@example.com")
    with TestClient(app, client=ATTACKER) as attacker:
        fail(attacker, "admin@example.com", 5)
        assert refused(sign_in(attacker, "admin@example.com", PASSWORD), 30)
    with TestClient(app, client=SOMEONE_ELSE) as admin:
        assert sign_in(admin, "admin@example.com", PASSWORD).status_code == 200
        assert sign_in(admin, "admin@example.com", "a typo").status_code == 401  # counted afresh here
    with TestClient(app, client=ATTACKER) as attacker:
        assert sign_in(attacker, "admin@example.com", PASSWORD).status_code == 429


def test_the_back_off_doubles_with_each_further_failure_up_to_the_window(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    fail(client, "kari@example.com", 5)
    for backoff in (30, 60, 120, 240, 480, 900, 900):
        assert refused(sign_in(client, "kari@example.com", PASSWORD), backoff)
        clock.advance(backoff - 0.5)
        res = sign_in(client, "kari@example.com", PASSWORD)
        assert (res.status_code, res.headers["Retry-After"]) == (429, "1")
        clock.advance(0.5)
        fail(client, "kari@example.com", 1)  # the back-off is over: one more guess, and it is wrong
    assert sign_in(client, "kari@example.com", PASSWORD).status_code == 429


def test_failures_count_within_the_window_of_the_first(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    fail(client, "kari@example.com", 4, clock)  # t = 0, 1, 2, 3
    clock.advance(899 - 4)  # t = 899: still within 900 s of the first
    fail(client, "kari@example.com", 1)
    assert refused(sign_in(client, "kari@example.com", PASSWORD), 30)


def test_the_window_passing_starts_the_count_afresh(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    fail(client, "kari@example.com", 4, clock)  # t = 0, 1, 2, 3
    clock.advance(900 - 4)  # t = 900: the window of the first failure has passed
    fail(client, "kari@example.com", 4)  # 1, 2, 3, 4 again, not 5, 6, 7, 8
    assert sign_in(client, "kari@example.com", PASSWORD).status_code == 200


def test_after_a_back_off_the_count_is_kept_for_a_window(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    fail(client, "kari@example.com", 5)  # t = 0: refused until t = 30
    clock.advance(30 + 899)  # t = 929: within a window of the back-off's end
    fail(client, "kari@example.com", 1)
    assert refused(sign_in(client, "kari@example.com", PASSWORD), 60)  # the sixth failure: until t = 989
    clock.advance(60 + 900)  # t = 1889: a window after the back-off's end
    fail(client, "kari@example.com", 4)  # counted from 1
    assert sign_in(client, "kari@example.com", PASSWORD).status_code == 200


def test_a_success_clears_the_pairs_count_not_the_addresss(app, session, clock):
    make_user(session, role="finance", email="mine@example.com")
    throttle_on(app, clock, per_address=9)
    with TestClient(app, client=ATTACKER) as client:
        fail(client, "mine@example.com", 4)
        assert sign_in(client, "mine@example.com", PASSWORD).status_code == 200
        fail(client, "mine@example.com", 4)  # 4 for the pair, not 8
        assert sign_in(client, "mine@example.com", PASSWORD).status_code == 200
        # the address has 8 failures, and a ninth blocks it: signing in cannot reset a guessing run
        fail(client, "guess@example.com", 1)
        assert refused(sign_in(client, "mine@example.com", PASSWORD), 30, "from your address")


def test_other_emails_from_the_address_are_not_affected(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    make_user(session, role="admin", email="ola@example.com")
    fail(client, "kari@example.com", 5)
    assert sign_in(client, "kari@example.com", PASSWORD).status_code == 429
    assert sign_in(client, "ola@example.com", PASSWORD).status_code == 200
    assert sign_in(client, "ola@example.com", "not the password").status_code == 401


def test_failures_from_one_address_block_it_for_every_email_but_not_another_address(app, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    throttle_on(app, clock, per_address=8)
    with TestClient(app, client=ATTACKER) as attacker:
        for n in range(4):  # 8 failures spread over 4 e-mails: no pair reaches 5
            fail(attacker, f"guess{n}@example.com", 2)
        assert refused(sign_in(attacker, "kari@example.com", PASSWORD), 30, "from your address")
        clock.advance(30)
        fail(attacker, "guess9@example.com", 1)
        assert refused(sign_in(attacker, "kari@example.com", PASSWORD), 60, "from your address")
    with TestClient(app, client=SOMEONE_ELSE) as someone_else:
        assert sign_in(someone_else, "kari@example.com", PASSWORD).status_code == 200


def test_the_email_is_counted_case_and_space_insensitively(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    for spelling in ("kari@example.com", "KARI@example.com", " Kari@Example.com", "kari@EXAMPLE.COM ",
                     "kari@example.com"):
        assert sign_in(client, spelling, "not the password").status_code == 401
    assert sign_in(client, "Kari@example.com", PASSWORD).status_code == 429


def test_a_refused_attempt_does_no_password_hashing(client, session, clock, monkeypatch):
    from app.auth import service

    make_user(session, role="finance", email="kari@example.com")
    calls = []
    real_verify = service.verify_password
    monkeypatch.setattr(service, "verify_password", lambda *a: calls.append(1) or real_verify(*a))
    fail(client, "kari@example.com", 5)
    assert len(calls) == 5
    for _ in range(50):
        assert sign_in(client, "kari@example.com", "guess").status_code == 429
    assert len(calls) == 5
    # and refused attempts neither count nor extend the back-off
    clock.advance(30)
    assert sign_in(client, "kari@example.com", PASSWORD).status_code == 200


def test_the_stored_keys_are_fixed_size(session):
    throttle = LoginThrottle()
    email = "x" * 1_000_000
    throttle.failed(session, email, ATTACKER[0])
    rows = session.execute(select(LoginFailure.kind, LoginFailure.key, LoginFailure.failures).where(
        LoginFailure.key.in_(LoginThrottle.keys(email, ATTACKER[0]).values()))).all()
    assert sorted((kind, len(key), failures) for kind, key, failures in rows) == [
        ("address", 32, 1), ("pair", 32, 1)]
    assert throttle.retry_after(session, email, ATTACKER[0]) is None


def test_stale_rows_are_deleted_at_the_next_failure(session):
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=2, max_failures_per_ip=20, window_seconds=900, backoff_seconds=30,
                             clock=clock)
    for n in range(10):
        throttle.failed(session, f"user{n}@example.com", ATTACKER[0])
    throttle.failed(session, "user0@example.com", ATTACKER[0])  # blocked until t = 30: kept until t = 930
    clock.advance(900)
    throttle.failed(session, "late@example.com", SOMEONE_ELSE[0])
    names = {}
    for email, address in [*((f"user{n}@example.com", ATTACKER[0]) for n in range(10)),
                           ("late@example.com", SOMEONE_ELSE[0])]:
        keys = LoginThrottle.keys(email, address)
        names[keys["pair"]], names[keys["address"]] = email, address
    kept = {names[key] for key in session.scalars(select(LoginFailure.key).where(LoginFailure.key.in_(names)))}
    # 203.0.113.7 had 11 failures from t = 0, below its limit of 20: forgotten at t = 900, as are the
    # pairs below their limit of 2; user0's pair was blocked until t = 30, so it is kept until t = 930
    assert kept == {"user0@example.com", "late@example.com", SOMEONE_ELSE[0]}


@pytest.fixture
def settings_env(monkeypatch) -> Iterator[pytest.MonkeyPatch]:
    """Set environment variables for create_app; the settings cache is cleared before and after."""
    monkeypatch.delenv("CORS_ORIGINS", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def app_on(session) -> FastAPI:
    """create_app() with the current environment, using the test's session."""
    get_settings.cache_clear()
    application = create_app(precompute=False)
    application.dependency_overrides[get_session] = lambda: session
    return application


def test_the_limits_come_from_the_settings(settings_env, session):
    settings_env.setenv("LOGIN_MAX_FAILURES", "2")
    settings_env.setenv("LOGIN_BACKOFF_SECONDS", "45")
    make_user(session, role="finance", email="kari@example.com")
    with TestClient(app_on(session)) as client:
        fail(client, "kari@example.com", 2)
        res = sign_in(client, "kari@example.com", PASSWORD)
    assert res.status_code == 429
    assert 44 <= int(res.headers["Retry-After"]) <= 45  # real clock: a 45 s back-off, a moment ago


# --- throttling shared by processes: committed rows on a database of the test's own ------------


@pytest.fixture
def shared_db(backend, empty_db_url) -> Iterator[Callable[[], Engine]]:
    """Engines on a new migrated database, as if each were another app process; all disposed after."""
    migrate.upgrade(empty_db_url)
    engines: list[Engine] = []

    def connect() -> Engine:
        engines.append(make_engine(empty_db_url))
        return engines[-1]

    yield connect
    for engine in engines:
        engine.dispose()


def instance(engine: Engine, clock: Callable[[], datetime]) -> FastAPI:
    """An app on `engine` with a session per request, committed or not as the route decides."""
    application = create_app(precompute=False)
    application.state.login_throttle = LoginThrottle(max_failures=5, max_failures_per_ip=20, window_seconds=900,
                                                     backoff_seconds=30, clock=clock)
    sessions = sessionmaker(bind=writing(engine), expire_on_commit=False)

    def _session() -> Iterator[Session]:
        with sessions() as session:
            yield session

    application.dependency_overrides[get_session] = _session
    return application


def add_admin(engine: Engine, email: str) -> None:
    with Session(engine) as session:
        make_user(session, role="admin", email=email)
        session.commit()


def test_two_app_instances_share_the_counts(shared_db):
    one, other = shared_db(), shared_db()
    add_admin(one, "admin@example.com")
    clock = FakeClock()
    with TestClient(instance(one, clock), client=ATTACKER) as first, \
            TestClient(instance(other, clock), client=ATTACKER) as second:
        fail(first, "admin@example.com", 3)
        fail(second, "admin@example.com", 2)  # the fifth, counted by the other instance
        assert refused(sign_in(first, "admin@example.com", PASSWORD), 30)
        assert refused(sign_in(second, "admin@example.com", PASSWORD), 30)
    with TestClient(instance(other, clock), client=SOMEONE_ELSE) as admin:
        assert sign_in(admin, "admin@example.com", PASSWORD).status_code == 200


def test_failures_from_many_threads_are_all_counted(shared_db):
    engine = shared_db()
    sessions = sessionmaker(bind=writing(engine))
    throttle = LoginThrottle(max_failures=1000, max_failures_per_ip=1000)
    addresses = (ATTACKER[0], SOMEONE_ELSE[0])

    def one_failure(n: int) -> None:
        with sessions() as session:
            throttle.failed(session, "kari@example.com", addresses[n % 2])
            session.commit()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one_failure, range(300)))
    with Session(engine) as session:
        counts = dict(session.execute(select(LoginFailure.key, LoginFailure.failures)).all())
    assert sorted(counts.values()) == [150, 150, 150, 150]  # two pairs, two addresses


def test_guesses_sent_at_once_cannot_overrun_the_limit(shared_db):
    """Attempts from one address are checked one after another once something is counted for it
    (PostgreSQL: an advisory lock per address; SQLite: one write transaction at a time)."""
    engine = shared_db()
    add_admin(engine, "admin@example.com")
    with TestClient(instance(engine, lambda: datetime.now(UTC)), client=ATTACKER) as attacker:
        fail(attacker, "admin@example.com", 1)
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(lambda _: sign_in(attacker, "admin@example.com", "a guess").status_code,
                                  range(12)))
    assert sorted(codes) == [401] * 4 + [429] * 8


# --- security headers ------------------------------------------------------------------------


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_security_headers(res) -> None:
    csp = csp_directives(res.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert csp["default-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert res.headers["X-Frame-Options"] == "DENY"
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in res.headers["Permissions-Policy"]


@pytest.mark.parametrize(("path", "status"), [
    ("/", 200),
    ("/api/v1/health", 200),
    ("/api/v1/no-such-thing", 404),
    ("/api/v1/me", 401),
    ("/static/app.js", 200),
    ("/static/no-such-file.js", 404),
    ("/vendor/plotly.min.js", 200),
    ("/api/openapi.json", 200),
    ("/api/docs", 200),
])
def test_security_headers_on_every_kind_of_response(client, path, status):
    res = client.get(path)
    assert res.status_code == status
    assert_security_headers(res)


def test_security_headers_on_422_429_and_500(app, client, session, clock):
    assert_security_headers(client.post(TOKEN_URL, data={}))  # 422: no form fields
    fail(client, "kari@example.com", 5)
    res = sign_in(client, "kari@example.com", PASSWORD)
    assert res.status_code == 429
    assert_security_headers(res)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as quiet:
        res = quiet.get("/boom")
    assert res.status_code == 500
    assert res.json() == {"detail": "internal error; the server log has the details"}
    assert_security_headers(res)


# --- CORS ------------------------------------------------------------------------------------


def preflight(client: TestClient, origin: str):
    return client.options("/api/v1/health", headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                                                     "Access-Control-Request-Headers": "authorization"})


def test_cors_is_closed_by_default(client):
    res = client.get("/api/v1/health", headers={"Origin": "https://bi.example.com"})
    assert res.status_code == 200
    assert not [h for h in res.headers if h.lower().startswith("access-control-")]
    res = preflight(client, "https://bi.example.com")
    assert not [h for h in res.headers if h.lower().startswith("access-control-")]


def test_cors_answers_the_configured_origins_only(settings_env, session):
    settings_env.setenv("CORS_ORIGINS", "https://bi.example.com, http://localhost:5173/")
    with TestClient(app_on(session)) as client:
        for origin in ("https://bi.example.com", "http://localhost:5173"):
            res = client.get("/api/v1/health", headers={"Origin": origin})
            assert res.headers["Access-Control-Allow-Origin"] == origin
            res = preflight(client, origin)
            assert res.status_code == 200
            assert res.headers["Access-Control-Allow-Origin"] == origin
            assert "authorization" in res.headers["Access-Control-Allow-Headers"].lower()
            assert "Access-Control-Allow-Credentials" not in res.headers
            assert_security_headers(res)
        for origin in ("https://evil.example.com", "https://bi.example.com.evil.example", "http://bi.example.com"):
            res = client.get("/api/v1/health", headers={"Origin": origin})
            assert "Access-Control-Allow-Origin" not in res.headers
            res = preflight(client, origin)
            assert res.status_code == 400
            assert "Access-Control-Allow-Origin" not in res.headers


def test_cors_origins_are_checked():
    assert parse_origins("") == []
    assert parse_origins(" https://a.example.com ,http://localhost:8080/ ,") == [
        "https://a.example.com", "http://localhost:8080"]
    for bad in ("*", "a.example.com", "https://a.example.com/path", "ftp://a.example.com", "https://"):
        with pytest.raises(ConfigError, match=re.escape(repr(bad))):
            parse_origins(f"https://ok.example.com,{bad}")


# --- the production secret -------------------------------------------------------------------


def test_production_refuses_the_default_secret(settings_env):
    settings_env.setenv("ENVIRONMENT", "production")
    settings_env.delenv("SECRET_KEY", raising=False)
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        create_app()
    settings_env.setenv("SECRET_KEY", DEFAULT_SECRET)
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        create_app()
    settings_env.setenv("SECRET_KEY", "a secret of our own, long enough for HS256 at least")
    get_settings.cache_clear()
    assert create_app().title == "Sales Scorecard"


def _serve(tmp_path, **env: str):
    import subprocess

    environment = scorecard_env(f"sqlite:///{(tmp_path / 'x.db').as_posix()}")
    environment.pop("SECRET_KEY")
    environment.update(env)
    return subprocess.run([SCORECARD, "serve", "--port", str(free_port())], capture_output=True, text=True,
                          env=environment, cwd=tmp_path, timeout=60, stdin=subprocess.DEVNULL, check=False)


def test_scorecard_serve_says_why_it_refuses_to_start_in_one_line(tmp_path):
    # (were the check missing, serve would run until the timeout and the test would fail)
    done = _serve(tmp_path, ENVIRONMENT="production")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: SECRET_KEY must be set to a secret of your own in production")

    done = _serve(tmp_path, CORS_ORIGINS="*")
    assert (done.returncode, done.stderr.strip().count("\n")) == (2, 0)
    assert done.stderr.startswith("error: CORS_ORIGINS: '*' is not an origin")


def test_settings_problems_are_one_line(settings_env):
    assert settings_problem() is None
    settings_env.setenv("ENVIRONMENT", "production")
    settings_env.setenv("SECRET_KEY", DEFAULT_SECRET)
    get_settings.cache_clear()
    assert settings_problem().startswith("SECRET_KEY must be set")
    settings_env.delenv("ENVIRONMENT")
    settings_env.setenv("LOGIN_MAX_FAILURES", "many")
    get_settings.cache_clear()
    problem = settings_problem()
    assert problem.startswith("LOGIN_MAX_FAILURES: Input should be a valid integer") and "\n" not in problem


# --- tokens ----------------------------------------------------------------------------------


def test_access_tokens_carry_an_expiry_of_access_token_minutes(client, session):
    make_user(session, role="finance", email="kari@example.com")
    before = datetime.now(UTC).timestamp()
    token = sign_in(client, "kari@example.com", PASSWORD).json()["access_token"]
    claims = jwt.decode(token, get_settings().secret_key, algorithms=["HS256"])
    minutes = get_settings().access_token_minutes
    assert claims["exp"] - claims["iat"] == minutes * 60
    assert before - 1 <= claims["iat"] <= datetime.now(UTC).timestamp() + 1
    # once past `exp` the same token is refused (signed with the real secret, so only the time differs)
    expired = jwt.encode({**claims, "iat": claims["iat"] - 7200, "exp": claims["exp"] - 7200},
                         get_settings().secret_key, algorithm="HS256")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


# --- API docs --------------------------------------------------------------------------------


def test_api_docs_are_served_locally_without_inline_script(client):
    page = client.get("/api/docs").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 2
    assert all('src="' in attrs and body.strip() == "" for attrs, body in scripts)
    assert "<style" not in page and "http" not in page  # nothing inline, nothing from elsewhere
    assert 'data-openapi-url="/api/openapi.json"' in page
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        res = client.get(url)
        assert res.status_code == 200, url
        assert_security_headers(res)
    assert "SwaggerUIBundle" in client.get("/api/docs/assets/swagger-ui-bundle.js").text
    assert client.get("/api/docs/init.js").headers["content-type"].startswith("text/javascript")
