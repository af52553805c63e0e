"""Load a checked file into the database: references, history rules, phasing, upsert by key, all or nothing.

Flow, batch by batch: the reader (`read_table` for a whole file, `CsvBatches` for a big sales or
activities CSV file) -> `parse` (pure, app.imports) -> references checked against the database ->
the rows to store, one frame per table -> upsert by key, all inside one SAVEPOINT. After the last
batch: keys repeated across batches (found by the database), the monthly aggregates of what the
import changed (app.reporting.aggregates), the data version; or, on any bad row, a rollback and
every problem listed.

A big CSV file is read, checked and written in batches of a few MB, so memory does not grow with
the file; everything else (XLSX, the small datasets whose rules span rows) is read whole, as one
batch.

Values are compared and written in a canonical form: integers in minor units for every Numeric
column (so 12.50 and 12.5 are equal and nothing goes through float arithmetic), ISO strings for
dates. Inserts go to the driver directly (SQLite `executemany`, PostgreSQL `COPY`), which is what
makes a million sales rows load in seconds rather than minutes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from hashlib import sha256
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    BigInteger,
    String,
    Table,
    any_,
    bindparam,
    cast,
    func,
    inspect,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from app.analytics.periods import months_of, phase
from app.audit.service import record as record_audit
from app.imports.errors import ImportRejected, RowError
from app.imports.parse import DUPLICATE_GROUP, other_datasets, parse
from app.imports.reader import CsvBatches, NotStreamable, read_table
from app.imports.specs import DATASETS, DatasetSpec
from app.models import (
    Account,
    Activity,
    Budget,
    District,
    KpiDefinition,
    KpiValue,
    Leader,
    LeaderUnit,
    Product,
    Region,
    Sale,
    Seasonality,
    Seller,
    SellerDistrict,
    Target,
    User,
)
from app.reporting import aggregates, version

Progress = Callable[[str, int, int], None]
# (table, rows inserted) -> report(share of them done)
_Reporter = Callable[[str, int], Callable[[float], None]]
# A file: its bytes, a path, or a binary file object (read from its current position).
Source = bytes | bytearray | memoryview | str | os.PathLike | BinaryIO

# Rows per INSERT/COPY step: progress is reported after each (a line per percent of a million rows).
WRITE_CHUNK = 10_000
# Datasets whose CSV files are read in batches (one table, one key column, no rule across rows but
# the key): the big ones. From this size on; smaller files are read whole.
STREAMED = ("sales", "activities")
STREAM_MIN_BYTES = 4 * 1024 * 1024
# During an import, set back afterwards: SQLite's page cache (KiB; the foreign-key and primary-key
# lookups of a big load miss the 2 MB default all the time), PostgreSQL's memory for sorts and
# hashes (the duplicate-key check) and for building indexes (bulk mode).
SQLITE_CACHE_KIB = 65_536
PG_SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "256MB"}
# Keys per `IN (...)` when fetching existing rows (SQLite allows 32766 variables).
FETCH_CHUNK = 10_000
# From this many new rows (and more than the table holds), indexes are rebuilt rather than maintained.
BULK_MIN_ROWS = 50_000
# Changed rows kept, before and after, in an import's audit event, and as many inserted rows (the event
# also counts all of them).
AUDIT_SAMPLE = 20


class UnknownDataset(LookupError):
    """No dataset of that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown dataset {name!r}; the datasets are: {', '.join(DATASETS)}")
        self.name = name


@dataclass
class ImportResult:
    dataset: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    dry_run: bool

    def as_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
        }


# --------------------------------------------------------------------------------------------------
# The generic upsert


@dataclass
class TablePlan:
    """How one table is written: its business key and the kind of every written column.

    kinds: 'int' | 'str' | 'bool' | 'date' (ISO string) | 'decN' (int in units of 10**-N).
    pk: the surrogate id column used for updates, or None when the key is the primary key.
    """

    table: Table
    key: tuple[str, ...]
    kinds: dict[str, str]
    pk: str | None = "id"
    values: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.values = tuple(c for c in self.kinds if c not in self.key)


def _scale(kind: str) -> int:
    return int(kind[3:])


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
            factor = literal_column(str(10 ** _scale(kind)))
            exprs.append(cast(func.round(c * factor), BigInteger).label(col))
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
                rows.extend(_fetch_raw(session, select(*exprs).where(key_col == any_(chunk))))
        else:
            for i in range(0, len(keys), FETCH_CHUNK):
                rows.extend(_fetch_raw(session, select(*exprs).where(key_col.in_(keys[i : i + FETCH_CHUNK]))))
    else:
        rows = _fetch_raw(session, select(*exprs))
    # Column by column: building a frame from a million row objects costs seconds.
    existing = pd.DataFrame(
        dict(zip(columns, zip(*rows, strict=True), strict=True)) if rows else {c: [] for c in columns}
    )
    out = _canonical(existing, plan.kinds)
    if plan.pk:
        out["_id"] = pd.array(existing["_id"], dtype="Int64")
    return out


def _fetch_raw(session: Session, stmt) -> list[tuple]:  # noqa: ANN001
    """Plain tuples from the driver (no result processing: the selected expressions are already canonical)."""
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positiontup is not None:
        params = tuple(params[k] for k in compiled.positiontup)
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(str(compiled), params)
        return cur.fetchall()
    finally:
        cur.close()


