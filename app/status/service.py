"""What is loaded and when it was loaded: the latest sale and activity, the latest import.

Every import counts the data version up (and writes its audit event in the same transaction), so the
answer is cached under the data version (app.reporting.cache): a page load costs a cache lookup.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import ActivitiesMonthly, Activity, AuditEvent, Sale
from app.reporting import cache as figure_cache


@dataclass(frozen=True)
class DataDates:
    """The dates of the latest sale and the latest activity loaded (None: none loaded)."""

    sales_through: date | None
    activities_through: date | None

    @property
    def sales_month(self) -> str | None:
        """'YYYY-MM' of the latest sale: the month the pages open on."""
        return self.sales_through.strftime("%Y-%m") if self.sales_through else None

    @property
    def activities_month(self) -> str | None:
        return self.activities_through.strftime("%Y-%m") if self.activities_through else None


def data_dates(session: Session) -> DataDates:
    """The latest sale's and activity's dates, cached under the data version."""
    return figure_cache.get_or_compute(session, ("data-dates",), lambda: _data_dates(session))


def _data_dates(session: Session) -> DataDates:
    sales_through = session.scalar(select(func.max(Sale.date)))  # ix_sales_date: one index probe
    # activities have no index on the date alone: the month from the aggregate (indexed by month), then
    # the day among that month's rows of the sellers active in it (ix_activities_seller_id_date ranges)
    month = session.scalar(select(func.max(ActivitiesMonthly.month)))
    activities_through = (
        None
        if month is None
        else session.scalar(
            select(func.max(Activity.date)).where(
                Activity.seller_id.in_(select(ActivitiesMonthly.seller_id).where(ActivitiesMonthly.month == month)),
                Activity.date >= month,
            )
        )
    )
    return DataDates(sales_through, activities_through)


@dataclass(frozen=True)
class Import:
    dataset: str
    at: datetime
    by: str


def _last_import(session: Session) -> Import | None:
    row = session.execute(
        select(AuditEvent.dataset, AuditEvent.at, AuditEvent.actor)
        .where(AuditEvent.action == "import")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    return None if row is None else Import(row.dataset or "", row.at, row.actor)


def data_status(session: Session, *, show_who: bool) -> dict:
    """The data-status answer (app.status.schemas.DataStatusRead); `last_import.by` only when `show_who`."""
    dates = data_dates(session)
    last = figure_cache.get_or_compute(session, ("last-import",), lambda: _last_import(session))
    return {
        "sales_through": dates.sales_through,
        "activities_through": dates.activities_through,
        "last_import": None
        if last is None
        else {"dataset": last.dataset, "at": last.at, "by": last.by if show_who else None},
        # never past the current month either: one sale dated 05.11.2062 by mistake must not open every page there
        "open_period": None if dates.sales_month is None else min(dates.sales_month, date.today().strftime("%Y-%m")),
    }
