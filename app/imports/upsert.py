"""The generic upsert: typed rows written into their tables by key, batch after batch of an import.

`TableWriter` compares each batch with the stored rows of its keys: new rows are inserted, changed rows
updated, equal rows left alone; for a big load it drops a table's indexes (and, on PostgreSQL, its
foreign keys) and builds them again after the last batch; with `LockCheck` it notes each row that would
change a locked month. `write_batch` writes one batch's tables and counts what it did into `Loaded`
(with the audit trail's samples, what the aggregates must recompute and the rows refused by a lock);
`KeyLog` stages the keys of a file read in batches in a temporary table, where the database
finds the keys repeated across batches; `Background` writes a batch while the next one is read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import String, any_, bindparam, cast, func, inspect, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, Constraint, CreateIndex, DropConstraint, DropIndex

from app.imports.driver import TablePlan, copy_lines, driver_connection, fetch_raw, insert_rows, scale_of, update_rows
from app.imports.errors import RowError
from app.imports.parse import DUPLICATE_GROUP
from app.models import District, Region, Seller, SellerDistrict
from app.reporting import aggregates, sql

# (table, rows inserted) -> report(share of them done)
Reporter = Callable[[str, int], Callable[[float], None]]
# Keys per `IN (...)` when fetching existing rows (SQLite allows 32766 variables).
FETCH_CHUNK = 10_000
# From this many new rows (and more than the table holds), indexes are rebuilt rather than maintained.
BULK_MIN_ROWS = 50_000
# Changed rows kept, before and after, in an import's audit event, and as many inserted rows (the event
# also counts all of them).
AUDIT_SAMPLE = 20


def _canonical(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """The same dtypes on both sides of a comparison: Int64 ints, str text, 'boolean' flags."""
    out = {}
    for col, kind in kinds.items():
        s = frame[col]
        if kind == "int" or kind.startswith("dec"):
            out[col] = pd.array(s, dtype="Int64") if len(s) else pd.array([], dtype="Int64")
        elif kind == "bool":
            out[col] = pd.array(s, dtype="boolean")
        else:  # str, date
            out[col] = pd.Series(s, dtype="str").array
    return pd.DataFrame(out, index=frame.index)


def _fetch_existing(
    session: Session, plan: TablePlan, frame: pd.DataFrame, *, stored: int, by_key: bool = False
) -> pd.DataFrame:
    """The stored rows whose key occurs in `frame`, in canonical form (plus `_id` when pk is set).

    `stored`: the rows the table held before the import (0: nothing to fetch); `by_key`: fetch by
    key even when scanning the table would be cheaper for this frame (a file read in batches).
    """
    t = plan.table
    exprs = []
    for col, kind in plan.kinds.items():
        c = t.c[col]
        if kind == "date":
            exprs.append(cast(c, String).label(col))
        elif kind.startswith("dec"):
            exprs.append(sql.scaled(session, 10 ** scale_of(kind), c).label(col))
        else:
            exprs.append(c.label(col))
    if plan.pk:
        exprs.append(t.c[plan.pk].label("_id"))
    columns = [e.name for e in exprs]
    if stored == 0:
        rows: list = []
    elif len(plan.key) == 1 and (by_key or stored > 3 * len(frame) + 10_000):
        # A small file against a big table: fetch by key rather than scanning the table.
        key_col = t.c[plan.key[0]]
        keys = frame[plan.key[0]].dropna().unique().tolist()
        rows = []
        if session.get_bind().dialect.name == "postgresql":  # one array parameter, not thousands
            for i in range(0, len(keys), 10 * FETCH_CHUNK):
                chunk = bindparam("keys", keys[i : i + 10 * FETCH_CHUNK], type_=postgresql.ARRAY(key_col.type))
                rows.extend(fetch_raw(session, select(*exprs).where(key_col == any_(chunk))))
        else:
            for i in range(0, len(keys), FETCH_CHUNK):
                rows.extend(fetch_raw(session, select(*exprs).where(key_col.in_(keys[i : i + FETCH_CHUNK]))))
    else:
        rows = fetch_raw(session, select(*exprs))
    # Column by column: building a frame from a million row objects costs seconds.
    by_column: dict[str, Sequence[object]] = (
        dict(zip(columns, zip(*rows, strict=True), strict=True)) if rows else {c: [] for c in columns}
    )
    existing = pd.DataFrame(by_column)
    out = _canonical(existing, plan.kinds)
    if plan.pk:
        out["_id"] = pd.array(existing["_id"], dtype="Int64")
    return out


class TableWriter:
    """One table's upsert by key, batch after batch of an import.

    Each batch is compared with the stored rows of its keys: new rows are inserted, changed rows
    updated, equal rows left alone. Rows stored by earlier batches of the same import are not told
    apart from older ones: a key in two batches is a duplicate, which rejects the file (found by the
    key log, or by the primary key of a table that was empty). The first batch with new rows decides
    bulk mode for the whole import; `close` rebuilds what bulk mode dropped.
    """

    def __init__(self, session: Session, plan: TablePlan, *, by_key: bool) -> None:
        self.session, self.plan, self.by_key = session, plan, by_key
        self.stored = session.scalar(select(func.count()).select_from(plan.table)) or 0
        self._dropped: tuple[list, list] | None = None  # (indexes, constraints); None: not decided yet

    def write(
        self,
        frame: pd.DataFrame,
        *,
        expected_rows: int | None,
        progress: Reporter | None,
        sample: list[tuple[dict, dict]],
        new_sample: list[tuple[None, dict]],
        touched: aggregates.Touched,
        locks: LockCheck | None = None,
    ) -> pd.Series:
        """The status of each frame row: 'new' | 'same' | 'changed'.

        expected_rows: the rows the whole file is expected to give this table (None: this frame's; for
        bulk mode); progress(table, rows) -> report(share) for this batch's inserts; sample, new_sample:
        up to AUDIT_SAMPLE changed rows as (before, after), and inserted rows as (None, after), for the
        audit trail; touched: what the aggregates must recompute; locks: the locked months, where each
        new or changed row of a locked month is noted (None: nothing is locked, nothing to check).
        """
        plan = self.plan
        if frame.empty:
            return pd.Series([], dtype="str")
        new = _canonical(frame, plan.kinds)
        existing = _fetch_existing(self.session, plan, new, stored=self.stored, by_key=self.by_key)
        merged: pd.DataFrame | None = None
        if existing.empty:
            status = np.full(len(new), "new")
            to_insert, changed = new, new.iloc[:0]
        else:
            existing["_found"] = True
            merged = new.merge(existing, on=list(plan.key), how="left", suffixes=("", "_old"))
            found = merged["_found"].notna().to_numpy()
            same = found.copy()
            for col in plan.values:
                a, b = merged[col], merged[f"{col}_old"]
                eq = (a == b).fillna(False).to_numpy(dtype=bool) | (a.isna() & b.isna()).to_numpy(dtype=bool)
                same &= eq
            status = np.where(~found, "new", np.where(same, "same", "changed"))
            to_insert = merged.loc[~found, list(plan.kinds)]
            changed = merged.loc[found & ~same]
        if len(to_insert):
            self._bulk_mode(len(to_insert) * (expected_rows or len(frame)) // len(frame))
            insert_rows(self.session, plan, to_insert, progress(plan.table.name, len(to_insert)) if progress else None)
        if len(changed):
            update_rows(self.session, plan, changed)
            if len(sample) < AUDIT_SAMPLE:
                sample.extend(_changed_sample(plan, changed.head(AUDIT_SAMPLE - len(sample))))
        if len(to_insert) and len(new_sample) < AUDIT_SAMPLE:
            new_sample.extend(
                (None, {c: _audit_value(row[c], plan.kinds[c]) for c in plan.kinds})
                for row in to_insert.head(AUDIT_SAMPLE - len(new_sample)).to_dict("records")
            )
        _touch(touched, plan, to_insert, changed)
        if locks is not None and plan.table.name in LockCheck.NOUNS:
            locks.check(self.session, plan, frame["_src"].to_numpy(), new, status, merged)
        return pd.Series(status, index=frame.index)

    def _bulk_mode(self, inserting: int) -> None:
        """For a big load, drop the table's secondary indexes (and, on PostgreSQL, its foreign keys, and
        the primary key of an empty table) until `close` builds them again: one sort per index instead
        of a b-tree insert per row, and one join per foreign key instead of a trigger per row. The
        standard recipe (PostgreSQL manual, "Populating a Database"); inside the import's SAVEPOINT, so
        a failure restores them. The references were already checked, and the re-added foreign keys
        check them again.
        """
        if self._dropped is not None:
            return
        self._dropped = ([], [])
        if inserting < BULK_MIN_ROWS or inserting < self.stored:
            return
        table = self.plan.table
        conn = self.session.connection()
        existing = {ix["name"] for ix in inspect(conn).get_indexes(table.name)}
        indexes = [ix for ix in table.indexes if ix.name in existing]
        constraints: list[Constraint] = []
        if conn.dialect.name == "postgresql":
            present = {fk["name"] for fk in inspect(conn).get_foreign_keys(table.name)}
            constraints = [fk for fk in table.foreign_key_constraints if fk.name in present]
            # An empty table's primary key too: nothing is looked up by key while it is gone, and a key
            # repeated in the file is found by the key log before `close`, or by `close` itself.
            if self.stored == 0 and not self.plan.pk and table.primary_key.name:
                constraints.append(table.primary_key)
        for constraint in constraints:
            conn.execute(DropConstraint(constraint))
        for ix in indexes:
            conn.execute(DropIndex(ix))
        self._dropped = (indexes, constraints)

    def close(self) -> None:
        """Build what bulk mode dropped (after the last batch, before anything reads the table)."""
        indexes, constraints = self._dropped or ([], [])
        conn = self.session.connection()
        pk = self.plan.table.primary_key
        if pk in constraints:  # first: the unique index checks the keys, and the other builds wait for it
            conn.execute(AddConstraint(pk))
        for ix in indexes:
            conn.execute(CreateIndex(ix))
        for constraint in constraints:
            if constraint is not pk:
                conn.execute(AddConstraint(constraint))
        self._dropped = ([], [])


def _touch(touched: aggregates.Touched, plan: TablePlan, inserted: pd.DataFrame, changed: pd.DataFrame) -> None:
    """Name in `touched` what a batch changed: the (seller, month) pairs and accounts of new and changed
    facts (a changed fact by its new and its old values: a correction may move it to another seller,
    month or account), and the sellers whose district history changed."""
    name = plan.table.name
    versions = [inserted] + ([changed, _old_values(plan, changed)] if len(changed) else [])
    if name in ("sales", "activities"):
        pairs = touched.sales if name == "sales" else touched.activities
        for rows in versions:
            months = pd.DataFrame(
                {"s": rows["seller_id"].to_numpy(), "m": pd.Series(rows["date"], dtype="str").str[:7].to_numpy()}
            )
            months = months.dropna().drop_duplicates()
            pairs.update(zip(months["s"].astype("int64").tolist(), months["m"].tolist(), strict=True))
        if name == "sales":
            for rows in versions:
                touched.accounts.update(pd.unique(rows["account_id"].dropna().astype("int64")).tolist())
    elif name == "seller_districts":
        for rows in versions:
            touched.all_months_of.update(pd.unique(rows["seller_id"].dropna().astype("int64")).tolist())


def _old_values(plan: TablePlan, changed: pd.DataFrame) -> pd.DataFrame:
    """The changed rows as they were stored: the key, and the `*_old` columns under their own names."""
    return pd.DataFrame({c: changed[c if c in plan.key else f"{c}_old"] for c in plan.kinds})


def _audit_value(value: Any, kind: str) -> object:
    """A canonical cell as the audit trail shows it: decimals as exact text, NA as None."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if kind.startswith("dec"):
        return str(Decimal(int(value)).scaleb(-scale_of(kind)))
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    return str(value)


