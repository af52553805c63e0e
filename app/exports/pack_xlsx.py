"""The meeting pack as an XLSX workbook (xlsxwriter): sheets Scorecard, Ranking, Attention and Actions
with the tables of app.exports.pack_tables, headers in the pack's language.

Pure: the pack (the JSON shape of GET /meetings/pack) in, bytes out. Numbers are numbers (a KPI's
actual and target in its unit's format: whole kroner shown, the exact value kept; ratios and
attainments as percents), dates are dates, text is written as text and neutralized against formula
injection (app.exports.columns.neutralize_formula), so a comment or a title starting with `=` stays
text even when the sheet is saved as CSV. Each sheet has a bold frozen header row and a filter.
"""

import io
from collections.abc import Mapping
from datetime import date
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from app.exports.columns import neutralize_formula
from app.exports.pack_tables import Table, actions_table, attention_table, label, ranking_table, scorecard_table

# The sheets' names, the same in every language (what a script reading the workbook looks for).
SHEETS = ("Scorecard", "Ranking", "Attention", "Actions")
# A KPI value's number format by its unit (app.charts.scorecard.UNIT_DECIMALS: money whole, ratios 0.0 %).
UNIT_FORMATS = {
    "currency": "#,##0",
    "ratio": "0.0%",
    "count": "#,##0",
    "hours": "#,##0.0",
    "days": "#,##0.0",
    "score": "0.00",
}
PERCENT_FORMAT = "0.0%"
MAX_WIDTH = 60


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.header = wb.add_format({"bold": True, "bottom": 1, "bg_color": "#D0D6DF", "text_wrap": True})
        self.units = {unit: wb.add_format({"num_format": f}) for unit, f in UNIT_FORMATS.items()}
        self.number = wb.add_format({"num_format": "#,##0.00"})
        self.percent = wb.add_format({"num_format": PERCENT_FORMAT})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})

    def value(self, unit: Any) -> Format:
        return self.units.get(str(unit), self.number)


def _shown(value: Any, kind: str) -> int:
    """About how wide a cell shows, for the column's width."""
    if value is None:
        return 0
    if kind == "percent":
        return 7
    if kind in ("value", "int") and isinstance(value, int | float):
        return len(f"{value:,.0f}") + 2
    if kind == "bool":
        return 5
    return max(len(line) for line in str(value).split("\n")) if str(value) else 0


def _write_sheet(ws: Worksheet, table: Table, fmt: _Formats, lang: str) -> None:
    columns = table.columns
    for j, column in enumerate(columns):
        width = max([len(column.header), *(_shown(r.get(column.key), column.kind) for r in table.rows)])
        ws.set_column(j, j, min(max(width + 2, 8), MAX_WIDTH))
        ws.write_string(0, j, neutralize_formula(column.header), fmt.header)
    ws.freeze_panes(1, 0)
    for i, row in enumerate(table.rows, start=1):
        for j, column in enumerate(columns):
            value = row.get(column.key)
            if value is None or value == "":
                continue
            kind = column.kind
            if kind == "value":
                ws.write_number(i, j, float(value), fmt.value(row.get(column.unit_key)))
            elif kind == "percent":
                ws.write_number(i, j, float(value), fmt.percent)
            elif kind == "int":
                ws.write_number(i, j, int(value))
            elif kind == "bool":
                ws.write_string(i, j, label("yes" if value else "no", lang))
            elif kind == "date" and (day := _as_date(value)) is not None:
                ws.write_datetime(i, j, day, fmt.date)
            else:
                text = neutralize_formula(str(value))
                ws.write_string(i, j, text, fmt.wrap if "\n" in text else None)
    ws.autofilter(0, 0, max(len(table.rows), 1), len(columns) - 1)


def write_pack_xlsx(pack: Mapping[str, Any], *, lang: str = "en") -> bytes:
    """The meeting pack `pack` as XLSX bytes, with its headers and words in `lang` (`en` or `nb`)."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.set_properties({"title": f"{label('title', lang)}: {pack['name']}", "author": "Sales Scorecard"})
    fmt = _Formats(wb)
    tables = (scorecard_table(pack, lang), ranking_table(pack, lang), attention_table(pack, lang))
    for name, table in zip(SHEETS, (*tables, actions_table(pack, lang)), strict=True):
        _write_sheet(wb.add_worksheet(name), table, fmt, lang)
    wb.close()
    return buffer.getvalue()


def write_table_xlsx(table: Table, *, sheet: str, title: str, lang: str = "en") -> bytes:
    """One table of `pack_tables`' shape (`Table`) as an XLSX workbook of one sheet `sheet`, written as
    the pack's sheets are (the scorecard pages' table downloads)."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.set_properties({"title": title, "author": "Sales Scorecard"})
    _write_sheet(wb.add_worksheet(sheet[:31]), table, _Formats(wb), lang)
    wb.close()
    return buffer.getvalue()
