"""Locked months: lock and unlock (finance, administrators), the months and their locks, and what
imports and goal conversations ask before they change a month's figures.

A lock is one `PeriodLock` row; locking takes the month's snapshot (app.close.snapshots) in the same
transaction, and unlocking deletes the row and notes itself on that snapshot, which stays for the
restatement diff. Both take the import serialization (app.reporting.aggregates.serialize), so a lock
never falls between an import's check of the locked months and its commit: the import either sees
the lock or is done before the snapshot is taken.

While a month is locked, an import that would change its sales, activities, targets, KPI values or
budgets is refused whole (app.imports.upsert checks each row it would write against
`locked_months`), and so is a goal conversation dated in it.
"""

from datetime import UTC, date, datetime

from fastapi import HTTPException, status
from sqlalchemy import exists, func, or_, select, union
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.analytics.periods import month_start
from app.audit.service import record as record_audit
from app.close import snapshots
from app.models import ActivitiesMonthly, Budget, KpiValue, PeriodLock, SalesMonthly, Snapshot, Target, User
from app.reporting import aggregates
from app.reporting import cache as figure_cache
from app.reporting.dates import open_period

# The month columns of what a lock holds still: the monthly aggregates of sales and activities (what
# the figures are read from, thousands of rows where the raw facts are millions) and the plans.
_INDEXED_MONTHS = (SalesMonthly.month, ActivitiesMonthly.month, Budget.month)  # a month-leading index each
_PLAN_MONTHS = (Target.month, KpiValue.month)  # small tables without one


def locked_months(session: Session) -> dict[str, PeriodLock]:
    """Every locked month ('YYYY-MM') and its lock."""
    return {lock.period: lock for lock in session.scalars(select(PeriodLock).order_by(PeriodLock.period))}


def who_and_when(lock: PeriodLock) -> str:
    """'by okonomi@example.com on 2026-12-02': who locked the month and on which day (UTC), as the
    refusals of imports and goal conversations name it."""
    return f"by {lock.locked_by} on {lock.locked_at:%Y-%m-%d}"


def refusal(lock: PeriodLock, change: str) -> str:
    """'2026-06 is locked (by … on 2026-12-02): unlock it to change its sales'."""
    return f"{lock.period} is locked ({who_and_when(lock)}): unlock it to {change}"


def _month_or_422(period: str) -> date:
    try:
        return month_start(period)
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"not a month (YYYY-MM): {period!r}") from None


def _distinct_months(session: Session, column: InstrumentedAttribute[date]) -> list[date]:
    """The distinct months of an indexed month column, one index probe each (a loose index scan as a
    recursive query: the smallest month, then the smallest after it, ...): a few dozen probes instead
    of reading every row of the table."""
    first = select(func.min(column).label("m")).cte("months", recursive=True)
    later = select(select(func.min(column)).where(column > first.c.m).scalar_subquery()).where(first.c.m.is_not(None))
    found = first.union_all(later)
    return list(session.scalars(select(found.c.m).where(found.c.m.is_not(None))))


def _months_with_data(session: Session) -> frozenset[str]:
    """'YYYY-MM' of every month with sales, activities, targets, KPI values or budgets."""
    months: set[date] = set()
    for column in _INDEXED_MONTHS:
        months.update(_distinct_months(session, column))
    months.update(session.scalars(union(*(select(c.label("m")).distinct() for c in _PLAN_MONTHS))))
    return frozenset(f"{m:%Y-%m}" for m in months)


def _has_data(session: Session, first: date) -> bool:
    """Whether the month starting on `first` has sales, activities, targets, KPI values or budgets."""
    found = or_(*(exists().where(column == first) for column in (*_INDEXED_MONTHS, *_PLAN_MONTHS)))
    return bool(session.scalar(select(found)))


def periods(session: Session) -> dict:
    """The answer of GET /periods (PeriodsRead): every month with data and every locked month, newest
    first, each with its lock. The months with data are cached under the data version (a page load
    costs a cache lookup); the locks are read each time."""
    with_data: frozenset[str] = figure_cache.get_or_compute(
        session, ("close", "months-with-data"), lambda: _months_with_data(session)
    )
    locks = locked_months(session)
    items = []
    for period in sorted(with_data | set(locks), reverse=True):
        lock = locks.get(period)
        items.append(
            {
                "period": period,
                "locked": lock is not None,
                "locked_at": lock.locked_at if lock else None,
                "locked_by": lock.locked_by if lock else None,
                "snapshot_id": lock.snapshot_id if lock else None,
                "has_data": period in with_data,
            }
        )
    return {"open_period": open_period(session), "items": items}


def _answer(lock: PeriodLock, *, locked: bool, snapshot: Snapshot | None = None) -> dict:
    return {
        "period": lock.period,
        "locked": locked,
        "locked_at": lock.locked_at,
        "locked_by": lock.locked_by,
        "unlocked_at": snapshot.unlocked_at if snapshot else None,
        "unlocked_by": snapshot.unlocked_by if snapshot else None,
        "snapshot_id": lock.snapshot_id,
    }


def lock(session: Session, *, period: str, user: User) -> dict:
    """Lock `period` and take its snapshot (LockRead); 409 when locked already, 422 without data.

    Flushes only; the caller commits (the lock, its snapshot and its audit event together)."""
    first = _month_or_422(period)
    aggregates.serialize(session)  # no import between the snapshot and the lock
    held = session.get(PeriodLock, period, populate_existing=True)
    if held is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{period} is locked already ({who_and_when(held)})")
    if not _has_data(session, first):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{period} has no data to lock (no sales, activities, targets, KPI values nor budgets)",
        )
    snapshot = snapshots.take(session, period=period, user=user)
    row = PeriodLock(
        period=period,
        locked_at=datetime.now(UTC),
        locked_by_user_id=user.id,
        locked_by=user.email,
        snapshot_id=snapshot.id,
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        actor=user,
        action="lock",
        entity=f"period {period}",
        after={"period": period, "snapshot_id": snapshot.id},
    )
    return _answer(row, locked=True)


def unlock(session: Session, *, period: str, user: User) -> dict:
    """Unlock `period` (LockRead); 409 when it is not locked. Its snapshot stays, with who unlocked
    it and when. Flushes only; the caller commits."""
    _month_or_422(period)
    aggregates.serialize(session)
    row = session.get(PeriodLock, period, populate_existing=True)
    if row is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{period} is not locked")
    before = {
        "period": row.period,
        "locked_at": row.locked_at,
        "locked_by": row.locked_by,
        "snapshot_id": row.snapshot_id,
    }
    snapshot = session.get(Snapshot, row.snapshot_id)
    if snapshot is not None:
        snapshot.unlocked_at = datetime.now(UTC)
        snapshot.unlocked_by = user.email
    answer = _answer(row, locked=False, snapshot=snapshot)
    session.delete(row)
    session.flush()
    record_audit(session, actor=user, action="unlock", entity=f"period {period}", before=before)
    return answer
