"""Monthly facts from the database, aggregated in SQL, as the frames `app.analytics.actuals` takes.

A sale and an activity count for the district of their seller on their date: the seller's
`seller_districts` row with the latest `valid_from` on or before that date. Money is summed as
integer cents (each line rounded to the cent first), so sums are exact on SQLite too, where NUMERIC
columns are stored as floating point.
"""

from datetime import date

from sqlalchemy import BigInteger, ColumnElement, and_, case, cast, exists, func, select
from sqlalchemy.orm import Session, aliased

import pandas as pd

from app.analytics.periods import shift_month
from app.models import Account, Activity, District, Sale, SellerDistrict

SALES_COLUMNS = ["seller_id", "district_id", "region_id", "account_id", "month", "amount", "margin",
                 "costed_amount", "key_amount", "costed_lines", "sale_lines"]
ACTIVITY_COLUMNS = ["seller_id", "district_id", "region_id", "account_id", "month", "type", "value", "n"]


def read_frame(session: Session, stmt, columns: list[str]) -> pd.DataFrame:  # noqa: ANN001
    """The rows of `stmt` as a DataFrame (plain tuples: much faster than building from Row objects)."""
    return pd.DataFrame([tuple(row) for row in session.execute(stmt)], columns=columns)


def month_of(session: Session, column: ColumnElement) -> ColumnElement:
    """'YYYY-MM' of a DATE column, in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)


def _cents(expr: ColumnElement) -> ColumnElement:
    return cast(func.round(expr * 100), BigInteger)


def _district_on_date(fact_seller: ColumnElement, fact_date: ColumnElement):  # noqa: ANN202
    """Join condition picking the seller's district on the fact's date."""
    later = aliased(SellerDistrict)
    return and_(
        SellerDistrict.seller_id == fact_seller,
        SellerDistrict.valid_from <= fact_date,
        ~exists().where(
            later.seller_id == fact_seller,
            later.valid_from <= fact_date,
            later.valid_from > SellerDistrict.valid_from,
        ),
    )


def _unit_filter(level: str, unit_id, fact) -> list[ColumnElement]:  # noqa: ANN001
    """Conditions restricting the rows of `fact` (Sale or Activity) to one unit (`sellers`: a list of
    seller ids); the company has none."""
    if level == "sellers":
        return [fact.seller_id.in_(unit_id)]
    if level == "seller":
        return [fact.seller_id == unit_id]
    if level == "district":
        return [SellerDistrict.district_id == unit_id]
    if level == "region":
        return [District.region_id == unit_id]
    if level == "account":
        return [fact.account_id == unit_id]
    return []


def _month_bounds(months: list[str]) -> tuple[date, date]:
    """First day of the first month and first day after the last month."""
    return date.fromisoformat(f"{months[0]}-01"), date.fromisoformat(f"{shift_month(months[-1], 1)}-01")


def load_sales(session: Session, *, months: list[str], level: str = "company",
               unit_id: int | list[int] | None = None) -> pd.DataFrame:
    """Sales of `months` for one unit, per (seller, district on date, account, month), with `is_new`."""
    start, end = _month_bounds(sorted(months))
    month = month_of(session, Sale.date).label("month")
    conditions = [Sale.date >= start, Sale.date < end, *_unit_filter(level, unit_id, Sale)]
    has_cost = Sale.cost.is_not(None)
    stmt = (
        select(
            Sale.seller_id, SellerDistrict.district_id, District.region_id, Sale.account_id, month,
            func.sum(_cents(Sale.amount)).label("amount"),
            func.coalesce(func.sum(case((has_cost, _cents(Sale.amount) - _cents(Sale.cost)))), 0).label("margin"),
            func.coalesce(func.sum(case((has_cost, _cents(Sale.amount)))), 0).label("costed_amount"),
            func.coalesce(func.sum(case((Account.key_account, _cents(Sale.amount)))), 0).label("key_amount"),
            func.count(Sale.cost).label("costed_lines"),
            func.sum(case((Sale.amount > 0, 1), else_=0)).label("sale_lines"),
        )
        .select_from(Sale)
        .join(SellerDistrict, _district_on_date(Sale.seller_id, Sale.date))
        .join(District, District.id == SellerDistrict.district_id)
        .join(Account, Account.id == Sale.account_id)
        .where(*conditions)
        .group_by(Sale.seller_id, SellerDistrict.district_id, District.region_id, Sale.account_id, month)
    )
    frame = read_frame(session, stmt, SALES_COLUMNS)
    frame = frame.astype({c: "int64" for c in SALES_COLUMNS if c not in ("month", "region_id")})
    first = first_sale_months(session, account_ids=frame["account_id"].unique().tolist())
    frame = frame.assign(
        first_sale_month=frame["account_id"].map(first),
        month=frame["month"].astype(str),
    )
    return frame


def first_sale_months(session: Session, *, account_ids: list[int]) -> dict[int, str]:
    """Each account's month of its first sale ever (first line with a positive amount).

    One index probe per account on (account_id, date), walking forward to the first positive line,
    rather than a MIN over each account's whole history.
    """
    later = aliased(Sale)
    first = (select(later.date).where(later.account_id == Account.id, later.amount > 0)
             .order_by(later.date).limit(1).correlate(Account).scalar_subquery())
    out: dict[int, str] = {}
    for i in range(0, len(account_ids), 5000):
        stmt = select(Account.id, first).where(Account.id.in_(account_ids[i:i + 5000]))
        for account_id, day in session.execute(stmt):
            if day is not None:
                out[account_id] = str(day)[:7]
    return out


def load_activities(session: Session, *, months: list[str], level: str = "company",
                    unit_id: int | list[int] | None = None) -> pd.DataFrame:
    """Activities of `months` for one unit, per (seller, district on date, account, month, type)."""
    start, end = _month_bounds(sorted(months))
    month = month_of(session, Activity.date).label("month")
    conditions = [Activity.date >= start, Activity.date < end,
                  *_unit_filter(level, unit_id, Activity)]
    stmt = (
        select(
            Activity.seller_id, SellerDistrict.district_id, District.region_id, Activity.account_id, month,
            Activity.type, func.sum(Activity.value).label("value"), func.count().label("n"),
        )
        .select_from(Activity)
        .join(SellerDistrict, _district_on_date(Activity.seller_id, Activity.date))
        .join(District, District.id == SellerDistrict.district_id)
        .where(*conditions)
        .group_by(Activity.seller_id, SellerDistrict.district_id, District.region_id, Activity.account_id,
                  month, Activity.type)
    )
    frame = read_frame(session, stmt, ACTIVITY_COLUMNS)
    return frame.astype({"value": "float64", "n": "int64", "month": str, "type": str})
