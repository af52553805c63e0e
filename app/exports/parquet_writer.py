"""Parquet export with proper types: money as decimal128(18, 2), exact to the cent."""

import io
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from app.exports.columns import column_kinds, to_cents

MONEY_TYPE = pa.decimal128(18, 2)


def _decimal_array(s: pd.Series) -> pa.Array:
    """Money floats -> decimal128(18, 2) built from the exact int64 cents (no float on the way)."""
    cents, null = to_cents(s)
    data = np.empty((len(cents), 2), dtype="<i8")
    data[:, 0] = cents
    data[:, 1] = cents >> 63  # sign-extend the 64-bit value into the high half of the 128-bit one
    validity = pa.array(~null).buffers()[1] if null.any() else None
    return pa.Array.from_buffers(MONEY_TYPE, len(cents), [validity, pa.py_buffer(data.tobytes())],
                                 null_count=int(null.sum()))


def _arrow(s: pd.Series, kind: str) -> pa.Array:
    if kind == "money":
        return _decimal_array(s)
    if kind == "percent":
        return pa.array(s.to_numpy("float64", na_value=np.nan), type=pa.float64(), from_pandas=True)
    if kind == "int":
        return pa.array(s.astype("Int64"), type=pa.int64())
    if kind == "bool":
        return pa.array(s.astype("boolean"), type=pa.bool_())
    return pa.array([None if v is None or v != v else str(v) for v in s.astype("object")], type=pa.string())


def write_parquet(frame: pd.DataFrame, *, kinds: Mapping[str, str] | None = None) -> bytes:
    """The frame as a Parquet file: money/quantities decimal128(18, 2), ratios float64, ints int64,
    bools bool, text string; nulls stay null. Text is not neutralized (Parquet is not opened by a
    spreadsheet as text)."""
    kind = column_kinds(frame, kinds)
    table = pa.table({str(c): _arrow(frame[c], kind[str(c)]) for c in frame.columns})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()