def _changed_sample(plan: TablePlan, changed: pd.DataFrame) -> list[tuple[dict, dict]]:
    """(before, after) per changed row: its key plus the columns whose values differ."""
    out = []
    for row in changed.to_dict("records"):
        key = {k: _audit_value(row[k], plan.kinds[k]) for k in plan.key}
        old = {c: _audit_value(row[f"{c}_old"], plan.kinds[c]) for c in plan.values}
        new = {c: _audit_value(row[c], plan.kinds[c]) for c in plan.values}
        diff = [c for c in plan.values if old[c] != new[c]]
        out.append(({**key, **{c: old[c] for c in diff}}, {**key, **{c: new[c] for c in diff}}))
    return out


def _counts(src: pd.Series, status: pd.Series) -> tuple[int, int, int]:
    """Per file row: inserted if all its stored rows are new, unchanged if all equal, else updated."""
    frame = pd.DataFrame(
        {"src": src.to_numpy(), "new": (status == "new").to_numpy(), "same": (status == "same").to_numpy()}
    )
    per_row = frame.groupby("src").agg(all_new=("new", "all"), all_same=("same", "all"))
    inserted = int(per_row["all_new"].sum())
    unchanged = int(per_row["all_same"].sum())
    return inserted, len(per_row) - inserted - unchanged, unchanged


