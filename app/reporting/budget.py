"""Budget control from the database: the budget and actual frames `app.analytics.variance` takes,
filtered to what the caller may see, and the variance and forecast reports built from them.

- Sums are integer cents / hundredths in SQL (each line rounded to the cent first, as in
  `app.reporting.facts`), so they are exact on SQLite too.
- A sale counts for the district of its seller on the sale's date (the same `seller_districts`
  join as the scorecards); budgets are per district × product × month.
- Access: admin and finance (and a company leader) see everything; a leader sees the districts of
  the units they lead; every other scope sees nothing. The API refuses sellers before calling
  these (403: budgets are not a seller's to read at all); a scope without districts gets empty rows.
- The SQL returns ids only; codes and names are mapped in pandas from the small dimension tables,
  which keeps the transfer of a million-row result small.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, ColumnElement, case, cast, func, select
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics import variance as va
from app.analytics.periods import month_span, month_start, shift_month
from app.models import Budget, District, Product, Region, Sale, Seller, SellerDistrict
from app.reporting.facts import _district_on_date, month_of, read_frame
from app.reporting.registry import load_registry

GROUP_KEYS = tuple(va.GROUP_KEYS)
MAX_MONTHS = 60

_FRAME_COLUMNS = ["district_code", "district_name", "region_code", "region_name", "product_code",
                  "product_name", "product_group", "month", "quantity", "amount", "cost"]


@dataclass(frozen=True)
class Report:
    """One computed frame (feeds JSON and every export) and its totals line."""

    rows: pd.DataFrame
    totals: dict[str, Any]


def _cents(expr: ColumnElement) -> ColumnElement:
    return cast(func.round(expr * 100), BigInteger)


def _sum(expr: ColumnElement) -> ColumnElement:
    # PostgreSQL's SUM(bigint) is NUMERIC; cast back so rows carry ints, not Decimals
    return cast(func.sum(expr), BigInteger)


def _bounds(months: list[str]) -> tuple[date, date]:
    return month_start(months[0]), month_start(shift_month(months[-1], 1))


def _district_filter(scope: Scope, column: ColumnElement) -> list[ColumnElement]:
    return [] if scope.everything else [column.in_(sorted(scope.district_ids))]


def _dimensions(session: Session) -> dict[str, pd.DataFrame]:
    """Districts (with their region), products and sellers, indexed by id."""
    regions = read_frame(session, select(Region.id, Region.code, Region.name), ["id", "region_code", "region_name"])
    districts = read_frame(session, select(District.id, District.code, District.name, District.region_id),
                           ["id", "district_code", "district_name", "region_id"])
    districts = districts.merge(regions, how="left", left_on="region_id", right_on="id",
                                suffixes=("", "_r")).drop(columns=["region_id", "id_r"])
    products = read_frame(session, select(Product.id, Product.code, Product.name, Product.product_group),
                          ["id", "product_code", "product_name", "product_group"])
    sellers = read_frame(session, select(Seller.id, Seller.code, Seller.name), ["id", "seller_code", "seller_name"])
    return {"district": districts.set_index("id"), "product": products.set_index("id"),
            "seller": sellers.set_index("id")}


def _label(frame: pd.DataFrame, dims: dict[str, pd.DataFrame], id_col: str, dim: str) -> pd.DataFrame:
    """Replace the id column `id_col` by the dimension's code/name columns."""
    table = dims[dim]
    ids = frame[id_col].to_numpy()
    positions = table.index.get_indexer(ids)
    out = frame.drop(columns=[id_col])
    for col in table.columns:
        values = table[col].to_numpy(dtype=object)[positions]
        out[col] = pd.array(values, dtype="str")
    return out


def _finish(frame: pd.DataFrame, dims: dict[str, pd.DataFrame], *, with_seller: bool) -> pd.DataFrame:
    """Ids -> codes and names; cents as int64 (cost nullable Int64); month as 'YYYY-MM'."""
    frame = frame.astype({"district_id": "int64", "product_id": "int64", "quantity": "int64", "amount": "int64"})
    frame = _label(frame, dims, "district_id", "district")
    frame = _label(frame, dims, "product_id", "product")
    if with_seller:
        frame = _label(frame.astype({"seller_id": "int64"}), dims, "seller_id", "seller")
    frame["month"] = frame["month"].astype("str")
    frame["cost"] = frame["cost"].astype("Int64")
    extra = ["seller_code", "seller_name"] if with_seller else []
    return frame[[*_FRAME_COLUMNS, *extra]]


def _empty(with_seller: bool = False) -> pd.DataFrame:
    cols = {c: pd.Series(dtype="str") for c in _FRAME_COLUMNS}
    cols.update(quantity=pd.Series(dtype="int64"), amount=pd.Series(dtype="int64"), cost=pd.Series(dtype="Int64"))
    if with_seller:
        cols.update(seller_code=pd.Series(dtype="str"), seller_name=pd.Series(dtype="str"))
    return pd.DataFrame(cols)


