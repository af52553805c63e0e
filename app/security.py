"""Web security: login throttling, security headers on every response, CORS only when configured,
the settings check that refuses a default secret in production, and the API docs served offline."""

import hashlib
import html
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, HTTPException, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import DEFAULT_SECRET, Settings, get_settings

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
        if origin == "*" or not sep or scheme not in ("http", "https") or not host or "/" in host \
                or any(c.isspace() for c in host):
            raise ConfigError(f"CORS_ORIGINS: {part.strip()!r} is not an origin like https://example.com "
                              "or http://localhost:5173 (list each origin; '*' is not allowed)")
        origins.append(origin)
    return origins


def check_settings(settings: Settings) -> None:
    """Raise ConfigError for settings the app must not start with."""
    if settings.environment == "production" and settings.secret_key == DEFAULT_SECRET:
        raise ConfigError("SECRET_KEY must be set to a secret of your own in production (ENVIRONMENT=production); "
                          "for example: export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')")
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


class _FailureLog:
    """Recent failure times per key, at most `limit` per key and `max_keys` keys (oldest dropped)."""

    def __init__(self, limit: int, max_keys: int) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._times: OrderedDict[bytes, deque[float]] = OrderedDict()

    def blocked_for(self, key: bytes, now: float, window: float) -> float:
        """Seconds until `key` may try again: 0 unless `limit` failures fall within the last `window`."""
        times = self._times.get(key)
        if times is None:
            return 0.0
        while times and times[0] <= now - window:
            times.popleft()
        if not times:
            del self._times[key]
            return 0.0
        # The deque keeps the last `limit` failures; the key is free again when the oldest leaves the window.
        return times[0] + window - now if len(times) >= self.limit else 0.0

    def add(self, key: bytes, now: float, window: float) -> None:
        times = self._times.get(key)
        if times is None:
            if len(self._times) >= self.max_keys:
                self._prune(now, window)
            times = self._times[key] = deque(maxlen=self.limit)
        self._times.move_to_end(key)
        times.append(now)

    def clear(self, key: bytes) -> None:
        self._times.pop(key, None)

    def _prune(self, now: float, window: float) -> None:
        # Drop keys with nothing in the window; if still full, the least recently failed ones.
        for key in [k for k, t in self._times.items() if not t or t[-1] <= now - window]:
            del self._times[key]
        while len(self._times) >= self.max_keys:
            self._times.popitem(last=False)

    def __len__(self) -> int:
        return len(self._times)


def _key(text: str) -> bytes:
    # A fixed-size digest: a megabyte-long "e-mail" costs no more memory than a short one.
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class LoginThrottle:
    """Counts failed sign-ins per e-mail and per client address in a sliding window, in this process only.

    An e-mail with `max_failures` failures (or an address with `max_failures_per_ip`) in the last
    `window_seconds` is refused until the oldest of them leaves the window. Thread-safe; at most
    `max_keys` e-mails and as many addresses are remembered.
    """

    def __init__(self, *, max_failures: int = 5, max_failures_per_ip: int = 20, window_seconds: float = 900,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        self.window = float(window_seconds)
        self.clock = clock
        self._emails = _FailureLog(max_failures, max_keys)
        self._addresses = _FailureLog(max_failures_per_ip, max_keys)
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "LoginThrottle":
        return cls(max_failures=settings.login_max_failures, max_failures_per_ip=settings.login_max_failures_per_ip,
                   window_seconds=settings.login_window_seconds)

    def retry_after(self, email: str, address: str) -> tuple[int, str] | None:
        """(whole seconds to wait, "e-mail" or "address") when a sign-in must be refused now, else None."""
        with self._lock:
            now = self.clock()
            by_email = self._emails.blocked_for(_key(email), now, self.window)
            by_address = self._addresses.blocked_for(_key(address), now, self.window)
        wait, what = max((by_email, "e-mail"), (by_address, "address"))
        return (max(1, math.ceil(wait)), what) if wait > 0 else None

    def failed(self, email: str, address: str) -> None:
        with self._lock:
            now = self.clock()
            self._emails.add(_key(email), now, self.window)
            self._addresses.add(_key(address), now, self.window)

    def succeeded(self, email: str) -> None:
        """A good password clears the e-mail's count (not the address's: one good login must not
        reset a guessing run from the same address)."""
        with self._lock:
            self._emails.clear(_key(email))


def client_address(request: Request) -> str:
    # Behind a reverse proxy, uvicorn's --proxy-headers (trusting 127.0.0.1 by default) puts the
    # forwarded address here.
    return request.client.host if request.client else "unknown"


def login_throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


def too_many_attempts(seconds: int, what: str) -> HTTPException:
    """The 429 for a throttled sign-in, with Retry-After in seconds."""
    source = "for this e-mail" if what == "e-mail" else "from your address"
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
CONTENT_SECURITY_POLICY = "; ".join([
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
])

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
    app.mount(f"{path}/assets", StaticFiles(directory=SWAGGER_ASSETS), name="docs-assets")

    @app.get(f"{path}/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(_DOCS_INIT_JS, media_type="text/javascript")

    @app.get(path, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        esc = html.escape
        return HTMLResponse(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(app.title)} – API</title>\n"
            f"<link rel=\"icon\" href=\"{esc(root + path)}/assets/favicon.png\">\n"
            f"<link rel=\"stylesheet\" href=\"{esc(root + path)}/assets/swagger-ui.css\">\n"
            "</head>\n<body>\n"
            f"<div id=\"swagger-ui\" data-openapi-url=\"{esc(root + (app.openapi_url or ''))}\"></div>\n"
            f"<script src=\"{esc(root + path)}/assets/swagger-ui-bundle.js\"></script>\n"
            f"<script src=\"{esc(root + path)}/init.js\"></script>\n"
            "</body>\n</html>\n"
        )


# --- putting it together ----------------------------------------------------------------------


def install(app: FastAPI, settings: Settings) -> None:
    """The login throttle, CORS for CORS_ORIGINS only, security headers outermost, the API docs."""
    app.state.login_throttle = LoginThrottle.from_settings(settings)
    origins = parse_origins(settings.cors_origins)
    if origins:
        # Bearer tokens, no cookies: credentials stay off.
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"],
                           expose_headers=["Content-Disposition", "Retry-After"], max_age=600)
    # Added last, so outermost: CORS preflights and errors get the headers too.
    app.add_middleware(SecurityHeadersMiddleware)
    install_api_docs(app)
