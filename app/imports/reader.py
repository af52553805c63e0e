"""Read an uploaded CSV or XLSX file into frames of strings, one column per header cell.

`read_table` reads a whole file into one frame; `CsvBatches` reads a big CSV file in batches of
about `BATCH_BYTES`, so memory does not grow with the file. In both, a frame's index is the
spreadsheet row number (header = 1, first data row = 2); blank rows are dropped but keep their
numbers. `frame.attrs["decimal"]` is the file's decimal separator and `frame.attrs["row_errors"]`
the RowErrors found while reading (parse() reports them).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from app.imports.errors import FileProblem, RowError
from app.imports.specs import DatasetSpec

_DELIMITERS = (";", ",", "\t")
_NOT_BLANK = re.compile(rb"[^\s\x00\xef\xbb\xbf]")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def read_table(data: bytes, filename: str, *, spec: DatasetSpec) -> pd.DataFrame:
    """All cells as str (empty string for empty), columns as in the header; raises FileProblem."""
    if _NOT_BLANK.search(data) is None:
        raise FileProblem("the file is empty")
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        frame = _read_xlsx(data, spec)
    else:
        frame = _read_csv(data)
    frame = _drop_blank(frame)
    if frame.empty:
        raise FileProblem("the file has a header but no data rows")
    return frame


# --- CSV ---------------------------------------------------------------------------------------


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
    delimiter, header = _header(header_line)
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


def _header(header_line: str) -> tuple[str, list[str]]:
    """The delimiter and the column names of a CSV file's first line."""
    if "\x00" in header_line:
        raise FileProblem("not a CSV or XLSX file")
    delimiter = _detect_delimiter(header_line)
    try:
        header = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as exc:  # a header cell over the csv module's 128 KiB limit, say
        raise FileProblem(f"the header line could not be read as CSV: {exc}") from None
    return delimiter, [h.strip() for h in header]


def _arrow_options(delimiter: str, n: int, on_irregular: Callable[[object], str], **read: object) -> dict:
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


