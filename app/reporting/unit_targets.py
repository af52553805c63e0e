"""Targets and manual KPI values of units over a range of months, summed exactly in SQL.

Range targets follow `app.analytics.targets.range_targets`: a KPI that adds up over time sums its
months, the others take the range's last month. Values are exact integers of 1 / SCALE (`units`)
beside the nearest float.
"""

import pandas as pd
from sqlalchemy import BigInteger, Float, and_, cast, func, or_, select, tuple_
from sqlalchemy.orm import Session

from app.analytics.periods import month_start
from app.analytics.targets import SCALE, from_units, range_targets, units_of_float_sums
from app.models import KpiValue, Target
from app.reporting import sql
from app.reporting.facts import read_frame
from app.reporting.registry import Registry
from app.reporting.units import Unit


def _summed_units(session: Session, keys: list, conditions: list) -> pd.DataFrame:
    """Σ Target.value per (level, unit_code, kpi_code) over the rows of `conditions`, exactly, as
    columns level, unit_code, kpi_code, units.

    SQLite's SUM of a NUMERIC column adds floats (eight months of 0.7 give 5.6000000000000005): it
    sums each value rounded to an integer of units instead. On PostgreSQL the exact NUMERIC sum costs
    twice a float8 sum (about +100 ms over the 240k target rows of the company's year), so it sums
    float8 with the sum of absolute values and the count, and `units_of_float_sums` takes the units
    where the float sum provably rounds to them (every group below about 1.6e10); any other group is
    summed again as NUMERIC."""
    columns = ["level", "unit_code", "kpi_code", "units"]
    if session.get_bind().dialect.name != "postgresql":
        summed = cast(func.sum(sql.scaled(session, SCALE, Target.value)), BigInteger)
        return read_frame(session, select(*keys, summed).where(*conditions).group_by(*keys), columns)
    value = cast(Target.value, Float)
    sums = read_frame(
        session,
        select(*keys, func.sum(value), func.sum(func.abs(value)), func.count()).where(*conditions).group_by(*keys),
        [*columns[:3], "total", "size", "n"],
    )
    units, exact = units_of_float_sums(sums["total"], sums["size"], sums["n"])
    frame = sums[columns[:3]].assign(units=units)
    if exact.all():
        return frame
    rest = list(frame.loc[~exact, columns[:3]].itertuples(index=False, name=None))
    exactly = read_frame(
        session,
        select(*keys, cast(func.sum(Target.value) * SCALE, BigInteger))
        .where(*conditions, tuple_(*keys).in_(rest))
        .group_by(*keys),
        columns,
    )
    return pd.concat([frame[exact], exactly], ignore_index=True)


def _with_target(frame: pd.DataFrame, column: str = "target") -> pd.DataFrame:
    """`frame` (exact `units`, int64) with `column` = the float nearest to each exact value."""
    frame = frame.astype({"units": "int64"})
    return frame.assign(**{column: from_units(frame["units"])})


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
    1 / SCALE), target (float64). One query for a trend."""
    stmt = select(
        Target.level,
        Target.unit_code,
        Target.kpi_code,
        sql.month_text(session, Target.month),
        sql.scaled(session, SCALE, Target.value),
    ).where(Target.month >= month_start(months[0]), Target.month <= month_start(months[-1]), *_target_filter(units))
    frame = read_frame(session, stmt, ["level", "unit_code", "kpi_code", "month", "units"])
    return _with_target(frame.astype({"month": str}))


def summed_targets(
    session: Session, registry: Registry, months: list[str], units: list[tuple[str, str]]
) -> pd.DataFrame:
    """Range targets of `units` (as (level, unit_code) keys) over `months`, as `range_targets` defines
    them, summed in SQL: a KPI that adds up over time sums its months, the others take the range's
    last month. Sums are exact (`_summed_units`) on SQLite and PostgreSQL alike. Columns level,
    unit_code, kpi_code, units (exact, int64 of 1 / SCALE), target (float64)."""
    summed = [code for code, rollup in registry.time_rollup.items() if rollup == "sum"]
    where = _target_filter(units)
    keys = [Target.level, Target.unit_code, Target.kpi_code]
    over_time = _summed_units(
        session,
        keys,
        [
            Target.month >= month_start(months[0]),
            Target.month <= month_start(months[-1]),
            Target.kpi_code.in_(summed),
            *where,
        ],
    )
    last = select(*keys, sql.scaled(session, SCALE, Target.value)).where(
        Target.month == month_start(months[-1]), Target.kpi_code.not_in(summed), *where
    )
    frame = pd.concat(
        [over_time, read_frame(session, last, ["level", "unit_code", "kpi_code", "units"])], ignore_index=True
    )
    return _with_target(frame)
