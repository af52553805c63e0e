"""XLSX export: one formatted sheet, written row by row in xlsxwriter's constant-memory mode."""

import io
from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

import pandas as pd
import xlsxwriter

from app.exports.columns import bool_cells, float_cells, int_cells, money_cells, neutralize_formula, text_cells
from app.exports.frames import open_parts

MAX_ROWS = 1_048_576  # Excel's limit, header and totals included
_NUM_FORMATS = {"money": "#,##0.00", "percent": "0.00%", "int": "0"}
_WIDTH_SAMPLE = 2_000


def _cells(s: pd.Series, kind: str) -> list[Any]:
    """Python values for one column: float/int/bool/str, None for null."""
    if kind == "money":
        return money_cells(s)
    if kind == "percent":
        return float_cells(s)
    if kind == "int":
        return int_cells(s)
    if kind == "bool":
        return bool_cells(s)
    return text_cells(s, neutralize=True)


def _shown_width(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == "money":
        return len(f"{value:,.2f}")
    if kind == "percent":
        return len(f"{value * 100:.2f}%")
    return len(str(value))


class SheetFull(ValueError):
    """More rows than one XLSX sheet holds."""


def write_xlsx(
    frames: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    totals: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    sheet_name: str = "Variance",
    total_label: str = "Total",
    kinds: Mapping[str, str] | None = None,
    chunk_rows: int = 20_000,
    out: BinaryIO | None = None,
) -> bytes | None:
    """A frame, or the parts of one (same columns, in order), as an .xlsx file with one sheet: a
    bold frozen header with an autofilter, number formats (money and quantities #,##0.00, ratios
    0.00 %), column widths fitted to the header and the first rows, and, when `totals` is given (or
    a function giving them, called once every part is written), a bold totals row under the data
    (`total_label` in the first column when that column has no total; keys not in the frame are
    ignored). Text cells are written as strings (never as formulas) and also neutralized, so the
    sheet stays safe when saved as CSV. With a per-month split the `period` column is just another
    column. Rows go out to xlsxwriter's temporary files part by part. Returns the bytes, or writes
    them to `out` (a binary file: memory then holds one part, not the file) and returns None.
    `SheetFull` (a ValueError) past Excel's 1,048,576 rows.
    """
    parts = open_parts(frames, kinds)
    if parts is None:
        raise ValueError("no frame to write")
    kind, columns = parts.kinds, parts.columns
    cols = [str(c) for c in columns]
    limit = MAX_ROWS - 1 - (1 if totals is not None else 0)
    buffer = io.BytesIO()
    target = buffer if out is None else out
    wb = xlsxwriter.Workbook(target, {"constant_memory": True})
    ws = wb.add_worksheet(sheet_name[:31])
    header = wb.add_format({"bold": True, "bottom": 1, "text_wrap": False})
    fmt = {k: wb.add_format({"num_format": f}) for k, f in _NUM_FORMATS.items()}
    bold = {k: wb.add_format({"num_format": f, "bold": True, "top": 1}) for k, f in _NUM_FORMATS.items()}
    bold_text = wb.add_format({"bold": True, "top": 1})

    # widths from the header and a sample of rows; set before any cell (constant-memory mode)
    sample = parts.head(_WIDTH_SAMPLE)
    for j, c in enumerate(cols):
        values = _cells(sample[columns[j]], kind[c])
        width = max([len(c), *(_shown_width(v, kind[c]) for v in values)])
        ws.set_column(j, j, min(max(width + 2, 8), 60))
    ws.freeze_panes(1, 0)
    del sample

    def write(row: int, j: int, value: Any, k: str, total: bool = False) -> None:
        if value is None:
            if total:
                ws.write_blank(row, j, None, bold_text)
            return
        if k == "text":
            ws.write_string(row, j, value, bold_text if total else None)
        elif k == "bool":
            ws.write_boolean(row, j, value, bold_text if total else None)
        else:
            ws.write_number(row, j, value, (bold if total else fmt)[k])

    for j, c in enumerate(cols):
        ws.write_string(0, j, neutralize_formula(c), header)
    n = 0
    for frame in parts:
        if n + len(frame) > limit:
            wb.close()
            raise SheetFull(f"more than {limit:,} rows do not fit in one XLSX sheet")
        for start in range(0, len(frame), chunk_rows):
            chunk = frame.iloc[start : start + chunk_rows]
            values_by_col = [_cells(chunk[columns[j]], kind[c]) for j, c in enumerate(cols)]
            for i, row_values in enumerate(zip(*values_by_col, strict=True)):
                for j, v in enumerate(row_values):
                    write(n + start + 1 + i, j, v, kind[cols[j]])
        n += len(frame)
    # the filter is written with the sheet's closing XML, so it may be set after the rows
    ws.autofilter(0, 0, max(n, 1), len(cols) - 1)
    if totals is not None:
        line = totals() if callable(totals) else totals
        row = n + 1
        for j, c in enumerate(cols):
            v = line.get(c)
            if j == 0 and v is None:
                ws.write_string(row, 0, total_label, bold_text)
                continue
            k = kind[c]
            if v is not None and k == "money":
                v = float(v)
            write(row, j, v, k, total=True)
    wb.close()
    return buffer.getvalue() if out is None else None
