"""Budget variance at scale: the app's path (monthly aggregates, SQL at the report's grain, pandas in
parts) against the same computation in DuckDB over the raw rows, and the streamed CSV export.

    .venv/bin/python benchmarks/variance_bench.py --rows 1000000 [--pg] [--repeat 3]
    .venv/bin/python benchmarks/variance_bench.py --sqlite-db /tmp/big/b10m.db --pg-template big10m [--repeat 1]

Data, either
- generated (`--rows N`, numpy seed 1): 100 districts in 10 regions, 1,000 sellers (every tenth moves
  district on 2026-01-01, so the district-on-date rule matters), 20,000 accounts, 500 products in 12
  groups and N sales lines over 2025-01..2026-12, loaded into a fresh SQLite file (sqlite3
  executemany) and, with --pg, a fresh PostgreSQL database (COPY), both migrated to head; or
- prepared (`--sqlite-db PATH`: copied first, the original is never written; `--pg-template NAME`:
  a new database `CREATE DATABASE … TEMPLATE NAME`), over the months their sales cover.
Either way the rows went in below the importer, so each database then gets
`app.reporting.aggregates.rebuild` (timed on its own and printed: what `scorecard
rebuild-aggregates` does; imports keep the aggregates in step instead). A prepared database without
budgets gets one for every district × product × month (numpy seed 7).

Timed (median of --repeat, a new Session each run), over every month of the data:
- app: `app.reporting.budget.variance_report` by=district,product per month (one row per budget
  cell, 1.2M rows) and by=district per month (price/volume/mix across 500 products per group);
- DuckDB: the same price/volume/mix SQL over the raw rows held as Arrow tables in memory (district
  on the sale's date by a range join on LEAD(valid_from)), checked against the app's result; the
  ratio app / DuckDB is printed;
- the CSV export (and, with --exports, Parquet and XLSX) of the by=district,product per-month
  variance (>= 1M rows) through the app's own
  streaming response (GET /api/v1/budget/variance?format=csv with a finance user's bearer token,
  TestClient), in a
  fresh child process: rows, MB, seconds, and the child's peak RSS (VmHWM) during the export, reset
  to the current RSS just before it (so the start-up's own peak is not counted).

Everything it creates is removed at the end: the temp folder, the SQLite copy, the PostgreSQL database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
N_REG, N_DIST, N_SELL, N_ACC, N_PROD = 10, 100, 1_000, 20_000, 500
MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
MOVE_DAY = np.datetime64("2026-01-01")
FINANCE = ("finance@bench.example", "bench-password-1")


# --------------------------------------------------------------------------------------------- data

def make_budgets(district_ids: np.ndarray, product_ids: np.ndarray, months: list[str], seed: int) -> pd.DataFrame:
    """A budget for every district × product × month: quantity (hundredths) × a price per product;
    a cost on nine budget rows in ten."""
    rng = np.random.default_rng(seed)
    price = rng.integers(1_000, 50_000, len(product_ids))  # cents per unit, per product
    bd, bp, bm = np.meshgrid(np.arange(len(district_ids)), np.arange(len(product_ids)), np.arange(len(months)),
                             indexing="ij")
    bd, bp, bm = bd.ravel(), bp.ravel(), bm.ravel()
    bq = rng.integers(1, 400, len(bd)) * 100
    amount = bq * price[bp] // 100
    cost = pd.array(np.where(rng.random(len(bd)) < 0.1, -1, amount * 6 // 10), dtype="Int64")
    cost[cost < 0] = pd.NA
    return pd.DataFrame({
        "id": np.arange(1, len(bd) + 1), "district_id": district_ids[bd], "product_id": product_ids[bp],
        "month": np.array([f"{m}-01" for m in months])[bm], "quantity": bq, "amount": amount, "cost": cost,
        "source_period": np.array(months)[bm]})


def generate(rows: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """The tables as frames with ids; money and quantities as int64 cents / hundredths."""
    rng = np.random.default_rng(seed)
    regions = pd.DataFrame({"id": np.arange(1, N_REG + 1)})
    regions = regions.assign(code=[f"R{i}" for i in regions.id], name=[f"Region {i}" for i in regions.id])
    d = np.arange(1, N_DIST + 1)
    districts = pd.DataFrame({"id": d, "code": [f"D{i}" for i in d], "name": [f"District {i}" for i in d],
                              "basis": "geographic", "region_id": (d - 1) % N_REG + 1})
    s = np.arange(1, N_SELL + 1)
    sellers = pd.DataFrame({"id": s, "code": [f"S{i}" for i in s], "name": [f"Seller {i}" for i in s],
                            "email": [f"s{i}@example.com" for i in s]})
    home = (s - 1) % N_DIST + 1
    movers = s[s % 10 == 0]
    seller_districts = pd.concat([
        pd.DataFrame({"seller_id": s, "district_id": home, "valid_from": np.datetime64("2020-01-01")}),
        pd.DataFrame({"seller_id": movers, "district_id": home[movers - 1] % N_DIST + 1, "valid_from": MOVE_DAY}),
    ], ignore_index=True)
    seller_districts.insert(0, "id", np.arange(1, len(seller_districts) + 1))
    a = np.arange(1, N_ACC + 1)
    accounts = pd.DataFrame({"id": a, "code": [f"A{i}" for i in a], "name": [f"Account {i}" for i in a],
                             "district_id": (a - 1) % N_DIST + 1, "key_account": False})
    p = np.arange(1, N_PROD + 1)
    products = pd.DataFrame({"id": p, "code": [f"P{i}" for i in p], "name": [f"Product {i}" for i in p],
                             "product_group": [f"G{i % 12}" for i in p]})
    price = rng.integers(1_000, 50_000, N_PROD)
    days = (np.datetime64("2026-12-31") - np.datetime64("2025-01-01")).astype(int) + 1
    date = np.datetime64("2025-01-01") + rng.integers(0, days, rows).astype("timedelta64[D]")
    sp = rng.integers(1, N_PROD + 1, rows)
    sq = rng.integers(1, 20, rows) * 100
    amount = sq * (price[sp - 1] * rng.uniform(0.8, 1.2, rows)).astype(np.int64) // 100
    cost = pd.array(np.where(rng.random(rows) < 0.05, -1, amount * 7 // 10), dtype="Int64")
    cost[cost < 0] = pd.NA  # one line in twenty without a cost
    sales = pd.DataFrame({"id": np.arange(rows), "date": date, "seller_id": rng.integers(1, N_SELL + 1, rows),
                          "account_id": rng.integers(1, N_ACC + 1, rows), "product_id": sp,
                          "quantity": sq, "amount": amount, "cost": cost})
    return {"regions": regions, "districts": districts, "sellers": sellers, "seller_districts": seller_districts,
            "accounts": accounts, "products": products, "budgets": make_budgets(d, p, MONTHS, 7), "sales": sales}


def _money(cents: pd.Series | np.ndarray) -> list:
    """Cents as the value SQLite stores for NUMERIC(16, 2) (what the ORM would write); None for null."""
    values = pd.array(cents, dtype="Int64")
    if not values.isna().any():
        return (values.to_numpy(dtype="int64") / 100).tolist()
    return [None if v is pd.NA else v / 100 for v in values.tolist()]


def _put_sqlite(con: sqlite3.Connection, table: str, frame: pd.DataFrame, cols: list[str],
                chunk: int = 500_000) -> None:
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    for i in range(0, len(frame), chunk):
        part = frame.iloc[i:i + chunk]
        con.executemany(sql, zip(*(part[c].tolist() for c in cols)))


def _budget_rows(b: pd.DataFrame) -> pd.DataFrame:
    return b.assign(quantity=_money(b.quantity), amount=_money(b.amount), cost=_money(b.cost))


BUDGET_COLS = ["id", "district_id", "product_id", "month", "quantity", "amount", "cost", "source_period"]


def load_sqlite(path: Path, t: dict[str, pd.DataFrame]) -> None:
    """Migrate a fresh SQLite file to head, then bulk-insert every table with sqlite3."""
    from app import migrate

    migrate.upgrade(f"sqlite:///{path.as_posix()}")
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA journal_mode=OFF")
    _put_sqlite(con, "regions", t["regions"], ["id", "code", "name"])
    _put_sqlite(con, "districts", t["districts"], ["id", "code", "name", "basis", "region_id"])
    _put_sqlite(con, "sellers", t["sellers"], ["id", "code", "name", "email"])
    sd = t["seller_districts"]
    _put_sqlite(con, "seller_districts", sd.assign(valid_from=sd.valid_from.astype(str)),
                ["id", "seller_id", "district_id", "valid_from"])
    _put_sqlite(con, "accounts", t["accounts"], ["id", "code", "name", "district_id", "key_account"])
    _put_sqlite(con, "products", t["products"], ["id", "code", "name", "product_group"])
    _put_sqlite(con, "budgets", _budget_rows(t["budgets"]), BUDGET_COLS)
    s = t["sales"]
    sql = "INSERT INTO sales (id, date, seller_id, account_id, product_id, quantity, amount, cost) VALUES (?,?,?,?,?,?,?,?)"
    for i in range(0, len(s), 500_000):
        part = s.iloc[i:i + 500_000]
        con.executemany(sql, zip(
            ("INV" + part.id.astype(str)).tolist(), part.date.dt.strftime("%Y-%m-%d").tolist(),
            part.seller_id.tolist(), part.account_id.tolist(), part.product_id.tolist(),
            _money(part.quantity), _money(part.amount), _money(part.cost)))
    con.commit()
    con.execute("ANALYZE")
    con.close()


def _csv_money(cents: pd.Series) -> pd.Series:
    """Cents as 'units.cc' text; empty (NULL in COPY csv) for null."""
    c = pd.array(cents, dtype="Int64")
    null = np.asarray(c.isna())
    v = np.where(null, 0, c.to_numpy(dtype="int64", na_value=0))
    text = (pd.Series(np.where(v < 0, "-", "")) + pd.Series(np.abs(v) // 100).astype(str) + "."
            + pd.Series(np.abs(v) % 100).astype(str).str.zfill(2))
    return text.where(~null, "")


def _copy(cur, table: str, frame: pd.DataFrame) -> None:
    with cur.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)") as copy:
        for i in range(0, len(frame), 500_000):
            copy.write(frame.iloc[i:i + 500_000].to_csv(index=False, header=False).encode())


def _pg_budgets(b: pd.DataFrame) -> pd.DataFrame:
    return b.assign(**{c: _csv_money(b[c]).to_numpy() for c in ("quantity", "amount", "cost")})[BUDGET_COLS]


def load_pg(url: str, t: dict[str, pd.DataFrame]) -> None:
    """Migrate a fresh PostgreSQL database to head, then COPY every table in."""
    import psycopg

    from app import migrate

    migrate.upgrade(url)
    frames = {
        "regions": t["regions"][["id", "code", "name"]],
        "districts": t["districts"][["id", "code", "name", "basis", "region_id"]],
        "sellers": t["sellers"][["id", "code", "name", "email"]],
        "seller_districts": t["seller_districts"].assign(valid_from=t["seller_districts"].valid_from.astype(str)),
        "accounts": t["accounts"][["id", "code", "name", "district_id", "key_account"]],
        "products": t["products"][["id", "code", "name", "product_group"]],
        "budgets": _pg_budgets(t["budgets"]),
    }
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con, con.cursor() as cur:
        for table, frame in frames.items():
            _copy(cur, table, frame)
        s = t["sales"]
        cols = "id, date, seller_id, account_id, product_id, quantity, amount, cost"
        with cur.copy(f"COPY sales ({cols}) FROM STDIN (FORMAT csv)") as copy:
            for i in range(0, len(s), 500_000):
                part = s.iloc[i:i + 500_000]
                frame = pd.DataFrame({
                    "id": "INV" + part.id.astype(str), "date": part.date.dt.strftime("%Y-%m-%d"),
                    "seller_id": part.seller_id, "account_id": part.account_id, "product_id": part.product_id,
                    **{c: _csv_money(part[c]).to_numpy() for c in ("quantity", "amount", "cost")}})
                copy.write(frame.to_csv(index=False, header=False).encode())
        for table in ("seller_districts", "budgets", "sales"):
            cur.execute(f"ANALYZE {table}")


# ------------------------------------------------------------------------------ prepared databases

def _rows(url: str, sql: str, batch: int = 1_000_000):
    """(column arrays) of an all-integer query, in batches of numpy arrays."""
    if url.startswith("sqlite"):
        con = sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True)
    else:
        import psycopg
        con = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        cur = con.cursor()
        cur.execute(sql)
        parts = []
        while rows := cur.fetchmany(batch):
            parts.append(np.array(rows, dtype=np.int64))
        width = len(cur.description)
    finally:
        con.close()
    both = np.concatenate(parts) if parts else np.empty((0, width), dtype=np.int64)
    return [both[:, i] for i in range(width)]


def _text(url: str, sql: str, cols: list[str]) -> pd.DataFrame:
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        frame = pd.DataFrame([tuple(r) for r in conn.execute(text(sql))], columns=cols)
    engine.dispose()
    return frame


def read_tables(url: str) -> dict[str, pd.DataFrame]:
    """The rows DuckDB needs, read back from a database: dates as datetime64, money in cents."""
    pg = not url.startswith("sqlite")
    day = "({c} - DATE '1970-01-01')" if pg else "CAST(julianday({c}) - 2440587.5 AS INTEGER)"
    cents = "CAST(round({c} * 100) AS BIGINT)"

    def dates(values: np.ndarray) -> np.ndarray:
        return values.astype("datetime64[D]")

    seller, product, date, qty, amount = _rows(url, f"SELECT seller_id, product_id, {day.format(c='date')}, "
                                                    f"{cents.format(c='quantity')}, {cents.format(c='amount')} FROM sales")
    sales = pd.DataFrame({"seller_id": seller, "product_id": product, "date": dates(date), "quantity": qty,
                          "amount": amount})
    did, pid, month, bq, ba = _rows(url, f"SELECT district_id, product_id, {day.format(c='month')}, "
                                         f"{cents.format(c='quantity')}, {cents.format(c='amount')} FROM budgets")
    budgets = pd.DataFrame({"district_id": did, "product_id": pid, "month": dates(month), "quantity": bq,
                            "amount": ba})
    sid, sdid, since = _rows(url, f"SELECT seller_id, district_id, {day.format(c='valid_from')} FROM seller_districts")
    seller_districts = pd.DataFrame({"seller_id": sid, "district_id": sdid, "valid_from": dates(since)})
    districts = _text(url, "SELECT id, code, name FROM districts", ["id", "code", "name"])
    products = _text(url, "SELECT id, code, name FROM products", ["id", "code", "name"])
    return {"sales": sales, "budgets": budgets, "seller_districts": seller_districts, "districts": districts,
            "products": products}


def data_months(url: str) -> list[str]:
    from app.analytics.periods import month_span

    frame = _text(url, "SELECT min(date), max(date) FROM sales", ["first", "last"])
    return month_span(str(frame["first"][0])[:7], str(frame["last"][0])[:7])


def add_budgets(url: str, months: list[str]) -> int:
    """A budget for every district × product × month, unless the database has budgets already."""
    if _text(url, "SELECT count(*) FROM budgets", ["n"])["n"][0]:
        return 0
    d = _text(url, "SELECT id FROM districts ORDER BY id", ["id"])["id"].to_numpy()
    p = _text(url, "SELECT id FROM products ORDER BY id", ["id"])["id"].to_numpy()
    b = make_budgets(d, p, months, 7)
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        _put_sqlite(con, "budgets", _budget_rows(b), BUDGET_COLS)
        con.commit()
        con.execute("ANALYZE")
        con.close()
    else:
        import psycopg
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con, con.cursor() as cur:
            _copy(cur, "budgets", _pg_budgets(b))
            cur.execute("ANALYZE budgets")
    return len(b)


def rebuild(url: str) -> float:
    """The monthly aggregates from the raw rows (`app.reporting.aggregates.rebuild`), committed; seconds."""
    from sqlalchemy.orm import Session

    from app.db import make_engine
    from app.reporting.aggregates import rebuild as rebuild_aggregates

    engine = make_engine(url)
    start = time.perf_counter()
    with Session(engine) as session:
        rebuild_aggregates(session)
        session.commit()
    elapsed = time.perf_counter() - start
    if not url.startswith("sqlite"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return elapsed


def add_finance_user(url: str) -> None:
    from sqlalchemy.orm import Session

    from app.auth.passwords import hash_password
    from app.db import make_engine
    from app.models import User

    engine = make_engine(url)
    with Session(engine) as session:
        session.add(User(email=FINANCE[0], password_hash=hash_password(FINANCE[1]), role="finance", is_active=True))
        session.commit()
    engine.dispose()


# ----------------------------------------------------------------------------------------- timing

def time_app(url: str, by: list[str], months: list[str], repeat: int) -> tuple[list[float], pd.DataFrame]:
    """Times of variance_report per month over `months` (a new session each run) and the last result."""
    from sqlalchemy.orm import Session

    from app.access import EVERYTHING
    from app.db import make_engine
    from app.reporting.budget import variance_report

    engine = make_engine(url)
    times, report = [], None
    try:
        for _ in range(repeat):
            with Session(engine) as session:
                start = time.perf_counter()
                report = variance_report(session, scope=EVERYTHING, from_=months[0], to=months[-1], by=by,
                                         per_month=True)
                times.append(time.perf_counter() - start)
    finally:
        engine.dispose()
    return times, report.rows


DUCK_SQL = """
WITH sd AS (
  SELECT seller_id, district_id, valid_from,
         LEAD(valid_from, 1, DATE '9999-12-31') OVER (PARTITION BY seller_id ORDER BY valid_from) AS valid_to
  FROM seller_districts),
