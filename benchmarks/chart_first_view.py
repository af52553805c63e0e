"""Scorecard charts' first view after an import: each chart's first request once the figure
precomputer has run (what a reader gets first after every data change), and its second (cached).

    .venv/bin/python benchmarks/chart_first_view.py [--backend sqlite|postgresql] [--sellers 12] [--districts 4]
        [--today 2026-11-15] [--pg-database NAME] [--keep]

Data: the demo company (app.demo.generate, its default seed, data through the month before
--today), loaded through the import service into a fresh SQLite file in a temp folder (default) or
a new PostgreSQL database on the team's server (--backend postgresql: --pg-database, dropped at the
end unless --keep), with one administrator login.

Then, in this process: the app (`create_app(precompute=False)`, the database from DATABASE_URL) in a
FastAPI TestClient signed in as the administrator, and the figure precomputer run once
(`Precomputer.run_once`, what each app process does after an import: the pages' opening periods).
Its entries are counted and their memory measured (tracemalloc, over a second run from an empty
cache: what is held after it minus before). The period is the opening one (GET /data-status's
`open_period`), range ytd, lang en.

Timed, per chart kind, from the precomputer's cache (emptied and precomputed again before each kind,
so no kind finds what another one computed): GET /api/v1/charts/scorecards/{level}/{code}/kpis,
/perspectives, /trend (revenue, margin_pct and meetings, one row each, in that order: a unit's
first trend may pay for what the other two use) and /heatmap (not for sellers: none below them),
for --sellers sellers and --districts districts spread over the organization, every region and
the company; "first" is each unit's first request, "cached" the same request again.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import date
from pathlib import Path

import sqlalchemy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_throughput import PG_SERVER  # (the team's PostgreSQL server URL)

PASSWORD = "bench-password-1"
TREND_KPIS = ("revenue", "margin_pct", "meetings")
CHARTS = "/api/v1/charts/scorecards"


def load_demo(url: str, today: date) -> None:
    """The demo company into a migrated database at `url`, through the import service, and an admin."""
    from sqlalchemy.orm import Session

    from app import migrate
    from app.auth.service import create_user
    from app.db import make_engine
    from app.demo.generate import generate
    from app.imports.service import import_file

    started = time.perf_counter()
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        for dataset, text in generate(today=today).files.items():
            result = import_file(session, dataset=dataset, data=text.encode("utf-8"), filename=f"{dataset}.csv")
            session.commit()
            print(f"  {dataset:<11} {result.rows:>7} rows")
        create_user(session, email="admin@bench.example", password=PASSWORD, role="admin")
        session.commit()
    engine.dispose()
    print(f"demo company loaded in {time.perf_counter() - started:.1f} s")


def spread(items: list, n: int) -> list:
    """`n` of `items`, evenly spread (all of them when there are fewer)."""
    if len(items) <= n:
        return items
    return [items[i * len(items) // n] for i in range(n)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(url: str, sellers: int, districts: int, today: date) -> None:
    """Precompute, then time every chart kind's first and second request for the sampled units."""
    os.environ["DATABASE_URL"] = url
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from app.db import get_sessionmaker
    from app.main import create_app
    from app.models import District, Region, Seller
    from app.precompute import Precomputer
    from app.reporting.cache import FIGURES

    sessions = get_sessionmaker()
    with sessions() as session:
        units = (
            [("seller", c) for c in spread(list(session.scalars(select(Seller.code).order_by(Seller.code))), sellers)]
            + [
                ("district", c)
                for c in spread(list(session.scalars(select(District.code).order_by(District.code))), districts)
            ]
            + [("region", c) for c in session.scalars(select(Region.code).order_by(Region.code))]
            + [("company", "-")]
        )
    precomputer = Precomputer(sessions, today=lambda: today)  # the opening periods as on --today

    def precompute() -> float:
        """Seconds to fill the figure cache from empty, as after an import."""
        FIGURES.clear()
        precomputer.version = None
        started = time.perf_counter()
        precomputer.run_once()
        return time.perf_counter() - started

    seconds = precompute()  # the first run also pays for what any first query does once
    tracemalloc.start()
    FIGURES.clear()
    gc.collect()  # what the first run left for the collector is not counted
    before = tracemalloc.get_traced_memory()[0]
    precompute()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    seconds = precompute()
    print(f"precompute: {len(FIGURES)} cache entries, {held / 2**20:.1f} MiB held (tracemalloc), {seconds:.2f} s")

    with TestClient(create_app(precompute=False)) as client:
        token = client.post("/api/v1/auth/token", data={"username": "admin@bench.example", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        period = client.get("/api/v1/data-status", headers=headers).json()["open_period"]
        print(f"period {period}, {len(units)} units: {', '.join(f'{level} {code}' for level, code in units)}")
        kinds = [("kpis", "kpis", {}), ("perspectives", "perspectives", {})]
        kinds += [(f"trend {kpi}", "trend", {"kpi": kpi}) for kpi in TREND_KPIS]
        kinds += [("heatmap", "heatmap", {})]
        rows = []
        for group in ([kinds[0]], [kinds[1]], kinds[2:5], [kinds[5]]):  # the trends share their scores
            precompute()
            times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name, _, _ in group}
            for level, code in units:
                for name, path, params in group:
                    if path == "heatmap" and level == "seller":
                        continue
                    for timed in times[name]:
                        started = time.perf_counter()
                        got = client.get(
                            f"{CHARTS}/{level}/{code}/{path}", params={"period": period, **params}, headers=headers
                        )
                        timed.append((time.perf_counter() - started) * 1000)
                        assert got.status_code == 200, (got.status_code, got.text[:200])
            rows += [(name, first, cached) for name, (first, cached) in times.items()]
    print()
    print("| chart | n | first median ms | first p95 ms | cached median ms | cached p95 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, first, cached in rows:
        print(
            f"| {name} | {len(first)} | {statistics.median(first):.1f} | {pct(first, 0.95):.1f} "
            f"| {statistics.median(cached):.1f} | {pct(cached, 0.95):.1f} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-database", default=f"chart_first_view_{uuid.uuid4().hex[:8]}")
    parser.add_argument("--sellers", type=int, default=12)
    parser.add_argument("--districts", type=int, default=4)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 15))
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="chart-first-view-"))
    admin = sqlalchemy.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    if args.backend == "postgresql":
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{args.pg_database}"'))
        url = f"{PG_SERVER}/{args.pg_database}"
    else:
        url = f"sqlite:///{(folder / 'bench.db').as_posix()}"
    try:
        load_demo(url, args.today)
        measure(url, args.sellers, args.districts, args.today)
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
            if args.backend == "postgresql":
                from app.db import get_engine

                get_engine().dispose()
                with admin.connect() as conn:
                    conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{args.pg_database}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
