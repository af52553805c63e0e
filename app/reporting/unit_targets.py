"""Targets and manual KPI values of units over a range of months, summed exactly in SQL.

Range targets follow `app.analytics.targets.range_targets`: a KPI that adds up over time sums its
months, the others take the range's last month. Values are exact integers of 1 / SCALE (`units`)
beside the nearest float. The stretch beside each target follows the same function's rule: a KPI
that adds up over time sums, month by month, the stretch or (a month without one) the target, and
has a stretch only when one of the months has one (`stretch_units`, nullable; `stretch`, NaN for
none).
"""

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Float, and_, cast, func, null, or_, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.analytics.periods import month_start
from app.analytics.targets import SCALE, from_units, range_targets, units_of_float_sums
from app.models import KpiValue, Target
from app.reporting import cache as figure_cache
from app.reporting import sql
from app.reporting.facts import read_frame
from app.reporting.registry import Registry
from app.reporting.units import Unit


def stretch_stored(session: Session) -> bool:
    """Whether any stored target carries a stretch, read once per data version (`app.reporting.cache`;
    when none does, one scan of the targets): the sums below leave the stretch out while none is
    stored, so an installation without stretch targets sums its targets as before."""
    return figure_cache.get_or_compute(
        session,
        ("targets", "stretch stored"),
        lambda: session.execute(select(Target.id).where(Target.stretch.is_not(None)).limit(1)).first() is not None,
    )


def _summed_units(session: Session, keys: list, conditions: list, *, stretch: bool) -> pd.DataFrame:
    """Σ Target.value and (with `stretch`) Σ COALESCE(Target.stretch, Target.value) per (level,
    unit_code, kpi_code) over the rows of `conditions`, exactly, as columns level, unit_code,
    kpi_code, units, stretch_units (nullable: NA where no row of the group has a stretch; all NA
    without `stretch`).

    SQLite's SUM of a NUMERIC column adds floats (eight months of 0.7 give 5.6000000000000005): it
    sums each value rounded to an integer of units instead. On PostgreSQL the exact NUMERIC sum costs
    twice a float8 sum (about +100 ms over the 240k target rows of the company's year), so it sums
    float8 with the sum of absolute values and the count, and `units_of_float_sums` takes the units
    where the float sum provably rounds to them (every group below about 1.6e10); any other group is
    summed again as NUMERIC."""
    columns = ["level", "unit_code", "kpi_code", "units", *(["stretch_units", "stretched"] if stretch else [])]
    either = func.coalesce(Target.stretch, Target.value)
    stretched = func.count(Target.stretch)  # the rows with a stretch
    if session.get_bind().dialect.name != "postgresql":
        totals: list[ColumnElement[Any]] = [cast(func.sum(sql.scaled(session, SCALE, Target.value)), BigInteger)]
        if stretch:
            totals += [cast(func.sum(sql.scaled(session, SCALE, either)), BigInteger), stretched]
        stmt = select(*keys, *totals).where(*conditions).group_by(*keys)
        return _stretch_where_set(read_frame(session, stmt, columns))
    value, either_float = cast(Target.value, Float), cast(either, Float)
    floats: list[ColumnElement[Any]] = [func.sum(value), func.sum(func.abs(value)), func.count()]
    if stretch:
        floats += [func.sum(either_float), func.sum(func.abs(either_float)), stretched]
    float_columns = ["total", "size", "n", *(["s_total", "s_size", "stretched"] if stretch else [])]
    sums = read_frame(
        session, select(*keys, *floats).where(*conditions).group_by(*keys), [*columns[:3], *float_columns]
    )
    units, exact = units_of_float_sums(sums["total"], sums["size"], sums["n"])
    frame = sums[columns[:3]].assign(units=units)
    if stretch:
        s_units, s_exact = units_of_float_sums(sums["s_total"], sums["s_size"], sums["n"])
        exact &= s_exact
        frame = frame.assign(stretch_units=s_units, stretched=sums["stretched"])
    if not exact.all():
        rest = list(frame.loc[~exact, columns[:3]].itertuples(index=False, name=None))
        numeric: list[ColumnElement[Any]] = [cast(func.sum(Target.value) * SCALE, BigInteger)]
        if stretch:
            numeric += [cast(func.sum(either) * SCALE, BigInteger), stretched]
        exactly = read_frame(
            session,
            select(*keys, *numeric).where(*conditions, tuple_(*keys).in_(rest)).group_by(*keys),
            columns,
        )
        frame = pd.concat([frame[exact], exactly], ignore_index=True)
    return _stretch_where_set(frame)


