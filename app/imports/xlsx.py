"""Read an .xlsx file into a frame of strings (`read_xlsx`, within `XlsxLimits`), as `read_table` does
for a workbook.

An .xlsx file is a zip of XML parts. Before openpyxl sees one, the zip's directory is checked (the
declared sizes, which zipfile enforces while inflating, and the compression ratio) and every XML
part is inflated once, in pieces, to count its rows and shared strings: a zip bomb or a sheet of a
million rows is refused in a second or two, whatever its <dimension> says. openpyxl then reads the
sheet row by row within the same limits (rows, seconds), so what is kept is the result alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import functools
import gc
import io
import math
import posixpath
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

import pandas as pd

from app.config import get_settings
from app.imports.errors import FileProblem, RowError
from app.imports.specs import DatasetSpec

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


_SCAN_PIECE = 1024 * 1024  # bytes of inflated XML looked at a time
_TAG_TAIL = 4096  # a tag cut at a piece's end waits for the next piece if its start is this close
_RATIO_FROM_BYTES = 1024 * 1024  # smaller parts may compress as well as they like: they stay small
_STRINGS_PER_ROW = 4  # shared strings allowed per allowed row (they are all kept in memory)
_FRAME_ROWS = 65536  # rows turned into a frame at a time, so the cells' Python objects stay few
_RELEASE_FROM_BYTES = 32 * 1024 * 1024  # after a read of this much XML, memory goes back to the system
_MAX_DIRECTORY_BYTES = 1024 * 1024  # a zip directory this big lists some 10,000 parts; Excel's, tens
_MAX_ROW_BYTES = 4 * 1024 * 1024  # XML of one row: 16,384 cells (Excel's most) take about 1 MB


# What reading a broken workbook raises: zipfile (a part failing its CRC or size check), the XML parser
# (SyntaxError), openpyxl (values and indexes out of range, a date beyond year 9999, ...).
_XLSX_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    SyntaxError,
    ValueError,
    TypeError,
    LookupError,
    ArithmeticError,
)


# A tag with a namespace prefix (<x:row>); plain tags are counted with bytes.count.
_ROW_START = re.compile(rb"<[A-Za-z_][\w.\-]*:row[\s/>]")
_SI_START = re.compile(rb"<[A-Za-z_][\w.\-]*:si[\s>]")
_ROW_NUMBER = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?row\s[^<>]*?\br\s*=\s*[\"']\s*(\d+)")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?dimension\s[^<>]*?\bref\s*=\s*[\"']([^\"'<>]*)")


@dataclass(frozen=True)
class XlsxLimits:
    """How big an .xlsx file may be: its settings are XLSX_MAX_ROWS, _UNCOMPRESSED_MB, _RATIO, _SECONDS."""

    max_rows: int  # data rows of a sheet (the header row not counted)
    max_uncompressed_mb: int  # the inflated size of the whole workbook, as its zip directory declares it
    max_ratio: float  # inflated / compressed size, for each part over 1 MB and for the whole workbook
    max_seconds: float  # reading one workbook: checks, parse and the frame

    @classmethod
    def from_settings(cls) -> XlsxLimits:
        s = get_settings()
        return cls(
            max_rows=s.xlsx_max_rows,
            max_uncompressed_mb=s.xlsx_max_uncompressed_mb,
            max_ratio=s.xlsx_max_ratio,
            max_seconds=s.xlsx_max_seconds,
        )


def _beyond(what: str, limit: str, setting: str) -> FileProblem:
    return FileProblem(f"{what}; the limit is {limit} (setting {setting})")


def _too_many_rows(where: str, found: str, limits: XlsxLimits) -> FileProblem:
    return _beyond(f"{where} has {found}", f"{limits.max_rows:,} data rows", "XLSX_MAX_ROWS")


def _out_of_time(limits: XlsxLimits) -> FileProblem:
    return _beyond(
        f"reading the workbook took more than {limits.max_seconds:g} seconds",
        f"{limits.max_seconds:g} seconds",
        "XLSX_MAX_SECONDS",
    )


def _damaged(exc: BaseException) -> FileProblem:
    return FileProblem(f"the .xlsx file is damaged and could not be read ({_detail(exc)})")


def _detail(exc: BaseException) -> str:
    return str(exc).strip()[:200] or type(exc).__name__


@dataclass
class _PartScan:
    """What one XML part of a workbook holds, counted in its inflated bytes."""

    size: int = 0  # bytes inflated so far
    rows: int = 0  # <row> tags
    last_row: int = 0  # the highest r="..." seen on them
    strings: int = 0  # <si> tags (shared strings)
    formulas: bool = False  # any <f> tag (a formula)


def read_xlsx(data: bytes, spec: DatasetSpec, limits: XlsxLimits) -> pd.DataFrame:
    deadline = time.monotonic() + limits.max_seconds
    _check_directory(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileProblem("not a CSV or XLSX file (an .xlsx file could not be opened)") from None
    with archive:
        _check_archive(archive, limits)
        parts: dict[str, _PartScan] = {}
        try:
            _scan_parts(archive, parts, limits, deadline)
            return _parse_xlsx(data, spec, parts, limits, deadline)
        finally:
            if sum(p.size for p in parts.values()) >= _RELEASE_FROM_BYTES:
                _release_memory()  # a big read, refused or not


def _check_directory(data: bytes) -> None:
    """Refuse a zip directory of more than _MAX_DIRECTORY_BYTES before zipfile makes an object of each
    of its entries (a 200 MB upload could hold two million); a workbook's has some tens of entries."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65_535))  # where zipfile looks for it too
    if end < 0 or len(data) < end + 22:
        return  # not a zip: zipfile says so
    size = struct.unpack_from("<I", data, end + 12)[0]
    locator = end - 20
    if size == 0xFFFFFFFF and locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":  # zip64
        record = struct.unpack_from("<Q", data, locator + 8)[0]
        if data[record : record + 4] == b"PK\x06\x06" and len(data) >= record + 56:
            size = struct.unpack_from("<Q", data, record + 40)[0]
    if size > _MAX_DIRECTORY_BYTES:
        raise FileProblem(
            f"the .xlsx file's zip directory takes {size // 1024:,} KB, room for tens of thousands of "
            f"parts; the limit is {_MAX_DIRECTORY_BYTES // 1024:,} KB (a fixed limit)"
        )


