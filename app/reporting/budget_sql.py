"""The SQL of the budget control's two sides: budget and actual rows at the grain a report needs,
filtered to what the caller may see and to a part of the report, read into the frames
`app.analytics.variance` takes.

- Sums are integer cents / hundredths in SQL (each line rounded to the cent first, with
  `app.reporting.sql.cents`), so they are exact on SQLite too.
- A sale counts for the district of its seller on the sale's date; budgets are per district ×
  product × month. Actuals per district come from the monthly aggregate `sales_product_monthly`
  (district on the sale's date × product × month, kept in step with the raw rows by every import);
  only a report by seller reads the raw sales (no aggregate has seller × product), joined to the
  same district periods the aggregates are built with (`aggregates.district_periods`).
- SQL groups at the grain the report needs (`Grain`): no month unless split per month, the region
  instead of the district when grouped by region only, no district at all unless grouped by one of
  them, no product unless the price/volume/mix split or the group needs it.
- Access: a scope that does not see everything is filtered to its districts (`district_filter`).
- The SQL returns integers only (ids, yyyymm, cents, counts), read straight off the DBAPI cursor
  into numpy; codes and names are mapped in pandas from the small dimension tables.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, ColumnElement, Select, case, cast, func, select
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics.periods import month_start, shift_month
from app.models import (
    Budget,
    District,
    Product,
    Region,
    Sale,
    SalesProductMonthly,
    Seller,
    SellerDistrict,
)
from app.reporting import sql
from app.reporting.aggregates import district_periods, on_district_period
from app.reporting.facts import read_frame

_FETCH_ROWS = 10_000

_LABELS = {
    "seller": ["seller_code", "seller_name"],
    "district": ["district_code", "district_name", "region_code", "region_name"],
    "product": ["product_code", "product_name", "product_group"],
}
_VALUES = ["quantity", "amount", "cost"]


@dataclass(frozen=True)
class Grain:
    """What the SQL groups by: seller (raw sales), district on the sale's date (or only its region),
    product, month. Without month, each row covers the whole range and carries its first month."""

    seller: bool = False
    district: bool = True
    region: bool = False  # the district's region instead of the district (null region as id 0)
    product: bool = True
    month: bool = True


FULL = Grain()


@dataclass(frozen=True)
class Part:
    """A slice of a report: the rows of these districts / products / sellers (None: no restriction
    beyond the caller's scope)."""

    district_ids: tuple[int, ...] | None = None
    product_ids: tuple[int, ...] | None = None
    seller_ids: tuple[int, ...] | None = None


WHOLE = Part()


def bounds(months: list[str]) -> tuple[date, date]:
    return month_start(months[0]), month_start(shift_month(months[-1], 1))


def district_filter(scope: Scope, column: sql.Expr) -> list[ColumnElement[bool]]:
    return [] if scope.everything else [column.in_(sorted(scope.district_ids))]


def dimensions(session: Session) -> dict[str, pd.DataFrame]:
    """Districts (with their region), regions (id 0: no region), products and sellers, indexed by id."""
    regions = read_frame(session, select(Region.id, Region.code, Region.name), ["id", "region_code", "region_name"])
    districts = read_frame(
        session,
        select(District.id, District.code, District.name, District.region_id),
        ["id", "district_code", "district_name", "region_id"],
    )
    districts = districts.merge(regions, how="left", left_on="region_id", right_on="id", suffixes=("", "_r")).drop(
        columns=["region_id", "id_r"]
    )
    products = read_frame(
        session,
        select(Product.id, Product.code, Product.name, Product.product_group),
        ["id", "product_code", "product_name", "product_group"],
    )
    sellers = read_frame(session, select(Seller.id, Seller.code, Seller.name), ["id", "seller_code", "seller_name"])
    no_region = pd.DataFrame(
        {"id": [0], "region_code": pd.array([None], dtype="str"), "region_name": pd.array([None], dtype="str")}
    )
    return {
        "district": districts.set_index("id"),
        "product": products.set_index("id"),
        "seller": sellers.set_index("id"),
        "region": pd.concat([no_region, regions], ignore_index=True).set_index("id"),
    }


def _labels(ids: np.ndarray, table: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    """The dimension's `columns` (codes, names) for `ids`: a take on Arrow strings, no Python loop."""
    positions = table.index.get_indexer(ids)
    return {col: table[col].array.take(positions, allow_fill=True) for col in table.columns if col in columns}


def _columns(grain: Grain) -> list[str]:
    """district_code … product_group, month, quantity, amount, cost, then seller_code, seller_name
    (with the region grain: region_code, region_name instead of the district's four)."""
    place = _LABELS["district"] if grain.district else _LABELS["district"][2:] if grain.region else []
    labels = [*place, *(_LABELS["product"] if grain.product else [])]
    return [*labels, "month", *_VALUES, *(_LABELS["seller"] if grain.seller else [])]


def empty(grain: Grain = FULL) -> pd.DataFrame:
    cols = {c: pd.Series(dtype="str") for c in _columns(grain)}
    cols.update(quantity=pd.Series(dtype="int64"), amount=pd.Series(dtype="int64"), cost=pd.Series(dtype="Int64"))
    return pd.DataFrame(cols)


def _finish(
    values: np.ndarray,
    names: list[str],
    dims: dict[str, pd.DataFrame],
    grain: Grain,
    months: list[str],
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Integer rows (ids, month as yyyymm, cents) -> the analytics' frame: codes and names (only
    `columns` of them when given); cents as int64; `cost` = amount − margin over the rows/lines that
    carry a cost, null (nullable Int64) when none does; month 'YYYY-MM' (the range's first month
    without the month grain)."""
    wanted = (
        _columns(grain) if columns is None else [c for c in _columns(grain) if c in columns or c in ("month", *_VALUES)]
    )
    if len(values) == 0:
        return empty(grain)[wanted]
    col = {name: values[:, i] for i, name in enumerate(names)}
    data: dict[str, Any] = {}
    for dim in ("district", "region", "product", "seller"):
        if getattr(grain, dim):
            data.update(_labels(col[f"{dim}_id"], dims[dim], wanted))
    if grain.month:
        keys, positions = np.unique(col["month"], return_inverse=True)
        data["month"] = pd.array([f"{k // 100:04d}-{k % 100:02d}" for k in keys.tolist()], dtype="str").take(positions)
    else:
        data["month"] = pd.array([months[0]], dtype="str").take(np.zeros(len(values), dtype=np.intp))
    data["quantity"] = np.ascontiguousarray(col["quantity"])
    data["amount"] = np.ascontiguousarray(col["amount"])
    data["cost"] = pd.arrays.IntegerArray(col["amount"] - col["margin"], col["costed"] == 0)
    return pd.DataFrame({c: data[c] for c in wanted})


# --------------------------------------------------------------------------------------------------
# the SQL of each side: integers only (ids, yyyymm, cents, counts), read straight off the DBAPI cursor


def _keys(
    session: Session,
    grain: Grain,
    *,
    seller: sql.Expr | None,
    district: sql.Expr,
    product: sql.Expr,
    day: sql.Expr,
) -> tuple[list[sql.Expr], list[str]]:
    """The key columns of `grain` (the region through a join on `districts`, see `_with_region`)."""
    cols: list[sql.Expr] = []
    names: list[str] = []
    region = func.coalesce(District.region_id, 0)
    for on, col, name in (
        (grain.seller, seller, "seller_id"),
        (grain.district, district, "district_id"),
        (grain.region, region, "region_id"),
        (grain.product, product, "product_id"),
        (grain.month, None, "month"),
    ):
        if not on:
            continue
        if name == "month":
            cols.append(sql.month_key(session, day))
        elif col is None:
            raise ValueError("budgets have no seller")
        else:
            cols.append(col)
        names.append(name)
    if not cols:
        raise ValueError("a grain needs at least one of seller, district, product, month")
    return cols, names


_SUMS = ["quantity", "amount", "margin", "costed"]


def _statement(keys: Sequence[sql.Expr], values: Sequence[sql.Expr], *, grouped: bool) -> Select[Any]:
    """SELECT keys, values (summed per keys when `grouped`; else the table's rows are already one per key)."""
    if grouped:
        return select(*keys, *(sql.big_sum(v) for v in values)).group_by(*keys)
    return select(*keys, *(cast(v, BigInteger) for v in values))


def _with_region(stmt: Select[Any], grain: Grain, district: sql.Expr) -> Select[Any]:
    return stmt.join(District, District.id == district) if grain.region else stmt


def _budget_stmt(
    session: Session, *, scope: Scope, months: list[str], grain: Grain, part: Part
) -> tuple[Select[Any], list[str]]:
    start, end = bounds(months)
    keys, names = _keys(
        session, grain, seller=None, district=Budget.district_id, product=Budget.product_id, day=Budget.month
    )
    has_cost = Budget.cost.is_not(None)
    amount = sql.cents(Budget.amount)
    values = [
        sql.cents(Budget.quantity),
        amount,
        case((has_cost, amount - sql.cents(Budget.cost)), else_=0),
        case((has_cost, 1), else_=0),
    ]
    # one budget row per district × product × month day (unique): the full grain needs no GROUP BY
    # (rows of two days in one month would both come through; the analytics sum them)
    if part == WHOLE:
        in_range = [Budget.month >= start, Budget.month < end]
    else:
        # the same months, written so the planner cannot take the month index: a part's districts or
        # products select far fewer rows (SQLite with statistics would otherwise walk every month)
        key = sql.month_key(session, Budget.month)
        in_range = [key >= sql.key_of(months[0]), key <= sql.key_of(months[-1])]
    stmt = _with_region(
        _statement(keys, values, grouped=grain != FULL).select_from(Budget), grain, Budget.district_id
    ).where(
        *in_range,
        *district_filter(scope, Budget.district_id),
        *_part_filter(part, district=Budget.district_id, product=Budget.product_id),
    )
    return stmt, [*names, *_SUMS]


def _aggregate_stmt(
    session: Session, *, scope: Scope, months: list[str], grain: Grain, part: Part
) -> tuple[Select[Any], list[str]]:
    """Actuals per district on the sale's date from `sales_product_monthly`."""
    agg = SalesProductMonthly
    keys, names = _keys(session, grain, seller=None, district=agg.district_id, product=agg.product_id, day=agg.month)
    values = [agg.quantity, agg.amount, agg.margin, agg.costed_lines]
    # month is always a first day: equality on (month, district_id), the key's first columns, lets
    # a part of a few districts seek instead of scanning the range
    stmt = _with_region(_statement(keys, values, grouped=grain != FULL).select_from(agg), grain, agg.district_id).where(
        agg.month.in_([month_start(m) for m in months]),
        *district_filter(scope, agg.district_id),
        *_part_filter(part, district=agg.district_id, product=agg.product_id),
    )
    return stmt, [*names, *_SUMS]


def _raw_stmt(
    session: Session, *, scope: Scope, months: list[str], grain: Grain, part: Part
) -> tuple[Select[Any], list[str]]:
    """Actuals per seller from the raw sales, each in its seller's district on the sale's date."""
    start, end = bounds(months)
    p = district_periods()
    keys, names = _keys(
        session, grain, seller=Sale.seller_id, district=p.c.district_id, product=Sale.product_id, day=Sale.date
    )
    has_cost = Sale.cost.is_not(None)
    amount = sql.cents(Sale.amount)
    values = [
        sql.cents(Sale.quantity),
        amount,
        case((has_cost, amount - sql.cents(Sale.cost)), else_=0),
        case((has_cost, 1), else_=0),
    ]
    conditions = [
        Sale.date >= start,
        Sale.date < end,
        *district_filter(scope, p.c.district_id),
        *_part_filter(part, district=p.c.district_id, product=Sale.product_id, seller=Sale.seller_id),
    ]
    # A sale's district on its date is one its seller belonged to: restricting the sellers first
    # lets the (seller_id, date) index pick the rows instead of a scan of the whole range.
    districts = (
        part.district_ids
        if scope.everything
        else sorted(set(scope.district_ids) & set(part.district_ids or scope.district_ids))
    )
    if districts is not None:
        members = select(SellerDistrict.seller_id).where(SellerDistrict.district_id.in_(districts))
        conditions.append(Sale.seller_id.in_(members.scalar_subquery()))
    stmt = _with_region(
        _statement(keys, values, grouped=True)
        .select_from(Sale)
        .join(p, on_district_period(p, Sale.seller_id, Sale.date)),
        grain,
        p.c.district_id,
    ).where(*conditions)
    return stmt, [*names, *_SUMS]


def _part_filter(
    part: Part, *, district: sql.Expr, product: sql.Expr, seller: sql.Expr | None = None
) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if part.district_ids is not None:
        out.append(district.in_(part.district_ids))
    if part.product_ids is not None:
        out.append(product.in_(part.product_ids))
    if part.seller_ids is not None:
        if seller is None:
            raise ValueError("budgets have no seller")
        out.append(seller.in_(part.seller_ids))
    return out


def _read_ints(session: Session, stmt: Select[Any], width: int) -> np.ndarray:
    """The rows of an all-integer statement as an int64 array (rows × width), fetched in batches
    straight off the DBAPI cursor: SQLAlchemy Row objects and a DataFrame built from tuples cost
    more than the query itself at a million rows."""
    result = session.connection().execute(stmt)
    try:
        batches = []
        while batch := result.cursor.fetchmany(_FETCH_ROWS):
            batches.append(np.array(batch, dtype=np.int64))
    finally:
        result.close()
    if not batches:
        return np.empty((0, width), dtype=np.int64)
    return batches[0] if len(batches) == 1 else np.concatenate(batches)


def load(
    session: Session,
    side: str,
    *,
    scope: Scope,
    months: list[str],
    grain: Grain,
    part: Part,
    dims: dict[str, pd.DataFrame],
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """One side ('budget', or 'actual': from the aggregates, or the raw sales with the seller grain),
    with the label `columns` asked for (default all of the grain's)."""
    if side == "budget":
        stmt, names = _budget_stmt(session, scope=scope, months=months, grain=grain, part=part)
    elif grain.seller:
        stmt, names = _raw_stmt(session, scope=scope, months=months, grain=grain, part=part)
    else:
        stmt, names = _aggregate_stmt(session, scope=scope, months=months, grain=grain, part=part)
    return _finish(_read_ints(session, stmt, len(names)), names, dims, grain, months, columns)