class KeyLog:
    """The key of every row of a file read in batches, in a temporary table: the database, not Python
    memory, finds the keys that occur more than once in the file."""

    def __init__(self, session: Session, column: str) -> None:
        self.session, self.column = session, column
        conn = session.connection()
        self.dialect = conn.dialect.name
        self.table = "pg_temp.import_keys" if self.dialect == "postgresql" else "temp.import_keys"
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.table}")
        conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE import_keys (k TEXT NOT NULL, row INTEGER NOT NULL)"
            + (" ON COMMIT DROP" if self.dialect == "postgresql" else "")
        )

    def add(self, frame: pd.DataFrame) -> None:
        """The keys of a parsed batch (rows whose key cell failed to parse have none)."""
        keys = frame[self.column]
        present = keys.notna().to_numpy(dtype=bool)
        keys, rows = keys[present], frame["row"].to_numpy()[present]
        if not len(keys):
            return
        raw = driver_connection(self.session)
        if self.dialect == "postgresql":
            text = pa.array(pd.Series(keys, dtype="str").array, type=pa.string(), from_pandas=True)
            for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                text = pc.replace_substring(text, char, escaped)
            with raw.cursor() as cur, cur.copy("COPY import_keys (k, row) FROM STDIN") as copy:
                copy.write(copy_lines([text, pc.cast(pa.array(rows), pa.string())]))
            return
        cur = raw.cursor()
        try:
            cur.executemany(
                "INSERT INTO temp.import_keys (k, row) VALUES (?, ?)",
                zip(keys.astype(object).tolist(), rows.tolist(), strict=True),
            )
        finally:
            cur.close()

    def duplicates(self) -> list[RowError]:
        """'duplicate of row N' for every row whose key an earlier row of the file already had."""
        found = (
            self.session.connection()
            .exec_driver_sql(
                f"SELECT k, row FROM {self.table} WHERE k IN "
                f"(SELECT k FROM {self.table} GROUP BY k HAVING count(*) > 1) ORDER BY k, row"
            )
            .all()
        )
        errors: list[RowError] = []
        first: dict[str, int] = {}
        for key, row in found:
            if key in first:
                errors.append(
                    RowError(int(row), self.column, key, f"duplicate of row {first[key]}", group=DUPLICATE_GROUP)
                )
            else:
                first[key] = int(row)
        return errors

    def drop(self) -> None:
        self.session.connection().exec_driver_sql(f"DROP TABLE IF EXISTS {self.table}")


