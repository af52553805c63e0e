"""Write the hostile files that are big or binary (1 MB lines, garbage, UTF-16, NUL bytes, XLSX workbooks).

The small text files of the corpus are committed in tests/data/hostile/; these are generated so the
repository stays small. `python tests/data/make_hostile.py DIR` writes them to DIR for a look.
Each name is `<dataset>__<what>.<ext>`, like the committed files.
"""

from __future__ import annotations

import io
import random
import sys
from collections.abc import Callable
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
