"""Budget control from the database: the budget and actual frames `app.analytics.variance` takes,
filtered to what the caller may see, and the variance and forecast reports built from them.

- Sums are integer cents / hundredths in SQL (each line rounded to the cent first, as in
  `app.reporting.facts`), so they are exact on SQLite too.
- A sale counts for the district of its seller on the sale's date; budgets are per district ×
  product × month. Actuals per district come from the monthly aggregate `sales_product_monthly`
  (district on the sale's date × product × month, kept in step with the raw rows by every import);
  only a report by seller reads the raw sales (no aggregate has seller × product), joined to the
  same district periods the aggregates are built with (`aggregates.district_periods`).
- SQL groups at the grain the report needs (`Grain`): no month unless split per month, the region
  instead of the district when grouped by region only, no district at all unless grouped by one of
  them, no product unless the price/volume/mix split or the group needs it.
- Access: admin and finance (and a company leader) see everything; a leader sees the districts of
  the units they lead; every other scope sees nothing. The API refuses sellers before calling
  these (403: budgets are not a seller's to read at all); a scope without districts gets empty rows.
- The SQL returns integers only (ids, yyyymm, cents, counts), read straight off the DBAPI cursor
  into numpy; codes and names are mapped in pandas from the small dimension tables.
- A variance can be computed in parts (`variance_parts`): ranges of the first group key's values
  (districts, products, …) in output order, each loaded and computed on its own. Groups never span
  two parts, so every figure (price/volume/mix included) is the one of the whole computation, and
  an export streams part by part in bounded memory.
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    case,
    cast,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics import variance as va
from app.analytics.periods import last_complete_month, month_span, month_start, shift_month
from app.models import (
    Budget,
    District,
    Product,
    Region,
    Sale,
    SalesMonthly,
    SalesProductMonthly,
    Seller,
    SellerDistrict,
)
from app.reporting import cache as figure_cache
from app.reporting import sql
from app.reporting.aggregates import district_periods, on_district_period
from app.reporting.dates import data_dates
from app.reporting.facts import read_frame
from app.reporting.registry import load_registry

GROUP_KEYS = tuple(va.GROUP_KEYS)
MAX_MONTHS = 60
# Rows loaded (budget + actual, after the SQL grouping) per part of a report computed in parts.
# Measured (benchmarks/variance_bench.py): a streamed CSV of 1.2M variance rows then peaks about
# 90 MB above the process's resting RSS; 100,000 gave 175 MB, for no measurable gain in time.
PART_ROWS = 25_000
_FETCH_ROWS = 10_000

_LABELS = {
    "seller": ["seller_code", "seller_name"],
    "district": ["district_code", "district_name", "region_code", "region_name"],
    "product": ["product_code", "product_name", "product_group"],
}
_VALUES = ["quantity", "amount", "cost"]


@dataclass(frozen=True)
class Report:
    """One computed frame (feeds JSON and every export) and its totals line."""

    rows: pd.DataFrame
    totals: dict[str, Any]


class TooManyRows(ValueError):
    """The report has more rows than the caller allowed (`max_rows`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the report has more than {limit:,} rows")
        self.limit = limit


class Streamed:
    """A report computed part by part: iterate once for its row frames (in output order); `totals()`
    once they have all been read. Memory holds one part at a time."""

    def __init__(self, parts: Iterable[pd.DataFrame]) -> None:
        self._parts = iter(parts)
        self._totals = va.RunningTotals()
        self._done = False

    def __iter__(self) -> Iterator[pd.DataFrame]:
        for part in self._parts:
            self._totals.add(part)
            yield part
        self._done = True

    def totals(self) -> dict[str, Any]:
        if not self._done:
            raise RuntimeError("the totals are known once every part has been read")
        return self._totals.result()


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


def _bounds(months: list[str]) -> tuple[date, date]:
    return month_start(months[0]), month_start(shift_month(months[-1], 1))


def _district_filter(scope: Scope, column: ColumnElement) -> list[ColumnElement]:
    return [] if scope.everything else [column.in_(sorted(scope.district_ids))]


def _dimensions(session: Session) -> dict[str, pd.DataFrame]:
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


def _empty(grain: Grain = FULL) -> pd.DataFrame:
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
        return _empty(grain)[wanted]
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
    seller: ColumnElement | None,
    district: ColumnElement,
    product: ColumnElement,
    day: ColumnElement,
) -> tuple[list[ColumnElement], list[str]]:
    """The key columns of `grain` (the region through a join on `districts`, see `_with_region`)."""
    cols, names = [], []
    region = func.coalesce(District.region_id, 0)
    for on, col, name in (
        (grain.seller, seller, "seller_id"),
        (grain.district, district, "district_id"),
        (grain.region, region, "region_id"),
        (grain.product, product, "product_id"),
        (grain.month, None, "month"),
    ):
        if on:
            cols.append(sql.month_key(session, day) if name == "month" else col)
            names.append(name)
    if not cols:
        raise ValueError("a grain needs at least one of seller, district, product, month")
    return cols, names


