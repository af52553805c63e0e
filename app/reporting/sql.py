"""The SQL shims every query of the reporting layer shares: exact integer sums and month keys, written
once for both dialects.

SQLite keeps NUMERIC as floats and sums them as floats (0.1 + 0.2 is not 0.3); PostgreSQL's SUM of a
BIGINT is NUMERIC (rows would carry Decimals). So money and two-decimal values are turned into
integers of hundredths before any sum, and sums are cast back to BIGINT: both dialects then add
integers, exactly, and hand back ints.
"""

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Date, DateTime, Integer, SQLColumnExpression, cast, func, literal
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

Executor = Session | Connection
# What the shims take: a mapped attribute (`Sale.amount`), a table's or subquery's column, or any
# SQL expression.
Expr = SQLColumnExpression[Any]


def dialect(conn: Executor) -> str:
    """The dialect's name ("sqlite", "postgresql") of a session or a connection."""
    return conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name


def cents(expr: Expr) -> ColumnElement[Any]:
    """A two-decimal NUMERIC column (money, an activity's value) as an integer of hundredths."""
    return cast(func.round(expr * 100), BigInteger)


def big_sum(expr: Expr) -> ColumnElement[Any]:
    """SUM of an integer expression as a BIGINT; 0 over no rows."""
    return cast(func.coalesce(func.sum(expr), 0), BigInteger)


def scaled(conn: Executor, scale: int, column: Expr) -> ColumnElement[Any]:
    """A NUMERIC column times `scale` as an exact integer; SQLite's float is rounded to it."""
    if dialect(conn) == "postgresql":
        return cast(column * scale, BigInteger)
    return cast(func.round(column * scale), BigInteger)


def month_text(conn: Executor, column: Expr) -> ColumnElement[Any]:
    """'YYYY-MM' of a DATE column."""
    if dialect(conn) == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)


def month_key(conn: Executor, column: Expr) -> ColumnElement[Any]:
    """yyyymm (an integer) of a DATE column."""
    if dialect(conn) == "postgresql":
        return cast(func.to_char(column, "YYYYMM"), Integer)
    return cast(func.substr(column, 1, 4).op("||")(func.substr(column, 6, 2)), Integer)


def month_start(conn: Executor, column: Expr) -> ColumnElement[Any]:
    """The first day of a DATE column's month, as a DATE."""
    if dialect(conn) == "postgresql":
        # on a timestamp, not the DATE itself (that goes through a time-zone-aware timestamptz)
        return cast(func.date_trunc("month", cast(column, DateTime)), Date)
    return func.substr(column, 1, 8).op("||")(literal("01"))


def key_of(month: str) -> int:
    """'YYYY-MM' -> yyyymm, the Python side of `month_key`."""
    return int(month[:4]) * 100 + int(month[5:7])
