"""The budget routes' answers: the JSON answers of variance and forecast, and the exports (CSV
streamed part by part; XLSX and Parquet written part by part into a temporary file, then sent).
The figures come from `app.reporting.budget`; this module only shapes them into answers."""

import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, BinaryIO

import pandas as pd
from fastapi import HTTPException
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from app.access import Scope
from app.exports import iter_csv, json_records, write_parquet, write_xlsx
from app.exports.xlsx_writer import SheetFull
from app.params import invalid
from app.reporting import budget as reports

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def too_many(fmt: str, exc: reports.TooManyRows) -> HTTPException:
    return invalid(
        "format",
        fmt,
        f"{exc}: a JSON answer holds at most {exc.limit:,}; use format=csv or parquet, "
        "or a narrower query (fewer keys or months, no per=month)",
    )


def variance_answer(
    session: Session, *, scope: Scope, from_: str, to: str, by: list[str], per: str | None, max_rows: int
) -> dict[str, Any]:
    """The JSON answer of a variance: at most `max_rows` rows (422 naming `format` beyond)."""
    try:
        report = reports.variance_report(
            session, scope=scope, from_=from_, to=to, by=by, per_month=per == "month", max_rows=max_rows
        )
    except reports.TooManyRows as exc:
        raise too_many("json", exc) from None
    return {
        "from": from_,
        "to": to,
        "by": by,
        "per": per,
        "rows": json_records(report.rows),
        "totals": report.totals,
    }


def variance_export(
    session: Session,
    *,
    scope: Scope,
    from_: str,
    to: str,
    by: list[str],
    per: str | None,
    fmt: str,
    delimiter: str,
    decimal: str,
    bom: bool,
) -> Response:
    """A variance as the export asked for, computed and written part by part."""
    stream = reports.variance_stream(session, scope=scope, from_=from_, to=to, by=by, per_month=per == "month")
    stem = f"variance_{from_}_{to}_{'-'.join(by)}" + ("_month" if per else "")
    return export(stream, fmt, stem, sheet="Variance", delimiter=delimiter, decimal=decimal, bom=bom)


def forecast_answer(report: reports.Report, *, year: int, as_of: str, by: list[str], max_rows: int) -> dict[str, Any]:
    """The JSON answer of a forecast: at most `max_rows` rows (422 naming `format` beyond)."""
    if len(report.rows) > max_rows:
        raise too_many("json", reports.TooManyRows(max_rows))
    return {"year": year, "as_of": as_of, "by": by, "rows": json_records(report.rows), "totals": report.totals}


def forecast_export(
    report: reports.Report,
    *,
    year: int,
    as_of: str,
    by: list[str],
    fmt: str,
    delimiter: str,
    decimal: str,
    bom: bool,
) -> Response:
    """A forecast as the export asked for."""
    stem = f"forecast_{year}_{as_of}_{'-'.join(by)}"
    return export(report, fmt, stem, sheet="Forecast", delimiter=delimiter, decimal=decimal, bom=bom)


def export(
    report: reports.Report | reports.Streamed,
    fmt: str,
    stem: str,
    *,
    sheet: str,
    delimiter: str,
    decimal: str,
    bom: bool,
) -> Response:
    """The export asked for: a whole report, or a streamed one (computed part by part)."""
    disposition = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    rows: pd.DataFrame | Iterable[pd.DataFrame]
    totals: Mapping[str, Any] | Callable[[], Mapping[str, Any]]
    if isinstance(report, reports.Report):
        rows, totals = report.rows, report.totals
    else:
        rows, totals = report, report.totals
    if fmt == "csv":
        chunks = iter_csv(rows, delimiter=delimiter, decimal=decimal, bom=bom)
        return StreamingResponse(chunks, media_type=MEDIA["csv"], headers=disposition)
    # the file goes to disk, then out in blocks (memory holds one part); `_blocks` closes it
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        if fmt == "xlsx":
            write_xlsx(rows, totals=totals, sheet_name=sheet, out=spool)
        else:
            write_parquet(rows, out=spool)
    except SheetFull as exc:
        spool.close()
        raise invalid("format", fmt, f"{exc}; use format=csv or parquet, or a narrower query") from None
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    spool.seek(0)
    return StreamingResponse(
        _blocks(spool), media_type=MEDIA[fmt], headers={**disposition, "Content-Length": str(size)}
    )


def _blocks(spool: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    """A finished export file in blocks; the file is closed (and so deleted) at the end."""
    try:
        while block := spool.read(size):
            yield block
    finally:
        spool.close()
