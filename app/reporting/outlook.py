"""The year's outlook of every unit, read from the monthly aggregates and the targets and computed by
app.analytics.outlook (the method is there), for the routes, the charts and the backtest.

`year_outlook` computes the company, every region, district and seller at once for a (fiscal year,
as-of month): one grouped query per fact table at seller × district × month and one of the accounts'
first sales (`_read_facts`: up to 24 months before the year, through as_of; nothing after as_of is
read, so an outlook as of a past month is what could have been said then), summed to each level and
its year to date in pandas, and one query for the year's targets; cached under the data version.
An account's is computed on its own (`account_outlook`), its band read from the sellers' errors.
Which KPIs: the built-in KPIs that add up over time (PRODUCT.md §2), those of the
unit's card (an account's leaves out the people KPIs)."""

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.analytics import outlook as model
from app.analytics.actuals import actuals_from_sums
from app.analytics.kpis import KPI_BY_CODE, SALES_SUMS, ActivityTotals
from app.analytics.periods import fiscal_year_start, last_complete_month, month_span, month_start, shift_month
from app.analytics.targets import resolve_plans
from app.analytics.variance import fiscal_months
from app.models import AccountFirstSale, ActivitiesMonthly, District, SalesMonthly, Seasonality
from app.reporting import cache as figure_cache
from app.reporting import sql
from app.reporting.dates import data_dates
from app.reporting.facts import ALL, activity_sums, read_frame, sales_sums
from app.reporting.registry import Registry, load_registry
from app.reporting.unit_targets import summed_targets
from app.reporting.units import Trees, Unit, card_registry

# KPIs that count afresh every fiscal year (an account is a new customer in its first year only, and
# the first months of data count every account as new): read from the year's own months only
YEARLY = frozenset({"new_customers"})
HISTORY_MONTHS = 24  # months before the fiscal year the level and the errors are read from
LEVELS = (("company", None), ("region", "region"), ("district", "district"), ("seller", "seller"))


def outlook_kpis(registry: Registry) -> list[str]:
    """The KPIs an outlook is made for: the built-in ones that add up over time, in display order."""
    kpis = registry.kpis
    return list(kpis.loc[(kpis["time_rollup"] == "sum") & ~kpis["manual"], "code"])


class BadOutlook(ValueError):
    """An outlook that cannot be made, and the query parameter to blame (`year` or `as_of`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def resolve_as_of(
    session: Session, year: int | None, as_of: str | None, today: date | None = None
) -> tuple[int, list[str], str]:
    """The fiscal year, its months and the as-of month. as_of: the one given, or the month of the
    latest sale (never a month still running), capped at the year's end; the year: the one given, or
    the fiscal year of as_of. BadOutlook, saying why, for a year without data and an as_of outside
    the year or after the data loaded."""
    start_month = load_registry(session).fiscal_start_month
    latest = data_dates(session).sales_month
    if latest is None:
        raise BadOutlook("year", "no sales are loaded yet")
    if year is None:
        year = int(fiscal_year_start(as_of or min(latest, last_complete_month(today or date.today())), start_month)[:4])
    months = fiscal_months(year, start_month)
    if latest < months[0]:
        raise BadOutlook(
            "year", f"fiscal year {year} ({months[0]} to {months[-1]}) has no sales yet; the latest are of {latest}"
        )
    if as_of is None:
        return year, months, max(months[0], min(latest, last_complete_month(today or date.today()), months[-1]))
    if as_of not in months:
        raise BadOutlook("as_of", f"as_of {as_of} is outside fiscal year {year} ({months[0]} to {months[-1]})")
    if as_of > latest:
        raise BadOutlook("as_of", f"as_of {as_of} is after the latest sales loaded ({latest})")
    return year, months, as_of


def profile(session: Session) -> list[float]:
    """The seasonality profile's twelve weights (calendar months 1-12; even where none is loaded)."""
    rows = {int(m): float(w) for m, w in session.execute(select(Seasonality.month, Seasonality.weight)).all()}
    return [rows.get(m, 0.0) for m in range(1, 13)] if rows else [1.0] * 12


