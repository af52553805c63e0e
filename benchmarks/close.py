"""The close at scale: locking a month (its snapshot), the restatement diff and the snapshot's JSON read.

    .venv/bin/python benchmarks/close.py [--rows 1000000] [--backend sqlite|postgresql|both] [--repeat 3] [--keep]

Workload: scorecard_bench's (numpy seed 1): 10 regions, 100 districts, 2,000 sellers, 50,000 accounts,
500 products, N sales lines over 2024-11..2026-10, N/5 activities and monthly targets for every seller
and KPI, loaded the same way (below the importer, then `app.reporting.aggregates.rebuild`), plus
variance_bench's budget (seed 7) for every district × product of the period 2026-10 (50,000 rows), so
the snapshot's variance has a row for every district × product that has a budget or a sale.

Timed (median and max of --repeat, a new Session each call, the figure cache emptied before each
but where said):
- lock: `app.close.locks.lock` of 2026-10 by a finance user, committed: the month's variance by
  district and product (computed fresh), every unit's scorecard for the month and the year to date
  (`score_all` twice) and their bulk insert; each repeat unlocks it again first (not timed);
- diff: `app.close.snapshots.diff` (the live figures computed again and compared), as finance; and
  again with the data unchanged (the figure cache kept: what the budget page's next load costs);
- list: `snapshots.list_for` as finance (counts and stored totals, no rows read);
- read: `snapshots.read` (the stored rows read back as JSON-ready records), and the same through HTTP
  (GET /api/v1/snapshots/{id} with an API token with budgets:read, TestClient: routing, auth, JSON).
Printed: the rows stored (variance rows, score rows) and the JSON's size.
Everything it creates is removed at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scorecard_bench import PERIOD, generate, machine, workload_databases
from variance_bench import add_budgets


def timed(
    fn: Callable[[], object], repeat: int, before: Callable[[], None] | None = None
) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def run_backend(backend: str, url: str, repeat: int) -> list[tuple]:
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from app.access import EVERYTHING
    from app.close import locks, snapshots
    from app.db import get_session, make_engine
    from app.main import create_app
    from app.models import SnapshotScore, SnapshotVariance, User
    from app.reporting.cache import FIGURES
    from app.tokens.service import create_token

    engine = make_engine(url)
    with Session(engine) as session:
        finance = User(email="finance@bench.example", password_hash="-", role="finance")
        session.add(finance)
        session.flush()
        token = create_token(session, user=finance, name="bench", scopes=["budgets:read"], expires_in_days=None).token
        session.commit()
        finance_id = finance.id

    def lock() -> int:
        FIGURES.clear()
        with Session(engine, expire_on_commit=False) as session:
            answer = locks.lock(session, period=PERIOD, user=session.get(User, finance_id))
            session.commit()
            return int(answer["snapshot_id"])

    def unlock() -> None:
        with Session(engine) as session:
            if PERIOD in locks.locked_months(session):
                locks.unlock(session, period=PERIOD, user=session.get(User, finance_id))
                session.commit()

    rows = []
    lock_times, snapshot_id = timed(lock, repeat, before=unlock)
    with Session(engine) as session:
        n_var = session.scalar(select(func.count()).where(SnapshotVariance.snapshot_id == snapshot_id))
        n_score = session.scalar(select(func.count()).where(SnapshotScore.snapshot_id == snapshot_id))
    rows.append((backend, "lock (take the snapshot), committed", lock_times))

    def diff() -> dict:
        FIGURES.clear()
        with Session(engine) as session:
            found = snapshots.diff(session, scope=EVERYTHING, snapshot_id=int(snapshot_id))  # type: ignore[arg-type]
            assert found is not None and found["restated"] is False, "a diff right after the lock lists nothing"
            return found

    diff_times, _ = timed(diff, repeat)
    rows.append((backend, "diff (live figures against it)", diff_times))

    def diff_again() -> dict:  # the budget page's next load: the live figures from the figure cache
        with Session(engine) as session:
            found = snapshots.diff(session, scope=EVERYTHING, snapshot_id=int(snapshot_id))  # type: ignore[arg-type]
            assert found is not None
            return found

    diff_again()
    again_times, _ = timed(diff_again, repeat)
    rows.append((backend, "diff again, data unchanged (cached live figures)", again_times))

    def listing() -> dict:
        with Session(engine) as session:
            return snapshots.list_for(session, scope=EVERYTHING, period=None)

    list_times, _ = timed(listing, repeat)
    rows.append((backend, "list the snapshots (GET /snapshots)", list_times))

    def read() -> dict:
        with Session(engine) as session:
            found = snapshots.read(session, scope=EVERYTHING, snapshot_id=int(snapshot_id))  # type: ignore[arg-type]
            assert found is not None
            return found

    read_times, _ = timed(read, repeat)
    rows.append((backend, "read (JSON-ready records)", read_times))

    app = create_app(precompute=False)

    def session_override():
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    size = 0
    with TestClient(app) as client:

        def http() -> None:
            nonlocal size
            got = client.get(f"/api/v1/snapshots/{snapshot_id}", headers={"Authorization": f"Bearer {token}"})
            assert got.status_code == 200, got.text
            size = len(got.content)

        http_times, _ = timed(http, repeat)
    rows.append((backend, "GET /snapshots/{id} (HTTP, JSON)", http_times))
    print(f"  {backend}: snapshot {snapshot_id} of {PERIOD}: {n_var:,} variance rows, {n_score:,} score rows "
          f"stored; JSON {size / 1e6:.1f} MB", flush=True)
    engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the databases and the temp folder")
    args = parser.parse_args()
    print(machine(), flush=True)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)

    start = time.perf_counter()
    t = generate(args.rows)
    print(f"generated {len(t['sales']):,} sales, {len(t['activities']):,} activities, {len(t['targets']):,} "
          f"target rows in {time.perf_counter() - start:.1f} s", flush=True)

    rows: list[tuple] = []
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]

    def budgets(url: str) -> str:
        return f"{add_budgets(url, [PERIOD]):,} budget rows"

    for backend, url in workload_databases(t, backends, prefix="sc_close_bench", keep=args.keep, prepare=budgets):
        rows += run_backend(backend, url, args.repeat)

    print(f"\n{'backend':<11}{'rows':>12}  {'call':<40}{'n':>3}{'median s':>10}{'max s':>8}")
    for backend, name, times in rows:
        print(f"{backend:<11}{args.rows:>12,}  {name:<40}{len(times):>3}{statistics.median(times):>10.2f}"
              f"{max(times):>8.2f}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
