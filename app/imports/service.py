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

Where each part lives: `reader` (a whole file) and `batches` (a big CSV file in batches) read, `parse`
types the cells, `loaders` (with `checks`) hold each dataset's rules against the database, `upsert`
(with `driver`) writes. Here: `import_file`, and the SAVEPOINT around a load, the aggregates, the data
version and the audit event.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from hashlib import sha256
from typing import BinaryIO

import pandas as pd
from sqlalchemy import literal_column, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit.service import record as record_audit
from app.close.locks import locked_months, who_and_when
from app.floor.achievements import record as record_achievements
from app.imports.batches import CsvBatches, NotStreamable
from app.imports.checks import Refs
from app.imports.driver import tuned
from app.imports.errors import ImportRejected, RowError
from app.imports.loaders import LOADERS, check_seasonality, with_reference_errors
from app.imports.parse import other_datasets, parse
from app.imports.reader import read_table
from app.imports.specs import DATASETS, DatasetSpec
from app.imports.upsert import Background, KeyLog, Loaded, LockCheck, Reporter, TableWriter, write_batch
from app.models import Account, Activity, District, Leader, Product, Region, Sale, Seller, User
from app.reporting import aggregates, version

Progress = Callable[[str, int, int], None]
# A file: its bytes, a path, or a binary file object (read from its current position).
Source = bytes | bytearray | memoryview | str | os.PathLike | BinaryIO


# Datasets whose CSV files are read in batches (one table, one key column, no rule across rows but
# the key): the big ones. From this size on; smaller files are read whole.
STREAMED = ("sales", "activities")
STREAM_MIN_BYTES = 4 * 1024 * 1024


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


# The id columns of the written tables, as the audit trail names them: by the code (a leader by the
# e-mail) that the files use, never by an internal id.
_AUDIT_NAMES: dict[str, tuple[str, type[Seller | District | Region | Account | Product | Leader], str]] = {
    "seller_id": ("seller_code", Seller, "code"),
    "kam_seller_id": ("kam_seller_code", Seller, "code"),
    "district_id": ("district_code", District, "code"),
    "region_id": ("region_code", Region, "code"),
    "account_id": ("account_code", Account, "code"),
    "product_id": ("product_code", Product, "code"),
    "leader_id": ("leader_email", Leader, "email"),
}


def _by_codes(session: Session, sample: list[tuple[dict | None, dict]]) -> list[tuple[dict | None, dict | None]]:
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


def get_spec(dataset: str) -> DatasetSpec:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise UnknownDataset(dataset) from None


# The one table each streamed dataset writes.
DATASETS_TABLES = {"sales": Sale.__table__, "activities": Activity.__table__}
assert set(DATASETS_TABLES) == set(STREAMED)


class LockedMonths(ImportRejected):
    """The file would change figures of locked months (`locked_months`, 'YYYY-MM'): refused whole,
    every row that would change one listed (with any other problem of the file)."""

    def __init__(self, errors: list[RowError], locked_months: list[str]) -> None:
        if len(locked_months) == 1:
            months = f"the locked month {locked_months[0]}"
        else:
            months = f"the locked months {', '.join(locked_months[:-1])} and {locked_months[-1]}"
        super().__init__(errors, f"the file was not loaded: it would change {months}")
        self.locked_months = locked_months


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
) -> Loaded:
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
    refs = Refs(session)
    writers: dict[str, TableWriter] = {}
    touched = aggregates.Touched()
    loaded = Loaded()
    errors: list[RowError] = []
    rejected_because = "the file was not loaded"
    db_error: str | None = None
    read_before = 0.0
    driver_error = session.get_bind().dialect.loaded_dbapi.Error  # what the raw driver cursors raise
    background = Background(enabled=streamed is not None)

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
    # The locked months, once per import (after the serialization: a lock taken now waits for this
    # import); with none, no row is checked.
    locked = locked_months(session)
    if locked:
        loaded.locks = LockCheck({month: who_and_when(lock) for month, lock in locked.items()})
    savepoint = session.begin_nested()
    try:
        keys = KeyLog(session, spec.key[0]) if streamed and key_log else None
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
                    errors += with_reference_errors(session, dataset, frame, found, refs)
                continue
            read_now = streamed.done if streamed else 1.0
            expected = round(loaded.rows / max(read_now, 1e-9)) if streamed else None
            reporter = _share_reporter(progress, read_before, read_now, streamed)
            read_before = read_now

            def write(
                frame: pd.DataFrame = frame,
                plans: list[tuple] = plans,
                expected: int | None = expected,
                reporter: Reporter | None = reporter,
            ) -> None:
                if keys is not None:
                    keys.add(frame)
                write_batch(
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
        if loaded.locks is not None and loaded.locks.errors:
            errors += loaded.locks.errors  # listed with every other problem of the file
        optimistic = streamed is not None and keys is None
        if optimistic and (errors or db_error):
            raise _CheckKeys
        if keys is not None:
            errors += keys.duplicates()
            keys.drop()
        if errors:
            if loaded.locks is not None and loaded.locks.months:
                raise LockedMonths(_in_file_order(errors, keys), sorted(loaded.locks.months))
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
            check_seasonality(session)
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


def _share_reporter(
    progress: Progress | None, before: float, now: float, streamed: CsvBatches | None
) -> Reporter | None:
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


def _in_file_order(errors: list[RowError], keys: KeyLog | None) -> list[RowError]:
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
    with _opened(data) as source, tuned(session):
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
            assert streamed is not None  # loaded in batches
            file_size, file_sha256 = streamed.size, streamed.sha256
    if not dry_run:
        sample = _by_codes(session, [*loaded.sample, *loaded.new_sample])
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
        # the goals this import made someone reach (app.floor.achievements), in the same transaction
        record_achievements(session)
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