@dataclass
class LockCheck:
    """The locked months an import may not change, and the rows of the file that would change one.

    `locked`: 'YYYY-MM' -> who locked it and when ('by okonomi@example.com on 2026-12-02'), read once
    per import. A stored row is refused when it is new or changed in a locked month, or changed and
    stored in one until now (a correction moving a sale out of June); unchanged rows pass, so the same
    file loads again after the lock. A yearly plan row counts by the months it is phased into. A new
    or changed district assignment counts for every locked month its validity reaches into (from its
    `valid_from` until the seller's next assignment): it moves that month's sales and activities
    between districts, and its sellers between district scorecards. Each refusal is a RowError
    naming the file row, the column the user would fix, the cell and the locked month, gathered in
    `errors` over all batches (`months`: the locked months hit), so one answer lists all of them.
    """

    # The tables that hold a month's figures, and what a refusal says it would change.
    NOUNS: ClassVar[dict[str, str]] = {
        "sales": "sales",
        "activities": "activities",
        "targets": "targets",
        "kpi_values": "KPI values",
        "budgets": "budgets",
        "seller_districts": "district figures",
        "districts": "region figures",
        "accounts": "customer figures",
    }
    # Undated structure whose change restates every month: the columns that move figures (a district's
    # region; an account's district, key-account flag and manager), as the file names them.
    STRUCTURE: ClassVar[dict[str, dict[str, tuple[str, type[Region | District | Seller] | None]]]] = {
        "districts": {"region_id": ("region_code", Region)},
        "accounts": {
            "district_id": ("district_code", District),
            "key_account": ("key_account", None),
            "kam_seller_id": ("kam_seller_code", Seller),
        },
    }
    _ONE: ClassVar[dict[str, str]] = {"sales": "a sale", "activities": "an activity"}

    locked: dict[str, str]
    errors: list[RowError] = field(default_factory=list)
    months: set[str] = field(default_factory=set)

    def _refuse(self, row: int, column: str, value: object, month: str, message: str) -> None:
        self.months.add(month)
        self.errors.append(RowError(int(row), column, None if value is None or value is pd.NA else str(value), message))

    def check(
        self,
        session: Session,
        plan: TablePlan,
        src: np.ndarray,
        new: pd.DataFrame,
        status: np.ndarray,
        merged: pd.DataFrame | None,
    ) -> None:
        """Note the rows of one table's batch that would change a locked month. `src`: each row's file
        row; `new`: the rows in canonical form; `status`: 'new' | 'same' | 'changed' per row; `merged`:
        the rows with the stored values beside them (`<column>_old`; None when none was stored)."""
        name = plan.table.name
        written = status != "same"
        if not written.any():
            return
        if name == "seller_districts":
            self._assignments(session, src, new, written)
            return
        if name in self.STRUCTURE:
            self._structure(session, name, src, status, merged)
            return
        noun = self.NOUNS[name]
        facts = name in ("sales", "activities")
        dated = new["date" if facts else "month"]
        hit = written & self._in_locked(dated)
        moved = np.zeros(len(new), dtype=bool)
        if facts and merged is not None:
            moved = (status == "changed") & ~hit & self._in_locked(merged["date_old"])
        if not (hit.any() or moved.any()):
            return
        months = pd.Series(dated, dtype="str").str[:7].to_numpy()
        if facts:
            for row, value, month in zip(src[hit].tolist(), dated[hit].tolist(), months[hit].tolist(), strict=True):
                self._refuse(row, "date", value, month, self._message(month, noun))
            old = pd.Series(merged["date_old"], dtype="str").str[:7].to_numpy() if merged is not None else months
            for row, value, month in zip(src[moved].tolist(), dated[moved].tolist(), old[moved].tolist(), strict=True):
                self._refuse(
                    row,
                    "date",
                    value,
                    month,
                    f"moves {self._ONE[name]} out of {month}, which is locked ({self.locked[month]}): "
                    f"unlock it to change its {noun}",
                )
            return
        # Plans: one refusal per file row and locked month (a yearly row is phased into twelve rows).
        refused = pd.DataFrame(
            {"row": src[hit], "month": months[hit], "period": np.asarray(new["source_period"], dtype=object)[hit]}
        ).drop_duplicates(["row", "month"])
        for row, month, period in refused.itertuples(index=False):
            self._refuse(row, "period", period, month, self._message(month, noun))

    def _structure(
        self, session: Session, name: str, src: np.ndarray, status: np.ndarray, merged: pd.DataFrame | None
    ) -> None:
        """Changed districts or accounts whose figure-moving columns changed: they are not dated, so
        the change restates every month, the locked ones too; refused once per row and column, naming
        every locked month. A new one changes no month (it has no figures yet); a new name none."""
        if merged is None:
            return
        months = sorted(self.locked)
        if len(months) == 1:
            locked = f"{months[0]} is locked ({self.locked[months[0]]}): unlock it"
        else:
            locked = f"{', '.join(months[:-1])} and {months[-1]} are locked: unlock them"
        for column, (file_column, model) in self.STRUCTURE[name].items():
            a, b = merged[column], merged[f"{column}_old"]
            same = (a == b).fillna(False).to_numpy(dtype=bool) | (a.isna() & b.isna()).to_numpy(dtype=bool)
            hit = (status == "changed") & ~same
            if not hit.any():
                continue
            values = merged.loc[hit, column].tolist()
            if model is not None:  # the file's code, not the internal id
                ids = [int(v) for v in values if v is not None and v is not pd.NA]
                codes = dict(session.execute(select(model.id, model.code).where(model.id.in_(ids))).all())
                values = [None if v is None or v is pd.NA else codes.get(int(v)) for v in values]
            message = f"changes the {self.NOUNS[name]} of every month, and {locked} to change its {file_column}"
            self.months.update(months)
            for row, value in zip(src[hit].tolist(), values, strict=True):
                cell = None if value is None else str(value).lower() if isinstance(value, bool) else str(value)
                self.errors.append(RowError(int(row), file_column, cell, message))

    def _message(self, month: str, noun: str) -> str:
        return f"{month} is locked ({self.locked[month]}): unlock it to change its {noun}"

    def _in_locked(self, dates: pd.Series) -> np.ndarray:
        """Whether each ISO date ('YYYY-MM-DD') falls in a locked month; at the cost of a min and a max
        when none of the locked months is between the batch's first and last date."""
        text = pd.Series(dates, dtype="str")
        present = text.dropna()
        if present.empty:
            return np.zeros(len(text), dtype=bool)
        first, last = str(present.min())[:7], str(present.max())[:7]
        inside = [m for m in self.locked if first <= m <= last]
        if not inside:
            return np.zeros(len(text), dtype=bool)
        return text.str[:7].isin(inside).to_numpy(dtype=bool)

    def _assignments(self, session: Session, src: np.ndarray, new: pd.DataFrame, written: np.ndarray) -> None:
        """New or changed district assignments: refused for each locked month from their `valid_from`
        until the seller's next assignment (read after the batch is written: the file's rows count)."""
        sellers = pd.unique(new.loc[written, "seller_id"].dropna().astype("int64")).tolist()
        starts: dict[int, list[str]] = {}
        for chunk in range(0, len(sellers), FETCH_CHUNK):
            stmt = select(SellerDistrict.seller_id, SellerDistrict.valid_from).where(
                SellerDistrict.seller_id.in_(sellers[chunk : chunk + FETCH_CHUNK])
            )
            for seller, valid_from in session.execute(stmt):
                starts.setdefault(int(seller), []).append(valid_from.isoformat())
        for days in starts.values():
            days.sort()
        rows = new.loc[written, ["seller_id", "valid_from"]]
        for row, seller, valid_from in zip(src[written].tolist(), *(rows[c].tolist() for c in rows), strict=True):
            if seller is None or seller is pd.NA or not isinstance(valid_from, str):
                continue
            days = starts.get(int(seller), [])
            until = next((d for d in days if d > valid_from), None)  # the next assignment: where it ends
            for month in sorted(self.locked):
                if valid_from[:7] <= month and (until is None or until > f"{month}-01"):
                    self._refuse(row, "valid_from", valid_from, month, self._message(month, "district figures"))


