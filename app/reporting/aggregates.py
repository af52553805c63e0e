"""Keeping the monthly aggregates (app.models.aggregates) in step with the facts.

An import of sales, activities or seller histories names what it touched (`Touched`: sellers and
months, accounts); `refresh` then deletes the aggregate rows of that slice and writes them again
from the raw rows with one INSERT … SELECT … GROUP BY per table, inside the import's transaction.
Recomputing a slice from the raw rows (rather than adding deltas) keeps the aggregates exactly what
a computation from the raw rows gives, whatever the import did: new lines, corrected lines, lines
moved to another seller or month, a seller's history rewritten.

- District on date: each seller's `seller_districts` rows become periods [valid_from, next
  valid_from) with LEAD(); a fact joins the period that contains its date.
- `sales_product_monthly` is per district, so its slice is the rectangle of districts × months the
  touched sellers had rows in, before and after the refresh.
- `account_first_sales` comes from `sales_monthly` (the first month with a positive line), for the
  touched accounts (for all of them at once when most accounts are touched).
- One writer at a time: on PostgreSQL two transactions rewriting the same slice would each keep
  the other's rows (a DELETE does not see rows inserted after it began), so `refresh` and `rebuild`
  first take a transaction-level advisory lock (`serialize`), which the importer takes before it
  writes anything. SQLite has one writer at a time anyway.
- Speed for big slices (a first load, a rebuild): when a slice holds most of a table, its indexes
  are dropped before the insert and built again after it (one sort per index instead of a b-tree
  insert per row: at a million aggregate rows, seconds instead of tens of seconds), as the importer
  does for the facts. During a refresh PostgreSQL may hash the groups in memory (`work_mem`) and
  SQLite sorts in a bigger page cache; both settings are set back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex
from sqlalchemy.sql import Delete, Insert, Select, Subquery

from app.analytics.periods import shift_month
from app.models import (
    Account,
    AccountFirstSale,
    ActivitiesMonthly,
    Activity,
    Sale,
    SalesMonthly,
    SalesProductMonthly,
    Seller,
    SellerDistrict,
)
from app.reporting import sql
from app.reporting.sql import Executor
from app.reporting.version import bump_version

# Ids per IN (...) list (SQLite allows 32766 variables per statement).
ID_CHUNK = 5_000
# From this share of all sellers, a slice is taken over all sellers (one scan, no IN list).
ALL_SELLERS_SHARE = 0.5
# From this share of all accounts, first sales are recomputed for every account (one scan).
ALL_ACCOUNTS_SHARE = 0.5
# A slice of at least this many raw rows that is at least half of its aggregate table is rewritten
# with the table's indexes dropped and built again (smaller ones write through the indexes: no
# exclusive lock for an everyday import).
BULK_MIN_FACTS = 200_000
# During a refresh: PostgreSQL's memory per hash or sort (a million groups hash in about 200 MB
# instead of spilling to disk), SQLite's page cache in KiB (sorts and index builds stay in memory).
PG_WORK_MEM = "256MB"
SQLITE_CACHE_KIB = 65_536


@dataclass
class Touched:
    """What an import changed: seller × month pairs of facts (old and new values) and accounts.

    `all_months_of` lists sellers whose every month is affected (their district history changed).
    """

    sales: set[tuple[int, str]] = field(default_factory=set)  # (seller_id, 'YYYY-MM')
    activities: set[tuple[int, str]] = field(default_factory=set)  # (seller_id, 'YYYY-MM')
    accounts: set[int] = field(default_factory=set)
    all_months_of: set[int] = field(default_factory=set)  # seller ids

    def __bool__(self) -> bool:
        return bool(self.sales or self.activities or self.accounts or self.all_months_of)


def district_periods() -> Subquery:
    """Each seller's district periods: [valid_from, valid_to), valid_to null for the current one."""
    return select(
        SellerDistrict.seller_id,
        SellerDistrict.district_id,
        SellerDistrict.valid_from,
        func.lead(SellerDistrict.valid_from)
        .over(partition_by=SellerDistrict.seller_id, order_by=SellerDistrict.valid_from)
        .label("valid_to"),
    ).subquery("p")


def on_district_period(p: Subquery, seller: sql.Expr, day: sql.Expr) -> ColumnElement[bool]:
    return and_(p.c.seller_id == seller, p.c.valid_from <= day, or_(p.c.valid_to.is_(None), day < p.c.valid_to))