_SUMS = ["quantity", "amount", "margin", "costed"]


def _statement(keys: list[ColumnElement], values: list[ColumnElement], *, grouped: bool) -> Select:
    """SELECT keys, values (summed per keys when `grouped`; else the table's rows are already one per key)."""
    if grouped:
        return select(*keys, *(sql.big_sum(v) for v in values)).group_by(*keys)
    return select(*keys, *(cast(v, BigInteger) for v in values))


def _with_region(stmt: Select, grain: Grain, district: ColumnElement) -> Select:
    return stmt.join(District, District.id == district) if grain.region else stmt


def _budget_stmt(
    session: Session, *, scope: Scope, months: list[str], grain: Grain, part: Part
) -> tuple[Select, list[str]]:
    start, end = _bounds(months)
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
        *_district_filter(scope, Budget.district_id),
        *_part_filter(part, district=Budget.district_id, product=Budget.product_id),
    )
    return stmt, [*names, *_SUMS]


def _aggregate_stmt(
    session: Session, *, scope: Scope, months: list[str], grain: Grain, part: Part
) -> tuple[Select, list[str]]:
    """Actuals per district on the sale's date from `sales_product_monthly`."""
    agg = SalesProductMonthly
    keys, names = _keys(session, grain, seller=None, district=agg.district_id, product=agg.product_id, day=agg.month)
    values = [agg.quantity, agg.amount, agg.margin, agg.costed_lines]
    # month is always a first day: equality on (month, district_id), the key's first columns, lets
    # a part of a few districts seek instead of scanning the range
    stmt = _with_region(_statement(keys, values, grouped=grain != FULL).select_from(agg), grain, agg.district_id).where(
        agg.month.in_([month_start(m) for m in months]),
        *_district_filter(scope, agg.district_id),
        *_part_filter(part, district=agg.district_id, product=agg.product_id),
    )
    return stmt, [*names, *_SUMS]


def _raw_stmt(
    session: Session, *, scope: Scope, months: list[str], grain: Grain, part: Part
) -> tuple[Select, list[str]]:
    """Actuals per seller from the raw sales, each in its seller's district on the sale's date."""
    start, end = _bounds(months)
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
        *_district_filter(scope, p.c.district_id),
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
    part: Part, *, district: ColumnElement, product: ColumnElement, seller: ColumnElement | None = None
) -> list[ColumnElement]:
    out = []
    if part.district_ids is not None:
        out.append(district.in_(part.district_ids))
    if part.product_ids is not None:
        out.append(product.in_(part.product_ids))
    if part.seller_ids is not None:
        if seller is None:
            raise ValueError("budgets have no seller")
        out.append(seller.in_(part.seller_ids))
    return out


def _read_ints(session: Session, stmt: Select, width: int) -> np.ndarray:
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