@dataclass(frozen=True)
class YearOutlook:
    """Every unit's outlook for a fiscal year as of a month: `units` (in rows' order) and `row` (a unit's
    key to its row), `columns` (the months of the history and the year), `upto` and `year_end` (their
    columns of as_of and the year's last month), `monthly` (per KPI, units × columns, figures through
    as_of), `per_kpi` (per KPI, its Outlook), `pools` (per KPI, the sellers' errors, for accounts) and
    `weights` (per KPI, each column's seasonal weight, `kpi_weights`)."""

    year: int
    as_of: str
    months: list[str]
    kpis: list[str]
    columns: list[str]
    upto: int
    year_end: int
    units: list[Unit]
    row: dict[tuple[str, str], int]
    monthly: dict[str, np.ndarray]
    per_kpi: dict[str, model.Outlook]
    pools: dict[str, model.Pool]
    weights: dict[str, np.ndarray]
    first: np.ndarray  # each unit's first column with a fact of its own


@dataclass(frozen=True)
class _Facts:
    """The facts every unit's outlook is read from, at the grain of seller × district × month (the
    district of the seller on the fact's date, as the aggregates keep it): `sales` (seller_id,
    district_id, month; amount, margin, lines, costed_lines: int64 cents and counts), `acts`
    (seller_id, district_id, month, type; value in hundredths, n) and `new` (account_id, seller_id,
    district_id, year, month: an account whose first sale ever falls in a fiscal year, and the first
    month of that year in which it bought from the seller in the district). Each level's figures are
    sums of these; its new customers of a month are the accounts it first sold to in that month of the
    account's first year, so that the months of a year add up to the year's `new_customers` as a
    scorecard counts it (first sale ever in the range, a purchase from the unit in the range), not
    to the accounts' first months alone (an account first bought from another seller in March and
    from this one in May is this one's new customer of May)."""

    sales: pd.DataFrame
    acts: pd.DataFrame
    new: pd.DataFrame


def activity_types(kpis: list[str]) -> list[str]:
    """The activity types the formulas of `kpis` read (app.analytics.kpis), found by running each
    formula once on nothing and noting what it asks for: the outlook reads no other activities."""
    asked: list[str] = []

    class Noting(ActivityTotals):
        def _sum(self, kinds: tuple[str, ...], measure: int) -> pd.Series:
            asked.extend(kinds)
            return super()._sum(kinds, measure)

    index = pd.Index([ALL])
    nothing = pd.DataFrame(0, index=index, columns=SALES_SUMS, dtype="int64")
    noting = Noting(pd.DataFrame({"group": [], "type": [], "value": [], "n": []}), index)
    for code in kpis:
        KPI_BY_CODE[code].formula(nothing, noting)
    return sorted(set(asked))


def _read_facts(session: Session, history: list[str], fiscal_start: int, kpis: list[str]) -> _Facts:
    """Three grouped queries and one of first sales per fiscal year over the aggregates, for every
    unit at once; of the activities, the types the outlook's KPIs read."""
    sm, am, afs = SalesMonthly, ActivitiesMonthly, AccountFirstSale
    first, last = month_start(history[0]), month_start(history[-1])
    sm_month, am_month = sql.month_text(session, sm.month), sql.month_text(session, am.month)
    sales = read_frame(
        session,
        select(
            sm.seller_id,
            sm.district_id,
            sm_month,
            *(sql.big_sum(c) for c in (sm.amount, sm.margin, sm.lines, sm.costed_lines)),
        )
        .where(sm.month >= first, sm.month <= last)
        .group_by(sm.seller_id, sm.district_id, sm_month),
        ["seller_id", "district_id", "month", "amount", "margin", "lines", "costed_lines"],
    )
    acts = read_frame(
        session,
        select(am.seller_id, am.district_id, am_month, am.type, sql.big_sum(am.value), sql.big_sum(am.n))
        .where(am.month >= first, am.month <= last, am.type.in_(activity_types(kpis)))
        .group_by(am.seller_id, am.district_id, am_month, am.type),
        ["seller_id", "district_id", "month", "type", "value", "n"],
    )
    parts = [pd.DataFrame({"account_id": [], "seller_id": [], "district_id": [], "month": [], "year": []})]
    since = str(sales["month"].min()) if len(sales) else history[-1]  # the first month with sales
    years = list(dict.fromkeys(fiscal_year_start(m, fiscal_start) for m in history))
    for year_from in years:
        y0 = month_start(max(year_from, history[0]))
        y1 = month_start(min(shift_month(year_from, 11), history[-1]))
        # an earlier year with under four months of sales gives no new customers' error (they count from
        # the third month of a year): not read (the first months of data, where every account is new)
        if (
            year_from != years[-1]
            and len(month_span(max(year_from, since), y1.isoformat()[:7])) <= model.METHOD.min_months
        ):
            continue
        stmt = (
            select(sm.account_id, sm.seller_id, sm.district_id, func.min(sm_month))
            .join(afs, afs.account_id == sm.account_id)
            .where(sm.sale_lines > 0, sm.month >= y0, sm.month <= y1)
            .where(afs.month >= month_start(year_from), afs.month <= y1)
            .group_by(sm.account_id, sm.seller_id, sm.district_id)
        )
        part = read_frame(session, stmt, ["account_id", "seller_id", "district_id", "month"])
        parts.append(part.assign(year=year_from))
    new = pd.concat(parts, ignore_index=True)
    return _Facts(
        sales.astype(dict.fromkeys(("amount", "margin", "lines", "costed_lines"), "int64")),
        acts.astype({"value": "int64", "n": "int64", "type": str}),
        new,
    )


