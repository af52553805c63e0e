"""The application: API routers under /api/v1, the frontend at / and /static, plotly.js at /vendor (app.delivery)."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import APIRouter, FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.routing import Match, Mount

from app import __version__
from app.audit.router import router as audit_router
from app.auth.router import router as auth_router
from app.budget.router import router as budget_router
from app.charts_api.router import router as charts_router
from app.close.router import router as close_router
from app.config import get_settings, resource_dir
from app.db import database_error_handler, get_sessionmaker, session_slots
from app.delivery import CompressMiddleware, install_frontend
from app.floor.router import router as floor_router
from app.guard import MIB, SMALL_BODY_LIMIT, RequestGuard
from app.health import router as health_router
from app.imports.router import router as imports_router
from app.kpis.router import router as kpis_router
from app.openapi import install as install_openapi
from app.org.router import router as org_router
from app.precompute import Precomputer
from app.reporting.cache import FIGURES
from app.scorecards.router import router as scorecards_router
from app.security import SECURITY_HEADERS, check_settings
from app.security import install as install_security
from app.status.router import router as status_router
from app.steering.router import router as steering_router
from app.tokens.router import router as tokens_router

log = logging.getLogger("app")


_frozen = False


def _freeze_startup_objects() -> None:
    """Once per process: what is loaded by the time the app starts (the libraries' ~170k objects) stays
    for the life of the process; moved out of the garbage collector's sight, a full collection no
    longer walks it (~90 ms on a 2-core VM, every few seconds under load, pausing every request in
    flight)."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


async def method_not_allowed(request: Request, _exc: Exception) -> JSONResponse:
    """405 whose `Allow` lists every method the path has. Starlette lists those of the first route
    that matched the path only (GET and POST /users are two routes: it said `POST`). Each method is
    tried against the router as a request would be; the static folders take GET and HEAD."""
    allowed = set()
    for method in _METHODS:
        # Matched from the app's root: inside a mount (the static folders) the scope's root_path has grown.
        scope = {**request.scope, "method": method, "root_path": request.scope.get("app_root_path", "")}
        for route in request.app.router.routes:
            match = route.matches(scope)[0]
            # A mount (a static folder) matches whatever the method; its files answer GET and HEAD.
            if isinstance(route, Mount):
                found = match is not Match.NONE and method in ("GET", "HEAD")
            else:
                found = match is Match.FULL
            if found:
                allowed.add(method)
                break
    listed = ", ".join(m for m in _METHODS if m in allowed)
    return JSONResponse(
        {"detail": f"{request.method} is not allowed here; this address takes {listed}"},
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
        headers={"Allow": listed},
    )


def create_app(*, precompute: bool | None = None) -> FastAPI:
    """The app; `precompute` (default: the PRECOMPUTE_FIGURES setting) runs the figure precomputer
    (app.precompute) in this process while the app is up."""
    settings = get_settings()
    check_settings(settings)  # ConfigError (a RuntimeError): e.g. production with the default secret
    FIGURES.max_entries = settings.figure_cache_entries
    precompute = settings.precompute_figures if precompute is None else precompute

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _freeze_startup_objects()
        _app.state.session_slots = session_slots(precompute)
        precomputer = Precomputer(get_sessionmaker()) if precompute else None
        if precomputer is not None:
            precomputer.start()
        try:
            yield
        finally:
            if precomputer is not None:
                precomputer.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Sales Scorecard",
        version=__version__,
        description="Balanced scorecards and budget control for sales organizations.",
        docs_url=None,  # app.security serves /api/docs from local files, under the CSP
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    api = APIRouter(prefix="/api/v1")
    for router in (
        health_router,
        auth_router,
        org_router,
        scorecards_router,
        kpis_router,
        imports_router,
        tokens_router,
        budget_router,
        charts_router,
        audit_router,
        status_router,
        steering_router,
        close_router,
        floor_router,
    ):
        api.include_router(router)
    app.include_router(api)
    # Inside the CORS and security-header layers, so its refusals carry their headers.
    app.add_middleware(
        RequestGuard,
        small=SMALL_BODY_LIMIT,
        large={f"{api.prefix}{imports_router.prefix}/": (settings.max_upload_mb * MIB, "MAX_UPLOAD_MB")},
    )
    # Gzip for text answers: inside the CORS and security-header layers (added next), so every answer keeps
    # their headers, and outside the guard (its refusals are small JSON, sent as they are).
    app.add_middleware(CompressMiddleware)
    install_security(app, settings)
    install_openapi(app)  # the shared 400/401/403/422 answers, documented

    app.add_exception_handler(OperationalError, database_error_handler)  # locked too long, or out of reach: 503
    app.add_exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED, method_not_allowed)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # This answer leaves by the outermost middleware, around the security headers one: add them here.
        return JSONResponse(
            {"detail": "internal error; the server log has the details"},
            status_code=500,
            headers=dict(SECURITY_HEADERS),
        )

    # The frontend in memory, under versioned URLs; plotly.js: the custom bundle, else the Python package's.
    install_frontend(app, resource_dir("frontend"), Path(plotly.__file__).parent / "package_data" / "plotly.min.js")

    return app
