"""The figures achievements are made of (app.analytics.achievements): every seller's and district's
revenue against its targets, and the celebrated KPIs' months, as the scorecard computes them.

`achievement_figures` reads, in a handful of grouped queries, what `score_all` would score for each
unit and period, without scoring every KPI of every unit:

- revenue, for every month with a revenue target (of a seller or a district) and every fiscal year
  holding such a month ('YYYY': the fiscal year that starts in that year, twelve months from the
  `fiscal_year_start_month` setting). The actual is the unit's revenue over the month, or over the
  fiscal year so far (a seller's: all of the seller's sales; a district's: the sales made in it), from
  the monthly aggregates. The target is the unit's own (a year's: the sum of its months' targets);
  a district without one takes the sum of its sellers' on the period's last day (a year's: the
  fiscal year's last day), as `app.analytics.targets.resolve_targets` does. The stretch is the sum of
  each month's stretch, or its target where it has none, when some month (or seller) has one.
  Sellers are those assigned to a district on the period's last day, as in the scorecard.
- each KPI an administrator marks as celebrated, for each month of the open fiscal year (the fiscal
  year of the latest month with sales or activities) through the latest month with data: its actual
  as the scorecard's month (app.analytics.actuals, manual KPIs from kpi_values) and its target
  resolved likewise. Earlier years of a celebrated KPI are not looked at again: an import then costs
  twelve months of grouped sums at most.

A period whose facts are not loaded yet (after the latest sale or activity) has no actual (NaN), as
the scorecard shows none; app.analytics.freshness has the rule.

Nothing here uses the figure cache: it runs inside an import's transaction, after the data version
was counted up and before the commit.
"""

from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from app.analytics.achievements import REVENUE
from app.analytics.actuals import actuals_from_sums
from app.analytics.freshness import ACTIVITY_KPIS, SALES_KPIS, mask_unloaded
from app.analytics.kpis import DEFAULT_FISCAL_YEAR_START_MONTH, KPI_BY_CODE, SALES_SUMS
from app.analytics.periods import fiscal_year_start, month_end_iso, month_span, month_start, shift_month
from app.analytics.targets import SCALE, from_units
from app.models import (
    ActivitiesMonthly,
    Activity,
    AppSetting,
    District,
    KpiDefinition,
    KpiValue,
    Sale,
    SalesMonthly,
    Seller,
    SellerDistrict,
    Target,
)
from app.reporting import sql
from app.reporting.facts import activity_sums, read_frame, sales_sums

LEVELS = ("seller", "district")
FIGURE_COLUMNS = [
    "level",
    "code",
    "kpi",
    "span",
    "period",
    "first_day",
    "last_day",
    "direction",
    "celebrated",
    "actual",
    "target",
    "stretch",
    "data_day",
]
CHUNK = 900  # ids per IN list


# --- the organization per period end ---------------------------------------------------------------


def _assignments(session: Session) -> pd.DataFrame:
    """Every seller's assignments: seller_id, seller (code), district_id, district (code), valid_from
    (datetime64), sorted by valid_from."""
    frame = read_frame(
        session,
        select(
            SellerDistrict.seller_id, Seller.code, SellerDistrict.district_id, District.code, SellerDistrict.valid_from
        )
        .join(Seller, Seller.id == SellerDistrict.seller_id)
        .join(District, District.id == SellerDistrict.district_id),
        ["seller_id", "seller", "district_id", "district", "valid_from"],
    )
    frame = frame.astype({"seller": object, "district": object})
    valid_from = pd.to_datetime(frame["valid_from"]).astype("datetime64[ns]")
    return frame.assign(valid_from=valid_from).sort_values("valid_from", kind="stable")


def _members(assignments: pd.DataFrame, ends: dict[str, date]) -> pd.DataFrame:
    """Who belonged where at each period's end (`ends`: period -> its last day): period, seller
    (code), seller_id, district (code), district_id, one row per seller assigned by then (the
    assignment with the latest valid_from on or before the day)."""
    columns = ["period", "seller", "seller_id", "district", "district_id"]
    if assignments.empty or not ends:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    sellers = assignments[["seller_id"]].drop_duplicates()
    days = pd.DataFrame({"period": list(ends), "day": pd.to_datetime(list(ends.values())).astype("datetime64[ns]")})
    grid = sellers.merge(days, how="cross").sort_values("day", kind="stable")
    at = pd.merge_asof(
        grid, assignments, left_on="day", right_on="valid_from", by="seller_id", direction="backward"
    ).dropna(subset=["district_id"])
    return at.astype({"district_id": "int64"})[columns].reset_index(drop=True)


