"""Parquet export with proper types: money as decimal128(18, 2), exact to the cent."""

import io
from collections.abc import Iterable, Mapping
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from app.exports.columns import decimal_array, text_cells, to_cents
from app.exports.frames import open_parts

MONEY_TYPE = pa.decimal128(18, 2)


def _decimal_array(s: pd.Series) -> pa.Array:
    """Money floats -> decimal128(18, 2) built from the exact int64 cents (no float on the way)."""
    cents, null = to_cents(s)
    return decimal_array(cents, MONEY_TYPE.scale, precision=MONEY_TYPE.precision, null=null)


def _arrow(s: pd.Series, kind: str) -> pa.Array:
    if kind == "money":
        return _decimal_array(s)
    if kind == "percent":
        return pa.array(s.to_numpy("float64", na_value=np.nan), type=pa.float64(), from_pandas=True)
    if kind == "int":
        return pa.array(s.astype("Int64"), type=pa.int64())
    if kind == "bool":
        return pa.array(s.astype("boolean"), type=pa.bool_())
    return pa.array(text_cells(s), type=pa.string())


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
    parts = open_parts(frames, kinds)
    if parts is None:
        raise ValueError("no frame to write")
    kind, columns = parts.kinds, parts.columns
    buffer = io.BytesIO()
    target = buffer if out is None else out
    writer: pq.ParquetWriter | None = None
    for frame in parts:
        table = pa.table({str(c): _arrow(frame[c], kind[str(c)]) for c in columns})
        if writer is None:
            writer = pq.ParquetWriter(target, table.schema)
        writer.write_table(table)
    assert writer is not None  # there is a first part
    writer.close()
    return buffer.getvalue() if out is None else None
