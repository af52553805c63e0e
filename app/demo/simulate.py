"""What actually happens in the demo company: each seller's sales lines and activities, month by
month, drawn over the world (app/demo/world.py) from its random generator; the story's model
(performance, activity, hit rate and discount by seller and month) lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.demo.tables import (
    ACTIVITY_SEASON,
    AHEAD,
    BEHIND,
    DISCOUNTER,
    N_MONTHS,
    PRODUCTS,
    STORY_START,
    STRONG_DISTRICT,
    WEAK_DISTRICT,
)
from app.demo.world import DISTRICT_INFO, Calendar, Seller, World


@dataclass(frozen=True)
class SaleLines:
    """Every sales line as drawn (seller by seller, month by month; not yet in invoice order)."""

    day: np.ndarray
    sel: np.ndarray  # index into World.sellers
    acc: np.ndarray  # index into World.accounts
    prod: np.ndarray  # index into PRODUCTS
    qty: np.ndarray
    amount: np.ndarray  # øre
    cost: np.ndarray  # øre


# One seller's activities of one type in one month: days, seller index, type, accounts (-1: none), values.
ActivityPart = tuple[np.ndarray, int, str, np.ndarray, list[str]]


@dataclass(frozen=True)
class Ledger:
    """What actually happens: the sales lines and the activities."""

    sales: SaleLines
    activities: list[ActivityPart]


def perf(s: Seller, i: int) -> float:
    """Actual over plan for month i: the story lives here."""
    role = (s.home, s.position)
    f = s.skill
    story = i >= STORY_START  # the story's ten months
    if role in AHEAD:
        f = 1.22 if story else 1.04
    elif role in BEHIND:
        f = 0.9 - 0.022 * (i - STORY_START) if story else 0.97  # 0.90 in its first month to 0.70 in its last
    elif role == DISCOUNTER:
        f = 1.04 if story else 1.0
    d = s.district_at(i)
    if d == STRONG_DISTRICT and story:
        f *= 1.13
    if d == WEAK_DISTRICT and i >= 11:  # from 2025-10 on
        f *= max(0.72, 1 - 0.035 * (i - 10))
    return f


def hit_rate(s: Seller, i: int) -> float:
    role = (s.home, s.position)
    h = 0.5 if role in AHEAD else 0.32 if role in BEHIND and i >= 12 else s.hit
    if s.district_at(i) == WEAK_DISTRICT and i >= 6:  # falls from 2025-05
        h = max(0.16, h - 0.025 * (i - 5))
    return h


def discount(s: Seller, i: int) -> float:
    if (s.home, s.position) == DISCOUNTER and i >= STORY_START:
        return (0.14, 0.18)[i - STORY_START] if i - STORY_START < 2 else 0.23
    return s.discount


def activity_level(cal: Calendar, s: Seller, i: int) -> float:
    role = (s.home, s.position)
    a = s.activity
    if role in AHEAD:
        a = 1.15
    elif role in BEHIND and i >= 10:  # meetings fall from 2025-09
        a = max(0.55, 1.0 - 0.05 * (i - 9))
    if s.district_at(i) == STRONG_DISTRICT:
        a *= 1.08
    return a * ACTIVITY_SEASON[cal.month_no[i] - 1]


def simulate(world: World) -> Ledger:
    """Each seller's sales lines and then activities of each month with a plan (the draws' order)."""
    sale_parts: list[tuple[np.ndarray, ...]] = []
    act_parts: list[ActivityPart] = []
    for si, s in enumerate(world.sellers):
        for i in range(N_MONTHS):
            plan = world.plan_month(s, i)
            if plan <= 0:
                continue
            sale_parts.append(_month_sales(world, s, si, i, plan))
            act_parts.extend(_month_activities(world, s, si, i))
    lines = SaleLines(*(np.concatenate([p[k] for p in sale_parts]) for k in range(7)))
    return Ledger(sales=lines, activities=act_parts)


def _month_sales(world: World, s: Seller, si: int, i: int, plan: float) -> tuple[np.ndarray, ...]:
    """Seller `s`'s sales lines of month i: (day, seller, account, product, quantity, amount, cost)."""
    rng, pr = world.rng, world.products
    d = s.district_at(i)
    accounts, acc_p = s.portfolio(i)
    days = world.cal.weekdays[i]
    # Sales: draw lines until the month's revenue is reached (1.2 % extra for credit notes).
    goal = plan * perf(s, i) * rng.lognormal(0, 0.08) * 1.012 * 100
    n_max = int(goal / pr.mean_line[d] * 2.5) + 20
    prod = world.draw(np.arange(len(PRODUCTS)), pr.mix_cdf[DISTRICT_INFO[d][5]], n_max)
    qty = rng.integers(pr.qlo[prod], pr.qhi[prod] + 1)
    disc = np.clip(discount(s, i) + rng.uniform(-0.02, 0.02, n_max), 0, 0.4)
    unit = np.round(pr.list_price[prod] * (1 - disc)).astype(np.int64)
    amount = qty * unit
    # Keep the line that crosses the goal when at least half of it is needed: no bias.
    k = min(n_max, int(np.searchsorted(np.cumsum(amount) - amount / 2, goal)))
    prod, qty, amount = prod[:k], qty[:k], amount[:k]
    cost = qty * pr.cost[prod]
    acc = world.draw(accounts, acc_p, k)
    day = days[rng.integers(0, len(days), k)]
    # Credit notes: a return of part of an earlier line, all signs negative.
    n_cr = int(rng.binomial(k, 0.015))
    if n_cr:
        src = rng.choice(k, size=n_cr, replace=False)
        cq = np.maximum(1, (qty[src] * rng.uniform(0.2, 1.0, n_cr)).astype(np.int64))
        cunit = amount[src] // qty[src]
        prod = np.concatenate([prod, prod[src]])
        acc = np.concatenate([acc, acc[src]])
        day = np.concatenate([day, days[rng.integers(0, len(days), n_cr)]])
        amount = np.concatenate([amount, -cq * cunit])
        cost = np.concatenate([cost, -cq * pr.cost[prod[src]]])
        qty = np.concatenate([qty, -cq])
    return (day, np.full(len(qty), si), acc, prod, qty, amount, cost)