def _first(month: str) -> date:
    return date.fromisoformat(f"{month}-01")


@dataclass(frozen=True)
class _Slice:
    """Sellers (None: all) × months [first, last] (None: all)."""

    sellers: list[int] | None
    first: str | None
    last: str | None

    def chunks(self) -> list[list[int] | None]:
        if self.sellers is None:
            return [None]
        return [self.sellers[i : i + ID_CHUNK] for i in range(0, len(self.sellers), ID_CHUNK)]

    def fact_filter(self, seller: sql.Expr, day: sql.Expr, sellers: list[int] | None) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = [] if sellers is None else [seller.in_(sellers)]
        if self.first is not None and self.last is not None:
            out += [day >= _first(self.first), day < _first(shift_month(self.last, 1))]
        return out

    def agg_filter(self, seller: sql.Expr, month: sql.Expr, sellers: list[int] | None) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = [] if sellers is None else [seller.in_(sellers)]
        if self.first is not None and self.last is not None:
            out += [month >= _first(self.first), month <= _first(self.last)]
        return out


def _slices(pairs: set[tuple[int, str]], all_months_of: set[int], n_sellers: int) -> list[_Slice]:
    """Few rectangles covering the touched (seller, month) pairs: per distinct month span, its sellers."""
    if not pairs and not all_months_of:
        return []
    out: list[_Slice] = []
    if all_months_of:
        out.append(_Slice(sorted(all_months_of), None, None))
    rest = [(s, m) for s, m in pairs if s not in all_months_of]
    if rest:
        first, last = min(m for _, m in rest), max(m for _, m in rest)
        sellers = sorted({s for s, _ in rest})
        everyone = n_sellers and len(sellers) >= ALL_SELLERS_SHARE * n_sellers
        out.append(_Slice(None if everyone else sellers, first, last))
    return out


def _refresh_sales(conn: Executor, sl: _Slice) -> None:
    p = district_periods()
    month = sql.month_start(conn, Sale.date)
    has_cost = Sale.cost.is_not(None)
    amount = sql.cents(Sale.amount)
    for sellers in sl.chunks():
        facts = select(func.count()).select_from(Sale).where(*sl.fact_filter(Sale.seller_id, Sale.date, sellers))
        keys = [Sale.seller_id, month, p.c.district_id, Sale.account_id]
        stmt = (
            select(
                *keys,
                func.count(),
                sql.big_sum(case((Sale.amount > 0, 1), else_=0)),
                func.count(Sale.cost),
                sql.big_sum(amount),
                sql.big_sum(case((has_cost, amount - sql.cents(Sale.cost)))),
                sql.big_sum(case((has_cost, amount))),
            )
            .select_from(Sale)
            .join(p, on_district_period(p, Sale.seller_id, Sale.date))
            .where(*sl.fact_filter(Sale.seller_id, Sale.date, sellers))
            .group_by(*keys)
        )
        _rewrite(
            conn,
            delete(SalesMonthly).where(*sl.agg_filter(SalesMonthly.seller_id, SalesMonthly.month, sellers)),
            insert(SalesMonthly).from_select(
                [
                    "seller_id",
                    "month",
                    "district_id",
                    "account_id",
                    "lines",
                    "sale_lines",
                    "costed_lines",
                    "amount",
                    "margin",
                    "costed_amount",
                ],
                stmt,
            ),
            facts,
        )


def _district_months(conn: Executor, sl: _Slice) -> set[tuple[int, date]]:
    out: set = set()
    for sellers in sl.chunks():
        out |= {
            (d, m if isinstance(m, date) else date.fromisoformat(str(m)))
            for d, m in conn.execute(
                select(SalesMonthly.district_id, SalesMonthly.month)
                .distinct()
                .where(*sl.agg_filter(SalesMonthly.seller_id, SalesMonthly.month, sellers))
            )
        }
    return out


