"""Run Alembic migrations from code (the CLI and the tests use this)."""

from alembic import command
from alembic.config import Config

from app.config import resource_dir


def alembic_config(url: str) -> Config:
    migrations = resource_dir("migrations")
    # A checkout keeps alembic.ini beside migrations/; the wheel ships it inside app/_migrations/.
    ini = next(
        (f for f in (migrations / "alembic.ini", migrations.parent / "alembic.ini") if f.is_file()),
        migrations.parent / "alembic.ini",
    )
    cfg = Config(str(ini)) if ini.is_file() else Config()
    cfg.set_main_option("script_location", str(migrations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
