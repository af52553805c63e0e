"""What kind of value each column holds, formula neutralization, and JSON-ready records."""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

KINDS = ("text", "money", "percent", "int", "bool")

# OWASP "CSV injection": a spreadsheet runs a cell starting with these as a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(text: str) -> str:
    """Prefix a leading apostrophe when a text cell would be run as a formula by a spreadsheet.

    Applies to text starting with = + - @ or a tab or carriage return; other text is unchanged.
    Only for text cells: numbers are written as numbers and never pass through here.
    """
    if text and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def as_parts(frames: pd.DataFrame | Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """A frame, or the parts of one (frames with the same columns, in row order), as an iterator of parts."""
    return iter([frames]) if isinstance(frames, pd.DataFrame) else iter(frames)


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


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (str, int, float, bool, None) for a JSON answer."""
    cols = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_float_dtype(s):
            cols[col] = [None if v != v else float(v) for v in s.to_numpy("float64", na_value=np.nan)]
        elif pd.api.types.is_bool_dtype(s):
            cols[col] = [None if v is pd.NA else bool(v) for v in s.astype("boolean")]
        elif pd.api.types.is_integer_dtype(s):
            cols[col] = [None if v is pd.NA else int(v) for v in s.astype("Int64")]
        else:
            cols[col] = [None if pd.isna(v) else str(v) for v in s]
    names = list(cols)
    return [dict(zip(names, vals)) for vals in zip(*cols.values())] if names else [{} for _ in range(len(frame))]