def _refresh_products(conn: Executor, district_months: set[tuple[int, date]], everything: bool) -> None:
    """Rewrite sales_product_monthly over the districts × months rectangle of `district_months`."""
    if not district_months and not everything:
        return
    p = district_periods()
    month = sql.month_start(conn, Sale.date)
    has_cost = Sale.cost.is_not(None)
    amount = sql.cents(Sale.amount)
    districts: list[int] | None = None
    agg: list[ColumnElement[bool]] = []
    fact: list[ColumnElement[bool]] = []
    if not everything:
        districts = sorted({d for d, _ in district_months})
        lo, hi = min(m for _, m in district_months), max(m for _, m in district_months)
        agg = [SalesProductMonthly.month >= lo, SalesProductMonthly.month <= hi]
        fact = [Sale.date >= lo, Sale.date < _first(shift_month(hi.strftime("%Y-%m"), 1))]
    chunks = [None] if districts is None else [districts[i : i + ID_CHUNK] for i in range(0, len(districts), ID_CHUNK)]
    for ds in chunks:
        facts = select(func.count()).select_from(Sale).where(*fact)  # all districts: an upper bound
        keys = [month, p.c.district_id, Sale.product_id]
        stmt = (
            select(
                *keys,
                func.count(),
                func.count(Sale.cost),
                sql.big_sum(sql.cents(Sale.quantity)),
                sql.big_sum(amount),
                sql.big_sum(case((has_cost, amount - sql.cents(Sale.cost)))),
            )
            .select_from(Sale)
            .join(p, on_district_period(p, Sale.seller_id, Sale.date))
            .where(*fact, *([] if ds is None else [p.c.district_id.in_(ds)]))
            .group_by(*keys)
        )
        _rewrite(
            conn,
            delete(SalesProductMonthly).where(*agg, *([] if ds is None else [SalesProductMonthly.district_id.in_(ds)])),
            insert(SalesProductMonthly).from_select(
                ["month", "district_id", "product_id", "lines", "costed_lines", "quantity", "amount", "margin"], stmt
            ),
            facts,
        )


def _refresh_activities(conn: Executor, sl: _Slice) -> None:
    p = district_periods()
    month = sql.month_start(conn, Activity.date)
    for sellers in sl.chunks():
        facts = (
            select(func.count())
            .select_from(Activity)
            .where(*sl.fact_filter(Activity.seller_id, Activity.date, sellers))
        )
        keys = [Activity.seller_id, month, p.c.district_id, Activity.type]
        stmt = (
            select(*keys, func.count(), sql.big_sum(sql.cents(Activity.value)))
            .select_from(Activity)
            .join(p, on_district_period(p, Activity.seller_id, Activity.date))
            .where(*sl.fact_filter(Activity.seller_id, Activity.date, sellers))
            .group_by(*keys)
        )
        _rewrite(
            conn,
            delete(ActivitiesMonthly).where(
                *sl.agg_filter(ActivitiesMonthly.seller_id, ActivitiesMonthly.month, sellers)
            ),
            insert(ActivitiesMonthly).from_select(["seller_id", "month", "district_id", "type", "n", "value"], stmt),
            facts,
        )


def _refresh_first_sales(conn: Executor, accounts: list[int] | None) -> None:
    first = (
        select(SalesMonthly.account_id, func.min(SalesMonthly.month))
        .where(SalesMonthly.sale_lines > 0)
        .group_by(SalesMonthly.account_id)
    )
    chunks = [None] if accounts is None else [accounts[i : i + ID_CHUNK] for i in range(0, len(accounts), ID_CHUNK)]
    for ids in chunks:
        if ids is None:
            conn.execute(delete(AccountFirstSale))
            conn.execute(insert(AccountFirstSale).from_select(["account_id", "month"], first))
        else:
            conn.execute(delete(AccountFirstSale).where(AccountFirstSale.account_id.in_(ids)))
            conn.execute(
                insert(AccountFirstSale).from_select(
                    ["account_id", "month"], first.where(SalesMonthly.account_id.in_(ids))
                )
            )


