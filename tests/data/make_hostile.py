"""Write the hostile files that are big or binary (1 MB lines, garbage, UTF-16, NUL bytes, XLSX workbooks).

The small text files of the corpus are committed in tests/data/hostile/; these are generated so the
repository stays small. `python tests/data/make_hostile.py DIR` writes them to DIR for a look.
Each name is `<dataset>__<what>.<ext>`, like the committed files.

The workbooks beyond the XLSX limits (a zip bomb, a million rows, a part longer than its zip entry
says) are written part by part with `_zip`, from deflate streams made here: the 1 GB sheet of the
zip bomb is one deflated megabyte repeated, so making it takes neither 1 GB nor long.
"""

from __future__ import annotations

import bz2
import dataclasses
import io
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import openpyxl
import xlsxwriter

SALES_HEADER = ["id", "date", "seller_code", "account_code", "product_code", "quantity", "amount", "cost"]
ONE_MB = 1024 * 1024


def _csv(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _openpyxl_bytes(book: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _xlsxwriter_bytes(fill: Callable[[xlsxwriter.Workbook], None]) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    fill(book)
    book.close()
    return buf.getvalue()


def regions_one_mb_line() -> bytes:
    """A single data line of 1 MB: one name cell that long."""
    return b"code,name\nR9," + b"x" * ONE_MB + b"\n"


def sales_one_mb_no_newline() -> bytes:
    """1 MB without a line break or a delimiter: one header cell over the csv module's field limit."""
    return b"id" + b"9" * ONE_MB


def regions_one_mb_header_cell() -> bytes:
    """A 1 MB header cell beside real columns: an unknown column whose name must not come back whole."""
    return b"code,name," + b"y" * ONE_MB + b"\nR9,West,1\n"


def products_binary_garbage() -> bytes:
    """Random bytes (fixed seed), with NULs: not text at all."""
    rng = random.Random(6)
    return bytes(rng.randrange(256) for _ in range(4096))


def sales_fake_xlsx() -> bytes:
    """Starts like a zip (an .xlsx) but is garbage after the signature."""
    rng = random.Random(7)
    return b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(2048))


def regions_utf16_bom() -> bytes:
    """Excel's "Unicode text": UTF-16 little-endian with a BOM."""
    return "code,name\nR9,Vest\n".encode("utf-16")


def regions_nul_in_cell() -> bytes:
    return b"code,name\nR9,We\x00st\n"


def regions_nul_header() -> bytes:
    return b"co\x00de,name\nR9,West\n"


def sales_formulas_without_values() -> bytes:
    """Formulas as openpyxl writes them: no cached value, so the sheet holds no number to load."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "sales"
    ws.append(SALES_HEADER)
    ws.append(["I1", "2026-01-05", "S1", "A1", "P1", 2, "=F2*50", None])
    ws.append(["I2", "2026-01-05", "S1", "A1", "P1", "=1+1", 20, None])
    return _openpyxl_bytes(book)


def sales_formulas_cached_errors() -> bytes:
    """Formulas whose cached results are Excel errors (#DIV/0!, #REF!)."""
    def fill(book: xlsxwriter.Workbook) -> None:
        ws = book.add_worksheet("sales")
        ws.write_row(0, 0, SALES_HEADER)
        ws.write_row(1, 0, ["I1", "2026-01-05", "S1", "A1", "P1", 1])
        ws.write_formula(1, 6, "=1/0", None, "#DIV/0!")
        ws.write_row(2, 0, ["I2", "2026-01-05", "S1", "A1", "P1", 1])
        ws.write_formula(2, 6, "=#REF!*2", None, "#REF!")
    return _xlsxwriter_bytes(fill)


def accounts_xlsx_formula_text() -> bytes:
    """Text cells (not formulas) that a spreadsheet would run once exported: '=cmd|...', '@SUM(...)'."""
    def fill(book: xlsxwriter.Workbook) -> None:
        ws = book.add_worksheet("accounts")
        ws.write_row(0, 0, ["code", "name", "district_code"])
        ws.write_string(1, 0, "A8")
        ws.write_string(1, 1, "=cmd|' /C calc'!A0")
        ws.write_string(1, 2, "D1")
        ws.write_string(2, 0, "@SUM(A1:A9)")
        ws.write_string(2, 1, "Fjord AS")
        ws.write_string(2, 2, "D1")
    return _xlsxwriter_bytes(fill)


def sales_merged_cells() -> bytes:
    """seller_code merged over rows 2-4: only row 2 holds the value, rows 3 and 4 are empty."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "sales"
    ws.append(SALES_HEADER)
    for i in range(3):
        ws.append([f"I{i + 1}", "2026-01-05", "S1", "A1", "P1", 1, 10, None])
    ws.merge_cells("C2:C4")
    return _openpyxl_bytes(book)


def regions_empty_workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "regions"
    return _openpyxl_bytes(book)


def sales_several_sheets_none_matching() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Ark1"
    book.active.append(SALES_HEADER)
    book.active.append(["I1", "2026-01-05", "S1", "A1", "P1", 1, 10, None])
    book.create_sheet("Ark2").append(["notes"])
    book.create_sheet("Sheet3")
    return _openpyxl_bytes(book)


def sales_xlsx_odd_types() -> bytes:
    """Typed cells gone wrong: a 1e30 float, a boolean quantity, an impossible date as text, a negative zero."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(SALES_HEADER)
    ws.append(["I1", "2026-01-05", "S1", "A1", "P1", 1, 1e30, None])
    ws.append(["I2", "2026-01-05", "S1", "A1", "P1", True, 10, None])
    ws.append(["I3", "2026-02-30", "S1", "A1", "P1", 1, 10, None])
    return _openpyxl_bytes(book)


def regions_xlsx_header_only() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["code", "name"])
    return _openpyxl_bytes(book)


# --- workbooks beyond the XLSX limits -----------------------------------------------------------

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
EXCEL_ROWS = 1_048_576  # the most rows a sheet can have


@dataclasses.dataclass(frozen=True)
class Part:
    """One zip entry, compressed already: what the entry declares (CRC, inflated size) and its bytes."""

    data: bytes
    crc: int
    size: int
    method: int = zipfile.ZIP_DEFLATED


def deflated(chunks: Iterable[bytes], *, level: int = 6) -> Part:
    """A part made of `chunks`, deflated as zipfile would (raw deflate)."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    out, crc, size = [], 0, 0
    for chunk in chunks:
        out.append(packer.compress(chunk))
        crc, size = zlib.crc32(chunk, crc), size + len(chunk)
    out.append(packer.flush())
    return Part(b"".join(out), crc, size)


def _zip(parts: dict[str, Part]) -> bytes:
    """A zip file of ready-made parts, each entry declaring its part's CRC and size (each under 4 GB)."""
    out, directory = io.BytesIO(), []
    for name, part in parts.items():
        offset, encoded = out.tell(), name.encode()
        fields = (part.method, 0, 0x21, part.crc, len(part.data), part.size, len(encoded))  # 0x21: 1980-01-01
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, *fields, 0) + encoded + part.data)
        directory.append(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, *fields, 0, 0, 0, 0, 0, offset)
                         + encoded)
    start = out.tell()
    out.write(b"".join(directory))
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(parts), len(parts), out.tell() - start, start, 0))
    return out.getvalue()


