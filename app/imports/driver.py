"""A table as an import writes it, and its rows through the database driver.

`TablePlan` names a table's business key and the kind of each written column; rows travel in canonical
form (integers in minor units for every Numeric column, ISO strings for dates). Below the ORM, straight
through the driver: the raw fetches of stored rows, inserts (SQLite `executemany`, PostgreSQL `COPY`,
which is what makes a million sales rows load in seconds rather than minutes), updates, and the
connection's settings for a big load (`tuned`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table
from sqlalchemy.orm import Session

# Rows per INSERT/COPY step: progress is reported after each (a line per percent of a million rows).
WRITE_CHUNK = 10_000
# During an import, set back afterwards: SQLite's page cache (KiB; the foreign-key and primary-key
# lookups of a big load miss the 2 MB default all the time), PostgreSQL's memory for sorts and
# hashes (the duplicate-key check) and for building indexes (bulk mode).
SQLITE_CACHE_KIB = 65_536
PG_SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "256MB"}


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


def scale_of(kind: str) -> int:
    return int(kind[3:])


def driver_connection(session: Session) -> Any:
    """The driver's own connection (sqlite3's, psycopg's) under the session's: where the raw cursors come from."""
    raw = session.connection().connection.driver_connection
    assert raw is not None, "a connection in use has its driver's connection"
    return raw


def fetch_raw(session: Session, stmt) -> list[tuple]:  # noqa: ANN001
    """Plain tuples from the driver (no result processing: the selected expressions are already canonical)."""
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positiontup is not None:
        params = tuple(params[k] for k in compiled.positiontup)
    cur = driver_connection(session).cursor()
    try:
        cur.execute(str(compiled), params)
        return cur.fetchall()
    finally:
        cur.close()


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
                vals = (np.asarray(s.fillna(0), dtype=np.int64) / 10 ** scale_of(kind)).astype(object)
            else:
                vals = np.asarray(_dec_strings(s, scale_of(kind)).fillna(""), dtype=object)
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
        if kind.startswith("dec") and scale_of(kind):
            text = pc.binary_join_element_wise(text, f"e-{scale_of(kind)}", "")
    elif kind == "bool":
        text = pc.if_else(pa.array(pd.array(s, dtype="boolean")), "t", "f")
    else:
        text = pa.array(pd.Series(s, dtype="str").array, type=pa.string(), from_pandas=True)
        if kind == "str":
            for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                text = pc.replace_substring(text, char, escaped)
    return pc.fill_null(text, "\\N")


def copy_lines(columns: list[pa.Array]) -> pa.Buffer:
    """Text columns joined into COPY text: one line per row, tab between cells; pyarrow builds it."""
    lines = pc.binary_join_element_wise(*columns, "\t") if len(columns) > 1 else columns[0]
    lines = pc.binary_join_element_wise(lines, "", "\n")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    first, last = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return lines.buffers()[2][first:last]


def insert_rows(session: Session, plan: TablePlan, rows: pd.DataFrame, report: Callable[[float], None] | None) -> None:
    """Insert `rows` (canonical) through the driver, WRITE_CHUNK rows a step; report(share) after each."""
    conn = session.connection()
    dialect = conn.dialect.name
    cols = list(plan.kinds)
    name = plan.table.name
    raw = driver_connection(session)
    total = len(rows)
    if report:
        report(0.0)
    if dialect == "postgresql":
        with raw.cursor() as cur, cur.copy(f'COPY "{name}" ({", ".join(cols)}) FROM STDIN') as copy:
            for start in range(0, total, WRITE_CHUNK):
                chunk = rows.iloc[start : start + WRITE_CHUNK]
                copy.write(copy_lines([_arrow_text(plan, chunk, c) for c in cols]))
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


def update_rows(session: Session, plan: TablePlan, rows: pd.DataFrame) -> None:
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
    raw = driver_connection(session)
    cur = raw.cursor()
    try:
        cur.executemany(sql, list(zip(*values, strict=True)))
    finally:
        cur.close()


@contextmanager
def tuned(session: Session) -> Iterator[None]:
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
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    wanted = -SQLITE_CACHE_KIB
    bigger = cache is not None and (cache if cache < 0 else cache * 4) > wanted  # pages of 4 KiB
    if bigger:
        conn.exec_driver_sql(f"PRAGMA cache_size = {wanted}")
    try:
        yield
    finally:
        if bigger:
            session.connection().exec_driver_sql(f"PRAGMA cache_size = {cache}")
