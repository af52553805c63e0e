"""Web security: login throttling, security headers on every response, CORS only when configured,
the settings check that refuses a default secret in production, and the API docs served offline."""

import hashlib
import html
import ipaddress
import math
import struct
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import fastapi_offline
from fastapi import FastAPI, HTTPException, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import ColumnElement, Executable, Integer, Table, case, delete, func, literal, null, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import DEFAULT_SECRET, Settings, get_settings
from app.db import UtcDateTime
from app.delivery import AssetFiles, LazyFolder
from app.models.logins import LoginFailure

_FAILURES = cast(Table, LoginFailure.__table__)  # a Table (declarative types `__table__` as any FromClause)

# --- settings ---------------------------------------------------------------------------------


class ConfigError(RuntimeError):
    """A setting the app refuses to start with; the message names the setting and the fix."""


def parse_origins(value: str) -> list[str]:
    """CORS_ORIGINS as a list: comma-separated `scheme://host[:port]`, a trailing slash dropped."""
    origins = []
    for part in value.split(","):
        origin = part.strip().rstrip("/")
        if not origin:
            continue
        scheme, sep, host = origin.partition("://")
        if (
            origin == "*"
            or not sep
            or scheme not in ("http", "https")
            or not host
            or "/" in host
            or any(c.isspace() for c in host)
        ):
            raise ConfigError(
                f"CORS_ORIGINS: {part.strip()!r} is not an origin like https://example.com "
                "or http://localhost:5173 (list each origin; '*' is not allowed)"
            )
        origins.append(origin)
    return origins


