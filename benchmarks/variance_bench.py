"""Budget variance at scale: the app's path (SQL load + pandas) against the same computation in DuckDB,
and the CSV export of 1M rows.

    .venv/bin/python benchmarks/variance_bench.py [--rows 10000000] [--pg] [--repeat 3]

Generates (numpy, seed 1) 100 districts in 10 regions, 1,000 sellers (every tenth moves district on
2026-01-01, so the district-on-date join matters), 20,000 accounts, 500 products in 12 groups,
budgets for every district × product × month of 2025-01..2026-12 (1.2M rows) and N sales lines in
those 24 months. Loads them into a fresh SQLite file migrated to head (sqlite3 executemany) and,
with --pg, a fresh PostgreSQL database (COPY). Times (median of --repeat):

- app: `variance_report(by=district,product, per=month, 2025-01..2026-12)` through
  app.reporting.budget (SQL aggregation + app.analytics.variance), and by=district per month
  (price/volume/mix across 500 products per group);
- DuckDB: the same price/volume/mix SQL over the same rows held as Arrow tables in memory
  (district on the sale's date by a range join on LEAD(valid_from)), checked against the app's result;
- CSV export of 1M variance rows through app.exports.iter_csv, in a child process: rows/s and
  peak RSS (getrusage ru_maxrss) before and after the export.

Everything it creates is removed at the end: the temp folder, the SQLite file, the PostgreSQL database.
"""

from __future__ import annotations

