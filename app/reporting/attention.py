"""Needs attention for the whole organization: every red KPI of every district and seller at the end of a
period, with what it costs, how many months it has been red and the area it points to
(app.analytics.attention). Who may see which item is the caller's matter (app.steering.attention).

The red KPIs are those of `score_all` over the range asked for. Each one's `months_red` and each
seller's six red months come from the month scores (each month scored on its own, `score_all` with
range `month`), read back from the period only as far as some item still needs: a month's red KPIs
and red sellers are kept in the figure cache, and so is the whole answer, under the data version
(an import counts it up).
"""

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.analytics.attention import MONTHS_RED_MAX, RECRUITING_MONTHS, TEAM_KPIS, costs, pick_areas, weight_shares
from app.analytics.periods import month_start, range_months, shift_month
from app.analytics.scorecard import status
from app.models import ActivitiesMonthly
from app.reporting import cache as figure_cache
from app.reporting.registry import load_registry
from app.reporting.scorecards import Scored, score_all
from app.reporting.units import Trees, Unit

LEVELS = ("district", "seller")  # the units an item is of; districts first in the order
GOAL_CONVERSATION = "goal_conversation"

COLUMNS = [
    "level",
    "code",
    "name",
    "unit_id",
    "district_code",
    "kpi",
    "kpi_name",
    "kpi_name_nb",
    "unit",
    "perspective",
    "actual",
    "target",
    "attainment",
    "status",
    "cost",
    "months_red",
    "area",
    "rule",
    # the facts the rules read (app.analytics.attention)
    "seller_red_six_months",
    "goal_conversations_in_range",
    "meetings_red",
    "proposals_red",
    "district_red_share",
]


@dataclass(frozen=True)
class MonthReds:
    """One month scored on its own: the red (unit key, KPI code) pairs of its districts and sellers,
    and the sellers whose overall month status is red (overall score below 0.9)."""

    kpis: frozenset[tuple[tuple[str, str], str]]
    sellers: frozenset[tuple[str, str]]


def red_items(session: Session, *, period: str, range_: str) -> pd.DataFrame:
    """Every red KPI of every district and seller of the organization at the end of `period`, over the
    range ending at it (COLUMNS), most costly first; then districts before sellers, by code and KPI
    code. Cached: treat it as read-only."""
    key: Hashable = ("attention", period, range_)
    return figure_cache.get_or_compute(session, key, lambda: _red_items(session, period, range_))


def _month_reds_of(scored: Scored) -> MonthReds:
    kpis = scored.kpis
    red = kpis[(kpis["status"] == "red").to_numpy() & _levels(kpis["entity"]).isin(LEVELS).to_numpy()]
    overall = scored.overall
    sellers = overall[np.array([entity[0] == "seller" for entity in overall.index], dtype=bool)]
    red_sellers = sellers.index[(status(sellers) == "red").to_numpy()]  # below 0.9; no score is no status
    return MonthReds(
        frozenset(zip(red["entity"], red["code"], strict=True)),
        frozenset(red_sellers),
    )


def month_reds(session: Session, month: str, scored: Scored | None = None) -> MonthReds:
    """`month`'s MonthReds (cached); from `scored` when given (that month already scored on its own)."""
    return figure_cache.get_or_compute(
        session,
        ("attention-month", month),
        lambda: _month_reds_of(scored if scored is not None else score_all(session, period=month, range_="month")),
    )


def _levels(entities: pd.Series) -> pd.Series:
    return pd.Series([entity[0] for entity in entities], index=entities.index, dtype=object)


def goal_conversations(session: Session, months: list[str]) -> tuple[dict[int, int], dict[int, int]]:
    """Goal conversations (activity rows of type `goal_conversation`) held in `months`: (by seller id,
    by district id), a district's being its sellers' in it on each conversation's date (as its
    activities are counted)."""
    am = ActivitiesMonthly
    rows = session.execute(
        select(am.seller_id, am.district_id, func.sum(am.n))
        .where(
            am.type == GOAL_CONVERSATION,
            am.month >= month_start(months[0]),
            am.month <= month_start(months[-1]),
        )
        .group_by(am.seller_id, am.district_id)
    ).all()
    by_seller: dict[int, int] = {}
    by_district: dict[int, int] = {}
    for seller_id, district_id, n in rows:
        by_seller[seller_id] = by_seller.get(seller_id, 0) + int(n or 0)
        by_district[district_id] = by_district.get(district_id, 0) + int(n or 0)
    return by_seller, by_district


