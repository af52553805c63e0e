"""Scorecard reads at scale: the seller scorecard and the children overviews on SQLite and PostgreSQL,
against DuckDB doing the same aggregation over the same rows in the same run.

    .venv/bin/python benchmarks/scorecard_bench.py [--rows 1000000] [--backend sqlite|postgresql|both]
        [--repeat 20] [--overview-repeat 5] [--profile] [--keep] [--stretch SHARE]

Workload (numpy, seed 1), shaped like the performance issue's, the same organization at every size:
10 regions, 100 districts (10 per region), 2,000 sellers (20 per district; every 50th seller moves
to the next district on 2026-04-01, so the district-on-date rule matters), 50,000 accounts (each
owned by one seller, one in ten a key account), 500 products, N sales lines over the 24 months
2024-11..2026-10 (a seller sells 90 % to the 25 accounts they own, 10 % to any account; 2 % credit
notes; 5 % of lines without a cost), N/5 activities of every type, and monthly targets for every
seller and KPI (plus district/region/company targets for the KPIs that do not add up); with
--stretch, that share of the target rows carries a stretch (1.2 × the target).

Loading (setup, not timed as part of any call): each fresh database is migrated to head with
`app.migrate.upgrade`, the sales/activities indexes are dropped, the rows go in with sqlite3
`executemany` (synchronous=OFF, one transaction) or psycopg COPY (FK triggers off for the session),
then the indexes are rebuilt with their migrated definitions. PostgreSQL gets an ANALYZE. The rows
went in below the importer, so the monthly aggregates are then built from them with
`app.reporting.aggregates.rebuild` (what `scorecard rebuild-aggregates` does), timed and printed.

Timed, a new Session per call, period 2026-10, range=ytd, scope EVERYTHING, one untimed call first;
"uncached" calls empty the figure cache before each call, "cached" ones ask again what was computed:
`scorecards.scorecard(seller)` for --repeat different sellers (directly, and through HTTP with a real
login), `scorecards.children` of --overview-repeat districts (20 sellers each), regions (10
districts) and the company (10 regions); the drill-down (the company's, every region's and every
district's overview: all 2,000 sellers); `scorecards.score_all` (every unit's scorecard at once, for
the month and for the year to date); `scorecards.precompute` (what each app process's figure
precomputer does after an import: every unit's ytd card and overview and 12-month trend, twice).
DuckDB computes the same KPI actuals and range targets (not the
scoring arithmetic, which is negligible) from in-memory DuckDB tables copied from Arrow tables of the
same rows, timed the same way; the app's figures are checked against DuckDB's (the first seller, the
regions, the first district's sellers, four units of each recompute). `--profile` runs cProfile over
one call of each kind and prints the top functions. Everything it creates (the SQLite file, the
PostgreSQL database, the temp folder) is removed at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_throughput import PG_SERVER  # noqa: E402  (the team's PostgreSQL server URL)

from app.analytics.kpis import KPIS  # noqa: E402  (pure: no database, no web)

N_REG, N_DIST, N_SELL, N_ACC, N_PROD = 10, 100, 2_000, 50_000, 500
FIRST_DAY, DAYS = np.datetime64("2024-11-01"), 730  # 2024-11-01 .. 2026-10-31
MOVE_DAY = "2026-04-01"
PERIOD = "2026-10"
# The KPI codes and their roll-ups come from the registry; the DuckDB baseline below writes its own SQL
KPI_CODES = tuple(k.code for k in KPIS)
NON_ADDITIVE = tuple(k.code for k in KPIS if not k.additive_target)  # a unit's target is its own
LAST_MONTH = tuple(k.code for k in KPIS if k.time_rollup == "last")  # a range's target: its last month's
# sums and counts of nothing are 0 (gross_margin: null where no cost is known, as DuckDB's sum of nothing)
ZERO_OVER_NOTHING = tuple(
    k.code for k in KPIS if k.people_rollup in ("sum", "distinct") and k.code != "gross_margin"
)
ACT_TYPES = ("meeting", "call", "proposal", "won", "lost", "training_hours", "coaching_session",
             "goal_conversation", "csat")
ACT_P = (0.35, 0.20, 0.12, 0.05, 0.05, 0.05, 0.05, 0.03, 0.10)
PASSWORD = "bench-password-1"


def _sql_list(codes: tuple[str, ...]) -> str:
    """KPI codes as an SQL IN list: 'a','b'."""
    return ",".join(f"'{c}'" for c in codes)


# --------------------------------------------------------------------------------------------- data

def generate(rows: int, seed: int = 1, stretch: float = 0.0) -> dict[str, pd.DataFrame]:
    """Every table as a frame with ids; money as int64 cents; dates as datetime64[D]."""
    rng = np.random.default_rng(seed)
    r = np.arange(1, N_REG + 1)
    d = np.arange(1, N_DIST + 1)
    s = np.arange(1, N_SELL + 1)
    a = np.arange(1, N_ACC + 1)
    p = np.arange(1, N_PROD + 1)
    home = (s - 1) % N_DIST + 1
    movers = s[s % 50 == 0]
    t: dict[str, pd.DataFrame] = {
        "regions": pd.DataFrame({"id": r, "code": [f"R{i:02d}" for i in r], "name": [f"Region {i}" for i in r]}),
        "districts": pd.DataFrame({"id": d, "code": [f"D{i:03d}" for i in d], "name": [f"District {i}" for i in d],
                                   "basis": "geographic", "region_id": (d - 1) % N_REG + 1}),
        "sellers": pd.DataFrame({"id": s, "code": [f"S{i:04d}" for i in s], "name": [f"Seller {i}" for i in s],
                                 "email": [f"s{i}@bench.example" for i in s]}),
        "seller_districts": pd.concat([
            pd.DataFrame({"seller_id": s, "district_id": home, "valid_from": "2020-01-01"}),
            pd.DataFrame({"seller_id": movers, "district_id": home[movers - 1] % N_DIST + 1, "valid_from": MOVE_DAY}),
        ], ignore_index=True),
        "accounts": pd.DataFrame({"id": a, "code": [f"A{i:05d}" for i in a], "name": [f"Account {i}" for i in a],
                                  "district_id": home[(a - 1) % N_SELL], "key_account": rng.random(N_ACC) < 0.1}),
        "products": pd.DataFrame({"id": p, "code": [f"P{i:03d}" for i in p], "name": [f"Product {i}" for i in p],
                                  "product_group": [f"G{i % 12}" for i in p]}),
    }
    t["seller_districts"].insert(0, "id", np.arange(1, len(t["seller_districts"]) + 1))

    weight = rng.lognormal(0, 0.5, N_SELL)
    weight /= weight.sum()

    def seller_and_account(n: int) -> tuple[np.ndarray, np.ndarray]:
        seller = rng.choice(s, n, p=weight)
        own = seller + N_SELL * rng.integers(0, N_ACC // N_SELL, n)  # the seller's 25 accounts
        account = np.where(rng.random(n) < 0.9, own, rng.integers(1, N_ACC + 1, n))
        return seller, account

    price = rng.integers(500, 50_000, N_PROD)
    seller, account = seller_and_account(rows)
    product = rng.integers(1, N_PROD + 1, rows)
    qty = rng.integers(1, 20, rows)
    amount = qty * price[product - 1]
    amount = np.where(rng.random(rows) < 0.02, -amount, amount)
    cost = np.round(amount * rng.uniform(0.5, 0.85, rows)).astype(np.int64)
    t["sales"] = pd.DataFrame({
        "id": pd.Series(np.arange(1, rows + 1)).astype(str).str.zfill(9).radd("L"),
        "date": FIRST_DAY + np.sort(rng.integers(0, DAYS, rows)).astype("timedelta64[D]"),
        "seller_id": seller, "account_id": account, "product_id": product,
        "quantity": qty * 100, "amount": amount,
        "cost": pd.array(np.where(rng.random(rows) < 0.05, 0, cost), dtype="Int64"),
    })
    t["sales"].loc[t["sales"]["cost"] == 0, "cost"] = pd.NA

    n_act = rows // 5
    a_seller, a_account = seller_and_account(n_act)
    kind = rng.choice(np.array(ACT_TYPES), n_act, p=ACT_P)
    value = np.where(kind == "csat", rng.integers(1, 6, n_act),
                     np.where(kind == "training_hours", rng.integers(1, 9, n_act), 1)) * 100
    no_account = np.isin(kind, ["training_hours", "coaching_session", "goal_conversation"])
    t["activities"] = pd.DataFrame({
        "id": pd.Series(np.arange(1, n_act + 1)).astype(str).str.zfill(9).radd("T"),
        "date": FIRST_DAY + np.sort(rng.integers(0, DAYS, n_act)).astype("timedelta64[D]"),
        "seller_id": a_seller, "account_id": pd.array(np.where(no_account, 0, a_account), dtype="Int64"),
        "type": kind, "value": value,
    })
    t["activities"].loc[t["activities"]["account_id"] == 0, "account_id"] = pd.NA
    t["targets"] = _targets(t, weight, rng, stretch)
    return t


def _targets(t: dict[str, pd.DataFrame], weight: np.ndarray, rng: np.random.Generator,
             stretch: float = 0.0) -> pd.DataFrame:
    """Monthly targets: every seller × KPI × month, scaled to what the seller typically does, ±15 %;
    with `stretch` > 0 that share of the rows (drawn at random, after everything else is generated)
    carries a stretch of 1.2 × its value."""
    months = pd.period_range("2024-11", "2026-10", freq="M").strftime("%Y-%m").tolist()
    sales, acts = t["sales"], t["activities"]
    per_month_rev = sales["amount"].sum() / 100 / len(months)
    per_month_act = acts.groupby("type")["value"].sum() / 100 / len(months)
    n = len(t["sellers"])
    per_seller = {  # a typical month of one seller, for a seller of weight 1/n
        "revenue": per_month_rev, "gross_margin": per_month_rev * 0.3,
        "meetings": per_month_act.get("meeting", 0), "proposals": per_month_act.get("proposal", 0),
        "training_hours": per_month_act.get("training_hours", 0),
        "coaching_sessions": per_month_act.get("coaching_session", 0) + per_month_act.get("goal_conversation", 0),
    }
    frames = []
    codes = t["sellers"]["code"].to_numpy()
    for kpi in KPI_CODES:
        if kpi in per_seller:
            base = per_seller[kpi] * weight
        else:
            base = np.full(n, {"margin_pct": 0.3, "active_customers": 25, "new_customers": 2,
                               "key_account_share": 0.1, "csat": 3.2, "hit_rate": 0.5}[kpi])
        for m in months:
            frames.append(pd.DataFrame({"level": "seller", "unit_code": codes, "kpi_code": kpi, "month": m,
                                        "value": np.round(base * rng.uniform(0.85, 1.15, n), 4)}))
    units = ([("district", c) for c in t["districts"]["code"]] + [("region", c) for c in t["regions"]["code"]]
             + [("company", "")])
    for kpi in NON_ADDITIVE:
        base = {"margin_pct": 0.3, "active_customers": 600, "new_customers": 20, "key_account_share": 0.1,
                "csat": 3.2, "hit_rate": 0.5}[kpi]
        for m in months:
            frames.append(pd.DataFrame({"level": [u[0] for u in units], "unit_code": [u[1] for u in units],
                                        "kpi_code": kpi, "month": m,
                                        "value": np.round(base * rng.uniform(0.85, 1.15, len(units)), 4)}))
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "id", np.arange(1, len(out) + 1))
    if stretch > 0:
        chosen = rng.random(len(out)) < stretch
        out["stretch"] = np.where(chosen, np.round(out["value"] * 1.2, 4), np.nan)
    return out.assign(source_period=out["month"], month=out["month"] + "-01")


# ---------------------------------------------------------------------------------------- loading

def _rows(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each table as the columns and plain values the database takes (money as float units)."""
    def money(col: pd.Series) -> pd.Series:
        return col.astype("Float64") / 100

    sales, acts = t["sales"], t["activities"]
    return {
        "regions": t["regions"], "districts": t["districts"], "sellers": t["sellers"],
        "seller_districts": t["seller_districts"],
        "accounts": t["accounts"], "products": t["products"],
        "targets": t["targets"],
        "sales": sales.assign(date=sales["date"].dt.strftime("%Y-%m-%d"), quantity=sales["quantity"] / 100,
                              amount=sales["amount"] / 100, cost=money(sales["cost"])),
        "activities": acts.assign(date=acts["date"].dt.strftime("%Y-%m-%d"), value=acts["value"] / 100),
    }


