"""Settings, read from the environment (and an optional `.env` file)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
DEFAULT_SECRET = "dev-insecure-secret-change-me-in-production"


def resource_dir(name: str) -> Path:
    """Folder shipped beside the package: `app/_<name>` in a wheel, `<root>/<name>` in a checkout."""
    packaged = PACKAGE_DIR / f"_{name}"
    return packaged if packaged.is_dir() else PROJECT_DIR / name


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{(Path.cwd() / 'scorecard.db').as_posix()}",
        description="SQLAlchemy URL; default an embedded SQLite file in the working directory.",
    )
    secret_key: str = Field(default=DEFAULT_SECRET, description="Signs access tokens.")
    access_token_minutes: int = Field(default=60, ge=1)
    currency: str = "NOK"
    max_upload_mb: int = Field(default=200, ge=1, description="Largest import file accepted by the API.")
    xlsx_max_rows: int = Field(
        default=500_000,
        ge=1,
        description="Data rows an XLSX import's sheet may have "
        "(about 30 s of reading at this many); a longer sheet is refused before it is "
        "parsed. CSV files have no such limit.",
    )
    xlsx_max_uncompressed_mb: int = Field(
        default=500,
        ge=1,
        description="The size an XLSX file may inflate "
        "to, all its parts together, as its zip directory declares it "
        "(checked before anything is inflated).",
    )
    xlsx_max_ratio: float = Field(
        default=100,
        gt=1,
        description="How many times an XLSX file, and each of "
        "its parts over 1 MB, may inflate (a real sheet: 5 to 15; a zip bomb: 300 to 1000).",
    )
    xlsx_max_seconds: float = Field(
        default=120,
        gt=0,
        description="Seconds reading one XLSX file may take (checks, parse and the table) before it is refused.",
    )
    environment: str = Field(default="development", description="`production` refuses the default secret.")
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins for one e-mail from one client "
        "address, within LOGIN_WINDOW_SECONDS, after which that e-mail is refused (429) "
        "from that address for a back-off (LOGIN_BACKOFF_SECONDS, doubling).",
    )
    login_max_failures_per_ip: int = Field(
        default=20, ge=1, description="The same, counted per client address whatever the e-mail."
    )
    login_window_seconds: int = Field(
        default=900, ge=1, description="The window failed sign-ins are counted in, and the longest back-off."
    )
    login_backoff_seconds: int = Field(
        default=30,
        ge=1,
        description="The first back-off once a limit is reached; "
        "each further failure doubles it, up to LOGIN_WINDOW_SECONDS.",
    )
    precompute_figures: bool = Field(
        default=True,
        description="Each app process computes every unit's "
        "scorecard, overview and 12-month trend for the pages' opening periods in the "
        "background after every data change (app.precompute).",
    )
    figure_cache_entries: int = Field(
        default=20_000,
        ge=100,
        description="Computed figures each app process keeps "
        "(scorecards, overviews, trends, charts: about 10 KB each; a unit's card or trend scores kept for its "
        "charts: about 20 KB).",
    )
    database_connections: int = Field(
        default=20,
        ge=2,
        description="Database connections each app process "
        "opens at most (request sessions and the precomputer's one); requests beyond "
        "them wait their turn. On PostgreSQL, processes × this must stay under "
        "max_connections.",
    )
    cors_origins: str = Field(
        default="",
        description="Comma-separated origins (https://host[:port]) that may call "
        "the API from a browser; empty: no CORS headers at all.",
    )
    wall_refresh_seconds: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="How often a wallboard (/wall) asks for its figures again: a revoked display token "
        "blanks the wall within this many seconds.",
    )
    # The mail server `scorecard send-reports` sends the report subscriptions through (docs/close.md).
    smtp_host: str | None = Field(
        default=None, description="The SMTP server reports are sent through; send-reports refuses to run without it."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="Its port (587 for submission with STARTTLS).")
    smtp_from: str | None = Field(
        default=None,
        description="The sender address of the reports (`Reports <reports@example.com>` or a bare address).",
    )
    smtp_user: str | None = Field(default=None, description="The login on the SMTP server, if it wants one.")
    smtp_password: SecretStr | None = Field(default=None, description="The password of SMTP_USER.")
    smtp_starttls: bool = Field(
        default=False, description="Upgrade the connection with STARTTLS (certificate checked) before the login."
    )
    smtp_timeout: float = Field(
        default=30, gt=0, description="Seconds to wait for the SMTP server at each step before giving up."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
