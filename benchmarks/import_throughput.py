"""Import throughput: N generated sales rows through `import_file` into fresh SQLite and PostgreSQL databases.

    .venv/bin/python benchmarks/import_throughput.py [--rows 1000000] [--backend all|sqlite|postgresql]

The parent generates the CSV files once (org data plus N sales rows) in a temporary folder, then
runs each backend in its own process so each peak-memory figure (the RSS high-water mark from
`getrusage`) belongs to that import alone. Timed: the whole `import_file` call for the sales file
(read, parse, reference checks, insert, commit). Everything it creates is removed at the end: the
folder, the SQLite file, the PostgreSQL database.
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


def generate(folder: Path, rows: int, seed: int = 1) -> None:
    """Org files (10 regions, 100 districts, 1,000 sellers, 20,000 accounts, 500 products) and `rows` sales."""
    rng = np.random.default_rng(seed)
    n_reg, n_dist, n_sell, n_acc, n_prod = 10, 100, 1_000, 20_000, 500
    pd.DataFrame({"code": [f"R{i}" for i in range(n_reg)], "name": [f"Region {i}" for i in range(n_reg)]}) \
        .to_csv(folder / "regions.csv", index=False)
    pd.DataFrame({"code": [f"D{i}" for i in range(n_dist)], "name": [f"District {i}" for i in range(n_dist)],
                  "basis": "geographic", "region_code": [f"R{i % n_reg}" for i in range(n_dist)]}) \
        .to_csv(folder / "districts.csv", index=False)
    pd.DataFrame({"code": [f"S{i}" for i in range(n_sell)], "name": [f"Seller {i}" for i in range(n_sell)],
                  "email": [f"s{i}@example.com" for i in range(n_sell)],
                  "district_code": [f"D{i % n_dist}" for i in range(n_sell)], "valid_from": "2024-01-01"}) \
        .to_csv(folder / "sellers.csv", index=False)
    pd.DataFrame({"code": [f"A{i}" for i in range(n_acc)], "name": [f"Account {i}" for i in range(n_acc)],
                  "district_code": [f"D{i % n_dist}" for i in range(n_acc)], "segment": "",
                  "key_account": np.where(np.arange(n_acc) % 10 == 0, "true", "false"), "kam_seller_code": ""}) \
        .to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame({"code": [f"P{i}" for i in range(n_prod)], "name": [f"Product {i}" for i in range(n_prod)],
                  "product_group": [f"G{i % 12}" for i in range(n_prod)]}).to_csv(folder / "products.csv", index=False)
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
        "seller_code": pd.Series(rng.integers(0, n_sell, rows)).astype(str).radd("S"),
        "account_code": pd.Series(rng.integers(0, n_acc, rows)).astype(str).radd("A"),
        "product_code": pd.Series(rng.integers(0, n_prod, rows)).astype(str).radd("P"),
        "quantity": quantity, "amount": money(amount), "cost": money(cost),
    }).to_csv(folder / "sales.csv", index=False)


def run_backend(backend: str, folder: Path) -> None:
    """Import the generated files into a fresh database of `backend`; print the figures; drop the database."""
    from sqlalchemy import func, select, text
    from sqlalchemy.orm import Session

    from app import migrate
    from app.db import make_engine
    from app.imports.service import import_file
    from app.models import Sale

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
                import_file(session, dataset=dataset, data=(folder / f"{dataset}.csv").read_bytes(),
                            filename=f"{dataset}.csv")
            session.commit()
        data = (folder / "sales.csv").read_bytes()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        stages: dict[str, float] = {}
        start = time.perf_counter()

        def progress(stage: str, _done: int, _total: int) -> None:
            stages.setdefault(stage, time.perf_counter() - start)

        with Session(engine) as session:
            result = import_file(session, dataset="sales", data=data, filename="sales.csv", progress=progress)
            session.commit()
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with Session(engine) as session:
            stored = session.scalar(select(func.count()).select_from(Sale))
        assert stored == result.inserted == result.rows, (stored, result)
        # The same file again: every row compared, none written.
        start2 = time.perf_counter()
        with Session(engine) as session:
            again = import_file(session, dataset="sales", data=data, filename="sales.csv")
            session.commit()
        elapsed2 = time.perf_counter() - start2
        assert again.unchanged == result.rows, again
        timeline = ", ".join(f"{k} at {v:.1f}s" for k, v in stages.items())
        print(f"{backend:10s} {result.rows:>9,} rows in {elapsed:6.1f} s = {result.rows / elapsed:>9,.0f} rows/s; "
              f"peak RSS {peak / 1024:,.0f} MB (before the import {rss_before / 1024:,.0f} MB, "
              f"file {len(data) / 1e6:,.0f} MB); reload unchanged in {elapsed2:.1f} s "
              f"= {result.rows / elapsed2:,.0f} rows/s\n           stages: {timeline}", flush=True)
    finally:
        engine.dispose()
        if backend != "sqlite":
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["all", "sqlite", "postgresql"], default="all")
    parser.add_argument("--folder", help=argparse.SUPPRESS)  # internal: the parent's generated files
    args = parser.parse_args()
    if args.folder:
        run_backend(args.backend, Path(args.folder))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="sc_bench_"))
    try:
        start = time.perf_counter()
        generate(folder, args.rows)
        print(f"generated {args.rows:,} sales rows in {time.perf_counter() - start:.1f} s", flush=True)
        backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
        code = 0
        for backend in backends:
            done = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--backend", backend,
                                   "--folder", str(folder)], env={**os.environ, "PYTHONWARNINGS": "ignore"},
                                  check=False)
            code = code or done.returncode
        return code
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