class _TableWriter:
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
        progress: _Reporter | None,
        sample: list[tuple[dict, dict]],
        new_sample: list[tuple[None, dict]],
        touched: aggregates.Touched,
    ) -> pd.Series:
        """The status of each frame row: 'new' | 'same' | 'changed'.

        expected_rows: the rows the whole file is expected to give this table (None: this frame's; for
        bulk mode); progress(table, rows) -> report(share) for this batch's inserts; sample, new_sample:
        up to AUDIT_SAMPLE changed rows as (before, after), and inserted rows as (None, after), for the
        audit trail; touched: what the aggregates must recompute.
        """
        plan = self.plan
        if frame.empty:
            return pd.Series([], dtype="str")
        new = _canonical(frame, plan.kinds)
        existing = _fetch_existing(self.session, plan, new, stored=self.stored, by_key=self.by_key)
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
            _insert_rows(self.session, plan, to_insert, progress(plan.table.name, len(to_insert)) if progress else None)
        if len(changed):
            _update(self.session, plan, changed)
            if len(sample) < AUDIT_SAMPLE:
                sample.extend(_changed_sample(plan, changed.head(AUDIT_SAMPLE - len(sample))))
        if len(to_insert) and len(new_sample) < AUDIT_SAMPLE:
            new_sample.extend(
                (None, {c: _audit_value(row[c], plan.kinds[c]) for c in plan.kinds})
                for row in to_insert.head(AUDIT_SAMPLE - len(new_sample)).to_dict("records")
            )
        _touch(touched, plan, to_insert, changed)
        return pd.Series(status, index=frame.index)

    def _bulk_mode(self, inserting: int) -> None:
        """For a big load, drop the table's secondary indexes (and, on PostgreSQL, its foreign keys, and
        the primary key of an empty table) until `close` builds them again: one sort per index instead
        of a b-tree insert per row, and one join per foreign key instead of a trigger per row. The standard recipe (PostgreSQL manual,
        "Populating a Database"); inside the import's SAVEPOINT, so a failure restores them. The
        references were already checked, and the re-added foreign keys check them again.
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
        constraints = []
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


def _audit_value(value: object, kind: str) -> object:
    """A canonical cell as the audit trail shows it: decimals as exact text, NA as None."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if kind.startswith("dec"):
        return str(Decimal(int(value)).scaleb(-_scale(kind)))
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    return str(value)


# The id columns of the written tables, as the audit trail names them: by the code (a leader by the
# e-mail) that the files use, never by an internal id.
_AUDIT_NAMES: dict[str, tuple[str, type, str]] = {
    "seller_id": ("seller_code", Seller, "code"),
    "kam_seller_id": ("kam_seller_code", Seller, "code"),
    "district_id": ("district_code", District, "code"),
    "region_id": ("region_code", Region, "code"),
    "account_id": ("account_code", Account, "code"),
    "product_id": ("product_code", Product, "code"),
    "leader_id": ("leader_email", Leader, "email"),
}


def _by_codes(session: Session, sample: list[tuple[dict | None, dict]]) -> list[tuple[dict | None, dict]]:
    """The audit sample with every id column replaced by the code it stands for (`district_id: 3` ->
    `district_code: "D1"`), in the same place of the row; read after the writes, so new rows are named too."""
    wanted: dict[str, set[int]] = {}
    for pair in sample:
        for row in pair:
            for column, value in (row or {}).items():
                if column in _AUDIT_NAMES and value is not None:
                    wanted.setdefault(column, set()).add(int(value))
    names: dict[str, dict[int, str]] = {}
    for column, ids in wanted.items():
        _, model, attr = _AUDIT_NAMES[column]
        names[column] = dict(
            session.execute(select(model.id, getattr(model, attr)).where(model.id.in_(sorted(ids)))).all()
        )

    def named(row: dict | None) -> dict | None:
        if row is None:
            return None
        return {
            (_AUDIT_NAMES[c][0] if c in _AUDIT_NAMES else c): (
                names[c].get(int(v), v) if c in _AUDIT_NAMES and v is not None else v
            )
            for c, v in row.items()
        }

    return [(named(before), named(after)) for before, after in sample]


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


