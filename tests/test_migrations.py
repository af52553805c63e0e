"""The migrations: empty -> head -> base -> head on each backend, the seeded KPI registry, and
models and migrations agreeing (what `alembic check` checks)."""

from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import app.models  # noqa: F401  (registers every table on Base.metadata)
from app import migrate
from app.db import Base, make_engine

# The tables the data model is documented to have (COMMON.md / PRODUCT.md); later migrations may add more.
DOCUMENTED_TABLES = {
    "regions", "districts", "sellers", "seller_districts", "leaders", "leader_units", "accounts",
    "products", "sales", "activities", "seasonality", "targets", "kpi_values", "budgets",
    "perspectives", "kpi_definitions", "app_settings", "users",
}

# PRODUCT.md section 2: code -> (perspective, time roll-up). KPIs that add up over time roll up by
# `sum`; ratios, means and distinct counts take the range's last month (`last`).
BUILT_IN_KPIS = {
    "revenue": ("financial", "sum"),
    "gross_margin": ("financial", "sum"),
    "margin_pct": ("financial", "last"),
    "active_customers": ("customer", "last"),
    "new_customers": ("customer", "sum"),
    "key_account_share": ("customer", "last"),
    "csat": ("customer", "last"),
    "meetings": ("process", "sum"),
    "proposals": ("process", "sum"),
    "hit_rate": ("process", "last"),
    "training_hours": ("learning", "sum"),
    "coaching_sessions": ("learning", "sum"),
}
PERSPECTIVE_WEIGHTS = {"financial": Decimal("0.40"), "customer": Decimal("0.25"),
                       "process": Decimal("0.20"), "learning": Decimal("0.15")}
# Migration 0007: the built-ins' names in bokmål (the same as app.analytics.kpis, written out here).
NAMES_NB = {
    "financial": "Økonomi", "customer": "Kunder", "process": "Interne prosesser", "learning": "Læring og vekst",
    "revenue": "Omsetning", "gross_margin": "Dekningsbidrag", "margin_pct": "Dekningsgrad",
    "active_customers": "Aktive kunder", "new_customers": "Nye kunder", "key_account_share": "Andel nøkkelkunder",
    "csat": "Kundetilfredshet", "meetings": "Kundemøter", "proposals": "Tilbud sendt", "hit_rate": "Tilslagsrate",
    "training_hours": "Opplæringstimer", "coaching_sessions": "Coachingsamtaler",
}


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
            kpis = {code: (perspective, rollup) for code, perspective, rollup in conn.execute(
                text("SELECT code, perspective, time_rollup FROM kpi_definitions WHERE manual = :f"),
                {"f": False})}
            weights = {key: Decimal(str(w)) for key, w in conn.execute(
                text("SELECT key, weight FROM perspectives"))}
        return kpis, weights
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