def _months_back(
    session: Session, period: str, pairs: list[tuple[tuple[str, str], str]], sellers: set[tuple[str, str]]
) -> tuple[dict, set[tuple[str, str]]]:
    """(months red in a row ending at `period`, by (unit key, KPI code), up to MONTHS_RED_MAX; the
    sellers of `sellers` whose overall month status was red in each of the RECRUITING_MONTHS months
    ending at `period`). Reads the months back only while some pair or seller still needs them."""
    streak = dict.fromkeys(pairs, 0)
    alive = set(pairs)
    red_six = set(sellers)
    for back in range(max(MONTHS_RED_MAX, RECRUITING_MONTHS)):
        checking_six = back < RECRUITING_MONTHS and bool(red_six)
        counting = back < MONTHS_RED_MAX and bool(alive)
        if not (checking_six or counting):
            break
        reds = month_reds(session, shift_month(period, -back))
        if counting:
            alive &= reds.kpis
            for pair in alive:
                streak[pair] += 1
        if checking_six:
            red_six &= reds.sellers
    return streak, red_six


def _red_items(session: Session, period: str, range_: str) -> pd.DataFrame:
    registry = load_registry(session)
    tree, units_by_key = Trees(session).at_end_of(period)
    scored = score_all(session, period=period, range_=range_)
    if range_ == "month":
        month_reds(session, period, scored)  # the period's month is this scoring: kept for the months back
    kpis = scored.kpis
    levels = _levels(kpis["entity"])
    mine = kpis[levels.isin(LEVELS).to_numpy()]
    red = mine[(mine["status"] == "red").to_numpy()].reset_index(drop=True)
    if red.empty:
        return pd.DataFrame(columns=COLUMNS)

    # the district of each seller on the period's last day, and each district's sellers then
    district_of: dict[tuple[str, str], tuple[str, str]] = {}
    for key in units_by_key:
        if key[0] == "district":
            for kid in tree.get(key, []):
                district_of[kid] = key
    red_pairs = set(zip(red["entity"], red["code"], strict=True))
    share: dict[tuple[tuple[str, str], str], float] = {}
    for key in units_by_key:
        if key[0] != "district":
            continue
        kids = [k for k in tree.get(key, []) if k[0] == "seller"]
        for code in TEAM_KPIS:
            share[(key, code)] = sum((k, code) in red_pairs for k in kids) / len(kids) if kids else float("nan")

    entities = list(red["entity"])
    pairs = list(zip(entities, red["code"], strict=True))
    red_sellers = {e for e in entities if e[0] == "seller"}
    streak, red_six = _months_back(session, period, pairs, red_sellers)
    by_seller, by_district = goal_conversations(session, range_months(period, range_, registry.fiscal_start_month))

    units: list[Unit] = [units_by_key[e] for e in entities]
    district_keys = [e if e[0] == "district" else district_of.get(e) for e in entities]
    held = [
        (by_district if u.level == "district" else by_seller).get(u.id, 0) if u.id is not None else 0 for u in units
    ]
    shares = weight_shares(registry.kpis, registry.perspectives)
    facts = red.assign(
        level=[e[0] for e in entities],
        code=[e[1] for e in entities],
        name=[u.name for u in units],
        unit_id=[u.id for u in units],
        district_code=[d[1] if d is not None else None for d in district_keys],
        kpi=red["code"],
        kpi_name=red["name"],
        kpi_name_nb=red["name_nb"],
        months_red=[streak[p] for p in pairs],
        seller_red_six_months=[e in red_six for e in entities],
        goal_conversations_in_range=held,
        meetings_red=[(e, "meetings") in red_pairs for e in entities],
        proposals_red=[(e, "proposals") in red_pairs for e in entities],
        district_red_share=[
            share.get((d, code), float("nan")) if d is not None else float("nan")
            for d, code in zip(district_keys, red["code"], strict=True)
        ],
    )
    facts = facts.assign(
        cost=costs(facts["attainment"], facts["kpi"].map(shares).fillna(0.0)),
        _order=np.where(facts["level"] == "district", 0, 1),
    )
    picked = pick_areas(facts).sort_values(
        ["cost", "_order", "code", "kpi"], ascending=[False, True, True, True], kind="stable"
    )
    return picked[COLUMNS].reset_index(drop=True)