# --- targets ----------------------------------------------------------------------------------------


def _target_rows(session: Session, kpis: list[str], first: date | None, last: date | None) -> pd.DataFrame:
    """Target rows of sellers and districts for `kpis` from month `first` to `last` (None: every
    month): level, code, kpi, month ('YYYY-MM'), units (int64, 1 / SCALE), reach (the stretch, or the
    target where it has none), stretched (bool: a stretch is set)."""
    frame = read_frame(
        session,
        select(
            Target.level,
            Target.unit_code,
            Target.kpi_code,
            sql.month_text(session, Target.month),
            sql.scaled(session, SCALE, Target.value),
            sql.scaled(session, SCALE, Target.stretch),
        ).where(
            Target.kpi_code.in_(kpis),
            *([Target.month >= first] if first is not None else []),
            *([Target.month <= last] if last is not None else []),
        ),
        ["level", "code", "kpi", "month", "units", "stretch"],
    )
    # the levels kept here, not in SQL: SQLite would walk the unique index by level, twice as slow as a scan
    frame = frame.astype({"level": object, "code": object, "kpi": object, "month": object})
    frame = frame[frame["level"].isin(LEVELS)].reset_index(drop=True)
    stretched = frame["stretch"].notna()
    units = frame["units"].astype("int64")
    reach = frame["stretch"].where(stretched, units).astype("float64").round().astype("int64")
    return frame[["level", "code", "kpi", "month"]].assign(units=units, reach=reach, stretched=stretched)


def _summed(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """units and reach summed, stretched any, per `keys` (exact: int64)."""
    return rows.groupby(keys, as_index=False, sort=False).agg(
        units=("units", "sum"), reach=("reach", "sum"), stretched=("stretched", "any")
    )


def _resolved(own: pd.DataFrame, members: pd.DataFrame, additive: set[str]) -> pd.DataFrame:
    """Each unit's target per KPI and period (`own`: level, code, kpi, period, units, reach,
    stretched, a unit's own over the period): a seller's own, where the seller belonged to a district
    at the period's end; a district's own, or, for a KPI in `additive` and a district without its own,
    the sum of its sellers' at the period's end. Columns level, code, kpi, period, target, stretch
    (float64; stretch NaN where none is set)."""
    keys = ["level", "code", "kpi", "period"]
    sellers = own[own["level"] == "seller"].merge(
        members[["period", "seller", "district"]], left_on=["period", "code"], right_on=["period", "seller"]
    )
    districts = own[own["level"] == "district"]
    children = sellers[sellers["kpi"].isin(additive)].drop(columns="code").rename(columns={"district": "code"})
    children = _summed(children.assign(level="district"), keys)
    has_own = pd.MultiIndex.from_frame(districts[keys])
    children = children[~pd.MultiIndex.from_frame(children[keys]).isin(has_own)]
    out = pd.concat([sellers[[*keys, "units", "reach", "stretched"]], districts, children], ignore_index=True)
    return out[keys].assign(
        target=from_units(out["units"].to_numpy(dtype="int64")),
        stretch=np.where(
            out["stretched"].to_numpy(dtype=bool), from_units(out["reach"].to_numpy(dtype="int64")), np.nan
        ),
    )


# --- the figures ------------------------------------------------------------------------------------


def _settings(session: Session) -> int:
    stored = dict(session.execute(select(AppSetting.key, AppSetting.value)).all())
    return int(stored.get("fiscal_year_start_month", DEFAULT_FISCAL_YEAR_START_MONTH))


@lru_cache(maxsize=4096)
def _month_end(month: str) -> date:
    return date.fromisoformat(month_end_iso(month))


@lru_cache(maxsize=4096)
def _month_first(month: str) -> date:
    return month_start(month)


def _latest(session: Session) -> tuple[date | None, date | None]:
    """The days of the latest sale and the latest activity loaded."""
    sales = session.scalar(select(func.max(Sale.date)))
    month = session.scalar(select(func.max(ActivitiesMonthly.month)))
    activities = None
    if month is not None:
        activities = session.scalar(
            select(func.max(Activity.date)).where(
                Activity.seller_id.in_(select(ActivitiesMonthly.seller_id).where(ActivitiesMonthly.month == month)),
                Activity.date >= month,
            )
        )
    return sales, activities


def _ym(day: date | None) -> str | None:
    return None if day is None else day.strftime("%Y-%m")


def achievement_figures(session: Session) -> pd.DataFrame:
    """Every figure an achievement may be made of (columns FIGURE_COLUMNS; app.analytics.achievements
    names them; first_day and last_day bound the period, data_day is the data's last day in it):
    revenue of every seller and district for every month with a revenue target and every fiscal year
    holding one, and the celebrated KPIs' months of the open fiscal year (see the module's docstring)."""
    start_month = _settings(session)
    sales_through, activities_through = _latest(session)
    assignments = _assignments(session)
    parts = [_revenue(session, assignments, start_month, sales_through)]
    parts.append(_celebrated(session, assignments, start_month, sales_through, activities_through))
    frame = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(not p.empty for p in parts) else None
    if frame is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FIGURE_COLUMNS})
    return frame[FIGURE_COLUMNS]