def _month_activities(world: World, s: Seller, si: int, i: int) -> list[ActivityPart]:
    """Seller `s`'s activities of month i, a part per type (empty parts left out)."""
    rng, cal = world.rng, world.cal
    d = s.district_at(i)
    accounts, acc_p = s.portfolio(i)
    days = cal.weekdays[i]
    lvl = activity_level(cal, s, i)
    rows: list[tuple[np.ndarray, str, np.ndarray, list[str]]] = []  # day, type, account, value
    for typ, rate in (("meeting", 14.0), ("proposal", 6.0)):
        n = int(rng.poisson(rate * lvl))
        rows.append((days[rng.integers(0, len(days), n)], typ, world.draw(accounts, acc_p, n), [""] * n))
    decided = int(rng.poisson(4.5 * lvl))
    won = int(rng.binomial(decided, hit_rate(s, i)))
    for typ, n in (("won", won), ("lost", decided - won)):
        rows.append((days[rng.integers(0, len(days), n)], typ, world.draw(accounts, acc_p, n), [""] * n))
    mondays = cal.mondays[i]
    calls = rng.poisson(7 * lvl, len(mondays))
    rows.append((mondays[calls > 0], "call", np.full(int((calls > 0).sum()), -1), [str(c) for c in calls[calls > 0]]))
    n = int(rng.poisson(0.55))
    hours = rng.choice(np.array(["2", "3", "4", "4", "7.5"]), n)
    rows.append((days[rng.integers(0, len(days), n)], "training_hours", np.full(n, -1), list(hours)))
    n = 0 if cal.month_no[i] == 7 else int(rng.poisson(1.1))
    rows.append((days[rng.integers(0, len(days), n)], "coaching_session", np.full(n, -1), [""] * n))
    # Rogaland holds none in the story's months, nor in the data's last year (so a year to date ending in
    # the story finds none, whatever month the demo is made in)
    last_year_from = N_MONTHS - int(cal.month_no[N_MONTHS - 1])
    if cal.month_no[i] in (1, 8) and not (d == WEAK_DISTRICT and i >= min(STORY_START, last_year_from)):
        rows.append((days[rng.integers(0, len(days), 1)], "goal_conversation", np.full(1, -1), [""]))
    n = int(rng.poisson(2.2))
    mu = s.csat - (0.55 if d == WEAK_DISTRICT and i >= 12 else 0.0)
    score = np.clip(np.round(rng.normal(mu, 0.7, n)), 1, 5).astype(int)
    rows.append((days[rng.integers(0, len(days), n)], "csat", world.draw(accounts, acc_p, n), [str(v) for v in score]))
    return [(day_a, si, typ, acc_a, val) for day_a, typ, acc_a, val in rows if len(day_a)]
