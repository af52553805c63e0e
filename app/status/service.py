"""What is loaded and when it was loaded: the latest sale and activity, the latest import.

Every import counts the data version up (and writes its audit event in the same transaction), so the
answer is cached under the data version (app.reporting.cache): a page load costs a cache lookup.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent
from app.reporting import cache as figure_cache
from app.reporting.dates import data_dates, open_period


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
        "open_period": open_period(session),
    }
