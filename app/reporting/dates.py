"""The dates of the latest sale and activity loaded: the month the pages open on and how fresh the
figures are. Cached under the data version (app.reporting.cache): a page load costs a cache lookup."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import ActivitiesMonthly, Activity, Sale
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


def open_period(session: Session, today: date | None = None) -> str | None:
    """The month the pages open on (GET /data-status `open_period`): the latest month with sales, never
    past `today`'s month (default: today; one sale dated 05.11.2062 by mistake must not open every page
    there); None before any sale."""
    month = data_dates(session).sales_month
    return None if month is None else min(month, (today or date.today()).strftime("%Y-%m"))


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