def _unit_of(frame: pd.DataFrame, level: str, region_of: dict) -> pd.Series:
    """Each fact row's unit at `level`: its seller, its district, its district's region (NaN: none),
    or ALL (the company)."""
    if level == "seller":
        return frame["seller_id"]
    if level == "district":
        return frame["district_id"]
    if level == "region":
        return frame["district_id"].map(region_of)
    return pd.Series(ALL, index=frame.index, dtype=object)


def _sums(sales: pd.DataFrame, new: pd.Series, keys: list[str]) -> pd.DataFrame:
    """SALES_SUMS per group of `keys` of the fact rows (the sums the outlook's KPIs do not read are 0)."""
    summed = sales.groupby(keys, sort=False)[["amount", "margin", "lines", "costed_lines"]].sum()
    out = pd.DataFrame(0, index=summed.index, columns=SALES_SUMS, dtype="int64")
    out[["amount", "margin", "lines", "costed_lines"]] = summed
    return out.assign(new=new.reindex(summed.index, fill_value=0).astype("int64"))


def _level_figures(facts: _Facts, level: str, region_of: dict, ytd: list[str]):  # noqa: ANN202
    """One level's KPIs per (unit, month) (indexed by (unit, month) tuples), whether the unit had a fact
    in the month, and its KPIs over the year to date (indexed by unit), all from the facts' sums."""
    sales = facts.sales.assign(unit=_unit_of(facts.sales, level, region_of)).dropna(subset=["unit"])
    acts = facts.acts.assign(unit=_unit_of(facts.acts, level, region_of)).dropna(subset=["unit"])
    bought = facts.new.assign(unit=_unit_of(facts.new, level, region_of)).dropna(subset=["unit"])
    # each account once per unit and year, in the first month the unit sold to it
    # (sorted and deduplicated rather than grouped with min: a min of text per group runs in Python)
    first_sold = bought.sort_values("month", kind="stable").drop_duplicates(["unit", "year", "account_id"])
    new = first_sold.groupby(["unit", "month"]).size()
    sums = _sums(sales, new, ["unit", "month"])
    per_type = acts.groupby(["unit", "month", "type"], sort=False)[["value", "n"]].sum().reset_index()
    keys = list(dict.fromkeys([*sums.index, *zip(per_type["unit"], per_type["month"], strict=True)]))
    index = pd.Index(keys, tupleize_cols=False, dtype=object)
    sums.index = pd.Index(list(sums.index), tupleize_cols=False, dtype=object)
    per_type = per_type.assign(group=list(zip(per_type["unit"], per_type["month"], strict=True)))
    values = actuals_from_sums(sums.reindex(index, fill_value=0), per_type)
    had = set(sums.index[sums["lines"] > 0]) | set(per_type.loc[per_type["n"] > 0, "group"])

    in_ytd = sales["month"].isin(ytd)
    new_ytd = first_sold[first_sold["month"].isin(ytd)].groupby("unit").size()
    ytd_sums = _sums(sales[in_ytd], new_ytd, ["unit"])
    ytd_types = acts[acts["month"].isin(ytd)].groupby(["unit", "type"], sort=False)[["value", "n"]].sum().reset_index()
    to_date = actuals_from_sums(ytd_sums, ytd_types.rename(columns={"unit": "group"}))
    return values, np.array([k in had for k in keys], dtype=bool), to_date