def _check_archive(archive: zipfile.ZipFile, limits: XlsxLimits) -> None:
    """The zip directory within the limits, checked before anything is inflated.

    zipfile stops a part at its declared size (more data fails the part's CRC check), so the declared
    sizes bound what inflating can produce. Only deflate (or no compression) is accepted: zipfile
    inflates bzip2 and LZMA without an output bound, and Excel writes neither.
    """
    limit = limits.max_uncompressed_mb * 1024 * 1024
    infos = [i for i in archive.infolist() if not i.is_dir()]
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileProblem(
                f"the workbook part {info.filename[:100]} is compressed with method "
                f"{info.compress_type}; an .xlsx file uses deflate"
            )
        if info.file_size > limit:
            raise _beyond(
                f"the workbook part {info.filename[:100]} inflates to {_mb(info.file_size)}",
                f"{limits.max_uncompressed_mb:,} MB",
                "XLSX_MAX_UNCOMPRESSED_MB",
            )
        if info.file_size > _RATIO_FROM_BYTES and info.file_size > limits.max_ratio * info.compress_size:
            raise _beyond(
                f"the workbook part {info.filename[:100]} inflates "
                f"{_ratio(info.file_size, info.compress_size)} times, as a zip bomb does",
                f"{limits.max_ratio:g} times",
                "XLSX_MAX_RATIO",
            )
    inflated = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos)
    if inflated > limit:
        raise _beyond(
            f"the workbook inflates to {_mb(inflated)}",
            f"{limits.max_uncompressed_mb:,} MB",
            "XLSX_MAX_UNCOMPRESSED_MB",
        )
    if inflated > _RATIO_FROM_BYTES and inflated > limits.max_ratio * compressed:
        raise _beyond(
            f"the workbook inflates {_ratio(inflated, compressed)} times, as a zip bomb does",
            f"{limits.max_ratio:g} times",
            "XLSX_MAX_RATIO",
        )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