def _book_parts() -> dict[str, Part]:
    """The parts of a one-sheet workbook named 'sales' (openpyxl's), to put a sheet of our own into."""
    book = openpyxl.Workbook()
    book.active.title = "sales"
    with zipfile.ZipFile(io.BytesIO(_openpyxl_bytes(book))) as z:
        return {name: deflated([z.read(name)]) for name in z.namelist()}


def workbook(sheet: Part) -> bytes:
    """An .xlsx file whose one sheet, 'sales', is `sheet` (the XML of a worksheet part)."""
    return _zip({**_book_parts(), "xl/worksheets/sheet1.xml": sheet})


def _cell(ref: str, value: str | int) -> bytes:
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'.encode()
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'.encode()


def sheet_xml(rows: list[list[str | int]], *, dimension: str | None = None, head: bytes = b"") -> bytes:
    """A worksheet of `rows` (row 1 first); `dimension` the ref its <dimension> declares, if any."""
    columns = "ABCDEFGHIJ"
    body = b"".join(b'<row r="%d">' % r + b"".join(_cell(f"{columns[i]}{r}", v) for i, v in enumerate(row))
                    + b"</row>" for r, row in enumerate(rows, start=1))
    return _sheet_head(dimension, head) + body + b"</sheetData></worksheet>"


