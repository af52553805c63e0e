"""The cost of recording achievements after an import (`app.floor.achievements.record`), at scale.

    .venv/bin/python benchmarks/achievements.py [--rows 1000000] [--backend sqlite|postgresql|both] [--repeat 3] [--keep]

Workload: scorecard_bench's (numpy seed 1): 10 regions, 100 districts, 2,000 sellers (40 move district on
2026-04-01), 50,000 accounts, 500 products, N sales lines over 2024-11..2026-10, N/5 activities and
a target for every seller × KPI × month (revenue about what each seller typically sells, ±15 %, so
about half the seller-months reach 100 %; districts take their sellers' sum), loaded below the
importer, then `app.reporting.aggregates.rebuild`.

Timed, a new Session each call, committed (what `import_file` adds to every import that commits):
- first: `record` on a database with no achievement yet: every goal ever reached is inserted, with the
  day each was reached (the daily sales of every unit that reached something);
- again: `record` right after, nothing new (the cost every later import pays), --repeat times;
- celebrated: `meetings` marked as celebrated, then `record` (its months of the open fiscal year
  recorded), and again with nothing new.
Printed: the rows recorded, and where the time of a run with nothing new goes (figures, comparison).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scorecard_bench import generate, machine, workload_databases


def run_backend(backend: str, url: str, repeat: int) -> list[tuple]:
    from sqlalchemy import func, select, update
    from sqlalchemy.orm import Session

    from app.analytics.achievements import goals
    from app.db import make_engine
    from app.floor.achievements import record
    from app.models import Achievement, KpiDefinition
    from app.reporting.achievements import achievement_figures

    engine = make_engine(url)

    def once() -> tuple[float, int]:
        with Session(engine) as session:
            start = time.perf_counter()
            n = record(session)
            session.commit()
            return time.perf_counter() - start, n

    rows = []
    took, first_n = once()
    rows.append((backend, "first (nothing recorded yet), committed", [took], first_n))
    again = [once() for _ in range(repeat)]
    assert all(n == 0 for _, n in again), "a second run records nothing"
    rows.append((backend, "again, nothing new", [t for t, _ in again], 0))

    with Session(engine) as session:
        start = time.perf_counter()
        figures = achievement_figures(session)
        t_figures = time.perf_counter() - start
        found = goals(figures)
        t_goals = time.perf_counter() - start - t_figures
        stored = session.scalar(select(func.count()).select_from(Achievement))
    print(f"  {backend}: {first_n:,} achievements recorded ({stored:,} stored); of a run with nothing new: "
          f"figures {t_figures:.2f} s ({len(figures):,} unit-periods), rules {t_goals:.2f} s ({len(found):,} goals)",
          flush=True)

    with Session(engine) as session:
        session.execute(update(KpiDefinition).where(KpiDefinition.code == "meetings").values(celebrated=True))
        session.commit()
    took, n = once()
    rows.append((backend, "meetings celebrated: first", [took], n))
    again = [once() for _ in range(repeat)]
    rows.append((backend, "meetings celebrated: again, nothing new", [t for t, _ in again], 0))
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
    for backend, url in workload_databases(t, backends, prefix="sc_achievements_bench", keep=args.keep):
        rows += run_backend(backend, url, args.repeat)

    print(f"\n{'backend':<11}{'sales':>12}  {'record':<42}{'n':>3}{'median s':>10}{'max s':>8}{'recorded':>10}")
    for backend, name, times, n in rows:
        print(f"{backend:<11}{args.rows:>12,}  {name:<42}{len(times):>3}{statistics.median(times):>10.2f}"
              f"{max(times):>8.2f}{n:>10,}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