def _ratio(inflated: int, compressed: int) -> str:
    return f"{inflated / compressed:,.0f}" if compressed else "infinitely many"


def _scan_parts(archive: zipfile.ZipFile, parts: dict[str, _PartScan], limits: XlsxLimits, deadline: float) -> None:
    """Each XML part inflated once, piece by piece, its rows and shared strings counted against the
    limits; what was found goes into `parts`, by part name (also when a limit stops the scan).

    Reading a part to its end also checks its CRC and size. A sheet's <dimension> (when it has one)
    refuses an over-long sheet at once; the counted rows catch one whose <dimension> is missing or lies.
    """
    max_strings = _STRINGS_PER_ROW * (limits.max_rows + 1)
    for info in archive.infolist():
        if info.is_dir():
            continue
        scan = parts[info.filename] = _PartScan()
        try:
            with archive.open(info) as stream:
                if not _scan_part(stream, scan, info.filename, limits, deadline, archive, max_strings):
                    del parts[info.filename]  # not XML: openpyxl does not parse it
        except (*_XLSX_ERRORS, RuntimeError, NotImplementedError) as exc:  # RuntimeError: encrypted
            raise _damaged(exc) from None


def _scan_part(
    stream: IO[bytes],
    scan: _PartScan,
    name: str,
    limits: XlsxLimits,
    deadline: float,
    archive: zipfile.ZipFile,
    max_strings: int,
) -> bool:
    """Count what `stream` holds into `scan`; False (at once) when the part is not XML."""
    carry, head, dimension_seen = b"", True, False
    offset, row_at = 0, None  # where `text` starts in the part; where the last row began (None: no row open)
    while True:
        piece = stream.read(_SCAN_PIECE)
        scan.size += len(piece)
        if head:
            lead = piece.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
            if lead.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00")) or lead[1:2] == b"\x00":
                raise FileProblem(
                    f"the workbook part {name[:100]} is not UTF-8 XML (UTF-16?); an .xlsx file holds UTF-8"
                )
            if lead and not lead.startswith(b"<"):
                return False
            head = not lead
        text = carry + piece
        cut = text.rfind(b"<") if piece else len(text)
        if cut <= 0 or len(text) - cut > _TAG_TAIL:
            cut = len(text)  # a tag that long is not a row's: count what is whole
        text, carry = text[:cut], text[cut:]
        if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
            raise FileProblem(
                f"the workbook part {name[:100]} declares a DTD or entities, which an .xlsx file never does"
            )
        if not dimension_seen and b"dimension" in text:
            dimension_seen = _check_dimension(text, name, limits, archive)
        _count(text, scan)
        row_at = _check_row_sizes(text, offset, row_at, name, archive)
        offset += len(text)
        rows = max(scan.rows, scan.last_row) - 1
        if rows > limits.max_rows:
            raise _too_many_rows(_where(archive, name), f"more than {limits.max_rows:,} data rows", limits)
        if scan.strings > max_strings:
            raise _beyond(
                f"the workbook holds more than {max_strings:,} shared strings (distinct texts)",
                f"{_STRINGS_PER_ROW} per row allowed",
                "XLSX_MAX_ROWS",
            )
        if time.monotonic() > deadline:
            raise _out_of_time(limits)
        if not piece:
            return True


def _count(text: bytes, scan: _PartScan) -> None:
    """Add the rows, shared strings and formulas of a piece of XML cut between tags."""
    # bytes.count is many times faster than a regular expression; a rare tag that begins the same way
    # (<sizeWithCells>, say) counts too, which only errs on the safe side.
    scan.rows += text.count(b"<row") - text.count(b"<rowBreaks")  # <rowBreaks> is the one <row...> tag
    scan.strings += text.count(b"<si")
    if b":row" in text:
        scan.rows += len(_ROW_START.findall(text))
    if b":si" in text:
        scan.strings += len(_SI_START.findall(text))
    if not scan.formulas:
        scan.formulas = (
            b"<f>" in text
            or b"<f " in text
            or b"<f/" in text
            or (b":f" in text and _FORMULA_TAG.search(text) is not None)
        )
    at = len(text)
    for _ in range(4):  # rows come in order: the last one has the highest number (if rows have one)
        at = max(text.rfind(b"<row", 0, at), text.rfind(b":row", 0, at))
        found = _ROW_NUMBER.match(text, text.rfind(b"<", 0, at + 1)) if at >= 0 else None
        if found:
            digits = found[1]
            scan.last_row = max(scan.last_row, int(digits) if len(digits) < 10 else 10**10)
        if found or at < 0:
            return