def _rewrite(conn: Executor, remove: Delete, add: Insert, facts: Select[Any]) -> None:
    """Delete a slice's aggregate rows (`remove`) and insert them again from the facts (`add`).

    When the slice is at least half of the table (a first load, a reload, a rebuild) and `facts`
    (counting the raw rows of the slice, or more) is big, the table's indexes (and on PostgreSQL
    its primary key) are dropped before the insert and built again after it. On PostgreSQL that
    locks the table until commit, so only such loads do it; other imports write through the indexes.
    """
    table = remove.table
    if not isinstance(table, Table):  # the aggregates' own tables (their indexes are dropped below)
        raise TypeError(f"{table} is not a table")
    # a DELETE's result is a CursorResult (Session.execute is typed as returning any Result)
    deleted = cast(CursorResult[Any], conn.execute(remove)).rowcount or 0
    if (conn.execute(facts).scalar() or 0) < BULK_MIN_FACTS or (
        conn.execute(select(func.count()).select_from(table)).scalar() or 0
    ) > deleted:  # rows kept
        conn.execute(add)
        return
    postgresql = sql.dialect(conn) == "postgresql"
    indexes = list(table.indexes)
    for ix in indexes:
        conn.execute(DropIndex(ix))
    if postgresql:
        conn.execute(DropConstraint(table.primary_key))
    conn.execute(add)
    if postgresql:
        conn.execute(AddConstraint(table.primary_key))
    for ix in indexes:
        conn.execute(CreateIndex(ix))
    if postgresql:  # fresh statistics for the plans of the reads that follow
        conn.execute(text(f'ANALYZE "{table.name}"'))


@contextmanager
def _tuned(conn: Executor) -> Iterator[None]:
    """PG_WORK_MEM or SQLITE_CACHE_KIB for the statements inside, set back on the way out.

    PostgreSQL: `set_config(..., true)` lasts until the transaction ends (and a rollback undoes it),
    so the old value is set back explicitly. SQLite: the cache size is the connection's.
    """
    if sql.dialect(conn) == "postgresql":
        before = conn.execute(text("SELECT current_setting('work_mem')")).scalar()
        conn.execute(text("SELECT set_config('work_mem', :v, true)"), {"v": PG_WORK_MEM})
        yield
        conn.execute(text("SELECT set_config('work_mem', :v, true)"), {"v": before})
        return
    pages = conn.execute(text("PRAGMA cache_size")).scalar_one()  # (one row, always)
    bigger = (pages if pages < 0 else pages * 4) > -SQLITE_CACHE_KIB  # pages of 4 KiB
    if bigger:
        conn.execute(text(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}"))
    yield
    if bigger:
        conn.execute(text(f"PRAGMA cache_size = {int(pages)}"))


# The advisory lock key of `serialize` (any constant: "sc-aggr" in ASCII).
ADVISORY_LOCK = 0x73632D61676772


def serialize(conn: Executor) -> None:
    """Wait until no other transaction is writing facts or aggregates; hold that until this one ends.

    PostgreSQL: a transaction-level advisory lock (taken again by the same transaction, it is a no-op).
    SQLite: nothing to do, its write transactions are one at a time.
    """
    if sql.dialect(conn) == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK)))


def refresh(conn: Executor, touched: Touched) -> None:
    """Bring the aggregates of what `touched` names back in step with the raw rows."""
    if not touched:
        return
    serialize(conn)  # before any statement of the refresh, so each sees the last writer's commit
    with _tuned(conn):
        n_sellers = conn.execute(select(func.count()).select_from(Seller)).scalar() or 0
        for sl in _slices(touched.sales, touched.all_months_of, n_sellers):
            before = _district_months(conn, sl)
            _refresh_sales(conn, sl)
            everything = sl.sellers is None and sl.first is None
            _refresh_products(conn, before | _district_months(conn, sl), everything)
        for sl in _slices(touched.activities, touched.all_months_of, n_sellers):
            _refresh_activities(conn, sl)
        # A history change moves facts between districts, not between months: first sales stay.
        accounts = sorted(touched.accounts)
        if accounts:
            n_accounts = conn.execute(select(func.count()).select_from(Account)).scalar() or 0
            _refresh_first_sales(conn, None if len(accounts) >= ALL_ACCOUNTS_SHARE * n_accounts else accounts)


def rebuild(conn: Executor) -> None:
    """Every aggregate from the raw rows (after a bulk load outside the importer, or a migration)."""
    everything = _Slice(None, None, None)
    serialize(conn)
    with _tuned(conn):
        _refresh_sales(conn, everything)
        _refresh_products(conn, set(), everything=True)
        _refresh_activities(conn, everything)
        _refresh_first_sales(conn, None)
    bump_version(conn)


__all__ = [
    "Touched",
    "district_periods",
    "on_district_period",
    "rebuild",
    "refresh",
]