def _years(months: list[str], start_month: int) -> dict[str, list[str]]:
    """The fiscal years holding `months`: 'YYYY' -> its twelve months."""
    out: dict[str, list[str]] = {}
    for month in months:
        first = fiscal_year_start(month, start_month)
        out.setdefault(first[:4], month_span(first, shift_month(first, 11)))
    return out


def _revenue(session: Session, assignments: pd.DataFrame, start_month: int, sales_through: date | None) -> pd.DataFrame:
    rows = _target_rows(session, [REVENUE], None, None)
    months = sorted(set(rows["month"]))
    if not months:
        return pd.DataFrame()
    years = _years(months, start_month)
    year_of = {m: y for y, ms in years.items() for m in ms}
    span_first = min(ms[0] for ms in years.values())
    span_last = max(ms[-1] for ms in years.values())

    ends = {m: _month_end(m) for m in months} | {y: _month_end(ms[-1]) for y, ms in years.items()}
    members = _members(assignments, ends)
    additive = {REVENUE}
    month_targets = _resolved(rows.rename(columns={"month": "period"}), members, additive)
    year_own = _summed(rows.assign(period=rows["month"].map(year_of)), ["level", "code", "kpi", "period"])
    year_targets = _resolved(year_own, members, additive)

    # revenue per seller × month × district (the primary key's order: no sort), cents, over every
    # month any period covers
    sales = read_frame(
        session,
        select(
            SalesMonthly.seller_id,
            sql.month_text(session, SalesMonthly.month),
            SalesMonthly.district_id,
            sql.big_sum(SalesMonthly.amount),
        )
        .where(SalesMonthly.month >= month_start(span_first), SalesMonthly.month <= month_start(span_last))
        .group_by(SalesMonthly.seller_id, SalesMonthly.month, SalesMonthly.district_id),
        ["seller_id", "month", "district_id", "cents"],
    ).astype({"month": object, "cents": "int64"})
    sales = sales.assign(year=sales["month"].map(year_of))
    seller_code = dict(zip(assignments["seller_id"], assignments["seller"], strict=False))
    district_code = dict(session.execute(select(District.id, District.code)).all())
    totals = []
    for level, column, names in (("seller", "seller_id", seller_code), ("district", "district_id", district_code)):
        for period in ("month", "year"):
            summed = sales.groupby([column, period], as_index=False, sort=False)["cents"].sum()
            totals.append(
                pd.DataFrame(
                    {
                        "level": level,
                        "code": summed[column].map(names).to_numpy(dtype=object),
                        "period": summed[period].to_numpy(dtype=object),
                        "cents": summed["cents"].to_numpy(dtype="int64"),
                    }
                )
            )
    actual = pd.concat(totals, ignore_index=True).dropna(subset=["code"])

    through = _ym(sales_through)
    # each period's days and whether any of its months is loaded, once per period
    spans = {m: (m, m) for m in months} | {y: (ms[0], ms[-1]) for y, ms in years.items()}
    info = {
        p: (
            month_start(a),
            _month_end(b),
            _data_day(_month_end(b), sales_through),
            through is not None and a <= through,
        )
        for p, (a, b) in spans.items()
    }
    out = []
    for span, targets in (("month", month_targets), ("year", year_targets)):
        frame = targets.assign(kpi=REVENUE, span=span).merge(actual, on=["level", "code", "period"], how="left")
        cents = frame["cents"].fillna(0).to_numpy(dtype="int64")
        of = [info[p] for p in frame["period"]]
        loaded = np.array([i[3] for i in of], dtype=bool)
        out.append(
            frame.drop(columns="cents").assign(
                actual=np.where(loaded, cents / 100, np.nan),
                first_day=[i[0] for i in of],
                last_day=[i[1] for i in of],
                direction="higher",
                celebrated=True,
                data_day=[i[2] for i in of],
            )
        )
    return pd.concat(out, ignore_index=True)


