"""Read an uploaded CSV or XLSX file into frames of strings, one column per header cell.

`read_table` reads a whole file into one frame (a CSV file here: its encoding checked, its delimiter
sniffed from the header; an XLSX file in app.imports.xlsx); `CsvBatches` (app.imports.batches) reads a
big CSV file in batches of about `BATCH_BYTES`, so memory does not grow with the file. In both, a
frame's index is the spreadsheet row number (header = 1, first data row = 2); blank rows are dropped
but keep their numbers. `frame.attrs["decimal"]` is the file's decimal separator (`text_decimal`:
another one text cells of a workbook may use) and `frame.attrs["row_errors"]` the RowErrors found while
reading (parse() reports them).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from app.imports.errors import FileProblem, RowError
from app.imports.specs import DatasetSpec
from app.imports.xlsx import XlsxLimits, read_xlsx

_DELIMITERS = (";", ",", "\t")
NOT_BLANK = re.compile(rb"[^\s\x00\xef\xbb\xbf]")


def read_table(data: bytes, filename: str, *, spec: DatasetSpec, xlsx_limits: XlsxLimits | None = None) -> pd.DataFrame:
    """All cells as str (empty string for empty), columns as in the header; raises FileProblem.

    An XLSX file is read within `xlsx_limits` (default: from the settings, XLSX_MAX_*).
    """
    if NOT_BLANK.search(data) is None:
        raise FileProblem("the file is empty")
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        frame = read_xlsx(data, spec, xlsx_limits or XlsxLimits.from_settings())
    else:
        frame = _read_csv(data)
    frame = drop_blank(frame)
    if frame.empty:
        raise FileProblem("the file has a header but no data rows")
    return frame


def _read_csv(data: bytes) -> pd.DataFrame:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem('the file is UTF-16 (Excel\'s "Unicode text"); save it as "CSV UTF-8"')
    _check_utf8(data)
    if b"\n" not in data and b"\r" in data:
        data = data.replace(b"\r", b"\n")  # old Mac line endings (CR only)
    header_end = data.find(b"\n")
    header_line = (data if header_end < 0 else data[:header_end]).decode("utf-8").rstrip("\r")
    delimiter, header = read_header(header_line)
    if header_end < 0 or not data[header_end + 1 :].strip(b" \t\r\n"):
        raise FileProblem("the file has a header but no data rows")
    n = len(header)
    row_errors: list[RowError] = []
    frame = _read_csv_arrow(data, delimiter, n)
    if frame is None:
        # A row with fewer or more cells than the header (a blank line, say): pandas' C parser
        # fills short rows; rows with extra cells go to the slow path that reports each of them.
        try:
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=delimiter,
                header=None,
                skiprows=1,
                names=range(n),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
                encoding="utf-8",
            )
        except pd.errors.ParserError:
            frame, row_errors = _read_csv_slow(data, delimiter, header)
        except (pd.errors.EmptyDataError, ValueError) as exc:
            raise FileProblem(f"the file could not be read as CSV: {exc}") from None
    frame.columns = header
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    frame.attrs["decimal"] = "," if delimiter == ";" else "."
    frame.attrs["row_errors"] = row_errors
    return frame


def read_header(header_line: str) -> tuple[str, list[str]]:
    """The delimiter and the column names of a CSV file's first line."""
    if "\x00" in header_line:
        raise FileProblem("not a CSV or XLSX file")
    delimiter = _detect_delimiter(header_line)
    try:
        header = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as exc:  # a header cell over the csv module's 128 KiB limit, say
        raise FileProblem(f"the header line could not be read as CSV: {exc}") from None
    return delimiter, [h.strip() for h in header]


def arrow_options(delimiter: str, n: int, on_irregular: Callable[[object], str], **read: object) -> dict:
    """pyarrow's CSV options: every cell a string (empty, never null), quoted line breaks kept."""
    names = [f"c{i}" for i in range(n)]
    return {
        "read_options": pa_csv.ReadOptions(column_names=names, **read),
        "parse_options": pa_csv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_irregular
        ),
        "convert_options": pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


def to_frame(table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)
    frame.columns = range(table.num_columns)
    return frame


def _read_csv_arrow(data: bytes, delimiter: str, n: int) -> pd.DataFrame | None:
    """The fast path (multi-threaded pyarrow): None when some row's cell count differs from the header's."""
    irregular: list[object] = []

    def on_irregular(row: object) -> str:
        irregular.append(row)
        return "skip"

    try:
        table = pa_csv.read_csv(io.BytesIO(data), **arrow_options(delimiter, n, on_irregular, skip_rows=1))
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if irregular:
        return None
    return to_frame(table)


def _check_utf8(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        if b"\x00" in data[:4096]:
            raise FileProblem("not a CSV or XLSX file") from None
        raise not_utf8(line, exc.start - line_start + 1, data[exc.start]) from None


def not_utf8(line: int, byte_in_line: int, byte: int) -> FileProblem:
    return FileProblem(
        f"the file is not UTF-8: line {line}, byte {byte_in_line} (0x{byte:02X}) "
        'cannot be decoded; save it as "CSV UTF-8"'
    )


def _detect_delimiter(header_line: str) -> str:
    counts = {d: _count_outside_quotes(header_line, d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def _read_csv_slow(data: bytes, delimiter: str, header: list[str]) -> tuple[pd.DataFrame, list[RowError]]:
    n = len(header)
    rows: list[list[str]] = []
    errors: list[RowError] = []
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    try:
        next(reader)
        for record_no, cells in enumerate(reader, start=2):
            if len(cells) > n:
                extra = [c for c in cells[n:] if c.strip()]
                if extra:
                    errors.append(
                        RowError(
                            record_no,
                            None,
                            delimiter.join(cells),
                            f"the row has {len(cells)} cells but the header has {n}",
                            group="the row has more cells than the header",
                        )
                    )
                cells = cells[:n]
            rows.append(cells + [""] * (n - len(cells)))
    except csv.Error as exc:  # a cell over the csv module's 128 KiB limit, say
        raise FileProblem(f"line {reader.line_num}: the file could not be read as CSV: {exc}") from None
    return pd.DataFrame(rows, columns=range(n), dtype="str"), errors


def drop_blank(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.shape[1] == 0:
        return frame
    # Blank lines and Excel's trailing ';;;;' rows carry no data; their row numbers stay unused.
    # Only rows whose first cell is blank are candidates, so this is cheap on big files.
    blank = frame.iloc[:, 0].str.strip().eq("").to_numpy(dtype=bool).copy()
    for i in range(1, frame.shape[1]):
        if not blank.any():
            return frame
        candidates = np.flatnonzero(blank)
        blank[candidates] = frame.iloc[candidates, i].str.strip().eq("").to_numpy(dtype=bool)
    if not blank.any():
        return frame
    attrs = dict(frame.attrs)
    out = frame.loc[~blank]
    out.attrs.update(attrs)
    return out