import argparse
import io
import os
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
    price = rng.integers(1_000, 50_000, N_PROD)  # cents per unit, per product
    # budgets: every district × product × month; quantity in hundredths, amount = qty × price
    bd, bp, bm = np.meshgrid(d, p, np.arange(len(MONTHS)), indexing="ij")
    bd, bp, bm = bd.ravel(), bp.ravel(), bm.ravel()
    bq = rng.integers(1, 400, len(bd)) * 100
    budgets = pd.DataFrame({
        "id": np.arange(1, len(bd) + 1), "district_id": bd, "product_id": bp,
        "month": np.array([f"{m}-01" for m in MONTHS])[bm], "quantity": bq, "amount": bq * price[bp - 1] // 100,
        "cost": bq * price[bp - 1] // 100 * 6 // 10, "source_period": np.array(MONTHS)[bm]})
    # sales: N lines over the 24 months
    days = (np.datetime64("2026-12-31") - np.datetime64("2025-01-01")).astype(int) + 1
    date = np.datetime64("2025-01-01") + rng.integers(0, days, rows).astype("timedelta64[D]")
    sp = rng.integers(1, N_PROD + 1, rows)
    sq = rng.integers(1, 20, rows) * 100
    amount = sq * (price[sp - 1] * rng.uniform(0.8, 1.2, rows)).astype(np.int64) // 100
    sales = pd.DataFrame({"id": np.arange(rows), "date": date, "seller_id": rng.integers(1, N_SELL + 1, rows),
                          "account_id": rng.integers(1, N_ACC + 1, rows), "product_id": sp,
                          "quantity": sq, "amount": amount, "cost": amount * 7 // 10})
    return dict(regions=regions, districts=districts, sellers=sellers, seller_districts=seller_districts,
                accounts=accounts, products=products, budgets=budgets, sales=sales)


def _money(cents: np.ndarray) -> list[float]:
    """Cents as the float value SQLite stores for NUMERIC(16, 2) (what the ORM would write)."""
    return (cents / 100).tolist()


def load_sqlite(path: Path, t: dict[str, pd.DataFrame]) -> None:
    """Migrate a fresh SQLite file to head, then bulk-insert every table with sqlite3."""
    from app import migrate

    migrate.upgrade(f"sqlite:///{path.as_posix()}")
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA journal_mode=OFF")

    def put(table: str, frame: pd.DataFrame, cols: list[str], chunk: int = 500_000) -> None:
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        for i in range(0, len(frame), chunk):
            part = frame.iloc[i:i + chunk]
            con.executemany(sql, zip(*(part[c].tolist() for c in cols)))
    put("regions", t["regions"], ["id", "code", "name"])
    put("districts", t["districts"], ["id", "code", "name", "basis", "region_id"])
    put("sellers", t["sellers"], ["id", "code", "name", "email"])
    put("seller_districts", t["seller_districts"].assign(valid_from=t["seller_districts"].valid_from.astype(str)),
        ["id", "seller_id", "district_id", "valid_from"])
    put("accounts", t["accounts"], ["id", "code", "name", "district_id", "key_account"])
    put("products", t["products"], ["id", "code", "name", "product_group"])
    b = t["budgets"]
    put("budgets", b.assign(quantity=_money(b.quantity.to_numpy()), amount=_money(b.amount.to_numpy()),
                            cost=_money(b.cost.to_numpy())),
        ["id", "district_id", "product_id", "month", "quantity", "amount", "cost", "source_period"])
    s = t["sales"]
    chunk = 500_000
    sql = "INSERT INTO sales (id, date, seller_id, account_id, product_id, quantity, amount, cost) VALUES (?,?,?,?,?,?,?,?)"
    for i in range(0, len(s), chunk):
        part = s.iloc[i:i + chunk]
        con.executemany(sql, zip(
            ("INV" + part.id.astype(str)).tolist(), part.date.dt.strftime("%Y-%m-%d").tolist(),
            part.seller_id.tolist(), part.account_id.tolist(), part.product_id.tolist(),
            _money(part.quantity.to_numpy()), _money(part.amount.to_numpy()), _money(part.cost.to_numpy())))
    con.commit()
    con.execute("ANALYZE")
    con.close()


def _csv_money(cents: pd.Series) -> pd.Series:
    c = cents.to_numpy()
    sign = np.where(c < 0, "-", "")
    return pd.Series(sign) + pd.Series(np.abs(c) // 100).astype(str) + "." + pd.Series(np.abs(c) % 100).astype(str).str.zfill(2)


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
        "budgets": t["budgets"].assign(**{c: _csv_money(t["budgets"][c]) for c in ("quantity", "amount", "cost")}),
    }
    raw = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw) as con, con.cursor() as cur:
        for table, frame in frames.items():
            with cur.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(frame.to_csv(index=False, header=False).encode())
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
        # ids were given explicitly; nothing later inserts, so the sequences may stay behind


def time_app(url: str, by: list[str], repeat: int) -> tuple[list[float], pd.DataFrame, dict]:
    """Times of variance_report over the 24 months (a new session each run) and the last result."""
    from sqlalchemy.orm import Session

    from app.access import EVERYTHING
    from app.db import make_engine
    from app.reporting.budget import load_actual, load_budget, variance_report

    engine = make_engine(url)
    times, report, stages = [], None, {}
    try:
        for _ in range(repeat):
            with Session(engine) as session:
                start = time.perf_counter()
                report = variance_report(session, scope=EVERYTHING, from_=MONTHS[0], to=MONTHS[-1], by=by,
                                         per_month=True)
                times.append(time.perf_counter() - start)
        with Session(engine) as session:
            t0 = time.perf_counter()
            load_budget(session, scope=EVERYTHING, months=MONTHS)
            t1 = time.perf_counter()
            load_actual(session, scope=EVERYTHING, months=MONTHS)
            stages = {"budget SQL": t1 - t0, "actual SQL": time.perf_counter() - t1}
    finally:
        engine.dispose()
    return times, report.rows, stages


DUCK_SQL = """
WITH sd AS (
  SELECT seller_id, district_id, valid_from,
         LEAD(valid_from, 1, DATE '9999-12-31') OVER (PARTITION BY seller_id ORDER BY valid_from) AS valid_to
  FROM seller_districts),
act AS (
  SELECT sd.district_id, s.product_id, strftime(s.date, '%Y-%m') AS month,
         SUM(s.quantity) AS aq, SUM(s.amount) AS aa
  FROM sales s JOIN sd ON s.seller_id = sd.seller_id AND s.date >= sd.valid_from AND s.date < sd.valid_to
  GROUP BY ALL),
cells AS (
  SELECT district_id, product_id, month, SUM(bq) AS bq, SUM(ba) AS ba, SUM(aq) AS aq, SUM(aa) AS aa FROM (
    SELECT district_id, product_id, strftime(month, '%Y-%m') AS month, quantity AS bq, amount AS ba,
           0 AS aq, 0 AS aa FROM budgets
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


def time_duckdb(t: dict[str, pd.DataFrame], by: list[str], repeat: int) -> tuple[list[float], pd.DataFrame]:
    """The same price/volume/mix computation in DuckDB over Arrow copies of the tables (cents as BIGINT)."""
    import duckdb

    con = duckdb.connect()
    for name in ("districts", "products", "seller_districts", "budgets", "sales"):
        frame = t[name]
        if name == "budgets":
            frame = frame.assign(month=pd.to_datetime(frame.month))
        con.register(name, pa.Table.from_pandas(frame, preserve_index=False))
    if by == ["district", "product"]:
        sql = DUCK_SQL.format(keys="district_id, product_id, month", names="p.code AS product_code, p.name AS product_name,",
                              join="JOIN products p ON p.id = e.product_id", order="product_code,")
    else:
        sql = DUCK_SQL.format(keys="district_id, month", names="", join="", order="")
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = con.execute(sql).df()
        times.append(time.perf_counter() - start)
    con.close()
    return times, out


def compare(app_rows: pd.DataFrame, duck: pd.DataFrame, keys: list[str]) -> str:
    """Rows, and the largest differences of the money columns between the two results."""
    merged = app_rows.merge(duck, on=keys, suffixes=("", "_duck"), how="outer", indicator=True)
    unmatched = int((merged["_merge"] != "both").sum())
    diffs = {c: float(np.nanmax(np.abs(merged[c].astype(float) - merged[f"{c}_duck"].astype(float))))
             for c in ("budget_amount", "actual_amount", "variance_amount", "price_effect", "volume_effect",
                       "mix_effect")}
    worst = max(diffs.values())
    return (f"{len(app_rows):,} rows each, {unmatched} unmatched; largest |app − duckdb| {worst:.2f} "
            f"(effects round independently in DuckDB: the app adjusts the largest by the cent "
            f"so price + volume + mix = variance exactly)")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def csv_child(parquet: str, rows: int) -> None:
    """In a clean process: read a variance frame, stream it as CSV, print rows/s and peak RSS."""
    import pyarrow.parquet as pq

    from app.exports import iter_csv

    frame = pq.read_table(parquet).to_pandas()[:rows]
    frame["favorable"] = frame["favorable"].astype("boolean")
    before = _rss_mb()
    start = time.perf_counter()
    size = 0
    for chunk in iter_csv(frame):
        size += len(chunk)
    elapsed = time.perf_counter() - start
    print(f"CSV export: {len(frame):,} rows, {size / 1e6:,.0f} MB in {elapsed:.2f} s = {len(frame) / elapsed:,.0f} rows/s; "
          f"peak RSS {before:,.0f} MB with the frame loaded, {_rss_mb():,.0f} MB after the export", flush=True)


def _median(times: list[float]) -> str:
    return f"{statistics.median(times):.2f} s (runs: {', '.join(f'{x:.2f}' for x in times)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", action="store_true", help="also load and time a fresh PostgreSQL database")
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--csv-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.csv_child:
        csv_child(args.csv_child, args.csv_rows)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="sc_variance_bench_"))
    pg_name, admin = None, None
    try:
        start = time.perf_counter()
        tables = generate(args.rows)
        print(f"generated {args.rows:,} sales and {len(tables['budgets']):,} budget rows in "
              f"{time.perf_counter() - start:.1f} s", flush=True)
        db = folder / "bench.db"
        start = time.perf_counter()
        load_sqlite(db, tables)
        print(f"SQLite: loaded in {time.perf_counter() - start:.1f} s ({db.stat().st_size / 1e6:,.0f} MB)", flush=True)
        urls = {"sqlite": f"sqlite:///{db.as_posix()}"}
        if args.pg:
            from sqlalchemy import text

            from app.db import make_engine

            pg_name = f"sc_vbench_{uuid.uuid4().hex[:8]}"
            admin = make_engine(f"{PG_SERVER}/postgres")
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
            urls["postgresql"] = f"{PG_SERVER}/{pg_name}"
            start = time.perf_counter()
            load_pg(urls["postgresql"], tables)
            print(f"PostgreSQL: loaded in {time.perf_counter() - start:.1f} s", flush=True)

        results = {}
        for label, by in (("district × product × month", ["district", "product"]),
                          ("district × month (mix over 500 products)", ["district"])):
            duck_times, duck = time_duckdb(tables, by, args.repeat)
            print(f"\n[{label}] DuckDB (Arrow in memory): median {_median(duck_times)}", flush=True)
            for backend, url in urls.items():
                times, rows, stages = time_app(url, by, args.repeat)
                results[(label, backend)] = rows
                print(f"[{label}] app on {backend}: median {_median(times)}; "
                      f"ratio app / DuckDB {statistics.median(times) / statistics.median(duck_times):.1f}x; "
                      + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items()), flush=True)
                keys = ["district_code", "period"] + (["product_code"] if "product" in by else [])
                print(f"    check: {compare(rows, duck, keys)}", flush=True)

        frame = results[("district × product × month", "sqlite")]
        parquet = folder / "variance.parquet"
        frame.to_parquet(parquet)
        del tables, results, frame
        subprocess.run([sys.executable, __file__, "--csv-child", str(parquet), "--csv-rows", str(args.csv_rows)],
                       check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if pg_name:
            from sqlalchemy import text

            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
