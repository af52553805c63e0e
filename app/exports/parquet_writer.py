"""Parquet export with proper types: money as decimal128(18, 2), exact to the cent."""

import io
import itertools
from collections.abc import Iterable, Mapping
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from app.exports.columns import as_parts, column_kinds, to_cents

MONEY_TYPE = pa.decimal128(18, 2)


def _decimal_array(s: pd.Series) -> pa.Array:
    """Money floats -> decimal128(18, 2) built from the exact int64 cents (no float on the way)."""
    cents, null = to_cents(s)
    data = np.empty((len(cents), 2), dtype="<i8")
    data[:, 0] = cents
    data[:, 1] = cents >> 63  # sign-extend the 64-bit value into the high half of the 128-bit one
    validity = pa.array(~null).buffers()[1] if null.any() else None
    return pa.Array.from_buffers(
        MONEY_TYPE, len(cents), [validity, pa.py_buffer(data.tobytes())], null_count=int(null.sum())
    )


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


def write_parquet(
    frames: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    kinds: Mapping[str, str] | None = None,
    out: BinaryIO | None = None,
) -> bytes | None:
    """A frame, or the parts of one (same columns, in order), as a Parquet file (a row group per
    part): money/quantities decimal128(18, 2), ratios float64, ints int64, bools bool, text string;
    nulls stay null. Text is not neutralized (Parquet is not opened by a spreadsheet as text).
    Returns the bytes, or writes them to `out` (a binary file, e.g. a temporary file: memory then
    holds one part at a time, not the file) and returns None."""
    parts = as_parts(frames)
    first = next(parts, None)
    if first is None:
        raise ValueError("no frame to write")
    kind = column_kinds(first, kinds)
    columns = list(first.columns)
    target = io.BytesIO() if out is None else out
    writer = None
    parts = itertools.chain([first], parts)
    del first  # hold one part at a time
    for frame in parts:
        if list(frame.columns) != columns:
            raise ValueError(f"a part has the columns {list(frame.columns)}, not {columns}")
        table = pa.table({str(c): _arrow(frame[c], kind[str(c)]) for c in columns})
        if writer is None:
            writer = pq.ParquetWriter(target, table.schema)
        writer.write_table(table)
    writer.close()
    return target.getvalue() if out is None else None