def _check_row_sizes(text: bytes, offset: int, row_at: int | None, name: str, archive: zipfile.ZipFile) -> int | None:
    """Refuse a row of more than _MAX_ROW_BYTES of XML: openpyxl holds all of a row's elements and cells
    at once, at some 25 bytes of memory per byte. Returns where the last row of `text` begins, or None
    when no row is open. `offset`: where `text` begins in the part; `row_at`: where the open row began."""
    first, last = text.find(b"<row"), text.rfind(b"<row")
    if b":row" in text:  # rows with a namespace prefix: rare, so the slower search
        prefixed = [m.start() for m in _ROW_START.finditer(text)]
        if prefixed:
            first = prefixed[0] if first < 0 else min(first, prefixed[0])
            last = max(last, prefixed[-1])
    end = text.find(b"</sheetData")
    if end < 0 and b":sheetData>" in text:
        end = text.rfind(b"</", 0, text.find(b":sheetData>"))
    upto = first if first >= 0 else end if end >= 0 else len(text)
    if row_at is not None and offset + upto - row_at > _MAX_ROW_BYTES:
        size = _MAX_ROW_BYTES // (1024 * 1024)
        raise FileProblem(
            f"a row of {_where(archive, name)} holds more than {size} MB of XML; the limit is "
            f"{size} MB per row (a fixed limit)"
        )
    if last >= 0 and last > end:
        return offset + last
    return None if end >= 0 else row_at


def _check_dimension(text: bytes, name: str, limits: XlsxLimits, archive: zipfile.ZipFile) -> bool:
    """Refuse a sheet whose <dimension ref="A1:H1048576"> declares too many rows; True if one was found."""
    found = _DIMENSION.search(text)
    if found is None:
        return False
    last = re.search(rb"(\d+)\s*$", found[1])
    if last and (len(last[1]) >= 10 or int(last[1]) - 1 > limits.max_rows):
        count = f"{int(last[1]) - 1:,}" if len(last[1]) < 10 else "billions of"
        ref = found[1][:40].decode("ascii", "replace")
        raise _too_many_rows(_where(archive, name), f"{count} data rows by its dimension ({ref})", limits)
    return True


