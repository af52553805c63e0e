"""Budget control from the database: the budget and actual frames `app.analytics.variance` takes,
filtered to what the caller may see, and the variance and forecast reports built from them.

- The SQL of each side, at the grain a report needs, and its reading into frames are in
  `app.reporting.budget_sql`; sums there are exact integer cents on both dialects.
- Access: admin and finance (and a company leader) see everything; a leader sees the districts of
  the units they lead; every other scope sees nothing. The API refuses sellers before calling
  these (403: budgets are not a seller's to read at all); a scope without districts gets empty rows.
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

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics import variance as va
from app.analytics.periods import last_complete_month, month_span, month_start
from app.models import Budget, SalesMonthly, SalesProductMonthly
from app.reporting import cache as figure_cache
from app.reporting.budget_sql import (
    FULL,
    WHOLE,
    Grain,
    Part,
    bounds,
    dimensions,
    district_filter,
    empty,
    load,
)
from app.reporting.dates import data_dates
from app.reporting.registry import load_registry

GROUP_KEYS = tuple(va.GROUP_KEYS)
MAX_MONTHS = 60
# Rows loaded (budget + actual, after the SQL grouping) per part of a report computed in parts.
# Measured (benchmarks/variance_bench.py): a streamed CSV of 1.2M variance rows then peaks about
# 90 MB above the process's resting RSS; 100,000 gave 175 MB, for no measurable gain in time.
PART_ROWS = 25_000


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


def load_budget(
    session: Session, *, scope: Scope, months: list[str], dims: dict[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """Budget rows of `months` in the caller's districts: district, region, product, month, int cents."""
    return load(session, "budget", scope=scope, months=months, grain=FULL, part=WHOLE, dims=dims or dimensions(session))


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
    return load(
        session, "actual", scope=scope, months=months, grain=grain, part=WHOLE, dims=dims or dimensions(session)
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
    start, end = bounds(months)
    districts = len(dims["district"]) if scope.everything else len(scope.district_ids)
    regions = max(1, len(dims["region"]) - 1)
    if not grain.seller:
        agg = SalesProductMonthly
        n = (
            session.scalar(
                select(func.count())
                .select_from(agg)
                .where(agg.month >= start, agg.month < end, *district_filter(scope, agg.district_id))
            )
            or 0
        )
        if with_budget:
            n += (
                session.scalar(
                    select(func.count())
                    .select_from(Budget)
                    .where(Budget.month >= start, Budget.month < end, *district_filter(scope, Budget.district_id))
                )
                or 0
            )
    else:
        n = (
            session.scalar(
                select(func.coalesce(func.sum(SalesMonthly.lines), 0)).where(
                    SalesMonthly.month >= start,
                    SalesMonthly.month < end,
                    *district_filter(scope, SalesMonthly.district_id),
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
    dims = dimensions(session)
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
                load(session, "budget", scope=scope, months=months, grain=grain, part=part, dims=dims, columns=columns)
                if with_budget
                else empty(grain)
            )
            actual = load(
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
    dims = dimensions(session)
    with_budget = "seller" not in by
    grain = _grain(by, month=True, products=False)
    columns = _label_columns(by, grain)
    budget = (
        load(session, "budget", scope=scope, months=months, grain=grain, part=WHOLE, dims=dims, columns=columns)
        if with_budget
        else empty(grain)
    )
    actual = load(
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
    "GROUP_KEYS",
    "MAX_MONTHS",
    "PART_ROWS",
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
