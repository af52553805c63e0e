"""The data version: one counter, counted up in the transaction of every change to the stored data
(an import, a registry edit), read once per transaction. The figure cache keys every entry by it, so
an entry made before a change never answers after it."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from app.models import DataVersion
from app.reporting.sql import Executor

_VERSION_READ = "data_version_read"


def bump_version(conn: Executor) -> None:
    """Count the data version up, in the caller's transaction (every figure cached before is stale)."""
    conn.execute(update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1))
    if isinstance(conn, Session):
        conn.info.pop(_VERSION_READ, None)


# Built once: read on every request, and building the statement cost twice what running it does.
_VERSION = select(DataVersion.version).where(DataVersion.id == 1)


def current_version(conn: Executor) -> int:
    return conn.execute(_VERSION).scalar() or 0


def transaction_version(session: Session) -> int:
    """The data version as `session`'s current transaction first read it: one read per transaction,
    however many cache lookups a request makes. Read again in the next transaction (after a commit or
    a rollback) and after this session counted it up (`bump_version`).

    Under READ COMMITTED (PostgreSQL) a later statement of the transaction may see rows an import
    committed after that read; figures computed from them and kept under the version read are then
    newer than their version, never older, which is what the figure cache needs (an entry answers
    only lookups that read the same version, and the next lookup after the import reads the new one)."""
    version = known_version(session)
    if version is None:
        version = current_version(session)
        note_version(session, version)
    return version


def with_version(stmt: Select) -> Select:
    """`stmt` with the data version as its last column (None before the first count-up): a request
    reads it along with the first thing it reads, and keeps it with `note_version`."""
    return stmt.add_columns(DataVersion.version).outerjoin(DataVersion, DataVersion.id == 1)


def note_version(session: Session, version: int | None) -> None:
    """Keep `version` (read by a `with_version` statement) as the one `session`'s current transaction read."""
    session.info[_VERSION_READ] = (session.get_transaction(), version or 0)


def known_version(session: Session) -> int | None:
    """The version `session`'s current transaction read already (`transaction_version`), without
    asking the database; None when it has not read it."""
    known = session.info.get(_VERSION_READ)
    transaction = session.get_transaction()
    return known[1] if known is not None and transaction is not None and known[0] is transaction else None