def _dec_strings(values: pd.Series, scale: int) -> pd.Series:
    """Int minor units -> exact decimal text ('-12.50'); NA stays NA."""
    s = pd.array(values, dtype="Int64")
    mask = np.asarray(s.isna())
    v = np.asarray(s.fillna(0), dtype=np.int64)
    a = np.abs(v)
    unit = 10**scale
    whole = pd.Series(a // unit).astype(str)
    if scale:
        frac = pd.Series(a % unit).astype(str).str.zfill(scale)
        text = whole + "." + frac
    else:
        text = whole
    text = pd.Series(np.where(v < 0, "-", ""), dtype="str") + text
    return text.where(~mask, None)


def _driver_columns(plan: TablePlan, rows: pd.DataFrame, dialect: str, cols: list[str]) -> list[list]:
    """Per column, a list of driver values (None for missing) for executemany."""
    out = []
    for col in cols:
        kind = plan.kinds[col]
        s = rows[col]
        mask = np.asarray(s.isna())
        if kind.startswith("dec"):
            if dialect == "sqlite":
                # What SQLAlchemy's Numeric stores on SQLite (a REAL); int/10**n is correctly rounded.
                vals = (np.asarray(s.fillna(0), dtype=np.int64) / 10 ** _scale(kind)).astype(object)
            else:
                vals = np.asarray(_dec_strings(s, _scale(kind)).fillna(""), dtype=object)
        elif kind == "int":
            vals = np.asarray(s.fillna(0), dtype=np.int64).astype(object)
        elif kind == "bool":
            vals = np.asarray(s.fillna(False), dtype=bool).astype(object)
            if dialect == "sqlite":
                vals = vals.astype(int).astype(object)
        else:
            vals = np.asarray(s.fillna(""), dtype=object)
        if mask.any():
            vals[mask] = None
        out.append(vals.tolist())
    return out


def _arrow_text(plan: TablePlan, rows: pd.DataFrame, col: str) -> pa.Array:
    """A column as PostgreSQL COPY text (null: \\N). Decimals go as exact scientific notation: 1234.50
    in cents is '123450e-2', which the numeric type reads without any rounding."""
    kind = plan.kinds[col]
    s = rows[col]
    if kind == "int" or kind.startswith("dec"):
        text = pc.cast(pa.array(pd.array(s, dtype="Int64")), pa.string())
        if kind.startswith("dec") and _scale(kind):
            text = pc.binary_join_element_wise(text, f"e-{_scale(kind)}", "")
    elif kind == "bool":
        text = pc.if_else(pa.array(pd.array(s, dtype="boolean")), "t", "f")
    else:
        text = pa.array(pd.Series(s, dtype="str").array, type=pa.string(), from_pandas=True)
        if kind == "str":
            for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                text = pc.replace_substring(text, char, escaped)
    return pc.fill_null(text, "\\N")


def _copy_lines(columns: list[pa.Array]) -> pa.Buffer:
    """Text columns joined into COPY text: one line per row, tab between cells; pyarrow builds it."""
    lines = pc.binary_join_element_wise(*columns, "\t") if len(columns) > 1 else columns[0]
    lines = pc.binary_join_element_wise(lines, "", "\n")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    first, last = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return lines.buffers()[2][first:last]


def _insert_rows(session: Session, plan: TablePlan, rows: pd.DataFrame, report: Callable[[float], None] | None) -> None:
    """Insert `rows` (canonical) through the driver, WRITE_CHUNK rows a step; report(share) after each."""
    conn = session.connection()
    dialect = conn.dialect.name
    cols = list(plan.kinds)
    name = plan.table.name
    raw = conn.connection.driver_connection
    total = len(rows)
    if report:
        report(0.0)
    if dialect == "postgresql":
        with raw.cursor() as cur, cur.copy(f'COPY "{name}" ({", ".join(cols)}) FROM STDIN') as copy:
            for start in range(0, total, WRITE_CHUNK):
                chunk = rows.iloc[start : start + WRITE_CHUNK]
                copy.write(_copy_lines([_arrow_text(plan, chunk, c) for c in cols]))
                if report:
                    report(min(start + WRITE_CHUNK, total) / total)
        return
    params = list(zip(*_driver_columns(plan, rows, dialect, cols), strict=True))
    sql = f'INSERT INTO "{name}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
    cur = raw.cursor()
    try:
        for start in range(0, total, WRITE_CHUNK):
            cur.executemany(sql, params[start : start + WRITE_CHUNK])
            if report:
                report(min(start + WRITE_CHUNK, total) / total)
    finally:
        cur.close()


def _update(session: Session, plan: TablePlan, rows: pd.DataFrame) -> None:
    conn = session.connection()
    dialect = conn.dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    set_cols = list(plan.values)
    where_cols = [plan.pk] if plan.pk else list(plan.key)
    sql = (
        f'UPDATE "{plan.table.name}" SET {", ".join(f"{c} = {mark}" for c in set_cols)} '
        f"WHERE {' AND '.join(f'{c} = {mark}' for c in where_cols)}"
    )
    values = _driver_columns(plan, rows, dialect, set_cols)
    if plan.pk:
        values.append(np.asarray(rows["_id"], dtype=np.int64).tolist())
    else:
        values.extend(_driver_columns(plan, rows, dialect, list(plan.key)))
    raw = conn.connection.driver_connection
    cur = raw.cursor()
    try:
        cur.executemany(sql, list(zip(*values, strict=True)))
    finally:
        cur.close()


def _counts(src: pd.Series, status: pd.Series) -> tuple[int, int, int]:
    """Per file row: inserted if all its stored rows are new, unchanged if all equal, else updated."""
    frame = pd.DataFrame(
        {"src": src.to_numpy(), "new": (status == "new").to_numpy(), "same": (status == "same").to_numpy()}
    )
    per_row = frame.groupby("src").agg(all_new=("new", "all"), all_same=("same", "all"))
    inserted = int(per_row["all_new"].sum())
    unchanged = int(per_row["all_same"].sum())
    return inserted, len(per_row) - inserted - unchanged, unchanged


# --------------------------------------------------------------------------------------------------
# Checks shared by the datasets


def _present(s: pd.Series) -> np.ndarray:
    return np.asarray(s.notna() & (s.astype("str") != ""), dtype=bool)


def _lookup(
    frame: pd.DataFrame, col: str, mapping: dict, errors: list[RowError], message: str | None = None
) -> pd.Series:
    """Ids for the codes in `frame[col]` (NA where empty or unknown); unknown codes become errors."""
    codes = frame[col]
    # Map the distinct codes only (a few thousand), not a million cells.
    positions, uniques = pd.factorize(codes)
    unique_ids = pd.array([mapping.get(u) for u in uniques] + [None], dtype="Int64")
    ids = pd.Series(unique_ids.take(np.where(positions < 0, len(uniques), positions)), index=frame.index)
    bad = _present(codes) & np.asarray(ids.isna())
    if bad.any():
        msg = message or f"unknown {col}"
        for r, v in zip(frame.loc[bad, "row"].tolist(), codes[bad].tolist(), strict=True):
            errors.append(RowError(int(r), col, str(v), msg))
    return ids


def _code_map(session: Session, model) -> dict[str, int]:  # noqa: ANN001
    return dict(session.execute(select(model.code, model.id)).all())


class _Refs:
    """What the loaders look up in the database, read once per import rather than once per batch.

    Only for what the import does not change itself (a sellers file writes sellers, so its loader
    reads their ids directly).
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._codes: dict[type, dict[str, int]] = {}
        self._first: dict[int, str] | None = None

    def codes(self, model) -> dict[str, int]:  # noqa: ANN001
        if model not in self._codes:
            self._codes[model] = _code_map(self.session, model)
        return self._codes[model]

    def first_valid_from(self) -> dict[int, str]:
        if self._first is None:
            self._first = _first_valid_from(self.session)
        return self._first


def _iso(dates: pd.Series) -> pd.Series:
    """datetime64 (or date objects) -> 'YYYY-MM-DD' text; NA stays NA. Each distinct day once."""
    codes, days = pd.factorize(pd.to_datetime(dates))
    text = np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D").astype(object)
    out = np.append(text, None)[np.where(codes < 0, len(text), codes)]
    return pd.Series(out, index=dates.index, dtype="str")


def _first_valid_from(session: Session) -> dict[int, str]:
    return {
        sid: d.isoformat()
        for sid, d in session.execute(
            select(SellerDistrict.seller_id, func.min(SellerDistrict.valid_from)).group_by(SellerDistrict.seller_id)
        )
    }


def _check_seller_history(
    frame: pd.DataFrame, seller_ids: pd.Series, dates: pd.Series, first: dict[int, str], errors: list[RowError]
) -> None:
    """A sale or activity before the seller's first district assignment has no district to count for."""
    starts = seller_ids.map(first)
    bad = np.array(starts.notna() & dates.notna(), dtype=bool)
    if not bad.any():
        return
    bad[bad] = np.asarray(dates[bad] < starts[bad], dtype=bool)
    for r, d, code, start in zip(
        frame.loc[bad, "row"].tolist(),
        dates[bad].tolist(),
        frame.loc[bad, "seller_code"].tolist(),
        starts[bad].tolist(),
        strict=True,
    ):
        errors.append(
            RowError(
                int(r),
                "date",
                d,
                f"seller {code} has no district before {start}",
                group="the seller has no district yet on this date",
            )
        )


def _seasonality_weights(session: Session) -> list[Decimal]:
    rows = dict(session.execute(select(Seasonality.month, Seasonality.weight)).all())
    if len(rows) == 12 and sum(rows.values()) > 0:
        return [rows[m] for m in range(1, 13)]
    return [Decimal(1)] * 12  # flat profile until a seasonality file is loaded


def _check_overlaps(stored: pd.DataFrame, key: list[str], periods: dict[int, str], errors: list[RowError]) -> None:
    """A yearly row and a monthly row of the same key in one file would both write that month."""
    dup = stored.duplicated(key, keep=False)
    if not dup.any():
        return
    first_src: dict[tuple, int] = {}
    for rec in stored.loc[dup, [*key, "_src"]].itertuples(index=False):
        k, src = tuple(rec[:-1]), int(rec[-1])
        if k not in first_src:
            first_src[k] = src
        elif first_src[k] != src:
            month = next(v for c, v in zip(key, k, strict=True) if c == "month")
            errors.append(
                RowError(
                    src,
                    "period",
                    periods[src],
                    f"{str(month)[:7]} is also covered by row {first_src[k]} ({periods[first_src[k]]})",
                    group="a month also covered by another row",
                )
            )


def _raise_if(errors: list[RowError]) -> None:
    if errors:
        # Every problem, in file order (whole-file problems first).
        raise ImportRejected(sorted(errors, key=lambda e: -1 if e.row is None else e.row))


# --------------------------------------------------------------------------------------------------
# The datasets


def _tp(model, key: tuple[str, ...], kinds: dict[str, str], pk: str | None = "id") -> TablePlan:  # noqa: ANN001
    return TablePlan(model.__table__, key, kinds, pk)


def _with_src(frame: pd.DataFrame, data: dict) -> pd.DataFrame:
    out = pd.DataFrame(data, index=frame.index)
    out["_src"] = frame["row"].to_numpy()
    return out


def _load_regions(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    plan = _tp(Region, ("code",), {"code": "str", "name": "str"})
    return [(plan, _with_src(f, {"code": f["code"], "name": f["name"]}))]


def _load_products(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    plan = _tp(Product, ("code",), {"code": "str", "name": "str", "product_group": "str"})
    return [(plan, _with_src(f, {"code": f["code"], "name": f["name"], "product_group": f["product_group"]}))]


def _load_districts(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    errors: list[RowError] = []
    region_id = _lookup(f, "region_code", _code_map(session, Region), errors)
    _raise_if(errors)
    plan = _tp(District, ("code",), {"code": "str", "name": "str", "basis": "str", "region_id": "int"})
    return [(plan, _with_src(f, {"code": f["code"], "name": f["name"], "basis": f["basis"], "region_id": region_id}))]


def _load_accounts(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    errors: list[RowError] = []
    district_id = _lookup(f, "district_code", _code_map(session, District), errors)
    kam_id = _lookup(f, "kam_seller_code", _code_map(session, Seller), errors, "unknown seller code")
    _raise_if(errors)
    plan = _tp(
        Account,
        ("code",),
        {
            "code": "str",
            "name": "str",
            "district_id": "int",
            "segment": "str",
            "key_account": "bool",
            "kam_seller_id": "int",
        },
    )
    key_account = pd.array(f["key_account"], dtype="boolean").fillna(False)
    return [
        (
            plan,
            _with_src(
                f,
                {
                    "code": f["code"],
                    "name": f["name"],
                    "district_id": district_id,
                    "segment": f["segment"],
                    "key_account": key_account,
                    "kam_seller_id": kam_id,
                },
            ),
        )
    ]


def _load_sellers(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    errors: list[RowError] = []
    district_id = _lookup(f, "district_code", _code_map(session, District), errors)
    valid_from = _iso(f["valid_from"])
    f = f.assign(_vf=valid_from)
    # The row with the latest valid_from gives the seller's name and e-mail ...
    latest = f.sort_values(["code", "_vf", "row"]).drop_duplicates("code", keep="last")
    # ... unless the database already holds a later assignment for that seller.
    stored_latest = {
        code: d.isoformat()
        for code, d in session.execute(
            select(Seller.code, func.max(SellerDistrict.valid_from))
            .join(SellerDistrict, SellerDistrict.seller_id == Seller.id)
            .group_by(Seller.code)
        )
    }
    newer = latest["code"].map(stored_latest).astype("string")
    latest = latest[newer.isna() | (latest["_vf"] >= newer.fillna(""))]
    # One e-mail, one seller: within the file and against sellers the file does not rename.
    seen: dict[str, tuple[str, int]] = {}
    for code, email, row in latest.sort_values("row")[["code", "email", "row"]].itertuples(index=False):
        if not (isinstance(code, str) and isinstance(email, str)):
            continue  # a cell that failed to parse: reported already
        if email in seen:
            other, other_row = seen[email]
            errors.append(
                RowError(
                    int(row),
                    "email",
                    email,
                    f"e-mail also given to seller {other} on row {other_row}",
                    group="e-mail also given to another seller of the file",
                )
            )
        else:
            seen[email] = (code, int(row))
    file_emails = dict(zip(latest["code"], latest["email"], strict=True))
    for code, email in session.execute(select(Seller.code, Seller.email)):
        owner = seen.get(email)
        if owner and owner[0] != code and file_emails.get(code, email) == email:
            errors.append(
                RowError(
                    owner[1],
                    "email",
                    email,
                    f"e-mail already belongs to seller {code}",
                    group="e-mail already belongs to another seller",
                )
            )
    _raise_if(errors)

    seller_plan = _tp(Seller, ("code",), {"code": "str", "name": "str", "email": "str"})
    seller_rows = _with_src(latest, {"code": latest["code"], "name": latest["name"], "email": latest["email"]})

    def history(ids: dict[str, int]) -> pd.DataFrame:
        return _with_src(f, {"seller_id": f["code"].map(ids), "valid_from": valid_from, "district_id": district_id})

    history_plan = _tp(
        SellerDistrict, ("seller_id", "valid_from"), {"seller_id": "int", "valid_from": "date", "district_id": "int"}
    )
    # The history needs the seller ids, known only once the sellers are written.
    return [(seller_plan, seller_rows), (history_plan, lambda: history(_code_map(session, Seller)))]


def _load_leaders(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    errors: list[RowError] = []
    _lookup(f, "district_code", _code_map(session, District), errors)
    _lookup(f, "region_code", _code_map(session, Region), errors)
    names: dict[str, tuple[str, int]] = {}
    for email, name, row in f[["email", "name", "row"]].itertuples(index=False):
        if not (isinstance(email, str) and isinstance(name, str)):
            continue  # a cell that failed to parse: reported already
        if email in names and names[email][0] != name:
            errors.append(
                RowError(
                    int(row),
                    "name",
                    name,
                    f"row {names[email][1]} gives this leader another name ({names[email][0]})",
                    group="another row gives this leader another name",
                )
            )
        names.setdefault(email, (name, int(row)))
    _raise_if(errors)
    has_d, has_r = _present(f["district_code"]), _present(f["region_code"])
    level = np.where(has_d, "district", np.where(has_r, "region", "company"))
    unit = np.where(has_d, f["district_code"].astype(object), np.where(has_r, f["region_code"].astype(object), ""))
    leaders = f.drop_duplicates("email")
    leader_plan = _tp(Leader, ("email",), {"email": "str", "name": "str"})
    leader_rows = _with_src(leaders, {"email": leaders["email"], "name": leaders["name"]})
    unit_plan = _tp(
        LeaderUnit, ("leader_id", "level", "unit_code"), {"leader_id": "int", "level": "str", "unit_code": "str"}
    )

    def units() -> pd.DataFrame:
        ids = dict(session.execute(select(Leader.email, Leader.id)).all())
        return _with_src(f, {"leader_id": f["email"].map(ids), "level": level, "unit_code": unit})

    return [(leader_plan, leader_rows), (unit_plan, units)]


def _load_seasonality(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    plan = _tp(Seasonality, ("month",), {"month": "int", "weight": "dec6"}, pk=None)
    return [(plan, _with_src(f, {"month": f["month"], "weight": f["weight"]}))]


def _check_seasonality(session: Session) -> None:
    rows = dict(session.execute(select(Seasonality.month, Seasonality.weight)).all())
    missing = [m for m in range(1, 13) if m not in rows]
    if missing:
        raise ImportRejected(
            [
                RowError(
                    None,
                    "month",
                    None,
                    f"the seasonality profile needs all 12 months; missing: {', '.join(map(str, missing))}",
                )
            ]
        )
    if sum(rows.values()) <= 0:
        raise ImportRejected([RowError(None, "weight", None, "the twelve weights add up to zero")])


def _expand_periods(f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame position, month ISO date, month index 0-11 within the year) for each stored month."""
    pos, month, idx = [], [], []
    for i, p in enumerate(f["period"].tolist()):
        for j, m in enumerate(months_of(p)):
            pos.append(i)
            month.append(m.isoformat())
            idx.append(j if len(p) == 4 else -1)
    return np.array(pos, dtype=np.int64), np.array(month, dtype=object), np.array(idx, dtype=np.int64)


def _phased(
    total: pd.Series, pos: np.ndarray, idx: np.ndarray, periods: pd.Series, weights: list[Decimal], unit: int = 1
) -> pd.Series:
    """Each stored month's share of its row's total; yearly totals phased in steps of `unit` minor units."""
    totals = pd.array(total, dtype="Int64")
    yearly = np.asarray(periods.str.len() == 4, dtype=bool)
    shares: dict[int, list[int]] = {}
    for i in np.flatnonzero(yearly & np.asarray(~totals.isna(), dtype=bool)):
        t = int(totals[i])
        step = unit if t % unit == 0 else 1  # sub-cent totals are phased in their own units
        shares[int(i)] = [s * step for s in phase(t // step, weights)]
    out = [
        None if pd.isna(totals[p]) else (shares[p][j] if j >= 0 else int(totals[p]))
        for p, j in zip(pos.tolist(), idx.tolist(), strict=True)
    ]
    return pd.Series(pd.array(out, dtype="Int64"))


def _plan_rows(session: Session, f: pd.DataFrame, model, kpi_values: bool) -> list[tuple]:  # noqa: ANN001
    errors: list[RowError] = []
    kpis = {
        code: (rollup, manual, active)
        for code, rollup, manual, active in session.execute(
            select(KpiDefinition.code, KpiDefinition.time_rollup, KpiDefinition.manual, KpiDefinition.active)
        )
    }
    unit_maps = {"seller": Seller, "district": District, "region": Region, "account": Account}
    known = {level: set(_code_map(session, m)) for level, m in unit_maps.items()}
    for row, level, code, kpi in f[["row", "level", "code", "kpi"]].itertuples(index=False):
        if level in known and isinstance(code, str) and code and code not in known[level]:
            errors.append(RowError(int(row), "code", code, f"unknown {level} code"))
        if not isinstance(kpi, str):
            continue
        if kpi not in kpis:
            errors.append(RowError(int(row), "kpi", kpi, f"unknown kpi; the KPIs are: {', '.join(sorted(kpis))}"))
        elif not kpis[kpi][2]:
            errors.append(RowError(int(row), "kpi", kpi, f"kpi {kpi} is not active"))
        elif kpi_values and not kpis[kpi][1]:
            errors.append(
                RowError(
                    int(row), "kpi", kpi, f"{kpi} is computed from sales and activities; kpi_values holds manual KPIs"
                )
            )
    # The rows whose KPI and period are known are checked on for overlaps, so one answer lists every
    # problem (a cell that failed to parse is reported already).
    usable = np.asarray(f["period"].notna() & f["kpi"].isin(list(kpis)), dtype=bool)
    if not usable.all():
        f = f[usable].reset_index(drop=True)
    pos, month, idx = _expand_periods(f)
    sub = f.iloc[pos].reset_index(drop=True)
    weights = _seasonality_weights(session)
    summed = np.asarray(sub["kpi"].map(lambda k: kpis[k][0] == "sum"), dtype=bool)
    # 'sum' KPIs: the year is split by the seasonality to the cent (value has 4 decimals: 100 units);
    # 'last' KPIs: a level, not a flow, so every month carries the yearly value.
    phased = _phased(f["value"], pos, idx, f["period"], weights, unit=100)
    value = pd.Series(np.where(summed, phased.astype(object), sub["value"].astype(object)))
    stored = pd.DataFrame(
        {
            "level": sub["level"],
            "unit_code": sub["code"].fillna("").astype("str"),
            "kpi_code": sub["kpi"],
            "month": month,
            "value": pd.array(value, dtype="Int64"),
            "source_period": sub["period"],
            "_src": sub["row"].to_numpy(),
        }
    )
    _check_overlaps(
        stored, ["level", "unit_code", "kpi_code", "month"], dict(zip(f["row"], f["period"], strict=True)), errors
    )
    _raise_if(errors)
    plan = _tp(
        model,
        ("level", "unit_code", "kpi_code", "month"),
        {
            "level": "str",
            "unit_code": "str",
            "kpi_code": "str",
            "month": "date",
            "value": "dec4",
            "source_period": "str",
        },
    )
    return [(plan, stored)]


def _load_targets(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    return _plan_rows(session, f, Target, kpi_values=False)


def _load_kpi_values(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    return _plan_rows(session, f, KpiValue, kpi_values=True)


def _load_budgets(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    errors: list[RowError] = []
    district_id = _lookup(f, "district_code", _code_map(session, District), errors)
    product_id = _lookup(f, "product_code", _code_map(session, Product), errors)
    # The rows with known references and period are checked on for overlaps, so one answer lists every
    # problem (a cell that failed to parse is reported already).
    usable = np.asarray(district_id.notna() & product_id.notna() & f["period"].notna(), dtype=bool)
    if not usable.all():
        f, district_id, product_id = (x[usable].reset_index(drop=True) for x in (f, district_id, product_id))
    pos, month, idx = _expand_periods(f)
    weights = _seasonality_weights(session)
    stored = pd.DataFrame(
        {
            "district_id": district_id.to_numpy()[pos],
            "product_id": product_id.to_numpy()[pos],
            "month": month,
            "quantity": _phased(f["quantity"], pos, idx, f["period"], weights),
            "amount": _phased(f["amount"], pos, idx, f["period"], weights),
            "cost": _phased(f["cost"], pos, idx, f["period"], weights),
            "source_period": f["period"].to_numpy()[pos],
            "_src": f["row"].to_numpy()[pos],
        }
    )
    _check_overlaps(
        stored, ["district_id", "product_id", "month"], dict(zip(f["row"], f["period"], strict=True)), errors
    )
    _raise_if(errors)
    plan = _tp(
        Budget,
        ("district_id", "product_id", "month"),
        {
            "district_id": "int",
            "product_id": "int",
            "month": "date",
            "quantity": "dec2",
            "amount": "dec2",
            "cost": "dec2",
            "source_period": "str",
        },
    )
    return [(plan, stored)]


def _load_sales(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    errors: list[RowError] = []
    seller_id = _lookup(f, "seller_code", refs.codes(Seller), errors)
    account_id = _lookup(f, "account_code", refs.codes(Account), errors)
    product_id = _lookup(f, "product_code", refs.codes(Product), errors)
    date = _iso(f["date"])
    _check_seller_history(f, seller_id, date, refs.first_valid_from(), errors)
    _raise_if(errors)
    plan = _tp(
        Sale,
        ("id",),
        {
            "id": "str",
            "date": "date",
            "seller_id": "int",
            "account_id": "int",
            "product_id": "int",
            "quantity": "dec2",
            "amount": "dec2",
            "cost": "dec2",
        },
        pk=None,
    )
    return [
        (
            plan,
            _with_src(
                f,
                {
                    "id": f["id"],
                    "date": date,
                    "seller_id": seller_id,
                    "account_id": account_id,
                    "product_id": product_id,
                    "quantity": f["quantity"],
                    "amount": f["amount"],
                    "cost": f["cost"],
                },
            ),
        )
    ]


def _load_activities(session: Session, f: pd.DataFrame, refs: _Refs) -> list[tuple]:
    errors: list[RowError] = []
    seller_id = _lookup(f, "seller_code", refs.codes(Seller), errors)
    account_id = _lookup(f, "account_code", refs.codes(Account), errors)
    date = _iso(f["date"])
    _check_seller_history(f, seller_id, date, refs.first_valid_from(), errors)
    _raise_if(errors)
    plan = _tp(
        Activity,
        ("id",),
        {"id": "str", "date": "date", "seller_id": "int", "account_id": "int", "type": "str", "value": "dec2"},
        pk=None,
    )
    return [
        (
            plan,
            _with_src(
                f,
                {
                    "id": f["id"],
                    "date": date,
                    "seller_id": seller_id,
                    "account_id": account_id,
                    "type": f["type"],
                    "value": f["value"],
                },
            ),
        )
    ]


LOADERS: dict[str, Callable[[Session, pd.DataFrame, _Refs], list[tuple]]] = {
    "regions": _load_regions,
    "districts": _load_districts,
    "sellers": _load_sellers,
    "leaders": _load_leaders,
    "accounts": _load_accounts,
    "products": _load_products,
    "seasonality": _load_seasonality,
    "sales": _load_sales,
    "activities": _load_activities,
    "targets": _load_targets,
    "kpi_values": _load_kpi_values,
    "budgets": _load_budgets,
}
assert set(LOADERS) == set(DATASETS), "every dataset needs a loader"
# The one table each streamed dataset writes.
DATASETS_TABLES = {"sales": Sale.__table__, "activities": Activity.__table__}
assert set(DATASETS_TABLES) == set(STREAMED)


# --------------------------------------------------------------------------------------------------
# The entry point


def get_spec(dataset: str) -> DatasetSpec:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise UnknownDataset(dataset) from None


def _with_reference_errors(
    session: Session, dataset: str, frame: pd.DataFrame, errors: list[RowError], refs: _Refs | None = None
) -> list[RowError]:
    """The parse errors plus the reference errors of every row, so one answer lists all: a row with a bad
    amount and an unknown seller gets both. A cell that failed to parse is missing in the frame, and the
    loaders pass over missing cells; a loader that cannot take such a frame is asked again with the rows
    that parsed cleanly."""
    if frame.empty or any(e.row is None for e in errors):
        return errors
    good = frame[~frame["row"].isin({e.row for e in errors})].reset_index(drop=True)
    for rows in (frame, good) if len(good) < len(frame) else (frame,):
        if rows.empty:
            break
        savepoint = session.begin_nested()  # the loaders only read, but nothing of this may stay
        try:
            LOADERS[dataset](session, rows, refs or _Refs(session))
            found: list[RowError] | None = []
        except ImportRejected as exc:
            found = exc.errors
        except Exception:
            found = None
        finally:
            savepoint.rollback()
        if found is not None:
            return _in_row_order(DATASETS[dataset], errors + found)
    return errors


def _in_row_order(spec: DatasetSpec, errors: list[RowError]) -> list[RowError]:
    """Whole-file problems first, then by row, and in a row by the dataset's column order (as parse() does)."""
    order = {name: i for i, name in enumerate(spec.column_names)}
    return sorted(errors, key=lambda e: (-1 if e.row is None else e.row, order.get(e.column or "", -1)))


class _KeyLog:
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
        raw = self.session.connection().connection.driver_connection
        if self.dialect == "postgresql":
            text = pa.array(pd.Series(keys, dtype="str").array, type=pa.string(), from_pandas=True)
            for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                text = pc.replace_substring(text, char, escaped)
            with raw.cursor() as cur, cur.copy("COPY import_keys (k, row) FROM STDIN") as copy:
                copy.write(_copy_lines([text, pc.cast(pa.array(rows), pa.string())]))
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
        errors, first = [], {}
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
class _Loaded:
    """What a load did, for the result and the audit event."""

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_rows: int = 0
    sample: list[tuple[dict, dict]] = field(default_factory=list)  # changed rows: (before, after)
    new_sample: list[tuple[None, dict]] = field(default_factory=list)  # inserted rows: (None, after)


class _Background:
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


class _CheckKeys(Exception):
    """A file read in batches without the key log (into an empty table) had a problem: it is read
    again with the key log, which lists every problem, repeated keys too."""


def _load(
    session: Session,
    spec: DatasetSpec,
    batches: Iterable[pd.DataFrame],
    *,
    streamed: CsvBatches | None,
    key_log: bool = True,
    dry_run: bool,
    progress: Progress | None,
) -> _Loaded:
    """Check and write every batch inside one SAVEPOINT, then the aggregates and the data version.

    Raises ImportRejected (the savepoint rolled back) listing every problem of every batch. The
    savepoint is rolled back for a dry run too; a dry run leaves the aggregates and the version alone.
    `streamed`: the reader when the batches come from a file read in batches: progress is the share
    of the file read, and each batch is written while the next one is read (the loaders of streamed
    datasets read the database only through `refs`, which the first batch fills). Its keys are
    checked across batches by the key log; or, with `key_log=False` (an empty table), by the table's
    primary key: any problem then raises _CheckKeys, for a second reading with the key log.
    """
    dataset = spec.name
    refs = _Refs(session)
    writers: dict[str, _TableWriter] = {}
    touched = aggregates.Touched()
    loaded = _Loaded()
    errors: list[RowError] = []
    rejected_because = "the file was not loaded"
    db_error: str | None = None
    read_before = 0.0
    driver_error = session.get_bind().dialect.dbapi.Error  # what the raw driver cursors raise
    background = _Background(enabled=streamed is not None)

    def settle() -> None:
        """Wait for the batch in writing; a refusal of a streamed batch becomes `db_error`."""
        nonlocal db_error
        try:
            background.wait()
        except (DBAPIError, driver_error) as exc:
            if streamed is None:
                raise
            db_error = db_error or _db_reason(exc)  # a key of an earlier batch, most likely: the key log says

    session.flush()
    # One import at a time writes (PostgreSQL; SQLite's writers are one at a time anyway): the
    # aggregates of two concurrent imports would contradict each other. Until the transaction ends.
    aggregates.serialize(session)
    savepoint = session.begin_nested()
    try:
        keys = _KeyLog(session, spec.key[0]) if streamed and key_log else None
        for batch_no, raw in enumerate(batches):
            frame, found = parse(spec, raw, duplicates=keys is None)
            if batch_no == 0 and other_datasets(spec, raw.columns):
                errors += found  # another dataset's header: that says it all; the rows are not read on
                rejected_because = f"the file was not loaded: {found[0].message}"
                break
            if batch_no and found:  # the header's problems came with the first batch
                found = [e for e in found if e.row is None or e.row > 1]
            frame = frame.reset_index(drop=True)
            loaded.rows += len(frame)
            plans, refused = None, None
            if not (found or errors or db_error):
                try:
                    plans = LOADERS[dataset](session, frame, refs)
                except ImportRejected as exc:
                    refused = exc.errors  # references: the loader names them all
            settle()
            if plans is None or db_error:
                # Nothing more is written; the rows of this batch are still checked, to list every problem.
                if keys is not None:
                    keys.add(frame)
                if refused is not None:
                    errors += refused
                elif plans is None:
                    errors += _with_reference_errors(session, dataset, frame, found, refs)
                continue
            read_now = streamed.done if streamed else 1.0
            expected = round(loaded.rows / max(read_now, 1e-9)) if streamed else None
            reporter = _share_reporter(progress, read_before, read_now, streamed)
            read_before = read_now

            def write(
                frame: pd.DataFrame = frame,
                plans: list[tuple] = plans,
                expected: int | None = expected,
                reporter: _Reporter | None = reporter,
            ) -> None:
                if keys is not None:
                    keys.add(frame)
                _write_batch(
                    session,
                    plans,
                    writers,
                    loaded,
                    touched,
                    expected=expected,
                    progress=reporter,
                    contained=streamed is not None,
                )

            background.run(write)
        settle()
        optimistic = streamed is not None and keys is None
        if optimistic and (errors or db_error):
            raise _CheckKeys
        if keys is not None:
            errors += keys.duplicates()
            keys.drop()
        if errors:
            raise ImportRejected(_in_file_order(errors, keys), rejected_because)
        if db_error:
            raise ImportRejected([RowError(None, None, None, f"the database refused the data: {db_error}")])
        try:
            for writer in writers.values():
                writer.close()
        except (DBAPIError, driver_error):
            if optimistic:  # a key repeated in the file, most likely (the rebuilt primary key refused it)
                raise _CheckKeys from None
            raise
        if dataset == "seasonality":
            _check_seasonality(session)
        if not dry_run:
            if progress:
                progress("updating the monthly figures", 0, 1)
            aggregates.refresh(session, touched)
            version.bump_version(session)
    except ImportRejected:
        background.close()
        savepoint.rollback()
        raise
    except (DBAPIError, driver_error) as exc:
        background.close()
        savepoint.rollback()
        raise ImportRejected([RowError(None, None, None, f"the database refused the data: {_db_reason(exc)}")]) from exc
    except BaseException:
        background.close()
        savepoint.rollback()
        raise
    background.close()
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return loaded


def _write_batch(
    session: Session,
    plans: list[tuple],
    writers: dict[str, _TableWriter],
    loaded: _Loaded,
    touched: aggregates.Touched,
    *,
    expected: int | None,
    progress: _Reporter | None,
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
                writers[plan.table.name] = _TableWriter(session, plan, by_key=contained)
            status = writers[plan.table.name].write(
                stored,
                expected_rows=expected,
                progress=progress,
                sample=loaded.sample,
                new_sample=loaded.new_sample,
                touched=touched,
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


def _share_reporter(
    progress: Progress | None, before: float, now: float, streamed: CsvBatches | None
) -> _Reporter | None:
    """Progress of one batch's inserts as `progress(stage, done, total)`: in rows for a whole file, in
    bytes of the file for a file read in batches (this batch spans the bytes from `before` to `now`)."""
    if progress is None:
        return None

    def for_table(name: str, rows: int) -> Callable[[float], None]:
        if streamed is None:
            return lambda share: progress(f"writing {name}", round(share * rows), rows)
        total = max(streamed.total_bytes, 1)
        return lambda share: progress(f"writing {name}", int(total * (before + (now - before) * share)), total)

    return for_table


def _db_reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def _in_file_order(errors: list[RowError], keys: _KeyLog | None) -> list[RowError]:
    """Whole-file problems first, then by row; in a row, a duplicate key first (as parse() lists it)."""

    def order(e: RowError) -> tuple[int, int]:
        duplicate = keys is not None and e.column == keys.column and e.message.startswith("duplicate of row")
        return (-1 if e.row is None else e.row, 0 if duplicate else 1)

    return sorted(errors, key=order)


@contextmanager
def _opened(data: Source) -> Iterator[BinaryIO]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        yield io.BytesIO(data)
    elif isinstance(data, (str, os.PathLike)):
        with open(data, "rb") as file:
            yield file
    else:
        yield data


@contextmanager
def _tuned(session: Session) -> Iterator[None]:
    """SQLITE_CACHE_KIB or PG_SETTINGS for the import, set back afterwards (PostgreSQL: on success;
    a rollback undoes them anyway)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        names = list(PG_SETTINGS)
        before = conn.exec_driver_sql(
            f"SELECT {', '.join(f'current_setting(%(n{i})s)' for i in range(len(names)))}",
            {f"n{i}": n for i, n in enumerate(names)},
        ).one()
        for name, value in PG_SETTINGS.items():
            conn.exec_driver_sql("SELECT set_config(%(n)s, %(v)s, true)", {"n": name, "v": value})
        try:
            yield
        finally:  # the import's savepoint is closed by now, so the transaction takes statements
            for name, value in zip(names, before, strict=True):
                session.connection().exec_driver_sql("SELECT set_config(%(n)s, %(v)s, true)", {"n": name, "v": value})
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    wanted = -SQLITE_CACHE_KIB
    bigger = before is not None and (before if before < 0 else before * 4) > wanted  # pages of 4 KiB
    if bigger:
        conn.exec_driver_sql(f"PRAGMA cache_size = {wanted}")
    try:
        yield
    finally:
        if bigger:
            session.connection().exec_driver_sql(f"PRAGMA cache_size = {before}")


def import_file(
    session: Session,
    *,
    dataset: str,
    data: Source,
    filename: str,
    dry_run: bool = False,
    progress: Progress | None = None,
    actor: User | None = None,
) -> ImportResult:
    """Read, check, and upsert one file; raises ImportRejected (nothing written) on any bad row.

    `data`: the file's bytes, its path, or a binary file object (an upload's spooled file). A big
    sales or activities CSV file is read in batches from it; anything else is read whole.
    Flushes only; the caller commits (or, for dry_run, this rolls back its savepoint). A real load adds
    an audit event by `actor` (None: the command line) to the same transaction and counts the data
    version up.
    """
    spec = get_spec(dataset)
    report = progress or (lambda _stage, _done, _total: None)
    report("reading", 0, 1)
    with _opened(data) as source, _tuned(session):
        start = source.tell()
        size = source.seek(0, io.SEEK_END) - start
        source.seek(start)
        loaded = streamed = None
        if dataset in STREAMED and size >= STREAM_MIN_BYTES and not _is_xlsx(filename, source):
            # Into an empty table the primary key finds repeated keys; the key log only if it must.
            key_log = (
                session.execute(select(literal_column("1")).select_from(DATASETS_TABLES[dataset]).limit(1)).first()
                is not None
            )
            while loaded is None:
                try:
                    streamed = CsvBatches(source, total_bytes=size)
                    report("checking", 0, 1)
                    loaded = _load(
                        session, spec, streamed, streamed=streamed, key_log=key_log, dry_run=dry_run, progress=progress
                    )
                except _CheckKeys:
                    key_log = True  # nothing of the first reading stayed: read again, with the key log
                    source.seek(start)
                except NotStreamable:
                    streamed = None  # nothing of the attempt stayed: the whole-file reader takes over
                    source.seek(start)
                    break
        if loaded is None:
            whole = source.read()
            raw = read_table(whole, filename, spec=spec)
            report("checking", 0, 1)
            loaded = _load(session, spec, [raw], streamed=None, dry_run=dry_run, progress=progress)
            file_size, file_sha256 = len(whole), sha256(whole).hexdigest()
        else:
            file_size, file_sha256 = streamed.size, streamed.sha256
    if not dry_run:
        sample = _by_codes(session, loaded.sample + loaded.new_sample)
        record_audit(
            session,
            actor=actor,
            action="import",
            entity=dataset,
            before=[b for b, _ in sample] or None,
            after=[a for _, a in sample] or None,
            dataset=dataset,
            file_name=filename[:255],
            file_size=file_size,
            file_sha256=file_sha256,
            rows=loaded.rows,
            inserted=loaded.inserted,
            updated=loaded.updated,
            unchanged=loaded.unchanged,
            changed_rows=loaded.changed_rows,
        )
    # Rows were written below the ORM; drop what the session remembers so reads see them.
    session.expire_all()
    report("done", 1, 1)
    return ImportResult(
        dataset=dataset,
        rows=loaded.rows,
        inserted=loaded.inserted,
        updated=loaded.updated,
        unchanged=loaded.unchanged,
        dry_run=dry_run,
    )


def _is_xlsx(filename: str, source: BinaryIO) -> bool:
    at = source.tell()
    magic = source.read(2)
    source.seek(at)
    return filename.lower().endswith(".xlsx") or magic == b"PK"