def _matrix(values: pd.DataFrame, had: np.ndarray, groups: list, columns: list[str], kpis: list[str]):  # noqa: ANN202
    """Per KPI a (groups × columns) matrix of the monthly figures (0 where none; a null gross margin of
    a month without costs counts 0), and each group's first column with a fact (len(columns): none)."""
    at_group = {g: i for i, g in enumerate(groups)}
    at_col = {m: j for j, m in enumerate(columns)}
    keys = list(values.index)
    rows = np.array([at_group.get(g, -1) for g, _ in keys], dtype="int64")
    cols = np.array([at_col.get(m, -1) for _, m in keys], dtype="int64")
    ok = (rows >= 0) & (cols >= 0)
    out = {}
    for kpi in kpis:
        matrix = np.zeros((len(groups), len(columns)))
        matrix[rows[ok], cols[ok]] = np.nan_to_num(values[kpi].to_numpy(dtype="float64", na_value=np.nan)[ok])
        out[kpi] = matrix
    first = np.full(len(groups), len(columns), dtype="int64")
    hit = ok & had
    np.minimum.at(first, rows[hit], cols[hit])
    return out, first


def year_outlook(session: Session, year: int, as_of: str) -> YearOutlook:
    """Every unit's outlook (the company, regions, districts, sellers at the end of as_of), cached."""
    return figure_cache.get_or_compute(session, ("outlook", year, as_of), lambda: _year_outlook(session, year, as_of))


def kpi_weights(kpi: str, company: np.ndarray, columns: list[str], upto: int, sales: np.ndarray) -> np.ndarray:
    """The seasonal weight of each column for `kpi`: a sales KPI reads against the seasonality profile
    (`sales`); an activity KPI against the organization's own months of it (`company`: its monthly
    totals) where there is a year of them, else even months (work done is not phased as sales are)."""
    if KPI_BY_CODE[kpi].facts == "sales":
        return sales
    own = model.own_weights(company, columns, upto)
    return own if own is not None else model.profile_weights(np.ones(12), columns)


def fiscal_starts(columns: list[str], fiscal_start: int) -> np.ndarray:
    """Each column's fiscal year's first column (may be before the first: negative)."""
    starts = [fiscal_year_start(m, fiscal_start) for m in columns]
    first = columns[0]
    return np.array([columns.index(s) if s >= first else -len(month_span(s, first)) + 1 for s in starts], dtype="int64")


def _frame_of(session: Session, year: int, as_of: str) -> tuple[Registry, list[str], list[str], list[str], int, int]:
    registry = load_registry(session)
    months = fiscal_months(year, registry.fiscal_start_month)
    columns = month_span(shift_month(months[0], -HISTORY_MONTHS), months[-1])
    return registry, months, outlook_kpis(registry), columns, columns.index(as_of), len(columns) - 1