def check_settings(settings: Settings) -> None:
    """Raise ConfigError for settings the app must not start with."""
    if settings.environment == "production" and settings.secret_key == DEFAULT_SECRET:
        raise ConfigError(
            "SECRET_KEY must be set to a secret of your own in production (ENVIRONMENT=production); "
            "for example: export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )
    parse_origins(settings.cors_origins)


def settings_problem() -> str | None:
    """Why the app would refuse to start with the environment's settings, in one line; None if it would not."""
    from pydantic import ValidationError

    try:
        check_settings(get_settings())
    except ConfigError as exc:
        return str(exc)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "_".join(str(part) for part in error["loc"]).upper()
        return f"{name}: {error['msg']} (got {error.get('input')!r})"
    return None


# --- login throttling -------------------------------------------------------------------------

# The advisory lock class of sign-in attempts on PostgreSQL ("sc-l" in ASCII); the lock's second key is
# a hash of the client address. Two-key advisory locks never meet the one-key one of app.reporting.aggregates.
_LOGIN_LOCK_CLASS = 0x73632D6C
# Stale rows deleted at each failure, at most: a failure adds at most two rows.
_PRUNE_BATCH = 100


def _key(kind: str, address: str, email: str = "") -> str:
    """A row's key: BLAKE2b-128 (hex) of the kind, the address and the e-mail. A fixed size, so a
    megabyte-long "e-mail" costs no more than a short one. An address holds no NUL, so no two
    (address, e-mail) pairs give the same text."""
    text = f"{kind}\0{address}\0{email}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def backoff_steps(first: float, cap: float) -> list[float]:
    """The back-offs in seconds after the failure that reaches the limit, the next one, and so on:
    `first`, doubling, and `cap` for that failure and every later one."""
    steps = []
    while first < cap:
        steps.append(first)
        first *= 2
    return [*steps, cap]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _lock_address(session: Session, address: str) -> None:
    """PostgreSQL: wait until no other sign-in attempt from `address` is between its check and its
    outcome; hold that until this transaction ends. (SQLite: a write transaction is one at a time.)"""
    if session.get_bind().dialect.name == "postgresql":
        (code,) = struct.unpack("<i", hashlib.blake2b(address.encode("utf-8", "surrogatepass"), digest_size=4).digest())
        session.execute(select(func.pg_advisory_xact_lock(literal(_LOGIN_LOCK_CLASS, Integer), literal(code, Integer))))


class LoginThrottle:
    """Counts failed sign-ins in the database (table `login_failures`), shared by every worker and instance:
    per e-mail from one client address (a *pair*), and per client address whatever the e-mail.

    - A pair with `max_failures` failures within `window_seconds` of its first one is refused for
      `backoff_seconds`; each further failure (one is allowed once a back-off is over) doubles the
      back-off, up to `window_seconds`. The same per address with `max_failures_per_ip`.
    - The count is forgotten `window_seconds` after its first failure, or once a back-off was set,
      `window_seconds` after the back-off ends; the next failure then counts from 1.
    - A good password clears the pair's count, not the address's.
    - There is no limit per e-mail alone: guesses from one address never keep the right password out
      from another.

    Refused attempts count nothing and extend nothing. `clock` gives aware UTC datetimes (tests fake it).
    The caller commits: the route does, even when it answers 401.
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        max_failures_per_ip: int = 20,
        window_seconds: float = 900,
        backoff_seconds: float = 30,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.limits = {"pair": max_failures, "address": max_failures_per_ip}
        self.window = timedelta(seconds=window_seconds)
        self.backoffs = [timedelta(seconds=s) for s in backoff_steps(backoff_seconds, window_seconds)]
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> "LoginThrottle":
        return cls(
            max_failures=settings.login_max_failures,
            max_failures_per_ip=settings.login_max_failures_per_ip,
            window_seconds=settings.login_window_seconds,
            backoff_seconds=settings.login_backoff_seconds,
        )

    @staticmethod
    def keys(email: str, address: str) -> dict[str, str]:
        """The row keys of a sign-in attempt, by kind (`email` normalized already)."""
        return {"pair": _key("pair", address, email), "address": _key("address", address)}

    def retry_after(self, session: Session, email: str, address: str) -> tuple[int, str] | None:
        """(whole seconds to wait, "pair" or "address") when a sign-in must be refused now, else None."""
        keys = self.keys(email, address)
        rows = self._blocks(session, keys)
        if rows:
            # Something is counted: wait for the other attempts from this address that are under way to be
            # counted, then read again, so that guesses sent at once cannot all pass before the first counts.
            _lock_address(session, address)
            rows = self._blocks(session, keys)
        now = self.clock()
        waits = [((until - now).total_seconds(), kind) for kind, until in rows if until is not None and until > now]
        if not waits:
            return None
        wait, kind = max(waits)
        return max(1, math.ceil(wait)), kind

    def failed(self, session: Session, email: str, address: str) -> None:
        """Count a failure for the pair and the address; delete some rows gone stale."""
        _lock_address(session, address)
        now = self.clock()
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        for kind, key in self.keys(email, address).items():
            session.execute(self._count(insert, kind, key, now))
        table = _FAILURES
        # Rows another transaction holds are skipped (PostgreSQL): pruning never waits, so never deadlocks.
        stale = (
            select(table.c.key).where(table.c.expires_at <= now).limit(_PRUNE_BATCH).with_for_update(skip_locked=True)
        )
        session.execute(delete(table).where(table.c.key.in_(stale)))

    def succeeded(self, session: Session, email: str, address: str) -> None:
        """A good password clears the pair's count (not the address's: one good sign-in must not reset a
        guessing run from the same address)."""
        table = _FAILURES
        session.execute(delete(table).where(table.c.key == self.keys(email, address)["pair"]))

    @staticmethod
    def _blocks(session: Session, keys: dict[str, str]) -> list[tuple[str, datetime | None]]:
        return list(
            session.execute(
                select(LoginFailure.kind, LoginFailure.blocked_until).where(LoginFailure.key.in_(keys.values()))
            )
        )

    def _count(self, insert: Callable, kind: str, key: str, now: datetime) -> Executable:
        """INSERT ... ON CONFLICT DO UPDATE counting one failure for `key` in one statement, so that
        failures at the same moment on other workers all count.

        The back-off follows from the new count: a CASE over the few steps of `self.backoffs` (the
        moments are computed here, as the two databases do date arithmetic differently)."""
        table = _FAILURES
        limit, window = self.limits[kind], self.window
        blocks = [now + b for b in self.backoffs]  # at the limit-th failure, the next one, ...

        def at(moment: datetime) -> ColumnElement[datetime]:
            return literal(moment, UtcDateTime())

        first_block = blocks[0] if limit == 1 else None
        row = insert(table).values(
            key=key,
            kind=kind,
            failures=1,
            window_start=now,
            last_failure=now,
            blocked_until=first_block,
            expires_at=(first_block or now) + window,
        )
        expired = table.c.expires_at <= at(now)
        failures = case((expired, 1), else_=table.c.failures + 1)
        steps = [(failures == limit + n, until) for n, until in enumerate(blocks[:-1])]
        blocked_until = case((failures < limit, null()), *((c, at(u)) for c, u in steps), else_=at(blocks[-1]))
        expires_at = case(
            (failures < limit, case((expired, at(now + window)), else_=table.c.expires_at)),
            *((c, at(u + window)) for c, u in steps),
            else_=at(blocks[-1] + window),
        )
        return row.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": failures,
                "window_start": case((expired, at(now)), else_=table.c.window_start),
                "last_failure": at(now),
                "blocked_until": blocked_until,
                "expires_at": expires_at,
            },
        )


def client_address(request: Request) -> str:
    """The client's address as the throttle counts it: an IPv4 address, or the /64 network of an IPv6
    one (one subscriber holds a whole /64, so counting single addresses would give them 2**64 tries)."""
    # Behind a reverse proxy, uvicorn's --proxy-headers (trusting 127.0.0.1 by default) puts the
    # forwarded address here.
    host = request.client.host if request.client else "unknown"
    if ":" in host:
        try:
            return str(ipaddress.IPv6Network(f"{host.split('%', 1)[0]}/64", strict=False))
        except ValueError:
            return host
    return host


def login_throttle(request: Request) -> LoginThrottle:
    """The app's throttle: its limits and clock (the counts are in the database)."""
    return request.app.state.login_throttle