def _to_frame(table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
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
        table = pa_csv.read_csv(io.BytesIO(data), **_arrow_options(delimiter, n, on_irregular, skip_rows=1))
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if irregular:
        return None
    return _to_frame(table)


def _check_utf8(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        if b"\x00" in data[:4096]:
            raise FileProblem("not a CSV or XLSX file") from None
        raise _not_utf8(line, exc.start - line_start + 1, data[exc.start]) from None


def _not_utf8(line: int, byte_in_line: int, byte: int) -> FileProblem:
    return FileProblem(f"the file is not UTF-8: line {line}, byte {byte_in_line} (0x{byte:02X}) "
                       'cannot be decoded; save it as "CSV UTF-8"')


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
                    errors.append(RowError(record_no, None, delimiter.join(cells),
                                           f"the row has {len(cells)} cells but the header has {n}"))
                cells = cells[:n]
            rows.append(cells + [""] * (n - len(cells)))
    except csv.Error as exc:  # a cell over the csv module's 128 KiB limit, say
        raise FileProblem(f"line {reader.line_num}: the file could not be read as CSV: {exc}") from None
    return pd.DataFrame(rows, columns=range(n), dtype="str"), errors


# --- CSV in batches ---------------------------------------------------------------------------

# Bytes of CSV per batch: about 70,000 sales rows, some tens of MB once parsed.
BATCH_BYTES = 4 * 1024 * 1024
# The header line must end within this many bytes for a file to be read in batches.
HEAD_BYTES = 1024 * 1024


class NotStreamable(Exception):
    """This file needs the whole-file reader (`read_table`): an irregular row, CR-only line endings, a
    header that is not one plain line, ... Raised before or while reading; what was read is void."""


class _Utf8Check:
    """UTF-8 checked piece by piece; the error names the line and byte as the whole-file reader's does."""

    def __init__(self, first_line: int) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._line = first_line  # the line the next byte is on
        self._line_start = 0  # where that line starts, in bytes checked so far
        self._offset = 0  # bytes checked so far

    def check(self, piece: bytes, *, final: bool) -> None:
        kept = len(self._decoder.getstate()[0])  # the start of a character cut at the previous piece's end
        try:
            self._decoder.decode(piece, final)
        except UnicodeDecodeError as exc:
            at = exc.start - kept  # in piece; negative: in the bytes kept from the previous piece
            before = piece[:max(at, 0)]
            newline = before.rfind(b"\n")
            line_start = self._offset + newline + 1 if newline >= 0 else self._line_start
            line = self._line + before.count(b"\n")
            raise _not_utf8(line, self._offset + at - line_start + 1, exc.object[exc.start]) from None
        newline = piece.rfind(b"\n")
        if newline >= 0:
            self._line += piece.count(b"\n")
            self._line_start = self._offset + newline + 1
        self._offset += len(piece)


class CsvBatches:
    """A CSV file read in batches of rows: iterate for frames of strings as `read_table` gives them.

    The file is cut at the last line end of every BATCH_BYTES read, and each piece parsed by pyarrow
    like a whole file. A cut inside a quoted value (a line break in a cell) shows as a last row whose
    cell runs to the end of the piece: the piece then waits for more of the file. So only one piece
    is in memory at a time, whatever the file's size.

    Raises FileProblem as the whole-file reader would (the file is not UTF-8, no data rows), and
    NotStreamable when the file needs the whole-file reader. `done` is the share of the file read so
    far (0..1); `size` and `sha256` describe the whole file once iteration has finished.
    """

    def __init__(self, raw: BinaryIO, *, total_bytes: int) -> None:
        self._raw = raw
        self.total_bytes = max(total_bytes, 1)
        head = raw.read(HEAD_BYTES)
        self._sha256 = hashlib.sha256(head)
        self.size = len(head)
        body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
        header_end = body.find(b"\n")
        # Odd files go to the whole-file reader, which has the words for each of them.
        if (header_end < 0 or body.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in body[:4096]
                or _NOT_BLANK.search(body[header_end + 1:]) is None):
            raise NotStreamable
        try:
            header_line = body[:header_end].decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            raise NotStreamable from None
        if header_line.count('"') % 2:  # a quoted line break in the header
            raise NotStreamable
        self.delimiter, self.header = _header(header_line)
        self.decimal = "," if self.delimiter == ";" else "."
        self._rest = body[header_end + 1:]
        self._utf8 = _Utf8Check(first_line=2)
        self._eof = False

    @property
    def done(self) -> float:
        return min(self.size / self.total_bytes, 1.0)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def __iter__(self) -> Iterator[pd.DataFrame]:
        pending, next_row, rows, limit = self._rest, 2, 0, BATCH_BYTES
        self._utf8.check(pending, final=False)
        while True:
            while not self._eof and len(pending) < limit:
                pending += self._read()
            if not pending:
                break
            last = self._eof and len(pending) <= limit
            cut = len(pending) if last else pending.rfind(b"\n", 0, limit) + 1
            if cut == 0:  # a record longer than a batch: read on
                limit *= 2
                continue
            table = self._parse(pending[:cut])
            if not last and _runs_to_the_end(table):
                limit *= 2  # the cut fell inside a quoted value: parse again with more
                continue
            pending, limit = pending[cut:], BATCH_BYTES
            frame = _to_frame(table)
            frame.columns = self.header
            frame.index = pd.RangeIndex(next_row, next_row + len(frame))
            next_row += len(frame)
            frame = _drop_blank(frame)
            if frame.empty:
                continue
            rows += len(frame)
            frame.attrs["decimal"] = self.decimal
            frame.attrs["row_errors"] = []
            yield frame
        if rows == 0:
            raise FileProblem("the file has a header but no data rows")

    def _read(self) -> bytes:
        """The next BATCH_BYTES of the file, hashed and checked (b"" at the end)."""
        piece = b"" if self._eof else self._raw.read(BATCH_BYTES)
        self._eof = not piece
        self._sha256.update(piece)
        self.size += len(piece)
        self._utf8.check(piece, final=self._eof)
        return piece

    def _parse(self, chunk: bytes) -> pa.Table:
        irregular: list[object] = []

        def on_irregular(row: object) -> str:
            irregular.append(row)  # pyarrow does not say which row: the whole-file reader numbers them
            return "skip"

        try:
            table = pa_csv.read_csv(io.BytesIO(chunk), **_arrow_options(self.delimiter, len(self.header), on_irregular))
        except (pa.ArrowInvalid, pa.ArrowException):
            raise NotStreamable from None
        if irregular:
            raise NotStreamable
        return table


def _runs_to_the_end(table: pa.Table) -> bool:
    """Whether the last row has a cell ending in a line break: a quoted value left open at the end of a
    piece swallows the rest of it (a value that really ends in a line break is read again, harmlessly)."""
    if table.num_rows == 0:
        return False
    last = table.slice(table.num_rows - 1)
    return any((column[0].as_py() or "").endswith(("\n", "\r")) for column in last.columns)


# --- XLSX --------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, spec: DatasetSpec) -> pd.DataFrame:
    import openpyxl  # imported here: only XLSX uploads pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for garbage: zip, xml, key errors
        raise FileProblem("not a CSV or XLSX file (an .xlsx file could not be opened)") from None
    try:
        sheet_name = _pick_sheet(book.sheetnames, spec)
        sheet = book[sheet_name]
        formula_cells = _formula_cells(data, sheet_name) if _has_formulas(data) else set()
        rows_iter = sheet.iter_rows(values_only=True)
        header_cells = next(rows_iter, None)
        if header_cells is None or all(v is None or str(v).strip() == "" for v in header_cells):
            raise FileProblem("the file is empty")
        header = [_cell_text(v).strip() for v in header_cells]
        while header and header[-1] == "":
            header.pop()  # formatted but empty columns at the right
        n = len(header)
        row_errors: list[RowError] = []
        rows: list[list[str]] = []
        for row_no, values in enumerate(rows_iter, start=2):
            cells = [_cell_text(v) for v in values[:n]]
            cells += [""] * (n - len(cells))
            for col_idx in range(n):
                if cells[col_idx] == "" and (row_no, col_idx + 1) in formula_cells:
                    row_errors.append(RowError(row_no, header[col_idx] or None, None, "formula without a value"))
            extra = [v for v in values[n:] if v is not None and str(v).strip() != ""]
            if extra:
                row_errors.append(
                    RowError(row_no, None, ", ".join(_cell_text(v) for v in extra), f"the row has cells beyond the {n} header columns")
                )
            rows.append(cells)
    finally:
        book.close()
    frame = pd.DataFrame(rows, columns=range(n), dtype="str") if rows else pd.DataFrame(columns=range(n), dtype="str")
    frame.columns = header
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    frame.attrs["decimal"] = "."
    frame.attrs["row_errors"] = row_errors
    return frame


def _pick_sheet(names: list[str], spec: DatasetSpec) -> str:
    if len(names) == 1:
        return names[0]
    wanted = {s.lower() for s in spec.sheet_names}
    matches = [n for n in names if n.strip().lower() in wanted]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(repr(n) for n in names)
    raise FileProblem(
        f"the workbook has several sheets ({listed}); keep only one, or name the sheet "
        f"{spec.sheet_names[0]!r}"
    )


def _has_formulas(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return any(
                _FORMULA_TAG.search(z.read(n)) for n in z.namelist() if n.startswith("xl/worksheets/")
            )
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


def _formula_cells(data: bytes, sheet_name: str) -> set[tuple[int, int]]:
    """(row, column) of the cells holding a formula; a second pass, only for workbooks with formulas."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        found = set()
        for row in book[sheet_name].iter_rows():
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    found.add((cell.row, cell.column))
        return found
    finally:
        book.close()


def _cell_text(value: object) -> str:
    """A cell as text: numbers in their shortest exact form (no '.0' on integers), dates YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return text
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


# --- both --------------------------------------------------------------------------------------


def _drop_blank(frame: pd.DataFrame) -> pd.DataFrame:
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
