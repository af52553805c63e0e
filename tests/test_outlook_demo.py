"""The outlook on the demo company: every unit and month of 2026 computes (a July without coaching
sessions, a seller hired mid-year, moves), the band is ordered, the actual to date is the year's sum
computed plainly from the demo's own files, and the backtest of 2025 holds the band's goal."""

import io
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine
from app.demo.command import build_demo
from app.precompute import Precomputer
from app.reporting.cache import FIGURES
from app.reporting.outlook import _year_outlook, backtest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("outlook_demo") / "demo.db"
    company, _ = build_demo(path, today=date(2026, 11, 27))  # the data ends on 31 October 2026
    files = {name: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
             for name, text in company.files.items()}
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    yield engine, files
    engine.dispose()


@pytest.mark.parametrize("as_of", [f"2026-{m:02d}" for m in range(1, 11)])
def test_every_unit_and_kpi_of_every_month_of_2026(demo, as_of):
    engine, files = demo
    with Session(engine) as session:
        found = _year_outlook(session, 2026, as_of)
    levels = pd.Series([u.level for u in found.units]).value_counts().to_dict()
    hired = files["sellers"][files["sellers"]["valid_from"] <= f"{as_of}-28"]["code"].nunique()
    assert levels == {"company": 1, "region": len(files["regions"]), "district": len(files["districts"]),
                      "seller": hired}
    for kpi, o in found.per_kpi.items():
        has = o.basis != "none"
        q = o.quantiles[has]
        assert not np.isnan(q).any(), kpi
        assert (q[:, 0] <= q[:, 1] + 1e-9).all() and (q[:, 1] <= q[:, 2] + 1e-9).all(), kpi
        assert (q[:, 0] >= o.actual_to_date[has] - 1e-9).all(), kpi
        p = o.probability[~np.isnan(o.probability)]
        assert ((p >= 0) & (p <= 1)).all(), kpi
        # a target reached already is certain
        reached = o.actual_to_date >= o.target
        assert (o.probability[reached] == 1).all(), kpi


def test_the_actual_to_date_is_the_years_sum_of_the_demo_files(demo):
    engine, files = demo
    with Session(engine) as session:
        found = _year_outlook(session, 2026, "2026-10")
    sales = files["sales"].assign(amount=lambda f: f["amount"].astype(float))
    year = sales[sales["date"].str.startswith("2026-")]
    by_seller = year.groupby("seller_code")["amount"].sum()
    revenue = found.per_kpi["revenue"]
    for unit in found.units:
        if unit.level == "seller":
            expected = by_seller.get(unit.code, 0.0)
            assert revenue.actual_to_date[found.row[unit.key]] == pytest.approx(expected, abs=0.005), unit.code
    assert revenue.actual_to_date[found.row[("company", "")]] == pytest.approx(year["amount"].sum(), abs=0.005)


def test_the_backtest_of_2025_holds_the_goal(demo):
    engine, _ = demo
    with Session(engine) as session:
        found = backtest(session, 2025)
    every = found["all"]
    # the goal: an 80 % band that holds 75-85 % of the outcomes; probabilities better than a base rate
    assert every.forecasts > 5000
    assert 0.75 <= every.coverage <= 0.85, every.coverage
    assert every.brier < every.base_brier
    assert sum(n for _, n, _, _ in every.reliability) == every.scored


def test_the_precomputer_makes_the_outlook_the_pages_open_on(demo):
    engine, _ = demo
    FIGURES.clear()
    Precomputer(sessionmaker(engine), today=lambda: date(2026, 11, 27)).run_once()
    with Session(engine) as session:
        found = FIGURES.get_or_compute(session, ("outlook", 2026, "2026-10"), lambda: pytest.fail("not precomputed"))
        # what a request computes by itself
        again = _year_outlook(session, 2026, "2026-10")
    assert np.array_equal(found.per_kpi["revenue"].quantiles, again.per_kpi["revenue"].quantiles, equal_nan=True)