def too_many_attempts(seconds: int, what: str) -> HTTPException:
    """The 429 for a throttled sign-in, with Retry-After in seconds."""
    source = "for this e-mail from your address" if what == "pair" else "from your address"
    minutes = math.ceil(seconds / 60)
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"too many failed sign-ins {source}; try again in {seconds} seconds (about {minutes} minute"
        f"{'' if minutes == 1 else 's'})",
        headers={"Retry-After": str(seconds)},
    )


# --- headers and CORS -------------------------------------------------------------------------

# plotly.js (served from /vendor) draws with SVG and sets inline styles, hence 'unsafe-inline' for
# styles only; scripts come from this origin alone, with no eval.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Adds SECURITY_HEADERS to every HTTP response (API, pages, static files, errors) that lacks them."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str] = SECURITY_HEADERS) -> None:
        self.app = app
        self.headers = dict(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- API docs, offline and without inline script -------------------------------------------------

SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"

_DOCS_INIT_JS = """\
// Starts Swagger UI from a file: the Content-Security-Policy allows no inline script.
const el = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: el.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


def install_api_docs(app: FastAPI, path: str = "/api/docs") -> None:
    """Swagger UI at `path` from files shipped in the fastapi-offline package (no CDN)."""
    # Held in memory and gzip-compressed once (app.delivery), as the frontend's files are.
    app.mount(f"{path}/assets", AssetFiles(LazyFolder(SWAGGER_ASSETS)), name="docs-assets")

    @app.get(f"{path}/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(_DOCS_INIT_JS, media_type="text/javascript")

    @app.get(path, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        esc = html.escape
        return HTMLResponse(
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{esc(app.title)} – API</title>\n"
            f'<link rel="icon" href="{esc(root + path)}/assets/favicon.png">\n'
            f'<link rel="stylesheet" href="{esc(root + path)}/assets/swagger-ui.css">\n'
            "</head>\n<body>\n"
            f'<div id="swagger-ui" data-openapi-url="{esc(root + (app.openapi_url or ""))}"></div>\n'
            f'<script src="{esc(root + path)}/assets/swagger-ui-bundle.js"></script>\n'
            f'<script src="{esc(root + path)}/init.js"></script>\n'
            "</body>\n</html>\n"
        )


# --- putting it together ----------------------------------------------------------------------


def install(app: FastAPI, settings: Settings) -> None:
    """The login throttle, CORS for CORS_ORIGINS only, security headers outermost, the API docs."""
    app.state.login_throttle = LoginThrottle.from_settings(settings)
    origins = parse_origins(settings.cors_origins)
    if origins:
        # Bearer tokens, no cookies: credentials stay off.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Content-Disposition", "Retry-After"],
            max_age=600,
        )
    # Added last, so outermost: CORS preflights and errors get the headers too.
    app.add_middleware(SecurityHeadersMiddleware)
    install_api_docs(app)