def _sheet_head(dimension: str | None, head: bytes = b"") -> bytes:
    declared = b'<dimension ref="%s"/>' % dimension.encode() if dimension else b""
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + head
            + b'<worksheet xmlns="' + MAIN_NS + b'">' + declared + b"<sheetData>")


SALE = ["I1", "2026-01-05", "S1", "A1", "P1", 1, 10, ""]


def _header_row() -> bytes:
    """The <row> of the sales header, as sheet_xml writes it."""
    return sheet_xml([SALES_HEADER])[len(_sheet_head(None)):-len(b"</sheetData></worksheet>")]


def _repeated(block: bytes, times: int, *, rows_first: bytes) -> Part:
    """A sheet of `times` copies of `block`: the block is deflated once and its bytes repeated, which is
    a valid deflate stream because a full flush ends each copy with nothing referring back."""
    def segment(data: bytes, flush: int) -> bytes:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        return packer.compress(data) + packer.flush(flush)

    head = _sheet_head(None) + rows_first
    tail = b"</sheetData></worksheet>"
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    data = segment(head, zlib.Z_FULL_FLUSH) + segment(block, zlib.Z_FULL_FLUSH) * times + segment(tail, zlib.Z_FINISH)
    return Part(data, crc, len(head) + len(block) * times + len(tail))


def _bomb_block() -> bytes:
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    return row * (ONE_MB // len(row))


def sales_zip_bomb() -> bytes:
    """A 3 MB workbook whose sheet inflates to 1.15 GB (1,100 MB of one row repeated), as the probe's did."""
    return workbook(_repeated(_bomb_block(), 1100, rows_first=_header_row()))


def sales_zip_bomb_small() -> bytes:
    """The zip bomb at 40 MB: under the size limit, but compressed over 300 to 1."""
    return workbook(_repeated(_bomb_block(), 40, rows_first=_header_row()))


def _million_rows(dimension: str | None) -> bytes:
    """Excel's most rows (1,048,576: a header and 1,048,575 sales ids), the sheet XML written here."""
    def chunks() -> Iterator[bytes]:
        yield _sheet_head(dimension)
        yield _header_row()
        for start in range(2, EXCEL_ROWS + 1, 65536):
            yield b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>I%d</t></is></c></row>' % (r, r, r)
                           for r in range(start, min(start + 65536, EXCEL_ROWS + 1)))
        yield b"</sheetData></worksheet>"
    return workbook(deflated(chunks(), level=1))


def sales_million_rows() -> bytes:
    return _million_rows(f"A1:H{EXCEL_ROWS}")


def sales_million_rows_no_dimension() -> bytes:
    """The same without <dimension>: only counting the rows finds how many there are."""
    return _million_rows(None)


def _small_sales_sheet() -> bytes:
    return sheet_xml([SALES_HEADER, *([f"I{i}", *SALE[1:]] for i in range(1, 200))])