def _year_outlook(session: Session, year: int, as_of: str) -> YearOutlook:
    registry, months, kpis, columns, upto, year_end = _frame_of(session, year, as_of)
    history = columns[: upto + 1]
    to_date_months = months[: months.index(as_of) + 1]
    trees = Trees(session)
    children, units_by_key = trees.at_end_of(as_of)
    facts = _read_facts(session, history, registry.fiscal_start_month, kpis)
    region_of = dict(session.execute(select(District.id, District.region_id)).all())
    units: list[Unit] = []
    monthly: dict[str, list[np.ndarray]] = {k: [] for k in kpis}
    firsts, to_dates = [], []
    for level, by in LEVELS:
        mine = [u for key, u in units_by_key.items() if key[0] == level]
        if not mine:
            continue
        units += mine
        groups = [ALL] if by is None else [u.id for u in mine]
        values, had, to_date_of = _level_figures(facts, level, region_of, to_date_months)
        matrices, first = _matrix(values, had, groups, columns, kpis)
        for k in kpis:
            monthly[k].append(matrices[k])
        firsts.append(first)
        to_dates.append(to_date_of.reindex(groups, fill_value=0))  # a unit without facts: 0; a null margin stays null
    keys = [u.key for u in units]
    own = summed_targets(session, registry, months, keys)
    targets, _ = resolve_plans(own, units=keys, children=children, additive=registry.additive, kpis=kpis)
    sales_w = model.profile_weights(profile(session), columns)
    year_start = fiscal_starts(columns, registry.fiscal_start_month)
    first = np.concatenate(firsts)
    to_date = pd.concat(to_dates)
    levels_of = np.array([u.level for u in units])
    per_kpi, pools, stacked, weights = {}, {}, {}, {}
    for k in kpis:
        actual = np.vstack(monthly[k])
        stacked[k] = actual
        # (row 0 is the company's: LEVELS starts with it, and every tree has it)
        w = weights[k] = kpi_weights(k, actual[0], columns, upto, sales_w)
        ys = year_start if k in YEARLY else None
        counts = KPI_BY_CODE[k].unit == "count"
        lv = model.levels(actual[:, : upto + 1], first, w[: upto + 1], year_start=ys, counts=counts)
        pool = _level_pools(actual, lv, w, levels_of, upto, year_end, ys)
        per_kpi[k] = _by_level(
            actual,
            first,
            w,
            lv,
            upto,
            year_end,
            pool,
            levels_of,
            ys,
            to_date[k].to_numpy(dtype="float64", na_value=np.nan),
            targets[k].to_numpy(dtype="float64"),
        )
        pools[k] = pool["seller"]
    return YearOutlook(
        year,
        as_of,
        months,
        kpis,
        columns,
        upto,
        year_end,
        units,
        {key: i for i, key in enumerate(keys)},
        stacked,
        per_kpi,
        pools,
        weights,
        first,
    )


def _level_pools(actual, lv, w, levels_of, upto, year_end, year_start) -> dict[str, model.Pool]:  # noqa: ANN001
    """The errors each level's band is read from: its own units', merged with every level's where its
    own are too few at a horizon (the company alone has a handful)."""
    horizons = max(year_end - upto, 1)
    own = {}
    for level in ("company", "region", "district", "seller"):
        mine = levels_of == level
        sub = model.Levels(lv.level[mine], lv.noise[mine], lv.n_eff[mine], lv.months[mine])
        own[level] = model.Pool(
            model.errors(actual[mine][:, : upto + 1], sub, w, upto=upto, horizons=horizons, year_start=year_start)
        )
    everyone = own["company"].merged(own["region"]).merged(own["district"]).merged(own["seller"])
    return {
        level: pool if all(pool.count(h) >= model.METHOD.min_samples for h in range(1, horizons + 1)) else everyone
        for level, pool in own.items()
    }


def _by_level(actual, first, w, lv, upto, year_end, pools, levels_of, year_start, to_date, target) -> model.Outlook:  # noqa: ANN001
    """One Outlook over every unit, each level's rows banded by its own pool."""
    parts = {}
    for level in ("company", "region", "district", "seller"):
        mine = np.flatnonzero(levels_of == level)
        if not len(mine):
            continue
        sub = model.Levels(lv.level[mine], lv.noise[mine], lv.n_eff[mine], lv.months[mine])
        parts[level] = (
            mine,
            model.outlook(
                actual[mine],
                first[mine],
                w,
                upto=upto,
                year_end=year_end,
                to_date=to_date[mine],
                target=target[mine],
                pool=pools[level],
                lv=sub,
                year_start=year_start,
            ),
        )
    n = actual.shape[0]
    left = year_end - upto
    quantiles, path = np.full((n, 3), np.nan), np.full((n, max(left, 0), 3), np.nan)
    probability, basis = np.full(n, np.nan), np.full(n, "none", dtype=object)
    bands = set()
    for mine, o in parts.values():
        quantiles[mine], path[mine], probability[mine], basis[mine] = o.quantiles, o.path, o.probability, o.basis
        bands.add(o.band)
    band = "model" if "model" in bands else "empirical"
    return model.Outlook(to_date, target, quantiles, path, probability, basis, band)