def _data_day(last_day: date, through: date | None) -> date:
    """The data's last day in a period ending on `last_day`."""
    return last_day if through is None else min(last_day, through)


def _celebrated(
    session: Session,
    assignments: pd.DataFrame,
    start_month: int,
    sales_through: date | None,
    activities_through: date | None,
) -> pd.DataFrame:
    rows = session.execute(
        select(KpiDefinition.code, KpiDefinition.direction, KpiDefinition.manual).where(
            KpiDefinition.celebrated, KpiDefinition.active, KpiDefinition.code != REVENUE
        )
    ).all()
    if not rows:
        return pd.DataFrame()
    latest = max((m for m in (_ym(sales_through), _ym(activities_through)) if m is not None), default=None)
    if latest is None:
        return pd.DataFrame()
    first = fiscal_year_start(latest, start_month)
    months = month_span(first, latest)
    codes = [code for code, _, _ in rows]
    direction = {code: d for code, d, _ in rows}
    manual = [code for code, _, is_manual in rows if is_manual]
    built_in = [c for c in codes if c not in manual]
    additive = {c for c in codes if c in KPI_BY_CODE and KPI_BY_CODE[c].additive_target}

    members = _members(assignments, {m: _month_end(m) for m in months})
    targets = _target_rows(session, codes, month_start(months[0]), month_start(months[-1]))
    if targets.empty:
        return pd.DataFrame()
    resolved = _resolved(targets.rename(columns={"month": "period"}), members, additive)

    actual_parts = []
    if built_in:
        wants_sales = any(c in SALES_KPIS for c in built_in)
        wants_activities = any(c in ACTIVITY_KPIS for c in built_in)
        district_code = dict(session.execute(select(District.id, District.code)).all())
        for level in LEVELS:
            # each month on its own (the month's scorecard), every month's groups keyed (unit id, month),
            # so the KPI formulas run once per level
            sums_parts, acts_parts, codes, periods = [], [], [], []
            for month in months:
                if level == "seller":
                    here = members[members["period"] == month]
                    names = dict(zip(here["seller_id"], here["seller"], strict=True))
                else:
                    names = district_code
                ids = list(names)
                if not ids:
                    continue
                keys = pd.Index([(i, month) for i in ids], tupleize_cols=False)
                sums = (
                    sales_sums(session, months=[month], by=level).reindex(ids, fill_value=0)
                    if wants_sales
                    else pd.DataFrame(0, index=pd.Index(ids), columns=SALES_SUMS)
                )
                sums_parts.append(sums.set_axis(keys))
                if wants_activities:
                    acts = activity_sums(session, months=[month], by=level)
                    acts_parts.append(acts.assign(group=[(g, month) for g in acts["group"]]))
                codes += [names[i] for i in ids]
                periods += [month] * len(ids)
            if not sums_parts:
                continue
            acts = (
                pd.concat(acts_parts, ignore_index=True)
                if acts_parts
                else pd.DataFrame({"group": [], "type": [], "value": [], "n": []})
            )
            values = actuals_from_sums(pd.concat(sums_parts), acts)[built_in].reset_index(drop=True)
            scored, _ = mask_unloaded(
                values,
                [(p, p) for p in periods],
                sales_through=_ym(sales_through),
                activities_through=_ym(activities_through),
            )
            long = scored.assign(code=codes, period=periods).melt(
                id_vars=["code", "period"], var_name="kpi", value_name="actual"
            )
            actual_parts.append(long.assign(level=level))
    if manual:
        values = read_frame(
            session,
            select(
                KpiValue.level,
                KpiValue.unit_code,
                KpiValue.kpi_code,
                sql.month_text(session, KpiValue.month),
                sql.scaled(session, SCALE, KpiValue.value),
            ).where(
                KpiValue.kpi_code.in_(manual),
                KpiValue.level.in_(LEVELS),
                KpiValue.month >= month_start(months[0]),
                KpiValue.month <= month_start(months[-1]),
            ),
            ["level", "code", "kpi", "period", "units"],
        )
        actual_parts.append(
            values.drop(columns="units").assign(actual=from_units(values["units"].to_numpy(dtype="int64")))
        )
    actual = (
        pd.concat(actual_parts, ignore_index=True).astype(
            {"level": object, "code": object, "kpi": object, "period": object}
        )
        if actual_parts
        else pd.DataFrame(columns=["level", "code", "kpi", "period", "actual"])
    )
    frame = resolved.merge(actual, on=["level", "code", "kpi", "period"], how="left")
    periods = frame["period"].to_numpy(dtype=object)
    facts = {"sales": sales_through, "activities": activities_through}
    through = [facts.get(KPI_BY_CODE[c].facts) if c in KPI_BY_CODE else None for c in frame["kpi"]]
    return frame.assign(
        span="month",
        first_day=[_month_first(p) for p in periods],
        last_day=[_month_end(p) for p in periods],
        direction=frame["kpi"].map(direction),
        celebrated=True,
        data_day=[_data_day(_month_end(p), t) for p, t in zip(periods, through, strict=True)],
    )


