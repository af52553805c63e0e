"""Load a checked file into the database: references, history rules, phasing, upsert by key, all or nothing.

Flow: `read_table` -> `parse` (pure, app.imports) -> references checked against the database ->
the rows to store, one frame per table -> upsert by key inside a SAVEPOINT.

Values are compared and written in a canonical form: integers in minor units for every Numeric
column (so 12.50 and 12.5 are equal and nothing goes through float arithmetic), ISO strings for
dates. Inserts go to the driver directly (SQLite `executemany`, PostgreSQL `COPY`), which is what
makes a million sales rows load in seconds rather than minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from hashlib import sha256

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, String, Table, cast, func, inspect, literal_column, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from app.analytics.periods import months_of, phase
from app.audit.service import record as record_audit
from app.imports.errors import ImportRejected, RowError
from app.imports.parse import parse
from app.imports.reader import read_table
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

Progress = Callable[[str, int, int], None]

# Rows per INSERT/COPY batch: big enough to amortize round trips, small enough to report progress.
WRITE_CHUNK = 100_000
# Keys per `IN (...)` when fetching existing rows (SQLite allows 32766 variables).
FETCH_CHUNK = 10_000
# From this many new rows (and more than the table holds), indexes are rebuilt rather than maintained.
BULK_MIN_ROWS = 50_000
# Changed rows kept, before and after, in an import's audit event (the event also counts all of them).
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
        return {"dataset": self.dataset, "rows": self.rows, "inserted": self.inserted,
                "updated": self.updated, "unchanged": self.unchanged, "dry_run": self.dry_run}


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


def _fetch_existing(session: Session, plan: TablePlan, frame: pd.DataFrame) -> pd.DataFrame:
    """The stored rows whose key occurs in `frame`, in canonical form (plus `_id` when pk is set)."""
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
    stored = session.scalar(select(func.count()).select_from(t)) or 0
    if stored == 0:
        rows: list = []
    elif len(plan.key) == 1 and stored > 3 * len(frame) + 10_000:
        # A small file against a big table: fetch by key rather than scanning the table.
        key_col = t.c[plan.key[0]]
        keys = frame[plan.key[0]].dropna().unique().tolist()
        rows = []
        for i in range(0, len(keys), FETCH_CHUNK):
            rows.extend(_fetch_raw(session, select(*exprs).where(key_col.in_(keys[i:i + FETCH_CHUNK]))))
    else:
        rows = _fetch_raw(session, select(*exprs))
    # Column by column: building a frame from a million row objects costs seconds.
    existing = pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)) if rows
                            else {c: [] for c in columns})
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


def _upsert(session: Session, plan: TablePlan, frame: pd.DataFrame, progress: Progress | None,
            sample: list[tuple[dict, dict]] | None = None) -> pd.Series:
    """Insert new rows, update changed ones; the status of each frame row: 'new' | 'same' | 'changed'.

    `sample` (if given) receives up to AUDIT_SAMPLE changed rows as (before, after) for the audit trail.
    """
    if frame.empty:
        return pd.Series([], dtype="str")
    new = _canonical(frame, plan.kinds)
    new["_src"] = frame["_src"].to_numpy()
    existing = _fetch_existing(session, plan, new)
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
    if len(to_insert):
        _insert(session, plan, to_insert, progress)
    changed = merged.loc[found & ~same]
    if len(changed):
        _update(session, plan, changed)
        if sample is not None and len(sample) < AUDIT_SAMPLE:
            sample.extend(_changed_sample(plan, changed.head(AUDIT_SAMPLE - len(sample))))
    return pd.Series(status, index=frame.index)


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
    unit = 10 ** scale
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


def _copy_escape(s: pd.Series) -> pd.Series:
    return (s.str.replace("\\", "\\\\", regex=False).str.replace("\t", "\\t", regex=False)
            .str.replace("\n", "\\n", regex=False).str.replace("\r", "\\r", regex=False))


def _copy_text(plan: TablePlan, rows: pd.DataFrame, cols: list[str]) -> str:
    """The rows in PostgreSQL COPY text format."""
    parts = []
    for col in cols:
        kind = plan.kinds[col]
        s = rows[col]
        if kind.startswith("dec"):
            text = _dec_strings(s, _scale(kind))
        elif kind == "int":
            text = pd.Series(pd.array(s, dtype="Int64"), index=s.index).astype("str")
        elif kind == "bool":
            text = pd.Series(np.where(np.asarray(s.fillna(False), dtype=bool), "t", "f"), index=s.index)
        elif kind == "str":
            text = _copy_escape(pd.Series(s, dtype="str"))
        else:
            text = pd.Series(s, dtype="str")
        text = pd.Series(text.to_numpy(dtype=object), index=s.index)
        text[np.asarray(s.isna())] = "\\N"
        parts.append(text.reset_index(drop=True))
    joined = parts[0].str.cat(parts[1:], sep="\t") if len(parts) > 1 else parts[0]
    return "\n".join(joined.tolist()) + "\n"


@contextmanager
def _bulk_mode(session: Session, table: Table, inserting: int):
    """For a big load, drop the table's secondary indexes (and, on PostgreSQL, its foreign keys) and
    build them again afterwards: one sort per index instead of a b-tree insert per row, and one join
    per foreign key instead of a trigger per row. The standard recipe (PostgreSQL manual, "Populating
    a Database"); inside the import's SAVEPOINT, so a failure restores them. The references were
    already checked, and the re-added foreign keys check them again.
    """
    conn = session.connection()
    stored = session.scalar(select(func.count()).select_from(table)) or 0
    if inserting < BULK_MIN_ROWS or inserting < stored:
        yield
        return
    existing = {ix["name"] for ix in inspect(conn).get_indexes(table.name)}
    indexes = [ix for ix in table.indexes if ix.name in existing]
    fks = []
    if conn.dialect.name == "postgresql":
        present = {fk["name"] for fk in inspect(conn).get_foreign_keys(table.name)}
        fks = [fk for fk in table.foreign_key_constraints if fk.name in present]
    for fk in fks:
        conn.execute(DropConstraint(fk))
    for ix in indexes:
        conn.execute(DropIndex(ix))
    yield
    for ix in indexes:
        conn.execute(CreateIndex(ix))
    for fk in fks:
        conn.execute(AddConstraint(fk))


def _insert(session: Session, plan: TablePlan, rows: pd.DataFrame, progress: Progress | None) -> None:
    with _bulk_mode(session, plan.table, len(rows)):
        _insert_rows(session, plan, rows, progress)


def _insert_rows(session: Session, plan: TablePlan, rows: pd.DataFrame, progress: Progress | None) -> None:
    conn = session.connection()
    dialect = conn.dialect.name
    cols = list(plan.kinds)
    name = plan.table.name
    raw = conn.connection.driver_connection
    total = len(rows)
    for start in range(0, total, WRITE_CHUNK):
        chunk = rows.iloc[start:start + WRITE_CHUNK]
        if dialect == "postgresql":
            with raw.cursor() as cur, cur.copy(f'COPY "{name}" ({", ".join(cols)}) FROM STDIN') as copy:
                copy.write(_copy_text(plan, chunk, cols))
        else:
            params = list(zip(*_driver_columns(plan, chunk, dialect, cols), strict=True))
            sql = f'INSERT INTO "{name}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
            cur = raw.cursor()
            try:
                cur.executemany(sql, params)
            finally:
                cur.close()
        if progress:
            progress(f"writing {name}", min(start + WRITE_CHUNK, total), total)


def _update(session: Session, plan: TablePlan, rows: pd.DataFrame) -> None:
    conn = session.connection()
    dialect = conn.dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    set_cols = list(plan.values)
    where_cols = [plan.pk] if plan.pk else list(plan.key)
    sql = (f'UPDATE "{plan.table.name}" SET {", ".join(f"{c} = {mark}" for c in set_cols)} '
           f'WHERE {" AND ".join(f"{c} = {mark}" for c in where_cols)}')
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
    frame = pd.DataFrame({"src": src.to_numpy(), "new": (status == "new").to_numpy(),
                          "same": (status == "same").to_numpy()})
    per_row = frame.groupby("src").agg(all_new=("new", "all"), all_same=("same", "all"))
    inserted = int(per_row["all_new"].sum())
    unchanged = int(per_row["all_same"].sum())
    return inserted, len(per_row) - inserted - unchanged, unchanged


# --------------------------------------------------------------------------------------------------
# Checks shared by the datasets


def _present(s: pd.Series) -> np.ndarray:
    return np.asarray(s.notna() & (s.astype("str") != ""), dtype=bool)


def _lookup(frame: pd.DataFrame, col: str, mapping: dict, errors: list[RowError],
            message: str | None = None) -> pd.Series:
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


def _iso(dates: pd.Series) -> pd.Series:
    """datetime64 (or date objects) -> 'YYYY-MM-DD' text; NA stays NA."""
    days = pd.to_datetime(dates).to_numpy(dtype="datetime64[D]")
    text = pd.Series(np.datetime_as_string(days, unit="D"), index=dates.index, dtype="str")
    return text.where(~np.isnat(days), None)


def _first_valid_from(session: Session) -> dict[int, str]:
    return {sid: d.isoformat() for sid, d in session.execute(
        select(SellerDistrict.seller_id, func.min(SellerDistrict.valid_from)).group_by(SellerDistrict.seller_id)
    )}


def _check_seller_history(frame: pd.DataFrame, seller_ids: pd.Series, dates: pd.Series,
                          first: dict[int, str], errors: list[RowError]) -> None:
    """A sale or activity before the seller's first district assignment has no district to count for."""
    starts = seller_ids.map(first)
    bad = np.array(starts.notna() & dates.notna(), dtype=bool)
    if not bad.any():
        return
    bad[bad] = np.asarray(dates[bad] < starts[bad], dtype=bool)
    for r, d, code, start in zip(frame.loc[bad, "row"].tolist(), dates[bad].tolist(),
                                 frame.loc[bad, "seller_code"].tolist(), starts[bad].tolist(), strict=True):
        errors.append(RowError(int(r), "date", d, f"seller {code} has no district before {start}"))


def _seasonality_weights(session: Session) -> list[Decimal]:
    rows = dict(session.execute(select(Seasonality.month, Seasonality.weight)).all())
    if len(rows) == 12 and sum(rows.values()) > 0:
        return [rows[m] for m in range(1, 13)]
    return [Decimal(1)] * 12  # flat profile until a seasonality file is loaded


def _check_overlaps(stored: pd.DataFrame, key: list[str], periods: dict[int, str],
                    errors: list[RowError]) -> None:
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
            errors.append(RowError(src, "period", periods[src],
                                   f"{str(month)[:7]} is also covered by row {first_src[k]} "
                                   f"({periods[first_src[k]]})"))


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


def _load_regions(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    plan = _tp(Region, ("code",), {"code": "str", "name": "str"})
    return [(plan, _with_src(f, {"code": f["code"], "name": f["name"]}))]


def _load_products(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    plan = _tp(Product, ("code",), {"code": "str", "name": "str", "product_group": "str"})
    return [(plan, _with_src(f, {"code": f["code"], "name": f["name"], "product_group": f["product_group"]}))]


def _load_districts(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    errors: list[RowError] = []
    region_id = _lookup(f, "region_code", _code_map(session, Region), errors)
    _raise_if(errors)
    plan = _tp(District, ("code",), {"code": "str", "name": "str", "basis": "str", "region_id": "int"})
    return [(plan, _with_src(f, {"code": f["code"], "name": f["name"], "basis": f["basis"],
                                 "region_id": region_id}))]


def _load_accounts(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    errors: list[RowError] = []
    district_id = _lookup(f, "district_code", _code_map(session, District), errors)
    kam_id = _lookup(f, "kam_seller_code", _code_map(session, Seller), errors, "unknown seller code")
    _raise_if(errors)
    plan = _tp(Account, ("code",), {"code": "str", "name": "str", "district_id": "int", "segment": "str",
                                    "key_account": "bool", "kam_seller_id": "int"})
    key_account = pd.array(f["key_account"], dtype="boolean").fillna(False)
    return [(plan, _with_src(f, {"code": f["code"], "name": f["name"], "district_id": district_id,
                                 "segment": f["segment"], "key_account": key_account,
                                 "kam_seller_id": kam_id}))]


def _load_sellers(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    errors: list[RowError] = []
    district_id = _lookup(f, "district_code", _code_map(session, District), errors)
    valid_from = _iso(f["valid_from"])
    f = f.assign(_vf=valid_from)
    # The row with the latest valid_from gives the seller's name and e-mail ...
    latest = f.sort_values(["code", "_vf", "row"]).drop_duplicates("code", keep="last")
    # ... unless the database already holds a later assignment for that seller.
    stored_latest = {code: d.isoformat() for code, d in session.execute(
        select(Seller.code, func.max(SellerDistrict.valid_from))
        .join(SellerDistrict, SellerDistrict.seller_id == Seller.id).group_by(Seller.code)
    )}
    newer = latest["code"].map(stored_latest).astype("string")
    latest = latest[newer.isna() | (latest["_vf"] >= newer.fillna(""))]
    # One e-mail, one seller: within the file and against sellers the file does not rename.
    seen: dict[str, tuple[str, int]] = {}
    for code, email, row in latest.sort_values("row")[["code", "email", "row"]].itertuples(index=False):
        if email in seen:
            other, other_row = seen[email]
            errors.append(RowError(int(row), "email", email,
                                   f"e-mail also given to seller {other} on row {other_row}"))
        else:
            seen[email] = (code, int(row))
    file_emails = dict(zip(latest["code"], latest["email"], strict=True))
    for code, email in session.execute(select(Seller.code, Seller.email)):
        owner = seen.get(email)
        if owner and owner[0] != code and file_emails.get(code, email) == email:
            errors.append(RowError(owner[1], "email", email, f"e-mail already belongs to seller {code}"))
    _raise_if(errors)

    seller_plan = _tp(Seller, ("code",), {"code": "str", "name": "str", "email": "str"})
    seller_rows = _with_src(latest, {"code": latest["code"], "name": latest["name"], "email": latest["email"]})

    def history(ids: dict[str, int]) -> pd.DataFrame:
        return _with_src(f, {"seller_id": f["code"].map(ids), "valid_from": valid_from,
                             "district_id": district_id})

    history_plan = _tp(SellerDistrict, ("seller_id", "valid_from"),
                       {"seller_id": "int", "valid_from": "date", "district_id": "int"})
    # The history needs the seller ids, known only once the sellers are written.
    return [(seller_plan, seller_rows), (history_plan, lambda: history(_code_map(session, Seller)))]


def _load_leaders(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    errors: list[RowError] = []
    _lookup(f, "district_code", _code_map(session, District), errors)
    _lookup(f, "region_code", _code_map(session, Region), errors)
    names: dict[str, tuple[str, int]] = {}
    for email, name, row in f[["email", "name", "row"]].itertuples(index=False):
        if email in names and names[email][0] != name:
            errors.append(RowError(int(row), "name", name,
                                   f"row {names[email][1]} gives this leader another name ({names[email][0]})"))
        names.setdefault(email, (name, int(row)))
    _raise_if(errors)
    has_d, has_r = _present(f["district_code"]), _present(f["region_code"])
    level = np.where(has_d, "district", np.where(has_r, "region", "company"))
    unit = np.where(has_d, f["district_code"].astype(object), np.where(has_r, f["region_code"].astype(object), ""))
    leaders = f.drop_duplicates("email")
    leader_plan = _tp(Leader, ("email",), {"email": "str", "name": "str"})
    leader_rows = _with_src(leaders, {"email": leaders["email"], "name": leaders["name"]})
    unit_plan = _tp(LeaderUnit, ("leader_id", "level", "unit_code"),
                    {"leader_id": "int", "level": "str", "unit_code": "str"})

    def units() -> pd.DataFrame:
        ids = dict(session.execute(select(Leader.email, Leader.id)).all())
        return _with_src(f, {"leader_id": f["email"].map(ids), "level": level, "unit_code": unit})

    return [(leader_plan, leader_rows), (unit_plan, units)]


def _load_seasonality(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    plan = _tp(Seasonality, ("month",), {"month": "int", "weight": "dec6"}, pk=None)
    return [(plan, _with_src(f, {"month": f["month"], "weight": f["weight"]}))]


def _check_seasonality(session: Session) -> None:
    rows = dict(session.execute(select(Seasonality.month, Seasonality.weight)).all())
    missing = [m for m in range(1, 13) if m not in rows]
    if missing:
        raise ImportRejected([RowError(None, "month", None, "the seasonality profile needs all 12 months; "
                                       f"missing: {', '.join(map(str, missing))}")])
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


def _phased(total: pd.Series, pos: np.ndarray, idx: np.ndarray, periods: pd.Series,
            weights: list[Decimal], unit: int = 1) -> pd.Series:
    """Each stored month's share of its row's total; yearly totals phased in steps of `unit` minor units."""
    totals = pd.array(total, dtype="Int64")
    yearly = np.asarray(periods.str.len() == 4, dtype=bool)
    shares: dict[int, list[int]] = {}
    for i in np.flatnonzero(yearly & np.asarray(~totals.isna(), dtype=bool)):
        t = int(totals[i])
        step = unit if t % unit == 0 else 1  # sub-cent totals are phased in their own units
        shares[int(i)] = [s * step for s in phase(t // step, weights)]
    out = [None if pd.isna(totals[p]) else (shares[p][j] if j >= 0 else int(totals[p]))
           for p, j in zip(pos.tolist(), idx.tolist(), strict=True)]
    return pd.Series(pd.array(out, dtype="Int64"))


def _plan_rows(session: Session, f: pd.DataFrame, model, kpi_values: bool) -> list[tuple]:  # noqa: ANN001
    errors: list[RowError] = []
    kpis = {code: (rollup, manual, active) for code, rollup, manual, active in session.execute(
        select(KpiDefinition.code, KpiDefinition.time_rollup, KpiDefinition.manual, KpiDefinition.active)
    )}
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
            errors.append(RowError(int(row), "kpi", kpi,
                                   f"{kpi} is computed from sales and activities; kpi_values holds manual KPIs"))
    _raise_if(errors)
    pos, month, idx = _expand_periods(f)
    sub = f.iloc[pos].reset_index(drop=True)
    weights = _seasonality_weights(session)
    summed = np.asarray(sub["kpi"].map(lambda k: kpis[k][0] == "sum"), dtype=bool)
    # 'sum' KPIs: the year is split by the seasonality to the cent (value has 4 decimals: 100 units);
    # 'last' KPIs: a level, not a flow, so every month carries the yearly value.
    phased = _phased(f["value"], pos, idx, f["period"], weights, unit=100)
    value = pd.Series(np.where(summed, phased.astype(object), sub["value"].astype(object)))
    stored = pd.DataFrame({
        "level": sub["level"], "unit_code": sub["code"].fillna("").astype("str"), "kpi_code": sub["kpi"],
        "month": month, "value": pd.array(value, dtype="Int64"), "source_period": sub["period"],
        "_src": sub["row"].to_numpy(),
    })
    _check_overlaps(stored, ["level", "unit_code", "kpi_code", "month"], dict(zip(f["row"], f["period"], strict=True)),
                    errors)
    _raise_if(errors)
    plan = _tp(model, ("level", "unit_code", "kpi_code", "month"),
               {"level": "str", "unit_code": "str", "kpi_code": "str", "month": "date", "value": "dec4",
                "source_period": "str"})
    return [(plan, stored)]


def _load_targets(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    return _plan_rows(session, f, Target, kpi_values=False)


def _load_kpi_values(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    return _plan_rows(session, f, KpiValue, kpi_values=True)


def _load_budgets(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    errors: list[RowError] = []
    district_id = _lookup(f, "district_code", _code_map(session, District), errors)
    product_id = _lookup(f, "product_code", _code_map(session, Product), errors)
    _raise_if(errors)
    pos, month, idx = _expand_periods(f)
    weights = _seasonality_weights(session)
    stored = pd.DataFrame({
        "district_id": district_id.to_numpy()[pos], "product_id": product_id.to_numpy()[pos], "month": month,
        "quantity": _phased(f["quantity"], pos, idx, f["period"], weights),
        "amount": _phased(f["amount"], pos, idx, f["period"], weights),
        "cost": _phased(f["cost"], pos, idx, f["period"], weights),
        "source_period": f["period"].to_numpy()[pos], "_src": f["row"].to_numpy()[pos],
    })
    _check_overlaps(stored, ["district_id", "product_id", "month"], dict(zip(f["row"], f["period"], strict=True)),
                    errors)
    _raise_if(errors)
    plan = _tp(Budget, ("district_id", "product_id", "month"),
               {"district_id": "int", "product_id": "int", "month": "date", "quantity": "dec2", "amount": "dec2",
                "cost": "dec2", "source_period": "str"})
    return [(plan, stored)]


def _load_sales(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    errors: list[RowError] = []
    seller_id = _lookup(f, "seller_code", _code_map(session, Seller), errors)
    account_id = _lookup(f, "account_code", _code_map(session, Account), errors)
    product_id = _lookup(f, "product_code", _code_map(session, Product), errors)
    date = _iso(f["date"])
    _check_seller_history(f, seller_id, date, _first_valid_from(session), errors)
    _raise_if(errors)
    plan = _tp(Sale, ("id",), {"id": "str", "date": "date", "seller_id": "int", "account_id": "int",
                               "product_id": "int", "quantity": "dec2", "amount": "dec2", "cost": "dec2"}, pk=None)
    return [(plan, _with_src(f, {"id": f["id"], "date": date, "seller_id": seller_id, "account_id": account_id,
                                 "product_id": product_id, "quantity": f["quantity"], "amount": f["amount"],
                                 "cost": f["cost"]}))]


def _load_activities(session: Session, f: pd.DataFrame, progress: Progress | None) -> list[tuple]:
    errors: list[RowError] = []
    seller_id = _lookup(f, "seller_code", _code_map(session, Seller), errors)
    account_id = _lookup(f, "account_code", _code_map(session, Account), errors)
    date = _iso(f["date"])
    _check_seller_history(f, seller_id, date, _first_valid_from(session), errors)
    _raise_if(errors)
    plan = _tp(Activity, ("id",), {"id": "str", "date": "date", "seller_id": "int", "account_id": "int",
                                   "type": "str", "value": "dec2"}, pk=None)
    return [(plan, _with_src(f, {"id": f["id"], "date": date, "seller_id": seller_id, "account_id": account_id,
                                 "type": f["type"], "value": f["value"]}))]


LOADERS: dict[str, Callable[[Session, pd.DataFrame, Progress | None], list[tuple]]] = {
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


# --------------------------------------------------------------------------------------------------
# The entry point


def get_spec(dataset: str) -> DatasetSpec:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise UnknownDataset(dataset) from None


def _with_reference_errors(session: Session, dataset: str, frame: pd.DataFrame,
                           errors: list[RowError]) -> list[RowError]:
    """The parse errors plus the reference errors of the rows that parsed cleanly, so one answer lists all."""
    bad_rows = {e.row for e in errors}
    if None in bad_rows or frame.empty:
        return errors
    good = frame[~frame["row"].isin(bad_rows)].reset_index(drop=True)
    if good.empty:
        return errors
    savepoint = session.begin_nested()  # the loaders only read, but nothing of this may stay
    try:
        LOADERS[dataset](session, good, None)
    except ImportRejected as exc:
        errors = errors + exc.errors
    except Exception:  # noqa: BLE001 - the parse errors alone still make a complete answer
        pass
    finally:
        savepoint.rollback()
    return sorted(errors, key=lambda e: -1 if e.row is None else e.row)


def import_file(session: Session, *, dataset: str, data: bytes, filename: str, dry_run: bool = False,
                progress: Progress | None = None, actor: User | None = None) -> ImportResult:
    """Read, check, and upsert one file; raises ImportRejected (nothing written) on any bad row.

    Flushes only; the caller commits (or, for dry_run, this rolls back its savepoint). A real load adds
    an audit event by `actor` (None: the command line) to the same transaction.
    """
    spec = get_spec(dataset)
    report = progress or (lambda _stage, _done, _total: None)
    report("reading", 0, 1)
    raw = read_table(data, filename, spec=spec)
    report("checking", 0, 1)
    frame, errors = parse(spec, raw)
    if errors:
        raise ImportRejected(_with_reference_errors(session, dataset, frame, errors))
    frame = frame.reset_index(drop=True)
    rows = len(frame)
    session.flush()
    savepoint = session.begin_nested()
    try:
        statuses: list[tuple[pd.Series, pd.Series]] = []
        sample: list[tuple[dict, dict]] = []
        for plan, stored in LOADERS[dataset](session, frame, progress):
            if callable(stored):
                stored = stored()
            status = _upsert(session, plan, stored, progress, sample)
            statuses.append((stored["_src"], status))
        if dataset == "seasonality":
            _check_seasonality(session)
        src = pd.concat([s for s, _ in statuses], ignore_index=True)
        status = pd.concat([st for _, st in statuses], ignore_index=True)
        inserted, updated, unchanged = _counts(src, status) if rows else (0, 0, 0)
    except ImportRejected:
        savepoint.rollback()
        raise
    except DBAPIError as exc:
        savepoint.rollback()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ImportRejected([RowError(None, None, None, f"the database refused the data: {reason}")]) from exc
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
        record_audit(session, actor=actor, action="import", entity=dataset,
                     before=[b for b, _ in sample] or None, after=[a for _, a in sample] or None,
                     dataset=dataset, file_name=filename[:255], file_size=len(data),
                     file_sha256=sha256(data).hexdigest(), rows=rows, inserted=inserted, updated=updated,
                     unchanged=unchanged, changed_rows=int((status == "changed").sum()) if rows else 0)
    # Rows were written below the ORM; drop what the session remembers so reads see them.
    session.expire_all()
    report("done", 1, 1)
    return ImportResult(dataset=dataset, rows=rows, inserted=inserted, updated=updated, unchanged=unchanged,
                        dry_run=dry_run)