BIG = ("sales", "activities")
CHUNK = 500_000


def load_sqlite(path: Path, t: dict[str, pd.DataFrame]) -> None:
    """Migrate a fresh SQLite file to head, then bulk-insert with sqlite3 in one transaction."""
    from app import migrate

    migrate.upgrade(f"sqlite:///{path.as_posix()}")
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    indexes = con.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                          f"AND tbl_name IN {BIG!r}").fetchall()
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    con.execute("BEGIN")
    for table, frame in _rows(t).items():
        cols = list(frame.columns)
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        for i in range(0, len(frame), CHUNK):
            part = frame.iloc[i:i + CHUNK]
            values = [part[c].astype(object).where(part[c].notna(), None).tolist() if part[c].hasnans
                      else part[c].tolist() for c in cols]
            con.executemany(sql, zip(*values, strict=True))
    con.execute("COMMIT")
    for _, sql in indexes:
        con.execute(sql)
    con.close()


def load_postgresql(url: str, t: dict[str, pd.DataFrame]) -> None:
    """Migrate a fresh PostgreSQL database to head, then COPY every table in (CSV written by pyarrow)."""
    import psycopg

    from app import migrate

    migrate.upgrade(url)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as con:
        indexes = con.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                              "AND indexname NOT LIKE 'pk_%%'", [list(BIG)]).fetchall()
        for name, _ in indexes:
            con.execute(f'DROP INDEX "{name}"')
        with con.transaction():
            con.execute("SET LOCAL session_replication_role = replica")  # no per-row FK triggers
            for table, frame in _rows(t).items():
                with con.cursor().copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)") as copy:
                    for i in range(0, len(frame), CHUNK):
                        buf = io.BytesIO()
                        pacsv.write_csv(pa.Table.from_pandas(frame.iloc[i:i + CHUNK], preserve_index=False), buf,
                                        write_options=pacsv.WriteOptions(include_header=False))
                        copy.write(buf.getvalue())
        for _, sql in indexes:
            con.execute(sql)
        con.execute("ANALYZE")