def _stretch_where_set(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (with `stretched`, the count of rows with a stretch) with `stretch_units` NA where
    that count is 0, and without `stretched`; a frame without them gets `stretch_units` all NA."""
    if "stretched" not in frame.columns:
        return frame.assign(stretch_units=pd.array([pd.NA] * len(frame), dtype="Int64"))
    stretch = pd.array(frame["stretch_units"].to_numpy(dtype="int64", na_value=0), dtype="Int64")
    stretch[frame["stretched"].to_numpy(dtype="int64", na_value=0) == 0] = pd.NA
    return frame.drop(columns="stretched").assign(stretch_units=stretch)


def _nullable_units(values: pd.Series) -> pd.arrays.IntegerArray:
    """A column of integers and Nones (what the driver gives for a nullable scaled column) as Int64."""
    return pd.array(values.to_numpy(dtype=object), dtype="Int64")


def _with_target(frame: pd.DataFrame, column: str = "target") -> pd.DataFrame:
    """`frame` (exact `units`, int64) with `column` = the float nearest to each exact value, and
    where it has `stretch_units` (nullable) `stretch` beside them (NaN: none)."""
    frame = frame.astype({"units": "int64"})
    extra = {}
    if "stretch_units" in frame.columns:
        stretch = pd.array(frame["stretch_units"], dtype="Int64")
        values = np.asarray(stretch.fillna(0), dtype="int64") / SCALE
        extra = {"stretch_units": stretch, "stretch": np.where(np.asarray(stretch.isna(), dtype=bool), np.nan, values)}
    return frame.assign(**{column: from_units(frame["units"])}, **extra)


def manual_actuals(session: Session, registry: Registry, units: list[Unit], months: list[str]) -> pd.DataFrame:
    codes = registry.manual_codes
    index = pd.Index([u.key for u in units])
    if not codes:
        return pd.DataFrame(index=index)
    frame = _with_target(
        read_frame(
            session,
            (
                select(
                    KpiValue.level,
                    KpiValue.unit_code,
                    KpiValue.kpi_code,
                    sql.month_text(session, KpiValue.month),
                    sql.scaled(session, SCALE, KpiValue.value),
                ).where(
                    KpiValue.kpi_code.in_(codes),
                    KpiValue.level.in_({u.level for u in units}),
                    KpiValue.month >= month_start(months[0]),
                    KpiValue.month <= month_start(months[-1]),
                )
            ),
            ["level", "unit_code", "kpi_code", "month", "units"],
        ),
        "value",
    )
    ranged = range_targets(frame, months=months, time_rollup=registry.time_rollup)
    wide = ranged.pivot_table(index=["level", "unit_code"], columns="kpi_code", values="target", aggfunc="first")
    return wide.reindex(index=index, columns=codes)


def _target_filter(units: list[tuple[str, str]]) -> list:
    """Target rows of `units` only (none for the company's subtree, which is every unit)."""
    if ("company", "") in units:  # the company's subtree: every unit
        return []
    levels = sorted({level for level, _ in units})
    return [
        or_(
            *[
                and_(Target.level == level, Target.unit_code.in_([code for lvl, code in units if lvl == level]))
                for level in levels
            ]
        )
    ]


def monthly_targets(session: Session, months: list[str], units: list[tuple[str, str]]) -> pd.DataFrame:
    """Each month's own targets of `units` over `months` (a month's range target, whatever the KPI's
    time roll-up): columns level, unit_code, kpi_code, month ('YYYY-MM'), units (exact, int64 of
    1 / SCALE), target (float64), and the month's stretch: stretch_units (nullable Int64), stretch
    (float64, NaN: none). One query for a trend."""
    stmt = select(
        Target.level,
        Target.unit_code,
        Target.kpi_code,
        sql.month_text(session, Target.month),
        sql.scaled(session, SCALE, Target.value),
        sql.scaled(session, SCALE, Target.stretch) if stretch_stored(session) else null(),
    ).where(Target.month >= month_start(months[0]), Target.month <= month_start(months[-1]), *_target_filter(units))
    frame = read_frame(session, stmt, ["level", "unit_code", "kpi_code", "month", "units", "stretch_units"])
    return _with_target(frame.astype({"month": str}).assign(stretch_units=_nullable_units(frame["stretch_units"])))


def summed_targets(
    session: Session, registry: Registry, months: list[str], units: list[tuple[str, str]]
) -> pd.DataFrame:
    """Range targets of `units` (as (level, unit_code) keys) over `months`, as `range_targets` defines
    them, summed in SQL: a KPI that adds up over time sums its months, the others take the range's
    last month; the stretch the same way (a month without one counts with its target; null unless
    one of the months has one). Sums are exact (`_summed_units`) on SQLite and PostgreSQL alike.
    Columns level, unit_code, kpi_code, units (exact, int64 of 1 / SCALE), target (float64),
    stretch_units (nullable Int64), stretch (float64, NaN: none)."""
    summed = [code for code, rollup in registry.time_rollup.items() if rollup == "sum"]
    where = _target_filter(units)
    keys = [Target.level, Target.unit_code, Target.kpi_code]
    stretch = stretch_stored(session)
    over_time = _summed_units(
        session,
        keys,
        [
            Target.month >= month_start(months[0]),
            Target.month <= month_start(months[-1]),
            Target.kpi_code.in_(summed),
            *where,
        ],
        stretch=stretch,
    )
    last = select(
        *keys,
        sql.scaled(session, SCALE, Target.value),
        sql.scaled(session, SCALE, Target.stretch) if stretch else null(),
    ).where(Target.month == month_start(months[-1]), Target.kpi_code.not_in(summed), *where)
    last_frame = read_frame(session, last, ["level", "unit_code", "kpi_code", "units", "stretch_units"])
    last_frame = last_frame.assign(stretch_units=_nullable_units(last_frame["stretch_units"]))
    return _with_target(pd.concat([over_time, last_frame], ignore_index=True))
