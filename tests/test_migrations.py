"""The migrations: empty -> head -> base -> head on each backend, the seeded KPI registry, and
models and migrations agreeing (what `alembic check` checks)."""

from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import app.models  # noqa: F401  (registers every table on Base.metadata)
from app import migrate
from app.analytics.kpis import (
    DEFAULT_AMBER,
    DEFAULT_FISCAL_YEAR_START_MONTH,
    DEFAULT_GREEN,
    DEFAULT_KPI_WEIGHT,
    DEFAULT_SCORE_CAP,
    KPIS,
    PERSPECTIVES,
)
from app.db import Base, make_engine

# The tables the data model is documented to have (COMMON.md / PRODUCT.md); later migrations may add more.
DOCUMENTED_TABLES = {
    "regions", "districts", "sellers", "seller_districts", "leaders", "leader_units", "accounts",
    "products", "sales", "activities", "seasonality", "targets", "kpi_values", "budgets",
    "perspectives", "kpi_definitions", "app_settings", "users",
}

# The seeded registry is the code's (app.analytics.kpis): the migrations write it out as data (they
# are history and import no app code), and these hold the two together. Per built-in KPI, as seeded:
# name, name in bokmål (migration 0007), perspective, unit, direction, time roll-up (KPIs that add up
# over time roll up by `sum`; ratios, means and distinct counts take the range's last month, `last`),
# weight and the green and amber thresholds.
BUILT_IN_KPIS = {
    k.code: (k.name, k.name_nb, k.perspective, k.unit, k.direction, k.time_rollup, DEFAULT_KPI_WEIGHT,
             DEFAULT_GREEN, DEFAULT_AMBER)
    for k in KPIS
}
# key -> (name, name in bokmål, position: the registry's order)
BUILT_IN_PERSPECTIVES = {p.key: (p.name, p.name_nb, i) for i, p in enumerate(PERSPECTIVES, start=1)}
PERSPECTIVE_WEIGHTS = {p.key: Decimal(str(p.weight)) for p in PERSPECTIVES}
# Migration 0007: the built-ins' names in bokmål (the registry's).
NAMES_NB = {**{p.key: p.name_nb for p in PERSPECTIVES}, **{k.code: k.name_nb for k in KPIS}}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _registry(url: str) -> tuple[dict, dict]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            kpis = {code: (*rest, float(weight), float(green), float(amber))
                    for code, *rest, weight, green, amber in conn.execute(
                text("SELECT code, name, name_nb, perspective, unit, direction, time_rollup, weight, "
                     "green_threshold, amber_threshold FROM kpi_definitions WHERE manual = :f"),
                {"f": False})}
            weights = {key: Decimal(str(w)) for key, w in conn.execute(
                text("SELECT key, weight FROM perspectives"))}
        return kpis, weights
    finally:
        engine.dispose()


def _perspectives(url: str) -> dict:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {key: (name, name_nb, position) for key, name, name_nb, position in conn.execute(
                text("SELECT key, name, name_nb, position FROM perspectives"))}
    finally:
        engine.dispose()


def _settings(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text("SELECT key, value FROM app_settings")).all())
    finally:
        engine.dispose()


def _names_nb(url: str) -> dict[str, str | None]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text("SELECT key, name_nb FROM perspectives UNION ALL "
                                          "SELECT code, name_nb FROM kpi_definitions")).all())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(backend, empty_db_url):
    assert _tables(empty_db_url) == set()

    migrate.upgrade(empty_db_url)
    tables = _tables(empty_db_url)
    assert DOCUMENTED_TABLES | {"alembic_version"} <= tables, DOCUMENTED_TABLES - tables
    kpis, weights = _registry(empty_db_url)
    assert kpis == BUILT_IN_KPIS
    assert weights == PERSPECTIVE_WEIGHTS
    assert _perspectives(empty_db_url) == BUILT_IN_PERSPECTIVES
    settings = _settings(empty_db_url)
    assert (float(settings["score_cap"]), int(settings["fiscal_year_start_month"])) == (
        DEFAULT_SCORE_CAP, DEFAULT_FISCAL_YEAR_START_MONTH)
    assert sum(weights.values()) == Decimal("1")
    assert _names_nb(empty_db_url) == NAMES_NB

    migrate.downgrade(empty_db_url, "base")
    assert _tables(empty_db_url) == {"alembic_version"}

    # A second upgrade finds nothing left behind (say, a PostgreSQL enum type or a seeded row).
    migrate.upgrade(empty_db_url)
    assert DOCUMENTED_TABLES <= _tables(empty_db_url)
    assert _registry(empty_db_url) == (BUILT_IN_KPIS, PERSPECTIVE_WEIGHTS)


def test_models_and_migrations_agree(backend, empty_db_url):
    """`alembic check`: autogenerate finds no difference between Base.metadata and the migrated schema."""
    migrate.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "render_as_batch": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], "models differ from the migrations; add a migration:\n" + "\n".join(map(str, diff))


def test_check_catches_a_model_change(backend, empty_db_url):
    """The comparison above is not vacuous: a column missing from the database is reported."""
    migrate.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_products_product_group"))
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    Base.metadata)
    finally:
        engine.dispose()
    assert [d[0] for d in diff] == ["add_index"]
    assert diff[0][1].name == "ix_products_product_group"


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_migrate_is_idempotent(empty_db_url):
    migrate.upgrade(empty_db_url)
    migrate.upgrade(empty_db_url)
    kpis, _ = _registry(empty_db_url)
    assert len(kpis) == 12


def test_0007_names_the_built_ins_in_bokmal_and_leaves_manual_kpis_to_their_english_name(backend, empty_db_url):
    """A manual KPI made before 0007 has no Norwegian name (the English one is shown); an administrator's
    renamed built-in keeps its English name and gets the Norwegian one; down to 0006 drops the columns."""
    migrate.upgrade(empty_db_url, "0006")
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO kpi_definitions (code, name, perspective, unit, direction, weight, green_threshold, "
                "amber_threshold, time_rollup, manual, active) VALUES ('survey', 'Employee survey', 'learning', "
                "'score', 'higher', 1, 1, 0.9, 'last', :t, :t)"), {"t": True})
            conn.execute(text("UPDATE kpi_definitions SET name = 'Net sales' WHERE code = 'revenue'"))
        migrate.upgrade(empty_db_url)
        assert _names_nb(empty_db_url) == {**NAMES_NB, "survey": None}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM kpi_definitions WHERE code = 'revenue'")).scalar() == "Net sales"
        migrate.downgrade(empty_db_url, "0006")
        columns = {c["name"] for table in ("perspectives", "kpi_definitions")
                   for c in inspect(engine).get_columns(table)}
        assert "name_nb" not in columns and "name" in columns
        with engine.connect() as conn:  # nothing else lost on the way down
            assert conn.execute(text("SELECT count(*) FROM kpi_definitions")).scalar() == 13
    finally:
        engine.dispose()