def sales_longer_than_declared() -> bytes:
    """The sheet's zip entry declares half the size the sheet inflates to; its CRC is the whole sheet's."""
    sheet = deflated([_small_sales_sheet()])
    return workbook(dataclasses.replace(sheet, size=sheet.size // 2))


def sales_longer_than_declared_crc_of_half() -> bytes:
    """The same with the CRC of the declared half, so the CRC check passes and the sheet's XML ends early."""
    xml = _small_sales_sheet()
    sheet = deflated([xml])
    return workbook(dataclasses.replace(sheet, size=len(xml) // 2, crc=zlib.crc32(xml[:len(xml) // 2])))


def sales_dimension_says_fewer_rows() -> bytes:
    """<dimension> says A1:H2 (one data row) but there are three, and the third is wrong: it must be read."""
    rows = [SALES_HEADER, SALE, ["I2", *SALE[1:]], ["I3", *SALE[1:6], "abc", ""]]
    return workbook(deflated([sheet_xml(rows, dimension="A1:H2")]))


def sales_xlsx_entities() -> bytes:
    """A sheet with a DTD whose entity expands to a row: rows that no count of <row> tags would see."""
    entity = b'<!DOCTYPE worksheet [<!ENTITY r "<row><c t=\'inlineStr\'><is><t>x</t></is></c></row>">]>'
    xml = sheet_xml([SALES_HEADER], head=entity).replace(b"</sheetData>", b"&r;" * 10 + b"</sheetData>")
    return workbook(deflated([xml]))


def sales_xlsx_bzip2() -> bytes:
    """A workbook whose parts are bzip2-compressed (zipfile inflates those without an output bound)."""
    parts = {name: Part(bz2.compress(zlib.decompress(p.data, -15)), p.crc, p.size, zipfile.ZIP_BZIP2)
             for name, p in _book_parts().items()}
    return _zip(parts)


def sales_xlsx_giant_row() -> bytes:
    """One row of 300,000 cells (6 MB of XML, deflated 6 times): openpyxl would hold them all at once."""
    cells = b"".join(b"<c><v>%d</v></c>" % i for i in range(300_000))
    xml = sheet_xml([SALES_HEADER]).replace(b"</sheetData>", b'<row r="2">' + cells + b"</row></sheetData>")
    return workbook(deflated([xml]))


def sales_xlsx_many_parts() -> bytes:
    """A workbook padded with 20,000 empty parts: a zip directory zipfile would make 20,000 objects of."""
    empty = deflated([b""])
    return _zip({**_book_parts(), **{f"xl/media/padding{i:05}.bin": empty for i in range(20_000)}})


GENERATED: dict[str, Callable[[], bytes]] = {
    "regions__one_mb_line.csv": regions_one_mb_line,
    "sales__one_mb_no_newline.csv": sales_one_mb_no_newline,
    "regions__one_mb_header_cell.csv": regions_one_mb_header_cell,
    "products__binary_garbage.csv": products_binary_garbage,
    "sales__fake_xlsx.xlsx": sales_fake_xlsx,
    "regions__utf16_bom.csv": regions_utf16_bom,
    "regions__nul_in_cell.csv": regions_nul_in_cell,
    "regions__nul_in_header.csv": regions_nul_header,
    "sales__formulas_without_values.xlsx": sales_formulas_without_values,
    "sales__formulas_cached_errors.xlsx": sales_formulas_cached_errors,
    "accounts__xlsx_formula_text.xlsx": accounts_xlsx_formula_text,
    "sales__merged_cells.xlsx": sales_merged_cells,
    "regions__empty_workbook.xlsx": regions_empty_workbook,
    "sales__several_sheets_none_matching.xlsx": sales_several_sheets_none_matching,
    "sales__xlsx_odd_types.xlsx": sales_xlsx_odd_types,
    "regions__xlsx_header_only.xlsx": regions_xlsx_header_only,
    "sales__zip_bomb.xlsx": sales_zip_bomb,
    "sales__zip_bomb_small.xlsx": sales_zip_bomb_small,
    "sales__million_rows.xlsx": sales_million_rows,
    "sales__million_rows_no_dimension.xlsx": sales_million_rows_no_dimension,
    "sales__longer_than_declared.xlsx": sales_longer_than_declared,
    "sales__longer_than_declared_crc_of_half.xlsx": sales_longer_than_declared_crc_of_half,
    "sales__dimension_says_fewer_rows.xlsx": sales_dimension_says_fewer_rows,
    "sales__xlsx_entities.xlsx": sales_xlsx_entities,
    "sales__xlsx_bzip2.xlsx": sales_xlsx_bzip2,
    "sales__xlsx_many_parts.xlsx": sales_xlsx_many_parts,
    "sales__xlsx_giant_row.xlsx": sales_xlsx_giant_row,
}


def write_all(directory: Path) -> dict[str, Path]:
    """Write every generated file into `directory`; name -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, make in GENERATED.items():
        path = directory / name
        path.write_bytes(make())
        out[name] = path
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-generated")
    for written in write_all(target).values():
        print(written)