def _load(
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


def load_budget(
    session: Session, *, scope: Scope, months: list[str], dims: dict[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """Budget rows of `months` in the caller's districts: district, region, product, month, int cents."""
    return _load(
        session, "budget", scope=scope, months=months, grain=FULL, part=WHOLE, dims=dims or _dimensions(session)
    )


def load_actual(
    session: Session,
    *,
    scope: Scope,
    months: list[str],
    per_seller: bool = False,
    dims: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Sales of `months` in the caller's districts, summed per (seller if asked, district on the sale's
    date, product, month) in int cents / hundredths.

    `cost` is set so that amount − cost is the margin over the lines that carry a cost (the
    gross_margin rule): Σ amount − Σ (amount − cost over costed lines); null when no line has one.
    Without `per_seller` the sums come from `sales_product_monthly`; with it, from the raw sales.
    """
    grain = Grain(seller=per_seller)
    return _load(
        session, "actual", scope=scope, months=months, grain=grain, part=WHOLE, dims=dims or _dimensions(session)
    )


# --------------------------------------------------------------------------------------------------
# parts


def _key_parts(dims: dict[str, pd.DataFrame], key: str, scope: Scope) -> list[Part]:
    """One part per value of the group key `key`, in the order the variance sorts its rows (code,
    then name; a null region first)."""
    if key in ("district", "region"):
        table = dims["district"]
        if not scope.everything:
            table = table[table.index.isin(scope.district_ids)]
        cols, field = list(va.GROUP_KEYS[key]), "district_ids"
    elif key in ("product", "product_group"):
        table, cols, field = dims["product"], list(dict.fromkeys(va.GROUP_KEYS[key])), "product_ids"
    else:
        table, cols, field = dims["seller"], list(va.GROUP_KEYS[key]), "seller_ids"
    table = table.assign(_id=table.index).sort_values([*cols, "_id"], na_position="first")
    groups = table.groupby(cols, sort=False, dropna=False)["_id"]
    return [Part(**{field: tuple(int(i) for i in ids)}) for _, ids in groups]


def _merge(parts: list[Part]) -> Part:
    """The union of parts of one key."""

    def ids(name: str) -> tuple[int, ...] | None:
        values = [getattr(p, name) for p in parts]
        return None if values[0] is None else tuple(i for v in values for i in v)

    return Part(district_ids=ids("district_ids"), product_ids=ids("product_ids"), seller_ids=ids("seller_ids"))


def _intersect(a: Part, b: Part) -> Part | None:
    """The rows in both parts (None when none can be)."""
    out = {}
    for name in ("district_ids", "product_ids", "seller_ids"):
        x, y = getattr(a, name), getattr(b, name)
        out[name] = x if y is None else y if x is None else tuple(i for i in x if i in set(y))
        if out[name] == ():
            return None
    return Part(**out)


def _runs(values: list[Part], n: int) -> list[Part]:
    """`values` in about `n` contiguous runs."""
    size = max(1, math.ceil(len(values) / max(n, 1)))
    return [_merge(values[i : i + size]) for i in range(0, len(values), size)]


def _estimate(
    session: Session, *, scope: Scope, months: list[str], grain: Grain, with_budget: bool, dims: dict[str, pd.DataFrame]
) -> int:
    """Rows the SQL of both sides returns for the whole report, roughly: the budget and aggregate
    rows in range (raw lines by seller, from `sales_monthly`), divided by what the grain sums away,
    as if the rows were spread evenly."""
    start, end = _bounds(months)
    districts = len(dims["district"]) if scope.everything else len(scope.district_ids)
    regions = max(1, len(dims["region"]) - 1)
    if not grain.seller:
        agg = SalesProductMonthly
        n = (
            session.scalar(
                select(func.count())
                .select_from(agg)
                .where(agg.month >= start, agg.month < end, *_district_filter(scope, agg.district_id))
            )
            or 0
        )
        if with_budget:
            n += (
                session.scalar(
                    select(func.count())
                    .select_from(Budget)
                    .where(Budget.month >= start, Budget.month < end, *_district_filter(scope, Budget.district_id))
                )
                or 0
            )
    else:
        n = (
            session.scalar(
                select(func.coalesce(func.sum(SalesMonthly.lines), 0)).where(
                    SalesMonthly.month >= start,
                    SalesMonthly.month < end,
                    *_district_filter(scope, SalesMonthly.district_id),
                )
            )
            or 0
        )
        bound = len(dims["seller"]) * (len(dims["product"]) if grain.product else 1) * len(months) * 2
        n = min(int(n), bound)
    spread = 1 if grain.month else len(months)
    if not grain.district:
        spread *= max(1, districts // regions) if grain.region else max(1, districts)
    if not grain.product:
        spread *= max(1, len(dims["product"]))
    return math.ceil(n / spread)


def plan_parts(
    session: Session,
    *,
    scope: Scope,
    months: list[str],
    by: list[str],
    grain: Grain,
    with_budget: bool,
    dims: dict[str, pd.DataFrame],
    part_rows: int | None = None,
) -> list[Part]:
    """Parts of about `part_rows` (default PART_ROWS) loaded rows each, in output order: runs of the
    first group key's values; a value estimated larger than a part is split into runs of the second
    key's values. One part for a small report."""
    part_rows = part_rows or PART_ROWS
    total = _estimate(session, scope=scope, months=months, grain=grain, with_budget=with_budget, dims=dims)
    if total <= part_rows:
        return [WHOLE]
    first = _key_parts(dims, by[0], scope)
    per_value = total / max(1, len(first))
    if per_value <= part_rows or len(by) == 1:
        return _runs(first, math.ceil(total / part_rows))
    second = _runs(_key_parts(dims, by[1], scope), math.ceil(per_value / part_rows))
    return [p for a in first for b in second if (p := _intersect(a, b)) is not None]


# --------------------------------------------------------------------------------------------------
# reports


def check_by(by: list[str]) -> list[str]:
    """The group keys, or ValueError saying what is wrong (empty, unknown, repeated)."""
    if not by or any(not k for k in by):
        raise ValueError(f"by needs one or more of {', '.join(GROUP_KEYS)}, separated by commas")
    unknown = [k for k in by if k not in GROUP_KEYS]
    if unknown:
        raise ValueError(f"unknown group key(s) {', '.join(unknown)}; use {', '.join(GROUP_KEYS)}")
    repeated = sorted({k for k in by if by.count(k) > 1})
    if repeated:
        raise ValueError(f"group key(s) {', '.join(repeated)} given more than once")
    return by


def check_range(from_: str, to: str) -> list[str]:
    """The months from `from_` through `to`, or ValueError (bad month, reversed, over 60 months)."""
    for name, value in (("from", from_), ("to", to)):
        try:
            month_start(value)
        except ValueError:
            raise ValueError(f"{name}={value!r} is not a month (YYYY-MM)") from None
    if from_ > to:
        raise ValueError(f"from ({from_}) is after to ({to})")
    months = month_span(from_, to)
    if len(months) > MAX_MONTHS:
        raise ValueError(f"the range {from_} to {to} has {len(months)} months; at most {MAX_MONTHS}")
    return months


def _grain(by: list[str], *, month: bool, products: bool) -> Grain:
    """The grain a report by `by` needs; `products`: the products inside each group (price/volume/mix)."""
    return Grain(
        seller="seller" in by,
        district="district" in by,
        region="region" in by and "district" not in by,
        product=products or "product" in by or "product_group" in by,
        month=month,
    )


def _label_columns(by: list[str], grain: Grain) -> list[str]:
    """The label columns the analytics read for `by` (and product_code for the price/volume/mix cells)."""
    return list(
        dict.fromkeys([*(c for k in by for c in va.GROUP_KEYS[k]), *(["product_code"] if grain.product else [])])
    )


def variance_parts(
    session: Session,
    *,
    scope: Scope,
    from_: str,
    to: str,
    by: list[str],
    per_month: bool = False,
    part_rows: int | None = None,
) -> Iterator[pd.DataFrame]:
    """The variance rows (`app.analytics.variance.variance`) part by part, in output order; at least
    one frame (empty when nothing matched). Checks `by` and the range first (ValueError)."""
    by = check_by(list(by))
    months = check_range(from_, to)
    dims = _dimensions(session)
    with_budget = "seller" not in by
    grain = _grain(by, month=per_month, products=with_budget)
    parts = plan_parts(
        session, scope=scope, months=months, by=by, grain=grain, with_budget=with_budget, dims=dims, part_rows=part_rows
    )

    columns = _label_columns(by, grain)

    def run() -> Iterator[pd.DataFrame]:
        last = None
        for part in parts:
            budget = (
                _load(session, "budget", scope=scope, months=months, grain=grain, part=part, dims=dims, columns=columns)
                if with_budget
                else _empty(grain)
            )
            actual = _load(
                session, "actual", scope=scope, months=months, grain=grain, part=part, dims=dims, columns=columns
            )
            last = va.variance(budget, actual, by=by, per_month=per_month)
            if len(last):
                yield last
                last = None
        if last is not None:  # nothing anywhere: one empty frame, for its columns
            yield last

    return run()


# Reports up to this many rows are kept in the figure cache (a page's table and charts ask for the
# same report several times); bigger ones are computed each time.
CACHED_ROWS = 5_000


def _small(report: Report) -> bool:
    return len(report.rows) <= CACHED_ROWS


def variance_report(
    session: Session,
    *,
    scope: Scope,
    from_: str,
    to: str,
    by: list[str],
    per_month: bool = False,
    max_rows: int | None = None,
) -> Report:
    """Budget against actual from `from_` through `to` per group, for what the caller may see, as one
    frame; `TooManyRows` as soon as it would exceed `max_rows`. Small reports come from the figure
    cache (keyed by the caller's scope: what one may see is not what another may; one entry serves
    any `max_rows`, it is the same report). Treat as read-only."""
    key = ("variance", scope, from_, to, tuple(by), per_month)
    report = figure_cache.get_or_compute(
        session,
        key,
        lambda: _variance_report(
            session, scope=scope, from_=from_, to=to, by=by, per_month=per_month, max_rows=max_rows
        ),
        keep=_small,
    )
    if max_rows is not None and len(report.rows) > max_rows:  # a cached report made for a larger limit
        raise TooManyRows(max_rows)
    return report


def _variance_report(
    session: Session, *, scope: Scope, from_: str, to: str, by: list[str], per_month: bool, max_rows: int | None
) -> Report:
    frames, n = [], 0
    for frame in variance_parts(session, scope=scope, from_=from_, to=to, by=by, per_month=per_month):
        n += len(frame)
        if max_rows is not None and n > max_rows:
            raise TooManyRows(max_rows)
        frames.append(frame)
    rows = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return Report(rows=rows, totals=va.totals(rows))


def variance_stream(
    session: Session, *, scope: Scope, from_: str, to: str, by: list[str], per_month: bool = False
) -> Streamed:
    """The variance for an export, computed and handed over part by part.

    Every part reads one snapshot: SQLite's read transaction is one already; on PostgreSQL (READ
    COMMITTED by default, each statement its own snapshot) the parts run in a REPEATABLE READ
    transaction, so an import committing halfway through cannot show up in the later parts only.
    """
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":  # (a test's session on a connection: as is)
        session.commit()  # ends the request's read-only transaction: the isolation level is set at a start
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return Streamed(variance_parts(session, scope=scope, from_=from_, to=to, by=by, per_month=per_month))


def forecast_report(
    session: Session, *, scope: Scope, year: int, as_of: str | None, by: list[str], today: date | None = None
) -> tuple[Report, str]:
    """The fiscal year's landing per group, for what the caller may see; also the as_of month used.

    `as_of` defaults to the month of the latest sale (the month the pages open on), but never a month
    still running (at most the last complete month before `today`, also without any sale) nor past the
    fiscal year's last month; ValueError
    when the fiscal year has no such month yet, or as_of lies outside it.
    """
    today = today or date.today()  # part of the key: without sales the default as_of moves with the calendar
    key = ("forecast", scope, year, as_of, tuple(by), today)
    return figure_cache.get_or_compute(
        session,
        key,
        lambda: _forecast_report(session, scope=scope, year=year, as_of=as_of, by=by, today=today),
        keep=lambda found: _small(found[0]),
    )


def _forecast_report(
    session: Session, *, scope: Scope, year: int, as_of: str | None, by: list[str], today: date
) -> tuple[Report, str]:
    by = check_by(list(by))
    start_month = load_registry(session).fiscal_start_month
    months = va.fiscal_months(year, start_month)
    if as_of is None:
        # the latest sale's month, but never a month still running (a run rate over three days of
        # December would count them as a month): at most the last complete month
        latest = data_dates(session).sales_month
        as_of = min(latest or last_complete_month(today), last_complete_month(today), months[-1])
        if as_of < months[0]:
            raise ValueError(
                f"fiscal year {year} ({months[0]} to {months[-1]}) has no "
                f"{'sales' if latest else 'complete month'} yet; give as_of"
            )
    else:
        check_range(as_of, as_of)
        if as_of not in months:
            raise ValueError(f"as_of {as_of} is outside fiscal year {year} ({months[0]} to {months[-1]})")
    dims = _dimensions(session)
    with_budget = "seller" not in by
    grain = _grain(by, month=True, products=False)
    columns = _label_columns(by, grain)
    budget = (
        _load(session, "budget", scope=scope, months=months, grain=grain, part=WHOLE, dims=dims, columns=columns)
        if with_budget
        else _empty(grain)
    )
    actual = _load(
        session,
        "actual",
        scope=scope,
        months=months[: months.index(as_of) + 1],
        grain=grain,
        part=WHOLE,
        dims=dims,
        columns=columns,
    )
    rows = va.forecast(budget, actual, year=year, as_of_month=as_of, by=by, fiscal_start_month=start_month)
    return Report(rows=rows, totals=va.totals(rows)), as_of


__all__ = [
    "FULL",
    "GROUP_KEYS",
    "MAX_MONTHS",
    "PART_ROWS",
    "Grain",
    "Part",
    "Report",
    "Streamed",
    "TooManyRows",
    "check_by",
    "check_range",
    "forecast_report",
    "load_actual",
    "load_budget",
    "plan_parts",
    "variance_parts",
    "variance_report",
    "variance_stream",
]
