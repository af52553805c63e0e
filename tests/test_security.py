"""Web security: throttled logins (429 + Retry-After), security headers on every kind of response,
CORS closed unless configured, the production secret check, expiring access tokens, offline API docs."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import DEFAULT_SECRET, Settings, get_settings
from app.db import get_session
from app.main import create_app
from app.security import ConfigError, LoginThrottle, parse_origins, settings_problem
from tests.builders import PASSWORD, make_user
from tests.liveserver import SCORECARD, free_port, scorecard_env

TOKEN_URL = "/api/v1/auth/token"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_the_default_limits():
    settings = Settings(_env_file=None)
    assert (settings.login_max_failures, settings.login_max_failures_per_ip, settings.login_window_seconds) == (
        5, 20, 900)


@pytest.fixture
def clock(app) -> FakeClock:
    """The app's login throttle with the default limits (5 per e-mail, 20 per address, 15 minutes) on a fake clock."""
    fake = FakeClock()
    app.state.login_throttle = LoginThrottle(max_failures=5, max_failures_per_ip=20, window_seconds=900, clock=fake)
    return fake


def per_address_limit(app: FastAPI, clock: FakeClock, limit: int) -> None:
    # A small per-address limit keeps these tests quick: each failure costs a real password hash.
    app.state.login_throttle = LoginThrottle(max_failures=5, max_failures_per_ip=limit, window_seconds=900,
                                             clock=clock)


def sign_in(client: TestClient, email: str, password: str):
    return client.post(TOKEN_URL, data={"username": email, "password": password})


def fail(client: TestClient, email: str, times: int, clock: FakeClock | None = None) -> None:
    """`times` wrong passwords for `email`, each a 401 (one second apart when a clock is given)."""
    for _ in range(times):
        res = sign_in(client, email, "not the password")
        assert res.status_code == 401, res.text
        if clock is not None:
            clock.advance(1)


# --- throttling ------------------------------------------------------------------------------