act AS (
  SELECT sd.district_id, s.product_id, strftime(s.date, '%Y-%m') AS month,
         SUM(s.quantity) AS aq, SUM(s.amount) AS aa
  FROM sales s JOIN sd ON s.seller_id = sd.seller_id AND s.date >= sd.valid_from AND s.date < sd.valid_to
  WHERE s.date >= DATE '{first}' AND s.date < DATE '{end}'
  GROUP BY ALL),
cells AS (
  SELECT district_id, product_id, month, SUM(bq) AS bq, SUM(ba) AS ba, SUM(aq) AS aq, SUM(aa) AS aa FROM (
    SELECT district_id, product_id, strftime(month, '%Y-%m') AS month, quantity AS bq, amount AS ba,
           0 AS aq, 0 AS aa FROM budgets WHERE month >= DATE '{first}' AND month < DATE '{end}'
    UNION ALL SELECT district_id, product_id, month, 0, 0, aq, aa FROM act) GROUP BY ALL),
terms AS (
  SELECT *, CASE WHEN bq <> 0 THEN ba / bq WHEN aq <> 0 THEN aa / aq ELSE 0 END AS bp FROM cells),
grp AS (
  SELECT {keys}, SUM(bq) AS sbq, SUM(aq) AS saq, SUM(ba) AS sba, SUM(aa) AS saa,
         SUM(CASE WHEN bq <> 0 THEN ba ELSE 0 END) AS sba_q, SUM(aa - bp * aq) AS price_raw,
         SUM(aq * bp) AS aq_bp
  FROM terms GROUP BY {keys}),
