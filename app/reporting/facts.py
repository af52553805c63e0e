"""KPI sums from the monthly aggregates, computed in SQL, as `app.analytics.actuals` takes them.

The aggregates (app.models.aggregates, kept by every import) already hold each fact in the district
of its seller on its date, and money as integer cents, so sums are exact on SQLite too. One query
per call returns the sums and the distinct customer counts of each group (a unit, or each child
of a unit): the database counts over the aggregate rows (a seller's year: a few hundred; the
company's ten months of 10M sales lines: about 0.9M) and hands back a row per group, instead of
millions of sales lines travelling to Python.
"""

import pandas as pd
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from app.analytics.kpis import SALES_SUMS
from app.analytics.periods import month_start, shift_month
from app.models import Account, AccountFirstSale, ActivitiesMonthly, Activity, District, SalesMonthly
from app.reporting import sql

ALL = "__all__"  # the group of a query without `by`


def read_frame(session: Session, stmt, columns: list[str]) -> pd.DataFrame:  # noqa: ANN001
    """The rows of `stmt` as a DataFrame (plain tuples: much faster than building from Row objects)."""
    return pd.DataFrame([tuple(row) for row in session.execute(stmt)], columns=columns)


def _unit_filter(agg, level: str, unit_id) -> list[ColumnElement]:  # noqa: ANN001
    """Conditions restricting aggregate rows (SalesMonthly or ActivitiesMonthly) to one unit
    (`sellers`: a list of seller ids); the company has none. Region filters need District joined."""
    if level == "sellers":
        return [agg.seller_id.in_(unit_id)]
    if level == "seller":
        return [agg.seller_id == unit_id]
    if level == "district":
        return [agg.district_id == unit_id]
    if level == "region":
        return [District.region_id == unit_id]
    if level == "account":
        return [agg.account_id == unit_id]
    return []


def _group(session: Session, agg, by: str | None) -> ColumnElement | None:  # noqa: ANN001
    return {
        None: None,
        "seller": agg.seller_id,
        "district": agg.district_id,
        "region": District.region_id,
        "month": sql.month_text(session, agg.month),
    }[by]


def _frame(session: Session, stmt, columns: list[str], grouped: bool) -> pd.DataFrame:  # noqa: ANN001
    """The rows of `stmt` (its first column the group key when `grouped`) under `columns`, which start
    with "group"; ungrouped rows all get the group ALL."""
    if grouped:
        return read_frame(session, stmt, columns)
    frame = read_frame(session, stmt, columns[1:])
    frame.insert(0, "group", ALL)
    return frame


def sales_sums(
    session: Session,
    *,
    months: list[str],
    level: str = "company",
    unit_id=None,  # noqa: ANN001
    by: str | None = None,
) -> pd.DataFrame:
    """The sales sums of one unit over the contiguous `months` (per group of `by`: seller,
    district, region or month), indexed by group: int64 columns SALES_SUMS (money in cents).

    active = distinct accounts with a positive line; new = those whose first sale ever falls in the
    range (with by=month: in that month, each month being its own range).
    """
    first, last = month_start(months[0]), month_start(months[-1])
    sm = SalesMonthly
    group = _group(session, sm, by)
    buying = sm.sale_lines > 0
    # Key accounts and first sales as uncorrelated IN lists (built once per query), not joins probed
    # for each of the rows; by month, "new" is per row's own month, so that one needs the join.
    key = sm.account_id.in_(select(Account.id).where(Account.key_account).scalar_subquery())
    if by == "month":
        new_when = and_(buying, AccountFirstSale.month == sm.month)
    else:
        new_when = and_(
            buying,
            sm.account_id.in_(
                select(AccountFirstSale.account_id).where(AccountFirstSale.month.between(first, last)).scalar_subquery()
            ),
        )
    stmt = (
        select(
            *([group] if group is not None else []),
            sql.big_sum(sm.amount),
            sql.big_sum(sm.margin),
            sql.big_sum(sm.costed_amount),
            sql.big_sum(case((key, sm.amount), else_=0)),
            sql.big_sum(sm.costed_lines),
            sql.big_sum(sm.lines),
            func.count(func.distinct(case((buying, sm.account_id)))),
            func.count(func.distinct(case((new_when, sm.account_id)))),
        )
        .select_from(sm)
        .where(sm.month >= first, sm.month <= last, *_unit_filter(sm, level, unit_id))
    )
    if by == "month":
        stmt = stmt.outerjoin(AccountFirstSale, AccountFirstSale.account_id == sm.account_id)
    if level == "region" or by == "region":
        stmt = stmt.join(District, District.id == sm.district_id)
    if group is not None:
        stmt = stmt.group_by(group)
    frame = _frame(session, stmt, ["group", *SALES_SUMS], group is not None)
    return frame.set_index("group").astype("int64")


def activity_sums(
    session: Session,
    *,
    months: list[str],
    level: str = "company",
    unit_id=None,  # noqa: ANN001
    by: str | None = None,
) -> pd.DataFrame:
    """Σ value and rows per (group, type) of one unit's activities over `months`: columns group, type,
    value (int64 hundredths: exact), n. An account's come from the raw rows (no aggregate per account)."""
    first, last = month_start(months[0]), month_start(months[-1])
    if level == "account":
        month = sql.month_text(session, Activity.date)
        keys = [*([month] if by == "month" else []), Activity.type]
        stmt = (
            select(*keys, sql.big_sum(sql.cents(Activity.value)), func.count())
            .where(
                Activity.account_id == unit_id,
                Activity.date >= first,
                Activity.date < month_start(shift_month(months[-1], 1)),
            )
            .group_by(*keys)
        )
        frame = _frame(session, stmt, ["group", "type", "value", "n"], by == "month")
    else:
        am = ActivitiesMonthly
        group = _group(session, am, by)
        keys = [*([group] if group is not None else []), am.type]
        stmt = (
            select(*keys, sql.big_sum(am.value), sql.big_sum(am.n))
            .where(am.month >= first, am.month <= last, *_unit_filter(am, level, unit_id))
            .group_by(*keys)
        )
        if level == "region" or by == "region":
            stmt = stmt.join(District, District.id == am.district_id)
        frame = _frame(session, stmt, ["group", "type", "value", "n"], group is not None)
    return frame.astype({"value": "int64", "n": "int64", "type": str})
