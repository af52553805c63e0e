"""When a goal counts as reached: the sales floor's achievements (pure: no database, no web).

A seller or a district reaches a goal when its figure for a period passes it (PRODUCT.md §5, "The
sales floor"). `RULES` is the table of goals: the README's table ("Achievements: when a goal counts")
is this table written out, and a test keeps the two equal. `goals` applies it to a frame of figures,
one row per unit, KPI and period:

| column | what it holds |
| --- | --- |
| level, code | `seller` or `district`, and the unit's code |
| kpi | the KPI's code |
| span, period | `month` and 'YYYY-MM', or `year` and 'YYYY' (the fiscal year that starts in that year) |
| direction | `higher` or `lower` (is better) |
| celebrated | whether an administrator marks the KPI as celebrated (revenue counts whatever it says) |
| actual, target, stretch | float64, as the scorecard has them for the unit and period (NaN: none) |

A goal exists where its base (the target, or the stretch) is known and the target is above 0; the
revenue goals are compared exactly, in ten-thousandths (`app.analytics.targets.to_units`: revenue is
whole cents, targets have four decimals), so 1,200.00 passes 120 % of 1,000 and 1,199.99 does not;
a celebrated KPI's goal is reached when its attainment (`app.analytics.scorecard.attainment`, actual
/ target, or target / actual where lower is better) is at least 1, as its status turns green at the
default threshold.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.analytics.scorecard import attainment
from app.analytics.targets import SCALE, to_units

REVENUE = "revenue"
CELEBRATED = "celebrated"  # a rule's `kpi` for every KPI an administrator marks as celebrated
THRESHOLD_ORDER = ("100", "120", "stretch")


@dataclass(frozen=True)
class Rule:
    rule: str
    kpi: str  # REVENUE, or CELEBRATED: any other KPI marked as celebrated
    span: str  # month or year
    threshold: str  # 100, 120 or stretch (Achievement.threshold)
    base: str  # the figure the goal is made of: target or stretch
    factor: tuple[int, int]  # goal = base × numerator / denominator
    text: str  # when it is reached, in English: the README table's last column
    text_nb: str  # the same in Norwegian bokmål


RULES: tuple[Rule, ...] = (
    Rule(
        "revenue_month_100",
        REVENUE,
        "month",
        "100",
        "target",
        (1, 1),
        "The month's revenue reaches the month's target",
        "Månedens omsetning når månedens mål",
    ),
    Rule(
        "revenue_month_120",
        REVENUE,
        "month",
        "120",
        "target",
        (6, 5),
        "The month's revenue reaches 120 % of the month's target",
        "Månedens omsetning når 120 % av månedens mål",
    ),
    Rule(
        "revenue_month_stretch",
        REVENUE,
        "month",
        "stretch",
        "stretch",
        (1, 1),
        "The month's revenue reaches the month's stretch (where one is set)",
        "Månedens omsetning når månedens strekkmål (der det er satt)",
    ),
    Rule(
        "revenue_year_100",
        REVENUE,
        "year",
        "100",
        "target",
        (1, 1),
        "The fiscal year's revenue so far reaches the year's target: the sum of its twelve months' targets",
        "Regnskapsårets omsetning så langt når årets mål: summen av de tolv månedenes mål",
    ),
    Rule(
        "revenue_year_120",
        REVENUE,
        "year",
        "120",
        "target",
        (6, 5),
        "The fiscal year's revenue so far reaches 120 % of the year's target",
        "Regnskapsårets omsetning så langt når 120 % av årets mål",
    ),
    Rule(
        "revenue_year_stretch",
        REVENUE,
        "year",
        "stretch",
        "stretch",
        (1, 1),
        "The fiscal year's revenue so far reaches the year's stretch: each month's stretch, or its target where "
        "it has none, summed (when some month has a stretch)",
        "Regnskapsårets omsetning så langt når årets strekkmål: hver måneds strekkmål, eller målet der den ikke "
        "har noe, summert (når en måned har strekkmål)",
    ),
    Rule(
        "celebrated_month_100",
        CELEBRATED,
        "month",
        "100",
        "target",
        (1, 1),
        "A KPI an administrator marks as celebrated: the month's attainment reaches 100 % (target / actual where "
        "lower is better)",
        "En KPI administratoren markerer som feiret: månedens måloppnåelse når 100 % (mål / faktisk der lavere er "
        "bedre)",
    ),
)

GOAL_COLUMNS = ["threshold", "rule", "goal", "met"]  # what `goals` adds to the figures' columns
_BY_GOAL = {(r.kpi, r.span, r.threshold): r for r in RULES}


def _passes(actual_units: np.ndarray, base_units: np.ndarray, factor: tuple[int, int]) -> np.ndarray:
    """actual ≥ base × n / d, exactly: actual · d ≥ base · n in integers of 1 / SCALE."""
    num, den = factor
    return actual_units * den >= base_units * num


def goals(figures: pd.DataFrame) -> pd.DataFrame:
    """Every goal the rules give `figures` (the columns of the module's docstring), reached or not: the
    figure's row (all its columns) with threshold, rule, goal and met, once per rule that applies to it
    and gives it a goal.

    goal = base × factor (the target, 1.2 × the target, or the stretch; float64, the float nearest to
    the exact value); met: for revenue, actual ≥ goal exactly in units of 1 / SCALE (actual · d ≥
    base · n for a factor n / d); for a celebrated KPI, attainment ≥ 1. No goal where the base is
    NaN or the target is not above 0; a NaN actual reaches nothing.
    """
    parts = []
    positive = (figures["target"].astype("float64") > 0).to_numpy()
    for r in RULES:
        if r.kpi == REVENUE:
            mine = figures["kpi"] == REVENUE
        else:
            mine = (figures["kpi"] != REVENUE) & figures["celebrated"].astype(bool)
        base = figures[r.base].astype("float64")
        applies = (mine & (figures["span"] == r.span)).to_numpy() & positive & base.notna().to_numpy()
        if not applies.any():
            continue
        rows = figures[applies]
        base_units = to_units(base[applies])
        actual = rows["actual"].astype("float64").to_numpy()
        has = ~np.isnan(actual)
        if r.kpi == REVENUE:
            met = has & _passes(to_units(np.where(has, actual, 0.0)), base_units, r.factor)
        else:
            att = attainment(rows["actual"], rows[r.base], rows["direction"]).to_numpy()
            met = ~np.isnan(att) & (att >= 1.0)
        num, den = r.factor
        parts.append(rows.assign(threshold=r.threshold, rule=r.rule, goal=base_units * num / (den * SCALE), met=met))
    if not parts:
        empty = figures.iloc[:0]
        return empty.assign(**{c: pd.Series(dtype="bool" if c == "met" else object) for c in GOAL_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def _days(values: pd.Series) -> pd.Series:
    """Dates (or datetimes) as datetime64[ns], one unit for every frame merged on them."""
    return pd.to_datetime(values).astype("datetime64[ns]")


def first_reached(wanted: pd.DataFrame, daily: pd.DataFrame) -> pd.Series:
    """The day each revenue goal of `wanted` was first reached: the first day on which the unit's
    running total from the period's first day (Σ cents of the days from `first_day` through it) passes
    the goal by its rule, exactly as `goals` compares (actual · d ≥ base · n, so the least total that
    passes is ⌈base · n / (100 · d)⌉ cents). `wanted`: goals' rows of revenue (level, code, span,
    threshold, first_day, last_day, target, stretch); `daily`: level, code, day, cents (int64). A
    Series of dates (None where the running total never passes it) aligned with `wanted`.

    A credit note may take the running total down again: the first day it passes counts, found on
    the running maximum (which never falls) by binary search, per period of a unit."""
    out = pd.Series([None] * len(wanted), index=wanted.index, dtype=object)
    if wanted.empty or daily.empty:
        return out
    need = np.zeros(len(wanted), dtype="int64")
    for (span, threshold), index in wanted.groupby(["span", "threshold"]).indices.items():
        r = _BY_GOAL[(REVENUE, span, threshold)]
        num, den = r.factor
        base = to_units(wanted[r.base].to_numpy(dtype="float64")[index])
        need[index] = -((-base * num) // ((SCALE // 100) * den))
    keys = ["level", "code", "span", "first_day", "last_day"]
    periods = wanted[keys].drop_duplicates().reset_index(drop=True)
    periods = periods.assign(
        _p=np.arange(len(periods)), _from=_days(periods["first_day"]), _to=_days(periods["last_day"])
    )
    text = {"level": object, "code": object}
    periods = periods.astype(text)
    days = daily.astype(text).assign(_day=_days(daily["day"])).sort_values("_day", kind="stable")
    parts = []
    for span in ("month", "year"):  # a unit's periods of one span do not overlap: each day falls in one
        mine = periods[periods["span"] == span].sort_values("_from", kind="stable")
        if mine.empty:
            continue
        placed = pd.merge_asof(
            days,
            mine[["level", "code", "_from", "_to", "_p"]],
            left_on="_day",
            right_on="_from",
            by=["level", "code"],
            direction="backward",
        )
        placed = placed[placed["_p"].notna() & (placed["_day"] <= placed["_to"])]
        parts.append(placed[["_p", "_day", "cents"]].astype({"_p": "int64"}))
    run = pd.concat(parts, ignore_index=True).sort_values(["_p", "_day"], kind="stable")
    group = run["_p"].to_numpy(dtype="int64")
    best = run["cents"].astype("int64").groupby(group).cumsum().groupby(group).cummax().to_numpy(dtype="int64")
    day = run["_day"].dt.date.to_numpy(dtype=object)
    at = wanted[keys].merge(periods[[*keys, "_p"]], on=keys, how="left")["_p"].to_numpy(dtype="int64")
    lo, hi = np.searchsorted(group, at, "left"), np.searchsorted(group, at, "right")
    found = []
    for i in range(len(wanted)):
        k = lo[i] + int(np.searchsorted(best[lo[i] : hi[i]], need[i], "left"))
        found.append(day[k] if k < hi[i] else None)
    return pd.Series(found, index=wanted.index, dtype=object)