eff AS (
  SELECT *, CASE WHEN sbq <> 0 THEN sba_q / sbq WHEN saq <> 0 THEN aq_bp / saq ELSE 0 END AS pbar FROM grp)
SELECT d.code AS district_code, d.name AS district_name, {names} e.month AS period,
       e.sba / 100 AS budget_amount, e.saa / 100 AS actual_amount, (e.saa - e.sba) / 100 AS variance_amount,
       CASE WHEN e.sba <> 0 THEN round((e.saa - e.sba) / abs(e.sba), 6) END AS variance_pct,
       round(e.price_raw - CASE WHEN e.sbq <> 0 THEN e.sba - e.sba_q ELSE e.sba END) / 100 AS price_effect,
       round((e.saq - e.sbq) * e.pbar) / 100 AS volume_effect,
       round(e.aq_bp - e.saq * e.pbar) / 100 AS mix_effect
FROM eff e JOIN districts d ON d.id = e.district_id {join}
ORDER BY district_code, {order} period
"""


class Duck:
    """The raw rows as Arrow tables in an in-memory DuckDB."""

    def __init__(self, t: dict[str, pd.DataFrame]) -> None:
        import duckdb

        self.con = duckdb.connect()
        for name in ("districts", "products", "seller_districts", "budgets", "sales"):
            frame = t[name]
            if name == "budgets":
                frame = frame.assign(month=pd.to_datetime(frame.month))
            if name == "sales":
                frame = frame[["seller_id", "product_id", "date", "quantity", "amount"]]
            self.con.register(name, pa.Table.from_pandas(frame, preserve_index=False))

    def time(self, by: list[str], months: list[str], repeat: int) -> tuple[list[float], pd.DataFrame]:
        from app.analytics.periods import shift_month

        bounds = {"first": f"{months[0]}-01", "end": f"{shift_month(months[-1], 1)}-01"}
        if by == ["district", "product"]:
            sql = DUCK_SQL.format(keys="district_id, product_id, month", join="JOIN products p ON p.id = e.product_id",
                                  names="p.code AS product_code, p.name AS product_name,", order="product_code,",
                                  **bounds)
        else:
            sql = DUCK_SQL.format(keys="district_id, month", names="", join="", order="", **bounds)
        times, out = [], None
        for _ in range(repeat):
            start = time.perf_counter()
            out = self.con.execute(sql).df()
            times.append(time.perf_counter() - start)
        return times, out


def compare(app_rows: pd.DataFrame, duck: pd.DataFrame, keys: list[str]) -> str:
    """Rows, and the largest differences of the money columns between the two results."""
    merged = app_rows.merge(duck, on=keys, suffixes=("", "_duck"), how="outer", indicator=True)
    unmatched = int((merged["_merge"] != "both").sum())
    diffs = {c: float(np.nanmax(np.abs(merged[c].astype(float) - merged[f"{c}_duck"].astype(float))))
             for c in ("budget_amount", "actual_amount", "variance_amount", "price_effect", "volume_effect",
                       "mix_effect")}
    return (f"{len(app_rows):,} rows, DuckDB {len(duck):,}, {unmatched} unmatched; largest |app − DuckDB| "
            f"{max(diffs.values()):.2f} (DuckDB rounds each effect on its own; the app moves the odd cent to "
            f"the largest, so price + volume + mix = variance exactly)")


# ------------------------------------------------------------------------------------ the export

def _reset_peak() -> bool:
    """Start the peak RSS afresh from the current RSS (Linux: clear_refs 5), so what start-up touched
    once (argon2's 64 MB for the login route's dummy hash at import) is not counted as the export's."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    """This process's peak RSS: VmHWM, the high-water mark of its own memory map. (ru_maxrss would
    do, but Linux carries the parent's RSS at fork into it across exec.)"""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_child(fmt: str, first: str, last: str) -> None:
    """In a fresh process on DATABASE_URL: the export through the app, read as it streams; figures."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.auth.tokens import create_access_token
    from app.db import get_engine
    from app.main import create_app
    from app.models import User

    # the token the login route would give (signing in runs argon2, whose 64 MB would be in the peak)
    with Session(get_engine()) as session:
        user_id = session.scalar(select(User.id).where(User.email == FINANCE[0]))
    headers = {"Authorization": f"Bearer {create_access_token(user_id)}"}
    with TestClient(create_app(precompute=False)) as client:
        params = {"from": first, "to": last, "by": "district,product", "per": "month", "format": fmt}
        before = _peak_mb()
        reset = _reset_peak()
        started = _peak_mb()
        start = time.perf_counter()
        size = lines = chunks = 0
        with client.stream("GET", "/api/v1/budget/variance", params=params, headers=headers) as res:
            assert res.status_code == 200, res.read()
            for chunk in res.iter_bytes():
                size += len(chunk)
                lines += chunk.count(b"\n")
                chunks += 1
        elapsed = time.perf_counter() - start
    rows = f"{lines - 1:,} rows, " if fmt == "csv" else ""
    print(f"    {fmt.upper()} export through the app, {first}..{last}: {rows}{size / 1e6:,.0f} MB in {chunks:,} "
          f"chunks, {elapsed:.2f} s" + (f" ({(lines - 1) / elapsed:,.0f} rows/s)" if fmt == "csv" else "")
          + f"; child RSS {started:,.0f} MB at the start (peak so far {before:,.0f} MB"
          + (", reset" if reset else ", not reset") + f"), peak RSS during the export {_peak_mb():,.0f} MB",
          flush=True)


def run_export_child(url: str, fmt: str, months: list[str]) -> None:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONWARNINGS": "ignore"}
    subprocess.run([sys.executable, __file__, "--export-child", fmt, months[0], months[-1]], check=True, env=env)


# ------------------------------------------------------------------------------------------ main

def _median(times: list[float]) -> str:
    return f"{statistics.median(times):.2f} s (runs: {', '.join(f'{x:.2f}' for x in times)})"


def machine() -> str:
    head = subprocess.run(["git", "-C", str(Path(__file__).resolve().parents[1]), "log", "-1", "--format=%h"],
                          capture_output=True, text=True, check=False).stdout.strip()
    return (f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.node()}; nproc {os.cpu_count()}; "
            f"app at {head} (+ working tree); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
            f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; pandas {pd.__version__}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="sales lines to generate")
    parser.add_argument("--pg", action="store_true", help="with --rows: also a fresh PostgreSQL database")
    parser.add_argument("--sqlite-db", help="a prepared SQLite file (copied first) instead of generated rows")
    parser.add_argument("--pg-template", help="a prepared PostgreSQL database, copied with CREATE DATABASE … TEMPLATE")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--exports", default="csv",
                        help="comma-separated export formats to measure (csv, parquet, xlsx; '' for none); "
                             "XLSX takes the first 20 months (1.0M rows: a sheet holds 1,048,576)")
    parser.add_argument("--export-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(*args.export_child)
        return 0
    print(machine(), flush=True)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)

    from sqlalchemy import text

    from app.db import make_engine

    folder = Path(tempfile.mkdtemp(prefix="sc_variance_bench_"))
    admin = make_engine(f"{PG_SERVER}/postgres")
    pg_name = None
    urls: dict[str, str] = {}
    try:
        if args.sqlite_db or args.pg_template:
            if args.sqlite_db:
                start = time.perf_counter()
                shutil.copyfile(args.sqlite_db, folder / "bench.db")
                urls["sqlite"] = f"sqlite:///{(folder / 'bench.db').as_posix()}"
                print(f"SQLite: {args.sqlite_db} copied in {time.perf_counter() - start:.1f} s", flush=True)
            if args.pg_template:
                pg_name = f"sc_vbench_{uuid.uuid4().hex[:8]}"
                start = time.perf_counter()
                with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text(f'CREATE DATABASE "{pg_name}" TEMPLATE "{args.pg_template}"'))
                urls["postgresql"] = f"{PG_SERVER}/{pg_name}"
                print(f"PostgreSQL: {pg_name} created from {args.pg_template} in {time.perf_counter() - start:.1f} s",
                      flush=True)
            months = data_months(next(iter(urls.values())))
            for backend, url in urls.items():
                n = add_budgets(url, months)
                print(f"{backend}: {n:,} budget rows added" if n else f"{backend}: budgets present", flush=True)
            start = time.perf_counter()
            tables = read_tables(next(iter(urls.values())))
            print(f"DuckDB input: {len(tables['sales']):,} sales and {len(tables['budgets']):,} budget rows read "
                  f"back from {next(iter(urls))} in {time.perf_counter() - start:.1f} s", flush=True)
        else:
            months = MONTHS
            start = time.perf_counter()
            tables = generate(args.rows)
            print(f"generated {args.rows:,} sales and {len(tables['budgets']):,} budget rows in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
            db = folder / "bench.db"
            start = time.perf_counter()
            load_sqlite(db, tables)
            urls["sqlite"] = f"sqlite:///{db.as_posix()}"
            print(f"SQLite: migrated and loaded in {time.perf_counter() - start:.1f} s "
                  f"({db.stat().st_size / 1e6:,.0f} MB)", flush=True)
            if args.pg:
                pg_name = f"sc_vbench_{uuid.uuid4().hex[:8]}"
                with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
                urls["postgresql"] = f"{PG_SERVER}/{pg_name}"
                start = time.perf_counter()
                load_pg(urls["postgresql"], tables)
                print(f"PostgreSQL: migrated and loaded in {time.perf_counter() - start:.1f} s", flush=True)
        for backend, url in urls.items():
            print(f"{backend}: aggregates rebuilt from the raw rows in {rebuild(url):.1f} s "
                  "(app.reporting.aggregates.rebuild; imports keep them in step instead)", flush=True)
            add_finance_user(url)
        duck = Duck(tables)
        del tables
        print(f"months {months[0]}..{months[-1]}", flush=True)

        for label, by in (("district × product × month", ["district", "product"]),
                          ("district × month (mix over the products)", ["district"])):
            duck_times, duck_rows = duck.time(by, months, args.repeat)
            print(f"\n[{label}] DuckDB over the raw rows (Arrow in memory): median {_median(duck_times)}", flush=True)
            for backend, url in urls.items():
                times, rows = time_app(url, by, months, args.repeat)
                print(f"[{label}] app on {backend}: median {_median(times)}; ratio app / DuckDB "
                      f"{statistics.median(times) / statistics.median(duck_times):.2f}", flush=True)
                keys = ["district_code", "period"] + (["product_code"] if "product" in by else [])
                print(f"    check: {compare(rows, duck_rows, keys)}", flush=True)
                del rows
        del duck
        formats = [f for f in args.exports.split(",") if f]
        if formats:
            print("\n[exports, by=district,product per month]", flush=True)
        for backend, url in urls.items():
            for fmt in formats:
                print(f"  {backend}:", flush=True)
                run_export_child(url, fmt, months[:20] if fmt == "xlsx" else months)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if pg_name:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
