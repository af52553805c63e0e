"""Computed figures cached per process, keyed by what was asked and the data version they were made from.

A scorecard, a children overview or a trend depends only on the unit, the period and the range (the
caller's access is checked before the cache is asked, so one entry serves everyone allowed to see
it) and on the stored data. Every transaction that changes a figure counts `data_version` up
(app.reporting.version.bump_version); a lookup reads the current version first (one primary-key
read per transaction, `transaction_version`: a request's lookups share it) and only an entry made
under that version answers. So an entry is never stale, however many processes or machines share
the database: another instance's import makes this one recompute on its next request. Old entries
age out of the LRU; nothing needs to be told to forget.

Besides those figures (kept as JSON by app.scorecards.service), the cache holds what else derives
from the stored data alone: the KPI registry, the organization tree per month end, units' scores,
chart JSON, small budget reports and each caller's access scope. `app.precompute` fills it ahead for
the pages' opening periods.

Entries are shared between requests: treat what `get_or_compute` returns as read-only.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy.orm import Session

from app.reporting.version import known_version, transaction_version

MAX_ENTRIES = 4096


class FigureCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0

    def get_or_compute(
        self, session: Session, key: Hashable, compute: Callable[[], Any], keep: Callable[[Any], bool] | None = None
    ) -> Any:
        """The entry for `key` under the current data version, computed (and kept, unless `keep` says
        no: say, for a result too big to hold) when there is none."""
        full = (transaction_version(session), key)
        with self._lock:
            if full in self._entries:
                return self._hit(full)
        value = compute()  # outside the lock: two threads may compute the same entry once each
        with self._lock:
            self.misses += 1
            if keep is None or keep(value):
                self._store({full: value})
        return value

    def peek(self, session: Session, key: Hashable) -> Any | None:
        """The entry for `key`, without asking the database: None unless `session`'s transaction read
        the data version already and an entry made under it is here. For code on the event loop,
        which must not wait for the database."""
        version = known_version(session)
        if version is None:
            return None
        with self._lock:
            return self._hit((version, key)) if (version, key) in self._entries else None

    def put_many(self, version: int, entries: dict[Hashable, Any]) -> None:
        """Keep `entries` (key: value) as computed under data `version`, the current one: entries of
        older versions go (no lookup asks for them again), and the oldest entries make room."""
        with self._lock:
            for old in [full for full in self._entries if full[0] < version]:
                del self._entries[old]
            self._store({(version, key): value for key, value in entries.items()})

    def _hit(self, full: tuple) -> Any:
        """The entry under `full` (there is one), now the most recently used. Called with the lock held."""
        self._entries.move_to_end(full)
        self.hits += 1
        return self._entries[full]

    def _store(self, entries: dict[tuple, Any]) -> None:
        """Keep `entries` (full key: value) as the most recently used; the oldest entries make room.
        Called with the lock held."""
        for full, value in entries.items():
            self._entries[full] = value
            self._entries.move_to_end(full)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[tuple[int, Hashable]]:
        """(data version, key) of every entry, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


FIGURES = FigureCache()


def get_or_compute(
    session: Session, key: Hashable, compute: Callable[[], Any], keep: Callable[[Any], bool] | None = None
) -> Any:
    return FIGURES.get_or_compute(session, key, compute, keep)