def account_outlook(session: Session, unit: Unit, year: int, as_of: str) -> tuple[list[str], model.Outlook, np.ndarray]:
    """One account's outlook (its card's KPIs that add up over time), banded by the sellers' errors:
    (the KPIs, the Outlook with a row per KPI, the monthly figures: KPIs × columns)."""
    registry, months, _, columns, upto, year_end = _frame_of(session, year, as_of)
    kpis = outlook_kpis(card_registry(registry, "account"))
    history = columns[: upto + 1]
    # one account: its monthly sums (activities from the raw rows, as its card reads them) and its year to date
    sums = sales_sums(session, months=history, level="account", unit_id=unit.id, by="month")
    acts = activity_sums(session, months=history, level="account", unit_id=unit.id, by="month")
    sums.index = pd.Index([(ALL, m) for m in sums.index], tupleize_cols=False)
    acts = acts.assign(group=[(ALL, m) for m in acts["group"]])
    keys = list(dict.fromkeys([*sums.index, *acts["group"]]))
    index = pd.Index(keys, tupleize_cols=False, dtype=object)
    values = actuals_from_sums(sums.reindex(index, fill_value=0), acts)
    had = set(sums.index[sums["lines"] > 0]) | set(acts.loc[acts["n"] > 0, "group"])
    matrices, first = _matrix(values, np.array([k in had for k in keys], dtype=bool), [ALL], columns, kpis)
    ytd = months[: months.index(as_of) + 1]
    to_date = actuals_from_sums(
        sales_sums(session, months=ytd, level="account", unit_id=unit.id).reindex([ALL], fill_value=0),
        activity_sums(session, months=ytd, level="account", unit_id=unit.id),
    )
    own = summed_targets(session, registry, months, [unit.key])
    targets, _ = resolve_plans(own, units=[unit.key], children={}, additive=registry.additive, kpis=kpis)
    everyone = year_outlook(session, year, as_of)
    actual = np.vstack([matrices[k] for k in kpis])
    rows = [
        model.outlook(
            matrices[k],
            first,
            everyone.weights[k],
            upto=upto,
            year_end=year_end,
            to_date=to_date[k].to_numpy(dtype="float64", na_value=np.nan),
            target=targets[k].to_numpy(dtype="float64"),
            pool=everyone.pools.get(k),
            year_start=fiscal_starts(columns, registry.fiscal_start_month) if k in YEARLY else None,
        )
        for k in kpis
    ]
    joined = model.Outlook(
        np.concatenate([o.actual_to_date for o in rows]),
        np.concatenate([o.target for o in rows]),
        np.vstack([o.quantiles for o in rows]),
        np.concatenate([o.path for o in rows]),
        np.concatenate([o.probability for o in rows]),
        np.concatenate([o.basis for o in rows]),
        "model" if any(o.band == "model" for o in rows) else "empirical",
    )
    return kpis, joined, actual


def backtest(session: Session, year: int) -> dict[str, model.Backtest]:
    """How the outlook of a past fiscal year held, from each of its months but the last: every unit
    (company, regions, districts, sellers) and KPI forecast as of that month (with nothing after it
    read) against where the year landed. Keys: "all", each level, each KPI, and each as-of month."""
    months = fiscal_months(year, load_registry(session).fiscal_start_month)
    final = _year_outlook(session, year, months[-1])
    parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for as_of in months[:-1]:
        made = _year_outlook(session, year, as_of)
        levels_of = np.array([u.level for u in made.units])
        landed_at = np.array([final.row.get(u.key, -1) for u in made.units])
        known = landed_at >= 0
        for k in made.kpis:
            o = made.per_kpi[k]
            outcome = np.where(known, final.per_kpi[k].actual_to_date[np.maximum(landed_at, 0)], np.nan)
            for key, rows in (
                ("all", known),
                *((level, known & (levels_of == level)) for level in ("company", "region", "district", "seller")),
                (k, known),
                (as_of, known),
            ):
                counts = model.backtest_counts(outcome[rows], o.quantiles[rows], o.probability[rows], o.target[rows])
                parts.setdefault(key, []).append(counts)
    return {
        key: model.summarize(*(np.concatenate([c[i] for c in found]) for i in range(3))) for key, found in parts.items()
    }
