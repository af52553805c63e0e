"""The precomputer: after every data change, every unit's opening figures are in the cache, made from
that version of the data, and answer the requests that come after."""

import time
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.access import EVERYTHING
from app.db import make_engine
from app.models import Sale, Target
from app.reporting import budget
from app.reporting.cache import FIGURES
from app.precompute import Precomputer
from app.scorecards import service as scorecards
from tests.builders import (
    add_sales,
    add_targets,
    make_account,
    make_district,
    make_product,
    make_region,
    make_seller,
)


@pytest.fixture
def engine_with_sales(backend, empty_db_url):
    """A committed database: R1 with D1 (S1, S2) and D2 (S3); sales in January and February 2026."""
    migrate.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    with Session(engine) as session:
        r1 = make_region(session, code="R1")
        d1, d2 = make_district(session, code="D1", region=r1), make_district(session, code="D2", region=r1)
        sellers = {code: make_seller(session, code=code, district=d) for code, d in (("S1", d1), ("S2", d1),
                                                                                     ("S3", d2))}
        account, product = make_account(session, code="A1", district=d1), make_product(session, code="P1")
        add_sales(session, [Sale(id=sid, date=day, seller_id=sellers[seller].id, account_id=account.id,
                                 product_id=product.id, quantity=Decimal("1"), amount=Decimal(amount), cost=None)
                            for sid, day, seller, amount in (("x1", date(2026, 1, 10), "S1", "1000.00"),
                                                             ("x2", date(2026, 2, 5), "S1", "500.00"),
                                                             ("x3", date(2026, 2, 7), "S3", "250.00"))])
        add_targets(session, [Target(level="seller", unit_code="S1", kpi_code="revenue", month=date(2026, 2, 1),
                                     value=Decimal("1000"), source_period="2026-02")])
        session.commit()
        ids = {"S1": sellers["S1"].id, "account": account.id, "product": product.id}
    yield engine, ids
    engine.dispose()


def _opening_figures() -> Counter:
    """How many cards, overviews and trends the figure cache holds, per period."""
    return Counter((key[2], key[0]) for _, key in FIGURES.keys() if key[0] in ("scorecard", "children", "trend"))


def _revenue(card: dict) -> dict:
    return next(k for p in card["perspectives"] for k in p["kpis"] if k["code"] == "revenue")


def test_precomputed_figures_answer_requests_and_follow_each_import(engine_with_sales):
    engine, ids = engine_with_sales
    sessions = sessionmaker(bind=engine)
    # On 2026-04-10 the pages open on March (the last complete month); the latest sale is in February.
    pre = Precomputer(sessions, today=lambda: date(2026, 4, 10))
    assert pre.run_once() is True
    assert pre.run_once() is False  # nothing changed: nothing recomputed
    assert _opening_figures() == {("2026-02", "scorecard"): 7, ("2026-02", "children"): 4, ("2026-02", "trend"): 7,
                                  ("2026-03", "scorecard"): 7, ("2026-03", "children"): 4, ("2026-03", "trend"): 7}

    with sessions() as session:
        hits, misses = FIGURES.hits, FIGURES.misses
        card = scorecards.scorecard(session, scope=EVERYTHING, level="seller", code="S1", period="2026-02",
                                    range_="ytd")
        team = scorecards.children(session, scope=EVERYTHING, level="district", code="D1", period="2026-03",
                                   range_="ytd")
        trend = scorecards.trend(session, scope=EVERYTHING, level="company", code="-", period="2026-02", months=12)
        report = budget.variance_report(session, scope=EVERYTHING, from_="2026-01", to="2026-03", by=["district"],
                                        per_month=True)  # the budget page's first view on 2026-04-10
        # all four from the precomputer, and the seller and the district asked for too
        assert (FIGURES.hits - hits, FIGURES.misses - misses) == (6, 0)
        # by hand: D1 sold 1,000 in January and 500 in February, D2 250 in February; nothing in March
        assert {(r.district_code, r.period): r.actual_amount for r in report.rows.itertuples()} == {
            ("D1", "2026-01"): 1000.0, ("D1", "2026-02"): 500.0, ("D2", "2026-02"): 250.0}
        # by hand: S1 sold 1,000 + 500 in 2026 against a February target of 1,000
        assert _revenue(card)["actual"] == 1500.0 and _revenue(card)["target"] == 1000.0
        assert [c["code"] for c in team["children"]] == ["S1", "S2"]
        assert [p["kpis"]["revenue"]["actual"] for p in trend["points"][-2:]] == [1000.0, 750.0]
        FIGURES.clear()  # each one computed on its own gives the same answer
        assert card == scorecards.scorecard(session, scope=EVERYTHING, level="seller", code="S1",
                                            period="2026-02", range_="ytd")
        assert team == scorecards.children(session, scope=EVERYTHING, level="district", code="D1",
                                           period="2026-03", range_="ytd")
        assert trend == scorecards.trend(session, scope=EVERYTHING, level="company", code="-", period="2026-02",
                                         months=12)

        # A new sale (the data version moves): the next run puts the new figures in.
        add_sales(session, [Sale(id="x4", date=date(2026, 2, 20), seller_id=ids["S1"], account_id=ids["account"],
                                 product_id=ids["product"], quantity=Decimal("1"), amount=Decimal("300.00"),
                                 cost=None)])
        session.commit()
    FIGURES.clear()
    assert pre.run_once() is True
    with sessions() as session:
        misses = FIGURES.misses
        card = scorecards.scorecard(session, scope=EVERYTHING, level="seller", code="S1", period="2026-02",
                                    range_="ytd")
        assert FIGURES.misses == misses
        assert _revenue(card)["actual"] == 1800.0


def test_the_precomputer_runs_in_the_background_until_stopped(engine_with_sales):
    pre = Precomputer(sessionmaker(bind=engine_with_sales[0]), poll_seconds=0.05, today=lambda: date(2026, 3, 1))
    pre.start()
    try:
        deadline = time.monotonic() + 60
        while pre.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pre.runs == 1
        # one period: February is both the last complete month and the latest sale's
        assert _opening_figures() == {("2026-02", "scorecard"): 7, ("2026-02", "children"): 4,
                                      ("2026-02", "trend"): 7}
    finally:
        pre.stop()
    assert not pre._thread.is_alive()