def _where(archive: zipfile.ZipFile, part: str) -> str:
    """ "the sheet 'sales'" for a worksheet part, when the workbook's small index parts say so."""
    name = _sheet_names(archive).get(part)
    return f"the sheet {name!r}" if name is not None else f"the workbook part {part[:100]}"


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part -> sheet name, from xl/workbook.xml and its relations; {} if they are odd or big."""
    import xml.etree.ElementTree as ET

    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        infos = [archive.getinfo("xl/workbook.xml"), archive.getinfo("xl/_rels/workbook.xml.rels")]
        if any(i.file_size > 1024 * 1024 for i in infos):
            return {}
        book, rels = (ET.fromstring(archive.read(i)) for i in infos)
    except (*_XLSX_ERRORS, RuntimeError, NotImplementedError):  # a broken index only costs the sheet name
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter() if r.tag.endswith("Relationship")}
    names = {}
    for sheet in book.iter():
        target = targets.get(sheet.get(f"{rel_ns}id")) if sheet.tag.endswith("}sheet") else None
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            names[path] = sheet.get("name", "")
    return names


def _parse_xlsx(
    data: bytes, spec: DatasetSpec, parts: dict[str, _PartScan], limits: XlsxLimits, deadline: float
) -> pd.DataFrame:
    import openpyxl  # imported here: only XLSX uploads pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise FileProblem(
            f"not a CSV or XLSX file (an .xlsx file could not be opened: {_detail(exc.__cause__ or exc)})"
        ) from None
    last_row = limits.max_rows + 1
    try:
        sheet_name = _pick_sheet(book.sheetnames, spec)
        sheet = book[sheet_name]
        path = getattr(sheet, "_worksheet_path", None)
        has_formulas = parts[path].formulas if path in parts else any(p.formulas for p in parts.values())
        formula_cells = (
            _formula_cells(data, sheet_name, last_row=last_row, limits=limits, deadline=deadline)
            if has_formulas
            else set()
        )
        # Read every row there is: openpyxl would otherwise stop where <dimension> says the sheet ends.
        sheet.reset_dimensions()
        rows_iter = sheet.iter_rows(values_only=True)
        header_cells = next(rows_iter, None)
        if header_cells is None or all(v is None or str(v).strip() == "" for v in header_cells):
            raise FileProblem("the file is empty")
        header = [_cell_text(v).strip() for v in header_cells]
        while header and header[-1] == "":
            header.pop()  # formatted but empty columns at the right
        n = len(header)
        row_errors: list[RowError] = []
        frames: list[pd.DataFrame] = []
        rows: list[list[str]] = []
        for row_no, values in enumerate(rows_iter, start=2):
            if row_no > last_row:  # the rows counted as they come, whatever the checks before found
                raise _too_many_rows(f"the sheet {sheet_name!r}", f"more than {limits.max_rows:,} data rows", limits)
            if time.monotonic() > deadline:
                raise _out_of_time(limits)
            cells = [_cell_text(v) for v in values[:n]]
            cells += [""] * (n - len(cells))
            for col_idx in range(n):
                if cells[col_idx] == "" and (row_no, col_idx + 1) in formula_cells:
                    row_errors.append(RowError(row_no, header[col_idx] or None, None, "formula without a value"))
            extra = [v for v in values[n:] if v is not None and str(v).strip() != ""]
            if extra:
                row_errors.append(
                    RowError(
                        row_no,
                        None,
                        ", ".join(_cell_text(v) for v in extra),
                        f"the row has cells beyond the {n} header columns",
                    )
                )
            rows.append(cells)
            if len(rows) == _FRAME_ROWS:
                frames.append(_rows_frame(rows, n))
                rows = []
    except _XLSX_ERRORS as exc:  # a part that fails its CRC, XML that is not well-formed, ...
        raise _damaged(exc) from None
    finally:
        book.close()
    if rows or not frames:
        frames.append(_rows_frame(rows, n))
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame.columns = header
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    frame.attrs["decimal"] = "."  # number cells come as '1234.5' (see _cell_text) ...
    frame.attrs["text_decimal"] = ","  # ... text cells as Norwegian Excel shows a number ('1 234,50') too
    frame.attrs["row_errors"] = row_errors
    return frame


def _rows_frame(rows: list[list[str]], n: int) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=range(n), dtype="str")
    return pd.DataFrame(rows, columns=range(n), dtype="str")


def _release_memory() -> None:
    """Give the memory of a big read back to the system: the collector for cycles, then glibc's free lists
    (without malloc_trim, glibc keeps freed memory for the process and its RSS stays up)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None


def _pick_sheet(names: list[str], spec: DatasetSpec) -> str:
    if len(names) == 1:
        return names[0]
    wanted = {s.lower() for s in spec.sheet_names}
    matches = [n for n in names if n.strip().lower() in wanted]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(repr(n) for n in names)
    raise FileProblem(
        f"the workbook has several sheets ({listed}); keep only one, or name the sheet {spec.sheet_names[0]!r}"
    )


def _formula_cells(
    data: bytes, sheet_name: str, *, last_row: int, limits: XlsxLimits, deadline: float
) -> set[tuple[int, int]]:
    """(row, column) of the cells holding a formula; a second pass, only for sheets with formulas."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        sheet = book[sheet_name]
        sheet.reset_dimensions()
        found = set()
        for row_no, row in enumerate(sheet.iter_rows(), start=1):
            if row_no > last_row:
                raise _too_many_rows(f"the sheet {sheet_name!r}", f"more than {limits.max_rows:,} data rows", limits)
            if time.monotonic() > deadline:
                raise _out_of_time(limits)
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
        if not math.isfinite(value):  # nan, inf, -inf
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