# --- daily revenue, for the day a goal was reached -----------------------------------------------------


def daily_revenue(session: Session, units: pd.DataFrame) -> pd.DataFrame:
    """Each unit's revenue per day over its periods (`units`: level, code, first_day, last_day): level,
    code, day (datetime64), cents (int64), for days with sales. A district's is the sales of its
    sellers while in it (the district of the seller on the day, as the monthly aggregates count them);
    a seller's is all of the seller's, from the seller's first assignment on."""
    columns = ["level", "code", "day", "cents"]
    if units.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    assignments = _assignments(session)
    sellers = set(units.loc[units["level"] == "seller", "code"])
    districts = set(units.loc[units["level"] == "district", "code"])
    wanted = assignments[assignments["seller"].isin(sellers) | assignments["district"].isin(districts)]
    ids = sorted(set(wanted["seller_id"].astype(int)))
    first, last = min(units["first_day"]), max(units["last_day"])
    parts = []
    for i in range(0, len(ids), CHUNK):
        parts.append(
            read_frame(
                session,
                select(Sale.seller_id, cast(Sale.date, String), sql.big_sum(sql.cents(Sale.amount)))
                .where(Sale.seller_id.in_(ids[i : i + CHUNK]), Sale.date >= first, Sale.date <= last)
                .group_by(Sale.seller_id, Sale.date),
                ["seller_id", "day", "cents"],
            )
        )
    daily = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["seller_id", "day", "cents"])
    if daily.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    daily = daily.assign(
        day=pd.to_datetime(daily["day"].astype(str).str.slice(0, 10), format="%Y-%m-%d").astype("datetime64[ns]"),
        cents=daily["cents"].astype("int64"),
    ).sort_values("day")
    history = assignments[assignments["seller_id"].isin(ids)][["seller_id", "seller", "district", "valid_from"]]
    placed = pd.merge_asof(
        daily, history, left_on="day", right_on="valid_from", by="seller_id", direction="backward"
    ).dropna(subset=["district"])
    out = []
    for level, column, codes in (("seller", "seller", sellers), ("district", "district", districts)):
        mine = placed[placed[column].isin(codes)]
        summed = mine.groupby([column, "day"], as_index=False)["cents"].sum()
        out.append(
            pd.DataFrame(
                {
                    "level": level,
                    "code": summed[column].to_numpy(dtype=object),
                    "day": summed["day"].to_numpy(),
                    "cents": summed["cents"].to_numpy(dtype="int64"),
                }
            )
        )
    return pd.concat(out, ignore_index=True)[columns]
