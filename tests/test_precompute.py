"""The precomputer: after every data change, every unit's opening figures are in the cache, made from
that version of the data, and answer the requests that come after."""

import math
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
from app.reporting.scorecards import (_card_scores, _overview_scores, _trend_scores, card_scores, overview_scores,
                                      trend_scores)
from app.reporting.units import Trees
from app.reporting.version import transaction_version
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


def _same_scores(found, own) -> bool:
    """Two `One`s (or what holds them: lists, dicts, dataclasses, rows) alike, NaN equal to NaN; a
    row's `entity` (which unit in a bulk scoring, which row in a unit's own) and a registry (frames)
    compared as the values they stand for."""
    if hasattr(found, "_fields"):  # an itertuples row
        return found._fields == own._fields and _same_scores(found._asdict() | {"entity": None},
                                                             own._asdict() | {"entity": None})
    if hasattr(found, "__dataclass_fields__"):
        if type(found).__name__ == "Registry":
            return all(_same_scores(getattr(found, f), getattr(own, f)) for f in found.__dataclass_fields__)
        return type(found) is type(own) and all(_same_scores(getattr(found, f), getattr(own, f))
                                                for f in found.__dataclass_fields__)
    if hasattr(found, "equals"):  # a registry's frames
        return found.equals(own)
    if isinstance(found, dict):
        return found.keys() == own.keys() and all(_same_scores(found[k], own[k]) for k in found)
    if isinstance(found, (list, tuple)):
        return len(found) == len(own) and all(_same_scores(a, b) for a, b in zip(found, own, strict=True))
    if isinstance(found, float) and math.isnan(found):
        return isinstance(own, float) and math.isnan(own)
    return found == own


@pytest.mark.parametrize(("period", "range_"), [("2026-02", "ytd"), ("2026-02", "month"), ("2026-03", "ytd")])
def test_precomputed_chart_scores_are_what_each_unit_scores_on_its_own(engine_with_sales, period, range_):
    """The scores the precomputer puts in for the card, overview and trend charts (made of the bulk
    scoring) equal each unit's own `_card_scores`, `_overview_scores` and `_trend_scores`, for every
    unit of the organization, and are what `card_scores`, `overview_scores` and `trend_scores` find.
    March: no sales loaded yet."""
    with Session(engine_with_sales[0]) as session:
        answers, scores = scorecards.precompute_with_scores(session, period=period, range_=range_)
        assert answers == scorecards.precompute(session, period=period, range_=range_)
        _, units = Trees(session).at_end_of(period)
        assert len(units) == 7  # the company, R1, D1, D2, S1, S2, S3
        assert set(scores) == ({("scored", "scorecard", key, period, range_) for key in units}
                               | {("scored", "children", key, period, range_) for key in units if key[0] != "seller"}
                               | {("scored", "trend", key, period, 12) for key in units})
        for key, unit in units.items():
            card = scores[("scored", "scorecard", key, period, range_)]
            assert _same_scores(card, _card_scores(session, unit, period, range_)), key
            if key[0] != "seller":
                overview = scores[("scored", "children", key, period, range_)]
                assert _same_scores(overview, _overview_scores(session, unit, period, range_)), key
            trend = scores[("scored", "trend", key, period, 12)]
            assert _same_scores(trend, _trend_scores(session, unit, period, 12)), key
        FIGURES.put_many(transaction_version(session), scores)
        misses = FIGURES.misses
        for key, unit in units.items():
            assert card_scores(session, unit, period, range_) is scores[("scored", "scorecard", key, period, range_)]
            if key[0] != "seller":
                assert overview_scores(session, unit, period, range_) is scores[("scored", "children", key, period,
                                                                                 range_)]
            assert trend_scores(session, unit, period, 12) is scores[("scored", "trend", key, period, 12)]
        assert FIGURES.misses == misses


def test_the_chart_scores_go_in_only_where_there_is_room(engine_with_sales, monkeypatch):
    """The precomputer puts the charts' scores in after the answers and the units, only as many as the
    cache has room for: they never push out an entry of the version (at 2,000 sellers and two
    periods the answers alone take about 13,000 of the default 20,000)."""
    sessions = sessionmaker(bind=engine_with_sales[0])
    Precomputer(sessions, today=lambda: date(2026, 3, 1)).run_once()
    everything = FIGURES.keys()
    scored = [key for _, key in everything if key[0] == "scored"]
    assert len(scored) == 7 + 4 + 7  # every unit's card, every overview, every trend (February, the one period)
    FIGURES.clear()
    monkeypatch.setattr(FIGURES, "max_entries", len(everything) - 5)
    Precomputer(sessions, today=lambda: date(2026, 3, 1)).run_once()
    kept = FIGURES.keys()
    assert [key for _, key in kept if key[0] != "scored"] == [key for _, key in everything if key[0] != "scored"]
    assert len([key for _, key in kept if key[0] == "scored"]) == len(scored) - 5
