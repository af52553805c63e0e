"""The figures the pages open on, computed ahead for every unit, in each app process.

Computing one seller's scorecard page on its own costs a few hundred milliseconds at ten million
sales lines; scoring the whole organization at once (`scorecards.precompute`) costs about what a
handful of single pages do. So each app process runs a `Precomputer`: a background thread that
checks the data version every few seconds and, when it changed (an import here, or in any other
process or machine on the same database), scores the organization for the periods the pages open
on, and puts every unit's scorecard, children overview and 12-month trend into the process's figure
cache under the version it read them at, and the scores their card, overview and trend charts are
drawn from (as many as the cache has room for beside the rest: they never push an answer out). Those periods
are the month of the latest sale (where the pages open: GET /data-status's `open_period`) and the
last complete month, when that differs (the month just ended, which a reader picks next while its
sales are being loaded; its figures say that they have no sales yet). For the same periods it computes the
budget page's opening reports for those who see everything (administrators, finance): the variance
by district from January, in total and per month, and the year's forecast; and the organization's red
KPIs the team pages' needs-attention panel is cut from (year to date), and every unit's outlook of the
year as of the period (app.reporting.outlook). A request that comes
before the precompute is done computes its own figure, as it always did; nothing waits for the
precomputer.

Everything is read in one snapshot (SQLite's read transaction is one; on PostgreSQL a REPEATABLE
READ transaction), so the version the entries are kept under is the version they were made from.
"""

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Hashable
from datetime import date

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.access import EVERYTHING
from app.analytics.periods import last_complete_month
from app.models import SalesMonthly
from app.reporting import attention, budget, outlook
from app.reporting.cache import FIGURES
from app.reporting.units import known_units
from app.reporting.version import current_version
from app.scorecards import service as scorecards

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0


def periods_to_precompute(session: Session, today: date) -> list[str]:
    """The last complete month before `today`, and the month of the latest sale when it differs."""
    periods = [last_complete_month(today)]
    latest = session.scalar(select(func.max(SalesMonthly.month)))
    if latest is not None and latest.strftime("%Y-%m") not in periods:
        periods.append(latest.strftime("%Y-%m"))
    return periods


def budget_page(session: Session, period: str, today: date) -> None:
    """The budget page's opening reports through `period` for those who see everything, into the figure
    cache (the budget functions cache them): what the page asks first, by district."""
    for per_month in (False, True):
        budget.variance_report(
            session, scope=EVERYTHING, from_=f"{period[:4]}-01", to=period, by=["district"], per_month=per_month
        )
    # a ValueError: the month lies outside the fiscal year the page would ask for: it shows an error
    with contextlib.suppress(ValueError):
        budget.forecast_report(
            session, scope=EVERYTHING, year=int(period[:4]), as_of=period, by=["district"], today=today
        )


class Precomputer:
    """Keeps the figure cache filled with every unit's opening figures under the current data version."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        poll_seconds: float = POLL_SECONDS,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._sessions = sessions
        self._poll = poll_seconds
        self._today = today
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.version: int | None = None  # the data version last precomputed
        self.runs = 0

    def run_once(self) -> bool:
        """Precompute when the data version moved since the last run; True when it did."""
        with self._sessions() as session:
            bind = session.get_bind()
            if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            version = current_version(session)
            if version == self.version:
                return False
            started = time.perf_counter()
            entries: dict[Hashable, bytes] = {}
            units: dict[Hashable, object] = {}  # the units the figures are found through
            scores: dict[Hashable, scorecards.Scores] = {}  # what the card, overview and trend charts are drawn from
            today = self._today()
            periods = periods_to_precompute(session, today)
            for period in periods:
                answers, scored = scorecards.precompute_with_scores(session, period=period)
                entries.update(answers)
                scores = {**scored, **scores}  # the latest sale's month (the pages open on) first
                units.update(known_units(session, period))
                if self._stop.is_set():
                    return False
                budget_page(session, period, today)
                # the team pages open with the needs-attention panel: the organization's red KPIs (cached)
                attention.red_items(session, period=period, range_="ytd")
                # and the seller and team pages with the year's outlook as of their month (cached); none
                # for a month after the latest sale
                with contextlib.suppress(outlook.BadOutlook):
                    year, _, as_of = outlook.resolve_as_of(session, None, period, today)
                    outlook.year_outlook(session, year, as_of)
            FIGURES.put_many(version, {**units, **entries})
            # the charts' scores where there is room: an entry of this version is never pushed out for them
            room = max(0, FIGURES.max_entries - len(FIGURES))
            FIGURES.put_many(version, dict(itertools.islice(scores.items(), room)))
        self.version = version
        self.runs += 1
        log.info(
            "precomputed %d figures for %s under data version %d in %.1f s",
            len(entries),
            ", ".join(periods),
            version,
            time.perf_counter() - started,
        )
        return True

    def _loop(self) -> None:
        failed = None  # the last failure's message: the same failure again is not logged again
        while not self._stop.is_set():
            try:
                self.run_once()
                failed = None
            except Exception as exc:  # a failed run (say, a database restarting) is tried again next time
                if str(exc) != failed:
                    log.exception("precomputing figures failed; retrying every %.0f s", self._poll)
                failed = str(exc)
            self._stop.wait(self._poll)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="precompute-figures", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
