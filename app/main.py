"""The application: API routers under /api/v1, the frontend at /, plotly.js at /vendor."""

import logging
from pathlib import Path

import plotly
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.auth.router import router as auth_router
from app.budget.router import router as budget_router
from app.charts_api.router import router as charts_router
from app.config import DEFAULT_SECRET, get_settings, resource_dir
from app.health import router as health_router
from app.imports.router import router as imports_router
from app.kpis.router import router as kpis_router
from app.org.router import router as org_router
from app.scorecards.router import router as scorecards_router
from app.tokens.router import router as tokens_router

log = logging.getLogger("app")


def create_app() -> FastAPI:
    settings = get_settings()
    if settings.environment == "production" and settings.secret_key == DEFAULT_SECRET:
        raise RuntimeError("SECRET_KEY must be set to a secret of your own in production")

    app = FastAPI(
        title="Sales Scorecard",
        version=__version__,
        description="Balanced scorecards and budget control for sales organizations.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    api = APIRouter(prefix="/api/v1")
    for router in (health_router, auth_router, org_router, scorecards_router, kpis_router, imports_router,
                   tokens_router, budget_router, charts_router):
        api.include_router(router)
    app.include_router(api)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500)

    plotly_js = Path(plotly.__file__).parent / "package_data"
    app.mount("/vendor", StaticFiles(directory=plotly_js), name="vendor")
    frontend = resource_dir("frontend")
    app.mount("/static", StaticFiles(directory=frontend), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(frontend / "index.html")

    return app
