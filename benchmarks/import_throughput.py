"""Import throughput and memory: N generated sales rows through `import_file` into fresh SQLite and PostgreSQL databases.

    .venv/bin/python benchmarks/import_throughput.py [--rows 1000000 3000000] [--backend all|sqlite|postgresql]

For each size a child process generates the CSV files once (org data plus N sales rows) in a
temporary folder, then each backend runs in a process of its own, so each peak-memory figure (the
process's RSS high-water mark, VmHWM) belongs to that import alone. Timed: the whole `import_file` call for the
sales file, given its path as the command line does (read in batches, parse, reference checks,
insert, indexes, the monthly aggregates of everything the file touched, the data version), and
the commit. Then the same file again (every row compared, nothing written, no aggregate touched).
"Peak memory does not grow with the file" shows as the same peak RSS for every size. Everything it
creates is removed at the end: the folder, the SQLite file, the PostgreSQL database.

The sales follow the workload of benchmarks/scorecard_bench.py: each seller sells mostly (90 %) to
accounts of their own, so the monthly aggregates hold a fraction of the lines (printed).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
ORG_DATASETS = ("regions", "districts", "sellers", "accounts", "products")
N_REG, N_DIST, N_SELL, N_ACC, N_PROD = 10, 100, 1_000, 20_000, 500


def generate(folder: Path, rows: int, seed: int = 1) -> None:
    """Org files (10 regions, 100 districts, 1,000 sellers, 20,000 accounts, 500 products) and `rows` sales
    over 2025, each line to one of the seller's 20 accounts (90 %) or to any account."""
    rng = np.random.default_rng(seed)
    pd.DataFrame({"code": [f"R{i}" for i in range(N_REG)], "name": [f"Region {i}" for i in range(N_REG)]}) \
        .to_csv(folder / "regions.csv", index=False)
    pd.DataFrame({"code": [f"D{i}" for i in range(N_DIST)], "name": [f"District {i}" for i in range(N_DIST)],
                  "basis": "geographic", "region_code": [f"R{i % N_REG}" for i in range(N_DIST)]}) \
        .to_csv(folder / "districts.csv", index=False)
    pd.DataFrame({"code": [f"S{i}" for i in range(N_SELL)], "name": [f"Seller {i}" for i in range(N_SELL)],
                  "email": [f"s{i}@example.com" for i in range(N_SELL)],
                  "district_code": [f"D{i % N_DIST}" for i in range(N_SELL)], "valid_from": "2024-01-01"}) \
        .to_csv(folder / "sellers.csv", index=False)
    pd.DataFrame({"code": [f"A{i}" for i in range(N_ACC)], "name": [f"Account {i}" for i in range(N_ACC)],
                  "district_code": [f"D{i % N_DIST}" for i in range(N_ACC)], "segment": "",
                  "key_account": np.where(np.arange(N_ACC) % 10 == 0, "true", "false"), "kam_seller_code": ""}) \
        .to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame({"code": [f"P{i}" for i in range(N_PROD)], "name": [f"Product {i}" for i in range(N_PROD)],
                  "product_group": [f"G{i % 12}" for i in range(N_PROD)]}).to_csv(folder / "products.csv", index=False)
    seller = rng.integers(0, N_SELL, rows)
    own = seller + N_SELL * rng.integers(0, N_ACC // N_SELL, rows)  # the seller's 20 accounts
    account = np.where(rng.random(rows) < 0.9, own, rng.integers(0, N_ACC, rows))
    quantity = rng.integers(1, 50, rows)
    price = rng.integers(1_000, 500_000, rows)  # minor units
    amount = quantity * price
    cost = (amount * rng.uniform(0.4, 0.9, rows)).astype(np.int64)
    dates = np.datetime64("2025-01-01") + rng.integers(0, 365, rows).astype("timedelta64[D]")

    def money(minor: np.ndarray) -> pd.Series:
        return pd.Series(minor // 100).astype(str) + "." + pd.Series(minor % 100).astype(str).str.zfill(2)

    pd.DataFrame({
        "id": pd.Series(np.arange(rows)).astype(str).radd("INV"),
        "date": pd.Series(dates).dt.strftime("%Y-%m-%d"),
        "seller_code": pd.Series(seller).astype(str).radd("S"),
        "account_code": pd.Series(account).astype(str).radd("A"),
        "product_code": pd.Series(rng.integers(0, N_PROD, rows)).astype(str).radd("P"),
        "quantity": quantity, "amount": money(amount), "cost": money(cost),
    }).to_csv(folder / "sales.csv", index=False)


def _rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM (reset by exec, unlike getrusage's ru_maxrss,
    which a child inherits from the parent that started it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_backend(backend: str, folder: Path) -> None:
    """Import the generated files into a fresh database of `backend`; print the figures; drop the database."""
    from sqlalchemy import func, select, text
    from sqlalchemy.orm import Session

    from app import migrate
    from app.db import make_engine
    from app.imports.service import import_file
    from app.models import Sale, SalesMonthly, SalesProductMonthly
    from app.reporting.version import current_version

    if backend == "sqlite":
        url = f"sqlite:///{(folder / 'bench.db').as_posix()}"
    else:
        name = f"sc_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(f"{PG_SERVER}/postgres")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"{PG_SERVER}/{name}"
    engine = make_engine(url)
    try:
        migrate.upgrade(url)
        with Session(engine) as session:
            for dataset in ORG_DATASETS:
                import_file(session, dataset=dataset, data=folder / f"{dataset}.csv", filename=f"{dataset}.csv")
            session.commit()
            version = current_version(session)
        sales = folder / "sales.csv"
        rss_before = _rss_mb()
        stages: dict[str, float] = {}
        start = time.perf_counter()

        def progress(stage: str, _done: int, _total: int) -> None:
            stages.setdefault(stage, time.perf_counter() - start)

        with Session(engine) as session:
            result = import_file(session, dataset="sales", data=sales, filename="sales.csv", progress=progress)
            session.commit()
        elapsed = time.perf_counter() - start
        peak = _rss_mb()
        with Session(engine) as session:
            stored = session.scalar(select(func.count()).select_from(Sale))
            monthly = session.scalar(select(func.count()).select_from(SalesMonthly))
            by_product = session.scalar(select(func.count()).select_from(SalesProductMonthly))
            assert current_version(session) == version + 1
        assert stored == result.inserted == result.rows, (stored, result)
        # The same file again: every row compared, none written, no aggregate recomputed.
        start2 = time.perf_counter()
        with Session(engine) as session:
            again = import_file(session, dataset="sales", data=sales, filename="sales.csv")
            session.commit()
        elapsed2 = time.perf_counter() - start2
        assert again.unchanged == result.rows, again
        timeline = ", ".join(f"{k} at {v:.1f}s" for k, v in stages.items())
        print(f"{backend:10s} {result.rows:>9,} rows in {elapsed:6.1f} s = {result.rows / elapsed:>9,.0f} rows/s "
              f"(monthly aggregates included: {monthly:,} seller rows, {by_product:,} product rows); "
              f"peak RSS {peak:,.0f} MB (before the import {rss_before:,.0f} MB, file {sales.stat().st_size / 1e6:,.0f} MB, "
              f"after the unchanged reload {_rss_mb():,.0f} MB); reload unchanged in {elapsed2:.1f} s "
              f"= {result.rows / elapsed2:,.0f} rows/s\n           stages: {timeline}", flush=True)
    finally:
        engine.dispose()
        if backend != "sqlite":
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 3_000_000])
    parser.add_argument("--backend", choices=["all", "sqlite", "postgresql"], default="all")
    parser.add_argument("--folder", help=argparse.SUPPRESS)  # internal: the generated files
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)  # internal: write them
    args = parser.parse_args()
    if args.folder and args.generate:
        generate(Path(args.folder), args.rows[0])
        return 0
    if args.folder:
        run_backend(args.backend, Path(args.folder))
        return 0
    backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
    code = 0
    for rows in args.rows:
        folder = Path(tempfile.mkdtemp(prefix="sc_bench_"))
        try:
            start = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--generate", "--rows", str(rows), "--folder", str(folder)],
                           check=True)
            print(f"generated {rows:,} sales rows in {time.perf_counter() - start:.1f} s", flush=True)
            for backend in backends:
                done = subprocess.run([sys.executable, __file__, "--backend", backend, "--folder", str(folder)],
                                      env={**os.environ, "PYTHONWARNINGS": "ignore"}, check=False)
                code = code or done.returncode
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
