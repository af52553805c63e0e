"""The outlook (app.analytics.outlook): its backtest on the demo company and the benchmark workload, and
its speed over every unit of the benchmark workload.

    .venv/bin/python benchmarks/outlook.py [--rows 1000000] [--backend sqlite|postgresql|both] [--repeat 3]
        [--skip-demo] [--keep]

Backtest: for the last complete fiscal year of the data (2025: both datasets run 2024-11..2026-10),
from each of its months but the last, every unit (the company, each region, district and seller) and
each KPI that adds up over time is forecast as of that month, reading nothing after it, and compared
with where the year landed. Printed: how often the 80 % band [p10, p90] held the outcome (the goal:
75-85 %), overall, per level, per KPI and per as-of month; the Brier score of the probabilities of
reaching the target (mean (p − reached)², for the forecasts with a target; 0.25 is a coin's) beside
the Brier score of a forecaster that always says the base rate (the share of targets reached); and
the reliability table: per decile of the probability, the forecasts, their mean probability and the
share that reached the target.

- The demo company (`scorecard demo --today 2026-11-27`, into a temporary SQLite file): 52 sellers,
  seasonality profile, targets phased by it, a story of sellers ahead and behind.
- The benchmark workload (scorecard_bench's, numpy seed 1): 10 regions, 100 districts, 2,000 sellers,
  50,000 accounts, N sales lines over 2024-11..2026-10, N/5 activities, monthly targets for every seller
  (no seasonality profile: even months).

Speed, on the benchmark workload: the outlook of every unit (2,112 units, seven KPIs) as of
2026-10, computed from the database without the figure cache (`_year_outlook`), --repeat times (the
goal: under 10 s); beside it, as a baseline in the same process, `score_all` for the year to date
(every unit's scorecard at once) and the ratio of the two; and whether every unit's actual to date
is its scorecard's year to date (computed the other way: grouped in SQL per level).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scorecard_bench import generate, machine, workload_databases

LEVELS = ("company", "region", "district", "seller")


def print_backtest(label: str, url: str, year: int) -> None:
    from sqlalchemy.orm import Session

    from app.db import make_engine
    from app.reporting.outlook import backtest

    engine = make_engine(url)
    with Session(engine) as session:
        start = time.perf_counter()
        found = backtest(session, year)
        took = time.perf_counter() - start
    engine.dispose()
    every = found["all"]
    print(f"\n## Backtest: {label}, fiscal year {year}, from each of its first eleven months ({took:.1f} s)\n")
    print(f"{'forecasts of':<22}{'n':>8}{'in 80 % band':>14}{'Brier':>8}{'base-rate Brier':>17}{'with target':>13}")
    keys = ["all", *LEVELS, *sorted(k for k in found if "-" not in k and k not in ("all", *LEVELS))]
    keys += sorted(k for k in found if "-" in k)
    for key in keys:
        b = found[key]
        if not b.forecasts:
            continue
        brier = "–" if b.brier is None else f"{b.brier:.3f}"
        base = "–" if b.base_brier is None else f"{b.base_brier:.3f}"
        print(f"{key:<22}{b.forecasts:>8,}{b.coverage:>14.1%}{brier:>8}{base:>17}{b.scored:>13,}")
    print(f"\nreliability ({every.scored:,} forecasts with a target)\n")
    print(f"{'probability':<14}{'forecasts':>10}{'mean p':>9}{'reached':>9}")
    for name, n, mean, hit in every.reliability:
        print(f"{name:<14}{n:>10,}{'–' if mean is None else f'{mean:.1%}':>9}{'–' if hit is None else f'{hit:.1%}':>9}")


def time_outlook(backend: str, url: str, repeat: int) -> list[tuple]:
    from sqlalchemy.orm import Session

    from app.db import make_engine
    from app.reporting.outlook import _year_outlook
    from app.reporting.scorecards import score_all

    import numpy as np

    engine = make_engine(url)
    rows = []
    outlook_times, baseline_times = [], []
    units = 0
    for _ in range(repeat):
        with Session(engine) as session:
            start = time.perf_counter()
            found = _year_outlook(session, 2026, "2026-10")
            outlook_times.append(time.perf_counter() - start)
            units = len(found.units)
        with Session(engine) as session:
            start = time.perf_counter()
            scored = score_all(session, period="2026-10", range_="ytd")
            baseline_times.append(time.perf_counter() - start)
    engine.dispose()
    # the actual to date of every unit and KPI is the scorecard's year to date, computed the other way
    same = total = 0
    kpis = scored.kpis[scored.kpis["code"].isin(found.kpis)]
    for entity, code, actual in kpis[["entity", "code", "actual"]].itertuples(index=False):
        at = found.row.get(entity)
        if at is None:
            continue
        mine = found.per_kpi[code].actual_to_date[at]
        total += 1
        same += bool(np.isclose(mine, actual, rtol=0, atol=1e-6) or (np.isnan(mine) and np.isnan(actual)))
    print(f"  {backend}: actual to date = score_all's year to date for {same:,} of {total:,} unit-KPIs", flush=True)
    rows.append((backend, f"outlook of every unit ({units:,}), 7 KPIs", outlook_times))
    rows.append((backend, "baseline: score_all, year to date", baseline_times))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-demo", action="store_true", help="leave out the demo company's backtest")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the temp folder")
    args = parser.parse_args()
    print(machine(), flush=True)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)

    rows: list[tuple] = []
    if not args.skip_demo:
        with tempfile.TemporaryDirectory(prefix="sc_outlook_demo_") as folder:
            demo = Path(folder) / "demo.db"
            subprocess.run(
                [sys.executable, "-m", "app.cli", "demo", "--no-serve", "--today", "2026-11-27", "--database", str(demo)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            print_backtest("the demo company", f"sqlite:///{demo.as_posix()}", 2025)

    start = time.perf_counter()
    t = generate(args.rows)
    print(f"\ngenerated {len(t['sales']):,} sales, {len(t['activities']):,} activities, {len(t['targets']):,} "
          f"target rows in {time.perf_counter() - start:.1f} s", flush=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend, url in workload_databases(t, backends, prefix="sc_outlook_bench", keep=args.keep):
        if backend == "sqlite" or args.backend == "postgresql":
            print_backtest(f"the benchmark workload ({args.rows:,} sales lines)", url, 2025)
        rows += time_outlook(backend, url, args.repeat)

    print(f"\n## Speed\n\n{'backend':<11}{'sales':>12}  {'computed':<40}{'n':>3}{'median s':>10}{'max s':>8}")
    for backend, name, times in rows:
        print(f"{backend:<11}{args.rows:>12,}  {name:<40}{len(times):>3}{statistics.median(times):>10.2f}{max(times):>8.2f}")
    by_backend: dict[str, list] = {}
    for backend, _, times in rows:
        by_backend.setdefault(backend, []).append(statistics.median(times))
    for backend, (outlook_s, baseline_s) in by_backend.items():
        print(f"{backend}: outlook / score_all = {outlook_s / baseline_s:.2f}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