def test_five_failures_then_429_with_retry_after_even_for_the_right_password(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    fail(client, "kari@example.com", 5)
    res = sign_in(client, "kari@example.com", PASSWORD)
    assert res.status_code == 429
    # All five failures happened at the same instant: the first leaves the 900 s window in 900 s.
    assert res.headers["Retry-After"] == "900"
    assert res.json()["detail"] == ("too many failed sign-ins for this e-mail; try again in 900 seconds "
                                    "(about 15 minutes)")
    clock.advance(300)
    res = sign_in(client, "kari@example.com", PASSWORD)
    assert (res.status_code, res.headers["Retry-After"]) == (429, "600")


def test_the_window_passing_lets_the_login_through(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    fail(client, "kari@example.com", 5, clock)  # at t = 0, 1, 2, 3, 4; the clock is now at t = 5
    res = sign_in(client, "kari@example.com", PASSWORD)
    assert (res.status_code, res.headers["Retry-After"]) == (429, str(900 - 5))
    clock.advance(900 - 5 - 0.5)  # t = 899.5: the failure at t = 0 is still inside the window
    res = sign_in(client, "kari@example.com", PASSWORD)
    assert (res.status_code, res.headers["Retry-After"]) == (429, "1")
    clock.advance(0.5)  # t = 900: it has left
    assert sign_in(client, "kari@example.com", PASSWORD).status_code == 200


def test_sliding_window_frees_one_attempt_per_expired_failure(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    fail(client, "kari@example.com", 5, clock)  # t = 0 .. 4
    clock.advance(900 - 5)  # t = 900: only the failure at t = 0 has left the window
    fail(client, "kari@example.com", 1)  # a fifth failure inside the window again (t = 1, 2, 3, 4, 900)
    res = sign_in(client, "kari@example.com", PASSWORD)
    assert (res.status_code, res.headers["Retry-After"]) == (429, "1")  # the one at t = 1 leaves at 901


def test_a_success_clears_the_emails_count(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    fail(client, "kari@example.com", 4)
    assert sign_in(client, "kari@example.com", PASSWORD).status_code == 200
    # counted afresh: four more failures and a fifth are 401s, only the sixth attempt is refused
    fail(client, "kari@example.com", 5)
    assert sign_in(client, "kari@example.com", PASSWORD).status_code == 429


def test_other_emails_are_not_affected(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    make_user(session, role="admin", email="ola@example.com")
    fail(client, "kari@example.com", 5)
    assert sign_in(client, "kari@example.com", PASSWORD).status_code == 429
    assert sign_in(client, "ola@example.com", PASSWORD).status_code == 200
    assert sign_in(client, "ola@example.com", "not the password").status_code == 401


def test_the_email_is_counted_case_and_space_insensitively(client, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    for spelling in ("kari@example.com", "KARI@example.com", " Kari@Example.com", "kari@EXAMPLE.COM ",
                     "kari@example.com"):
        assert sign_in(client, spelling, "not the password").status_code == 401
    assert sign_in(client, "Kari@example.com", PASSWORD).status_code == 429


def test_failures_from_one_address_block_it_but_not_another(app, session, clock):
    make_user(session, role="finance", email="kari@example.com")
    per_address_limit(app, clock, 8)
    with TestClient(app, client=("203.0.113.7", 40000)) as attacker:
        for n in range(4):  # 8 failures spread over 4 e-mails: no e-mail reaches 5
            fail(attacker, f"guess{n}@example.com", 2)
        res = sign_in(attacker, "kari@example.com", PASSWORD)
        assert res.status_code == 429
        assert res.headers["Retry-After"] == "900"
        assert "from your address" in res.json()["detail"]
    with TestClient(app, client=("198.51.100.2", 40000)) as someone_else:
        assert sign_in(someone_else, "kari@example.com", PASSWORD).status_code == 200


def test_a_success_does_not_clear_the_addresss_count(app, session, clock):
    make_user(session, role="finance", email="mine@example.com")
    per_address_limit(app, clock, 8)
    with TestClient(app, client=("203.0.113.7", 40000)) as attacker:
        for n in range(2):
            fail(attacker, f"guess{n}@example.com", 4)  # 8 failures from this address
        # the attacker's own account is blocked from there too: signing in cannot reset the guessing run
        assert sign_in(attacker, "mine@example.com", PASSWORD).status_code == 429


def test_a_refused_attempt_does_no_password_hashing(client, session, clock, monkeypatch):
    import app.auth.service as service

    make_user(session, role="finance", email="kari@example.com")
    calls = []
    real_verify = service.verify_password
    monkeypatch.setattr(service, "verify_password", lambda *a: calls.append(1) or real_verify(*a))
    fail(client, "kari@example.com", 5)
    assert len(calls) == 5
    for _ in range(50):
        assert sign_in(client, "kari@example.com", "guess").status_code == 429
    assert len(calls) == 5
    # and refused attempts do not extend the block
    clock.advance(900)
    assert sign_in(client, "kari@example.com", PASSWORD).status_code == 200


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
    settings_env.setenv("LOGIN_WINDOW_SECONDS", "60")
    make_user(session, role="finance", email="kari@example.com")
    with TestClient(app_on(session)) as client:
        fail(client, "kari@example.com", 2)
        res = sign_in(client, "kari@example.com", PASSWORD)
    assert res.status_code == 429
    assert 58 <= int(res.headers["Retry-After"]) <= 60  # real clock: a 60 s window, a moment ago


def test_the_throttle_stays_bounded():
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=3, max_failures_per_ip=1000, window_seconds=900, clock=clock,
                             max_keys=100)
    for n in range(1000):
        throttle.failed(f"user{n}@example.com", "203.0.113.7")
    assert len(throttle._emails) == 100
    # the most recent ones are kept: the last e-mail still counts one failure, below its limit of 3
    for _ in range(2):
        throttle.failed("user999@example.com", "198.51.100.2")
    assert throttle.retry_after("user999@example.com", "198.51.100.2") == (900, "e-mail")
    # a very long "e-mail" takes a fixed-size key
    throttle.failed("x" * 1_000_000, "198.51.100.2")
    assert all(len(key) == 16 for key in throttle._emails._times)


def test_failures_from_many_threads_are_all_counted():
    from concurrent.futures import ThreadPoolExecutor

    throttle = LoginThrottle(max_failures=800, max_failures_per_ip=10_000, window_seconds=900)
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in pool.map(lambda n: throttle.failed("kari@example.com", f"10.0.{n}.1"), range(799)):
            pass
    assert throttle.retry_after("kari@example.com", "10.9.9.9") is None  # 799 < 800
    throttle.failed("kari@example.com", "10.9.9.9")
    assert throttle.retry_after("kari@example.com", "10.9.9.9") is not None  # the 800th counts


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