@dataclass
class Loaded:
    """What a load did, for the result and the audit event."""

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_rows: int = 0
    sample: list[tuple[dict, dict]] = field(default_factory=list)  # changed rows: (before, after)
    new_sample: list[tuple[None, dict]] = field(default_factory=list)  # inserted rows: (None, after)
    locks: LockCheck | None = None  # the locked months and the rows refused for them; None: nothing is locked


def write_batch(
    session: Session,
    plans: list[tuple],
    writers: dict[str, TableWriter],
    loaded: Loaded,
    touched: aggregates.Touched,
    *,
    expected: int | None,
    progress: Reporter | None,
    contained: bool,
) -> None:
    """Upsert one batch's tables, adding its counts to `loaded`.

    contained: inside a SAVEPOINT of its own, so that on PostgreSQL a refused batch leaves the
    transaction usable for checking the rest of the file (SQLite undoes only the failed statement).
    """
    nested = session.begin_nested() if contained and session.get_bind().dialect.name == "postgresql" else None
    try:
        statuses = []
        for plan, stored in plans:
            if callable(stored):
                stored = stored()
            if plan.table.name not in writers:
                writers[plan.table.name] = TableWriter(session, plan, by_key=contained)
            status = writers[plan.table.name].write(
                stored,
                expected_rows=expected,
                progress=progress,
                sample=loaded.sample,
                new_sample=loaded.new_sample,
                touched=touched,
                locks=loaded.locks,
            )
            statuses.append((stored["_src"], status))
    except BaseException:
        if nested is not None:
            nested.rollback()
        raise
    if nested is not None:
        nested.commit()
    src = pd.concat([s for s, _ in statuses], ignore_index=True)
    status = pd.concat([st for _, st in statuses], ignore_index=True)
    if len(src):
        inserted, updated, unchanged = _counts(src, status)
        loaded.inserted += inserted
        loaded.updated += updated
        loaded.unchanged += unchanged
        loaded.changed_rows += int((status == "changed").sum())


class Background:
    """Writing one batch in a second thread while the next batch is read and checked.

    The write mostly waits for the database (PostgreSQL works through the COPY; SQLite's C code runs
    without the GIL), so reading and parsing the next batch meanwhile keeps a second core busy. One
    batch at a time, and the session is used by one thread at a time: `wait` before any statement.
    Without `enabled`, `run` runs at once.
    """

    def __init__(self, *, enabled: bool) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer") if enabled else None
        self._job: Future | None = None

    def run(self, job: Callable[[], None]) -> None:
        self.wait()
        if self._pool is None:
            job()
        else:
            self._job = self._pool.submit(job)

    def wait(self) -> None:
        """Until the batch in writing is written; its exception, if it raised one."""
        job, self._job = self._job, None
        if job is not None:
            job.result()

    def close(self) -> None:
        """Wait for the batch in writing, whatever it raises (the import is failing already)."""
        try:
            self.wait()
        except BaseException:
            pass
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
