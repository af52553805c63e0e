"""What kind of value each column holds, formula neutralization, a column's cells as Python values
or exact decimals, and JSON-ready records."""

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

KINDS = ("text", "money", "percent", "int", "bool")

# OWASP "CSV injection": a spreadsheet runs a cell starting with these as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(text: str) -> str:
    """Prefix a leading apostrophe when a text cell would be run as a formula by a spreadsheet.

    Applies to text starting with = + - @ or a tab or carriage return; other text is unchanged.
    Only for text cells: numbers are written as numbers and never pass through here.
    """
    if text and text.startswith(FORMULA_START):
        return "'" + text
    return text


def column_kinds(frame: pd.DataFrame, kinds: Mapping[str, str] | None = None) -> dict[str, str]:
    """Kind per column: `kinds` where given, else bool / int by dtype, `percent` for float `*_pct`,
    `money` for any other float (two decimals: amounts and quantities), `text` for the rest."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if kinds and col in kinds:
            kind = kinds[col]
        elif pd.api.types.is_bool_dtype(s):
            kind = "bool"
        elif pd.api.types.is_integer_dtype(s):
            kind = "int"
        elif pd.api.types.is_float_dtype(s):
            kind = "percent" if str(col).endswith("_pct") else "money"
        else:
            kind = "text"
        if kind not in KINDS:
            raise ValueError(f"column {col}: unknown kind {kind!r}; use {', '.join(KINDS)}")
        out[str(col)] = kind
    return out


def to_cents(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Money floats (n / 100) -> (exact int64 cents, null mask)."""
    a = pd.to_numeric(values, errors="raise").to_numpy(dtype="float64", na_value=np.nan)
    null = np.isnan(a)
    return np.rint(np.where(null, 0.0, a) * 100).astype("int64"), null


def decimal_array(units: np.ndarray, scale: int, *, precision: int = 38, null: np.ndarray | None = None) -> pa.Array:
    """Integers in 10^-scale units as Arrow decimal128(precision, scale), built from the integers
    themselves (exact: no float on the way); `null` marks the null cells."""
    data = np.empty((len(units), 2), dtype="<i8")
    data[:, 0] = units
    data[:, 1] = units >> 63  # sign-extend the 64-bit value into the high half of the 128-bit one
    validity = pa.array(~null).buffers()[1] if null is not None and null.any() else None
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale),
        len(units),
        [validity, pa.py_buffer(data)],
        null_count=0 if null is None else int(null.sum()),
    )


def money_cells(s: pd.Series) -> list[float | None]:
    """Money as floats rounded to the cent (exact int64 cents / 100), None for null."""
    cents, null = to_cents(s)
    return [None if n else c / 100 for c, n in zip(cents.tolist(), null.tolist(), strict=True)]


def float_cells(s: pd.Series) -> list[float | None]:
    """Floats as they are, None for null (NaN)."""
    return [None if math.isnan(v) else v for v in s.to_numpy("float64", na_value=np.nan).tolist()]


def int_cells(s: pd.Series) -> list[int | None]:
    return [None if v is pd.NA else int(v) for v in s.astype("Int64")]


def bool_cells(s: pd.Series) -> list[bool | None]:
    return [None if v is pd.NA else bool(v) for v in s.astype("boolean")]


def text_cells(s: pd.Series, *, neutralize: bool = False) -> list[str | None]:
    """Cells as text (through `neutralize_formula` when asked), None for a missing one (None, NaN, NA, NaT)."""
    values = s.astype("object")
    missing = values.isna().tolist()
    through = neutralize_formula if neutralize else None
    return [
        None if m else through(str(v)) if through else str(v) for v, m in zip(values.tolist(), missing, strict=True)
    ]


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (str, int, float, bool, None) for a JSON answer."""
    cols: dict[Any, list[Any]] = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_float_dtype(s):
            cols[col] = float_cells(s)
        elif pd.api.types.is_bool_dtype(s):
            cols[col] = bool_cells(s)
        elif pd.api.types.is_integer_dtype(s):
            cols[col] = int_cells(s)
        else:
            cols[col] = text_cells(s)
    names = list(cols)
    if not names:
        return [{} for _ in range(len(frame))]
    return [dict(zip(names, vals, strict=True)) for vals in zip(*cols.values(), strict=True)]
