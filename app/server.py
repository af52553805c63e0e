"""Serving the app with uvicorn: shared by `scorecard serve` (app/cli.py) and `scorecard demo` (app/demo/command.py)."""


def run_server(
    host: str, port: int, workers: int | None, *, access_log: bool = True, forwarded_allow_ips: str | None = None
) -> None:
    """uvicorn serving the app on DATABASE_URL (`scorecard serve` and `scorecard demo`)."""
    import uvicorn

    # Several workers are separate processes (each calls the factory): they share nothing but the
    # database, which is what lets several instances run behind a load balancer too. None: uvicorn
    # takes WEB_CONCURRENCY, else 1; FORWARDED_ALLOW_IPS likewise (default 127.0.0.1).
    from uvicorn.config import LOGGING_CONFIG

    # The app's own messages (say, the figure precomputer's) beside uvicorn's, at INFO and above.
    log_config = {
        **LOGGING_CONFIG,
        "loggers": {**LOGGING_CONFIG["loggers"], "app": {"handlers": ["default"], "level": "INFO", "propagate": False}},
    }
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config,
        access_log=access_log,
        forwarded_allow_ips=forwarded_allow_ips,
    )