def load_budget(session: Session, *, scope: Scope, months: list[str],
                dims: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Budget rows of `months` in the caller's districts: district, region, product, month, int cents."""
    start, end = _bounds(months)
    stmt = (
        select(Budget.district_id, Budget.product_id, month_of(session, Budget.month),
               _cents(Budget.quantity), _cents(Budget.amount), _cents(Budget.cost))
        .where(Budget.month >= start, Budget.month < end, *_district_filter(scope, Budget.district_id))
    )
    frame = read_frame(session, stmt, ["district_id", "product_id", "month", "quantity", "amount", "cost"])
    if frame.empty:
        return _empty()
    return _finish(frame, dims or _dimensions(session), with_seller=False)


def load_actual(session: Session, *, scope: Scope, months: list[str], per_seller: bool = False,
                dims: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Sales of `months` in the caller's districts, summed per (seller if asked, district on the sale's
    date, product, month) in int cents / hundredths.

    `cost` is set so that amount − cost is the margin over the lines that carry a cost (the
    gross_margin rule): Σ amount − Σ (amount − cost over costed lines); null when no line has one.
    """
    start, end = _bounds(months)
    month = month_of(session, Sale.date).label("month")
    has_cost = Sale.cost.is_not(None)
    keys = [*([Sale.seller_id] if per_seller else []), SellerDistrict.district_id, Sale.product_id, month]
    stmt = (
        select(*keys, _sum(_cents(Sale.quantity)), _sum(_cents(Sale.amount)),
               _sum(case((has_cost, _cents(Sale.amount) - _cents(Sale.cost)))))
        .select_from(Sale)
        .join(SellerDistrict, _district_on_date(Sale.seller_id, Sale.date))
        .where(Sale.date >= start, Sale.date < end, *_district_filter(scope, SellerDistrict.district_id))
        .group_by(*keys)
    )
    names = [*(["seller_id"] if per_seller else []), "district_id", "product_id", "month",
             "quantity", "amount", "margin"]
    frame = read_frame(session, stmt, names)
    if frame.empty:
        return _empty(per_seller)
    amount = frame["amount"].astype("int64")
    frame["cost"] = amount - frame["margin"].astype("Int64")
    return _finish(frame.drop(columns=["margin"]), dims or _dimensions(session), with_seller=per_seller)


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


def variance_report(session: Session, *, scope: Scope, from_: str, to: str, by: list[str],
                    per_month: bool = False) -> Report:
    """Budget against actual from `from_` through `to` per group, for what the caller may see."""
    by = check_by(list(by))
    months = check_range(from_, to)
    dims = _dimensions(session)
    per_seller = "seller" in by
    budget = _empty() if per_seller else load_budget(session, scope=scope, months=months, dims=dims)
    actual = load_actual(session, scope=scope, months=months, per_seller=per_seller, dims=dims)
    rows = va.variance(budget, actual, by=by, per_month=per_month)
    return Report(rows=rows, totals=va.totals(rows))


def last_complete_month(today: date) -> str:
    return shift_month(today.strftime("%Y-%m"), -1)


def forecast_report(session: Session, *, scope: Scope, year: int, as_of: str | None, by: list[str],
                    today: date | None = None) -> tuple[Report, str]:
    """The fiscal year's landing per group, for what the caller may see; also the as_of month used.

    `as_of` defaults to the last complete month before `today`, but not past the fiscal year's last
    month; ValueError when the fiscal year has no complete month yet, or as_of lies outside it.
    """
    by = check_by(list(by))
    start_month = load_registry(session).fiscal_start_month
    months = va.fiscal_months(year, start_month)
    if as_of is None:
        as_of = min(last_complete_month(today or date.today()), months[-1])
        if as_of < months[0]:
            raise ValueError(f"fiscal year {year} ({months[0]} to {months[-1]}) has no complete month yet; "
                             "give as_of")
    else:
        check_range(as_of, as_of)
        if as_of not in months:
            raise ValueError(f"as_of {as_of} is outside fiscal year {year} ({months[0]} to {months[-1]})")
    dims = _dimensions(session)
    per_seller = "seller" in by
    budget = _empty() if per_seller else load_budget(session, scope=scope, months=months, dims=dims)
    actual = load_actual(session, scope=scope, months=months[:months.index(as_of) + 1],
                         per_seller=per_seller, dims=dims)
    rows = va.forecast(budget, actual, year=year, as_of_month=as_of, by=by, fiscal_start_month=start_month)
    return Report(rows=rows, totals=va.totals(rows)), as_of


__all__ = ["GROUP_KEYS", "MAX_MONTHS", "Report", "check_by", "check_range", "forecast_report",
           "load_actual", "load_budget", "variance_report"]
