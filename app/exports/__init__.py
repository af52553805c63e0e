"""Pure writers for the variance and forecast frames: DataFrame in (or the parts of one, in order),
bytes (or an iterator of bytes) out.

One computation feeds JSON, CSV, XLSX and Parquet, so they cannot disagree. A large report comes as
parts (frames with the same columns): CSV formats each part when the reader gets to it; XLSX and
Parquet write them one after another into one file. Column kinds are
inferred from the frame (see `columns.column_kinds`): bool, int, percent (float `*_pct`), money
(every other float: money and quantities, two decimals) and text (neutralized against formula
injection in CSV and XLSX).
"""

from app.exports.columns import column_kinds, json_records, neutralize_formula
from app.exports.csv_writer import iter_csv, write_csv
from app.exports.parquet_writer import write_parquet
from app.exports.xlsx_writer import write_xlsx

__all__ = [
    "column_kinds",
    "iter_csv",
    "json_records",
    "neutralize_formula",
    "write_csv",
    "write_parquet",
    "write_xlsx",
]