def rebuild_aggregates(url: str) -> None:
    """The rows went in below the importer: build the monthly aggregates from them, as the CLI does."""
    from sqlalchemy.orm import Session

    from app.db import make_engine
    from app.reporting.aggregates import rebuild

    engine = make_engine(url)
    with Session(engine) as session:
        rebuild(session)
        session.commit()
    engine.dispose()


def workload_databases(t: dict[str, pd.DataFrame], backends: list[str], *, prefix: str, keep: bool = False,
                       prepare=None):  # noqa: ANN001, ANN201
    """Each of `backends` (sqlite, postgresql) loaded with the workload `t` below the importer and its
    aggregates built, as (backend, url), one after the other; `prepare(url)` runs before the aggregates
    and may return a note for the line printed. The temp folder and the PostgreSQL database (named by
    `prefix`) are removed at the end unless `keep`. The loading the benchmark scripts share."""
    import sqlalchemy

    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}_"))
    pg_name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    pg_made = False
    try:
        for backend in backends:
            start = time.perf_counter()
            if backend == "sqlite":
                url = f"sqlite:///{(folder / 'bench.db').as_posix()}"
                load_sqlite(folder / "bench.db", t)
            else:
                with admin.connect() as conn:
                    conn.execute(sqlalchemy.text(f'CREATE DATABASE "{pg_name}"'))
                pg_made = True
                url = f"{PG_SERVER}/{pg_name}"
                load_postgresql(url, t)
            note = prepare(url) if prepare is not None else None
            rebuild_aggregates(url)
            print(f"{backend}: loaded{f' ({note})' if note else ''}, aggregates built in "
                  f"{time.perf_counter() - start:.1f} s; load average {os.getloadavg()[0]:.2f}", flush=True)
            yield backend, url
    finally:
        if keep:
            print(f"kept: {folder}" + (f" and PostgreSQL database {pg_name}" if pg_made else ""))
        else:
            shutil.rmtree(folder, ignore_errors=True)
            if pg_made:
                with admin.connect() as conn:
                    conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        admin.dispose()


def add_admin(url: str) -> None:
    """One administrator login, for the HTTP figure."""
    from sqlalchemy.orm import Session

    from app.auth.passwords import hash_password
    from app.db import make_engine
    from app.models import User

    engine = make_engine(url)
    with Session(engine) as session:
        session.add(User(email="admin@bench.example", password_hash=hash_password(PASSWORD), role="admin"))
        session.commit()
    engine.dispose()


# ----------------------------------------------------------------------------------------- DuckDB

class Duck:
    """The same KPI actuals and range targets, by DuckDB over Arrow copies of the same rows."""

    def __init__(self, t: dict[str, pd.DataFrame]) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute("SET threads TO 2")
        sd = t["seller_districts"].assign(valid_from=pd.to_datetime(t["seller_districts"]["valid_from"]).dt.date)
        tables = {**{n: t[n] for n in ("districts", "accounts", "sellers", "regions", "sales", "activities")},
                  "sd_raw": sd, "targets": t["targets"].assign(month=t["targets"]["source_period"])}
        # every table as DuckDB's own in-memory columnar table, copied from an Arrow table of the same rows
        for name, frame in tables.items():
            self.con.register(f"{name}_arrow", pa.Table.from_pandas(frame, preserve_index=False))
            self.con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
            self.con.unregister(f"{name}_arrow")
        self.con.execute("""CREATE TEMP VIEW sd AS SELECT seller_id, district_id, valid_from,
            coalesce(lead(valid_from) OVER (PARTITION BY seller_id ORDER BY valid_from), DATE '9999-12-31') AS valid_to
            FROM sd_raw""")

    # actuals of the rows in temp views s (sales + grp + m) and act (activities + grp + m), per grp, for months ≤ last
    _ACTUALS = """
        WITH buy AS (SELECT grp, account_id, m FROM s WHERE amount > 0),
        firsts AS (SELECT account_id, min(date) AS f FROM sales
                   WHERE amount > 0 AND account_id IN (SELECT account_id FROM buy) GROUP BY 1),
        sa AS (SELECT grp,
                 sum(amount) / 100.0 AS revenue,
                 sum(amount - cost) / 100.0 AS gross_margin,
                 sum(amount - cost) / nullif(sum(amount) FILTER (cost IS NOT NULL), 0) AS margin_pct,
                 coalesce(sum(amount) FILTER (key_account), 0) / nullif(sum(amount), 0) AS key_account_share
               FROM s JOIN accounts ON accounts.id = s.account_id WHERE m <= $last GROUP BY grp),
        cu AS (SELECT grp, count(DISTINCT account_id) AS active_customers,
                 count(DISTINCT account_id) FILTER (strftime(f, '%Y-%m') BETWEEN $first AND $last) AS new_customers
               FROM buy JOIN firsts USING (account_id) WHERE m <= $last GROUP BY grp),
        ac AS (SELECT grp,
                 sum(value) FILTER (type = 'csat') / 100.0 / nullif(count(*) FILTER (type = 'csat'), 0) AS csat,
                 coalesce(sum(value) FILTER (type = 'meeting'), 0) / 100.0 AS meetings,
                 coalesce(sum(value) FILTER (type = 'proposal'), 0) / 100.0 AS proposals,
                 coalesce(sum(value) FILTER (type = 'won'), 0)
                   / nullif(sum(value) FILTER (type IN ('won', 'lost')), 0) AS hit_rate,
                 coalesce(sum(value) FILTER (type = 'training_hours'), 0) / 100.0 AS training_hours,
                 coalesce(sum(value) FILTER (type IN ('coaching_session', 'goal_conversation')), 0) / 100.0
                   AS coaching_sessions
               FROM act WHERE m <= $last GROUP BY grp)
        SELECT * FROM sa FULL JOIN cu USING (grp) FULL JOIN ac USING (grp) ORDER BY grp"""

    # range targets per grp from the temp view tu (level, unit_code, grp, own): own units' targets of every
    # KPI, plus the additive KPIs summed over the sellers mapped to grp (own = false)
    _TARGETS = f"""
        SELECT tu.grp, t.kpi_code,
          CASE WHEN t.kpi_code IN ({_sql_list(LAST_MONTH)})
               THEN sum(t.value) FILTER (t.month = $last) ELSE sum(t.value) END AS target
        FROM targets t JOIN tu ON t.level = tu.level AND t.unit_code = tu.unit_code
        WHERE t.month BETWEEN $first AND $last
          AND (tu.own OR t.kpi_code NOT IN ({_sql_list(NON_ADDITIVE)}))
        GROUP BY tu.grp, t.kpi_code ORDER BY tu.grp, t.kpi_code"""

    def _run(self, first: str, last: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        params = {"first": first, "last": last}
        actual = self.con.execute(self._ACTUALS, params).df()
        targets = self.con.execute(self._TARGETS, params).df()
        return actual, targets

    def seller(self, seller_id: int, code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One seller's scorecard figures for 2026-01..10 and (the previous period) 2026-01..09."""
        self.con.execute(f"""CREATE OR REPLACE TEMP VIEW s AS SELECT *, 0 AS grp, strftime(date, '%Y-%m') AS m
            FROM sales WHERE seller_id = {seller_id} AND date >= DATE '2026-01-01' AND date < DATE '2026-11-01'""")
        self.con.execute(f"""CREATE OR REPLACE TEMP VIEW act AS SELECT *, 0 AS grp, strftime(date, '%Y-%m') AS m
            FROM activities WHERE seller_id = {seller_id} AND date >= DATE '2026-01-01'
            AND date < DATE '2026-11-01'""")
        self.con.execute(f"""CREATE OR REPLACE TEMP VIEW tu AS SELECT 'seller' AS level, '{code}' AS unit_code,
            0 AS grp, true AS own""")
        now = self._run("2026-01", "2026-10")
        self._run("2026-01", "2026-09")
        return now

    def regions(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The company's children: each region's figures, sales by the seller's district on the sale's date."""
        for view, table in (("s", "sales"), ("act", "activities")):
            self.con.execute(f"""CREATE OR REPLACE TEMP VIEW {view} AS
                SELECT f.*, d.region_id AS grp, strftime(f.date, '%Y-%m') AS m
                FROM {table} f JOIN sd ON f.seller_id = sd.seller_id AND f.date >= sd.valid_from
                     AND f.date < sd.valid_to
                JOIN districts d ON d.id = sd.district_id
                WHERE f.date >= DATE '2026-01-01' AND f.date < DATE '2026-11-01'""")
        self.con.execute("""CREATE OR REPLACE TEMP VIEW tu AS
            SELECT 'region' AS level, code AS unit_code, id AS grp, true AS own FROM regions
            UNION ALL
            SELECT 'seller', s.code, d.region_id, false FROM sd JOIN sellers s ON s.id = sd.seller_id
              JOIN districts d ON d.id = sd.district_id
            WHERE sd.valid_from <= DATE '2026-10-31' AND sd.valid_to > DATE '2026-10-31'""")
        return self._run("2026-01", "2026-10")

    def district(self, district_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """A district's children: each seller in it on 2026-10-31, with all their own sales."""
        self.con.execute(f"""CREATE OR REPLACE TEMP VIEW members AS SELECT seller_id FROM sd
            WHERE district_id = {district_id} AND valid_from <= DATE '2026-10-31' AND valid_to > DATE '2026-10-31'""")
        for view, table in (("s", "sales"), ("act", "activities")):
            self.con.execute(f"""CREATE OR REPLACE TEMP VIEW {view} AS
                SELECT *, seller_id AS grp, strftime(date, '%Y-%m') AS m FROM {table}
                WHERE seller_id IN (SELECT seller_id FROM members)
                  AND date >= DATE '2026-01-01' AND date < DATE '2026-11-01'""")
        self.con.execute("""CREATE OR REPLACE TEMP VIEW tu AS SELECT 'seller' AS level, s.code AS unit_code,
            s.id AS grp, true AS own FROM members JOIN sellers s ON s.id = members.seller_id""")
        return self._run("2026-01", "2026-10")


    def everything(self, first: str, last: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Every unit's figures over first..last: each seller on all their own sales, each district and
        region on the sales of its sellers by the district on the sale's date, and the company (grp is
        'S<id>', 'D<id>', 'R<id>', 'C'), with their range targets."""
        lo, hi = f"DATE '{first}-01'", f"(DATE '{last}-01' + INTERVAL 1 MONTH)"
        end = f"(DATE '{last}-01' + INTERVAL 1 MONTH - INTERVAL 1 DAY)"
        for view, table in (("s", "sales"), ("act", "activities")):
            self.con.execute(f"""CREATE OR REPLACE TEMP VIEW {view} AS
                WITH f AS (SELECT f.*, sd.district_id, d.region_id, strftime(f.date, '%Y-%m') AS m
                           FROM {table} f JOIN sd ON f.seller_id = sd.seller_id AND f.date >= sd.valid_from
                                AND f.date < sd.valid_to
                           JOIN districts d ON d.id = sd.district_id
                           WHERE f.date >= {lo} AND f.date < {hi})
                SELECT * REPLACE ('S' || seller_id AS grp) FROM (SELECT *, '' AS grp FROM f)
                UNION ALL SELECT * REPLACE ('D' || district_id AS grp) FROM (SELECT *, '' AS grp FROM f)
                UNION ALL SELECT * REPLACE ('R' || region_id AS grp) FROM (SELECT *, '' AS grp FROM f)
                UNION ALL SELECT * REPLACE ('C' AS grp) FROM (SELECT *, '' AS grp FROM f)""")
        self.con.execute(f"""CREATE OR REPLACE TEMP VIEW tu AS
            WITH cur AS (SELECT sd.seller_id, s.code, sd.district_id, d.region_id FROM sd
                         JOIN sellers s ON s.id = sd.seller_id JOIN districts d ON d.id = sd.district_id
                         WHERE sd.valid_from <= {end} AND sd.valid_to > {end})
            SELECT 'seller' AS level, code AS unit_code, 'S' || seller_id AS grp, true AS own FROM cur
            UNION ALL SELECT 'district', code, 'D' || id, true FROM districts
            UNION ALL SELECT 'seller', code, 'D' || district_id, false FROM cur
            UNION ALL SELECT 'region', code, 'R' || id, true FROM regions
            UNION ALL SELECT 'seller', code, 'R' || region_id, false FROM cur
            UNION ALL SELECT 'company', '', 'C', true
            UNION ALL SELECT 'seller', code, 'C', false FROM cur""")
        return self._run(first, last)


# ---------------------------------------------------------------------------------------- timing

def timed(fn, args_list: list) -> tuple[list[float], list]:  # noqa: ANN001
    """One untimed warm-up call with the first arguments, then each call timed (seconds)."""
    fn(*args_list[0])
    times, results = [], []
    for args in args_list:
        start = time.perf_counter()
        results.append(fn(*args))
        times.append(time.perf_counter() - start)
    return times, results


def stats(times: list[float]) -> tuple[float, float]:
    """Median and p95 (nearest rank) in ms."""
    ms = sorted(x * 1000 for x in times)
    return statistics.median(ms), ms[min(len(ms) - 1, int(np.ceil(0.95 * len(ms))) - 1)]


def check(name: str, app_values: dict, duck_values: dict) -> str:
    """Compare the app's figures with DuckDB's; the mismatches as text ('' when they agree)."""
    bad = []
    for key, value in app_values.items():
        other = duck_values.get(key)
        both_null = (value is None or value != value) and (other is None or other != other)
        if not both_null and (value is None or other is None or abs(value - other) > 1e-6 * max(1, abs(value))):
            bad.append(f"{key}: app {value} duckdb {other}")
    return f"  MISMATCH {name}: " + "; ".join(bad[:6]) if bad else ""


def _duck_dict(actual: pd.DataFrame, targets: pd.DataFrame, grp) -> dict:  # noqa: ANN001
    row = actual[actual["grp"] == grp]
    out = {k: (None if row.empty or pd.isna(row.iloc[0][k]) else float(row.iloc[0][k]))
           for k in KPI_CODES}
    for kpi in ZERO_OVER_NOTHING:  # sums and counts of nothing are 0
        out.setdefault(kpi, 0.0)
        out[kpi] = out[kpi] or 0.0
    tg = targets[targets["grp"] == grp].set_index("kpi_code")["target"]
    out.update({f"target.{k}": float(v) for k, v in tg.items() if pd.notna(v)})
    return out


def _app_dict(kpis: dict) -> dict:
    out = {k: v["actual"] for k, v in kpis.items()}
    out.update({f"target.{k}": v["target"] for k, v in kpis.items() if v["target"] is not None})
    return out


def run_backend(backend: str, url: str, t: dict[str, pd.DataFrame], duck: Duck, args: argparse.Namespace) -> list:
    """Time the app's calls and DuckDB's on one loaded database; return the table rows."""
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import sessionmaker

    from app.access import EVERYTHING
    from app.db import get_session, make_engine
    from app.main import create_app
    from app.scorecards import service as sc
    from app.reporting.cache import FIGURES

    engine = make_engine(url)
    make = sessionmaker(bind=engine, expire_on_commit=False)
    sellers = t["sellers"]
    step = max(1, N_SELL // args.repeat)
    # spread over the company; every fourth pick is a seller who moved district (ids divisible by 50)
    ids = [min(N_SELL, 1 + i * step + (49 if i % 4 == 0 else 0)) for i in range(args.repeat)]
    picks = [(i, sellers["code"].iloc[i - 1]) for i in ids]
    districts = t["districts"].iloc[:: max(1, N_DIST // args.overview_repeat)].head(args.overview_repeat)
    dpicks = [(int(i), c) for i, c in zip(districts["id"], districts["code"], strict=True)]
    regions = t["regions"].head(args.overview_repeat)

    def app_call(kind: str, level: str, code: str, cached: bool = False):  # noqa: ANN202
        if not cached:
            FIGURES.clear()
        with make() as session:
            fn = sc.scorecard if kind == "scorecard" else sc.children
            return fn(session, scope=EVERYTHING, level=level, code=code, period=PERIOD, range_="ytd")

    def drill_down(cached: bool = False) -> int:
        """Every children overview from the company down to all 2,000 sellers: the company's, each
        region's and each district's (111 calls); returns the number of sellers shown."""
        if not cached:
            FIGURES.clear()
        shown = 0
        with make() as session:
            top = sc.children(session, scope=EVERYTHING, level="company", code="-", period=PERIOD, range_="ytd")
            for region in top["children"]:
                mid = sc.children(session, scope=EVERYTHING, level="region", code=region["code"], period=PERIOD,
                                  range_="ytd")
                for district in mid["children"]:
                    low = sc.children(session, scope=EVERYTHING, level="district", code=district["code"],
                                      period=PERIOD, range_="ytd")
                    shown += len(low["children"])
        return shown

    def recompute(range_: str):  # noqa: ANN202
        FIGURES.clear()
        with make() as session:
            return sc.score_all(session, period=PERIOD, range_=range_)

    def precompute() -> int:
        """What each app process's figure precomputer does after an import: every unit's card and
        overview (ytd) and 12-month trend for the period; returns how many figures."""
        FIGURES.clear()
        with make() as session:
            return len(sc.precompute(session, period=PERIOD))

    rows, notes = [], []
    nothing = (lambda: None, [()])
    cases = [
        ("seller scorecard", lambda c: app_call("scorecard", "seller", c), [(c,) for _, c in picks],
         duck.seller, picks),
        ("seller scorecard, cached", lambda c: app_call("scorecard", "seller", c, True), [(c,) for _, c in picks],
         *nothing),
        ("district children (20 sellers)", lambda c: app_call("children", "district", c), [(c,) for _, c in dpicks],
         duck.district, [(i,) for i, _ in dpicks]),
        ("region children (10 districts)", lambda c: app_call("children", "region", c),
         [(c,) for c in regions["code"]], *nothing),
        ("company children (10 regions)", lambda: app_call("children", "company", "-"),
         [()] * args.overview_repeat, lambda: duck.regions(), [()] * args.overview_repeat),
        ("company children, cached", lambda: app_call("children", "company", "-", True),
         [()] * args.overview_repeat, *nothing),
        ("drill-down to all 2,000 sellers (111 calls)", drill_down, [()] * 2, *nothing),
        ("drill-down, cached", lambda: drill_down(True), [()] * 2, *nothing),
        ("recompute every scorecard, month", lambda: recompute("month"), [()] * args.overview_repeat,
         lambda: duck.everything(PERIOD, PERIOD), [()] * args.overview_repeat),
        ("recompute every scorecard, ytd", lambda: recompute("ytd"), [()] * args.overview_repeat,
         lambda: duck.everything("2026-01", PERIOD), [()] * args.overview_repeat),
        ("precompute every unit's card, overview and 12-month trend", precompute, [()] * 2, *nothing),
    ]
    # the seller scorecard through HTTP: routing, auth (JWT + user lookup + scope), validation, JSON
    app = create_app(precompute=False)

    def session_override():  # noqa: ANN202
        with make() as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    client = TestClient(app).__enter__()
    res = client.post("/api/v1/auth/token", data={"username": "admin@bench.example", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {res.json()['access_token']}"}

    def http(code: str, cached: bool = False) -> None:
        if not cached:
            FIGURES.clear()
        got = client.get(f"/api/v1/scorecards/seller/{code}", params={"period": PERIOD, "range": "ytd"},
                         headers=headers)
        assert got.status_code == 200, got.text

    http_rows = []
    for cached in (False, True):
        if cached:
            for _, c in picks:
                http(c, True)
        times, _ = timed(lambda c, cached=cached: http(c, cached), [(c,) for _, c in picks])
        http_rows.append((backend, "seller scorecard via HTTP" + (", cached" if cached else ""), *stats(times),
                          float("nan"), len(times)))
    client.__exit__(None, None, None)

    for name, fn, fn_args, dfn, dargs in cases:
        print(f"  {backend}: {name} ...", flush=True)
        if name.endswith("cached"):  # every entry computed once before the timed (cached) calls
            for one in fn_args:
                fn(*one)
        app_times, app_results = timed(fn, fn_args)
        duck_times, duck_results = timed(dfn, dargs)
        duck_med = stats(duck_times)[0] if dfn is not nothing[0] else float("nan")
        rows.append((backend, name, *stats(app_times), duck_med, len(app_times)))
        if name == "drill-down to all 2,000 sellers (111 calls)":
            print(f"  {backend}: the drill-down showed {app_results[0]} sellers", flush=True)
        if name.startswith("precompute"):
            print(f"  {backend}: precompute gave {app_results[0]:,} figures", flush=True)
        # the figures agree with DuckDB's (first call of each kind)
        if name == "seller scorecard":
            kpis = {k["code"]: k for p in app_results[0]["perspectives"] for k in p["kpis"]}
            notes.append(check(name, _app_dict(kpis), _duck_dict(*duck_results[0], 0)))
        elif name == "company children (10 regions)":
            for child in app_results[0]["children"]:
                rid = int(t["regions"].loc[t["regions"]["code"] == child["code"], "id"].iloc[0])
                notes.append(check(f"{name} {child['code']}", _app_dict(child["kpis"]),
                                   _duck_dict(*duck_results[0], rid)))
        elif name == "district children (20 sellers)":
            for child in app_results[0]["children"]:
                sid = int(sellers.loc[sellers["code"] == child["code"], "id"].iloc[0])
                notes.append(check(f"{name} {child['code']}", _app_dict(child["kpis"]),
                                   _duck_dict(*duck_results[0], sid)))
        elif name.startswith("recompute"):
            scored = app_results[0]
            kpis = scored.kpis
            picked = {("company", ""): "C", ("region", t["regions"]["code"].iloc[0]): f"R{t['regions']['id'].iloc[0]}",
                      ("district", dpicks[0][1]): f"D{dpicks[0][0]}", ("seller", picks[1][1]): f"S{picks[1][0]}"}
            for key, grp in picked.items():
                mine = kpis[kpis["entity"].map(lambda e, key=key: e == key)]
                values = {r.code: {"actual": None if pd.isna(r.actual) else float(r.actual),
                                   "target": None if pd.isna(r.target) else float(r.target)}
                          for r in mine.itertuples(index=False)}
                notes.append(check(f"{name} {key}", _app_dict(values), _duck_dict(*duck_results[0], grp)))
    rows[1:1] = http_rows

    if args.profile:
        for label, fn, fargs in (("seller scorecard", lambda: app_call("scorecard", "seller", picks[1][1]), ()),
                                 ("company children", lambda: app_call("children", "company", "-"), ()),
                                 ("district children", lambda: app_call("children", "district", dpicks[0][1]), ()),
                                 ("recompute every scorecard, ytd", lambda: recompute("ytd"), ())):
            prof = cProfile.Profile()
            start = time.perf_counter()
            prof.runcall(fn, *fargs)
            print(f"\n--- cProfile, {backend}, one {label} call ({time.perf_counter() - start:.2f} s under the "
                  f"profiler): app functions and driver calls by cumulative time ---")
            print(profile_table(prof))
    engine.dispose()
    for note in notes:
        if note:
            print(note)
    if not any(notes):
        print(f"  {backend}: the app's actuals and targets agree with DuckDB's (first seller, every region, "
              f"first district's sellers, and four units of each recompute)")
    return rows


def profile_table(prof: cProfile.Profile, top: int = 16) -> str:
    """The app's functions and the database driver's execute/fetch calls, by cumulative time."""
    entries = []
    for (file, line, func), (_cc, calls, tottime, cumtime, _callers) in pstats.Stats(prof).stats.items():
        if "/app/" in file:
            where = f"{file[file.index('/app/') + 1:]}:{line}({func})"
        elif func in (f"<method '{m}' of 'sqlite3.Cursor' objects>" for m in ("execute", "fetchall")) \
                or ("psycopg" in file and func in ("execute", "fetchall")):
            where = func if "sqlite3" in func else f"psycopg {func}"
        else:
            continue
        entries.append((cumtime, tottime, calls, where))
    lines = [f"{'cum s':>8}{'own s':>8}{'calls':>7}  function"]
    lines += [f"{c:8.3f}{t:8.3f}{n:7d}  {w}" for c, t, n, w in sorted(entries, reverse=True)[:top]]
    return "\n".join(lines)


def machine() -> str:
    import duckdb
    import fastapi
    import sqlalchemy

    pg = "?"
    try:
        import psycopg
        with psycopg.connect(PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres") as con:
            pg = con.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001 - only the report line
        pass
    root = Path(__file__).resolve().parents[1]
    head = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %ad", "--date=iso"],
                          capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(root), "status", "--short", "--", "app"],
                           capture_output=True, text=True, check=False).stdout.split()[1::2]
    return (f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.node()}; nproc {os.cpu_count()}; "
            f"app at {head}" + (f" with uncommitted changes in {', '.join(dirty)}" if dirty else "") + "; "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
            f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; PostgreSQL {pg}; "
            f"DuckDB {duckdb.__version__}; SQLAlchemy {sqlalchemy.__version__}; pandas {pd.__version__}; "
            f"numpy {np.__version__}; FastAPI {fastapi.__version__}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=20, help="seller scorecards timed (different sellers)")
    parser.add_argument("--overview-repeat", type=int, default=5, help="children overviews timed")
    parser.add_argument("--profile", action="store_true", help="cProfile one call of each kind")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the temp folder")
    parser.add_argument("--stretch", type=float, default=0.0,
                        help="the share of target rows given a stretch (1.2 × the target; default none)")
    args = parser.parse_args()
    print(machine(), flush=True)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)

    start = time.perf_counter()
    t = generate(args.rows, stretch=args.stretch)
    print(f"generated {len(t['sales']):,} sales, {len(t['activities']):,} activities, {len(t['targets']):,} "
          f"target rows in {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    duck = Duck(t)
    print(f"DuckDB: Arrow copies registered in {time.perf_counter() - start:.1f} s", flush=True)

    import sqlalchemy

    folder = Path(tempfile.mkdtemp(prefix="sc_scorecard_bench_"))
    pg_name = f"sc_scorecard_bench_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    pg_made = False
    rows = []
    try:
        for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
            start = time.perf_counter()
            if backend == "sqlite":
                url = f"sqlite:///{(folder / 'bench.db').as_posix()}"
                load_sqlite(folder / "bench.db", t)
            else:
                with admin.connect() as conn:
                    conn.execute(sqlalchemy.text(f'CREATE DATABASE "{pg_name}"'))
                pg_made = True
                url = f"{PG_SERVER}/{pg_name}"
                load_postgresql(url, t)
            add_admin(url)
            print(f"{backend}: migrated and loaded in {time.perf_counter() - start:.1f} s; "
                  f"load average {os.getloadavg()[0]:.2f}", flush=True)
            start = time.perf_counter()
            rebuild_aggregates(url)
            print(f"{backend}: monthly aggregates built from the raw rows in {time.perf_counter() - start:.1f} s "
                  f"(what `scorecard rebuild-aggregates` does; imports keep them in step instead)", flush=True)
            start = time.perf_counter()
            rows += run_backend(backend, url, t, duck, args)
            print(f"{backend}: timed in {time.perf_counter() - start:.1f} s; "
                  f"load average {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        if args.keep:
            print(f"kept: {folder}" + (f" and PostgreSQL database {pg_name}" if pg_made else ""))
        else:
            shutil.rmtree(folder, ignore_errors=True)
            if pg_made:
                with admin.connect() as conn:
                    conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        admin.dispose()

    print(f"\n{'backend':<11}{'rows':>12}  {'call':<32}{'n':>3}{'median ms':>11}{'p95 ms':>10}"
          f"{'duckdb ms':>11}{'ratio':>8}")
    for backend, name, med, p95, duck_med, n in rows:
        print(f"{backend:<11}{args.rows:>12,}  {name:<32}{n:>3}{med:>11,.1f}{p95:>10,.1f}{duck_med:>11,.1f}"
              f"{med / duck_med:>8,.1f}")
    print("ratio = app median / DuckDB median (same rows, same run, warm)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
