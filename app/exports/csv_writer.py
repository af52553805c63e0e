"""CSV export, streamed in chunks so memory does not grow with the number of rows."""

import csv
import io
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from app.exports.columns import column_kinds, neutralize_formula, to_cents


def _check(delimiter: str, decimal: str) -> None:
    if delimiter not in (",", ";"):
        raise ValueError(f"delimiter must be ',' or ';', got {delimiter!r}")
    if decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    if delimiter == decimal:
        raise ValueError("delimiter and decimal separator must differ (use ';' with decimal ',')")


def _format(s: pd.Series, kind: str, decimal: str) -> list[str]:
    """One column of a chunk as CSV strings; null is the empty string."""
    if kind == "money":
        cents, null = to_cents(s)
        # f"{c / 100:.2f}" is exact: the double nearest n/100 prints back as n/100 to 2 decimals
        out = ["" if n else f"{c / 100:.2f}" for c, n in zip(cents.tolist(), null.tolist())]
    elif kind == "percent":
        a = s.to_numpy("float64", na_value=np.nan)
        out = ["" if v != v else _ratio_text(v) for v in a.tolist()]
    elif kind == "int":
        out = ["" if v is pd.NA else str(int(v)) for v in s.astype("Int64")]
    elif kind == "bool":
        out = ["" if v is pd.NA else ("true" if v else "false") for v in s.astype("boolean")]
    else:
        return ["" if v is None or v != v else neutralize_formula(str(v)) for v in s.astype("object")]
    if decimal == "," and kind in ("money", "percent"):
        out = [v.replace(".", ",") for v in out]
    return out


def _ratio_text(v: float) -> str:
    text = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def iter_csv(frame: pd.DataFrame, *, delimiter: str = ",", decimal: str = ".", bom: bool = False,
             chunk_rows: int = 20_000, kinds: Mapping[str, str] | None = None) -> Iterator[bytes]:
    """The frame as UTF-8 CSV: a header line, then the rows, yielded `chunk_rows` rows at a time.

    `delimiter` ',' with `decimal` '.' (default) or ';' with ',' (Norwegian Excel). Money and
    quantity columns are written with exactly two decimals, ratios (`*_pct`) with up to six, no
    thousands separator; bools as true/false; null as an empty cell; text cells go through
    `neutralize_formula`. `bom` prefixes a UTF-8 byte-order mark (Excel then reads UTF-8).
    Lines end with CRLF (RFC 4180).
    """
    _check(delimiter, decimal)
    kind = column_kinds(frame, kinds)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow([neutralize_formula(str(c)) for c in frame.columns])
    yield (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")
    for start in range(0, len(frame), chunk_rows):
        chunk = frame.iloc[start:start + chunk_rows]
        cols = [_format(chunk[c], kind[str(c)], decimal) for c in frame.columns]
        buf.seek(0)
        buf.truncate()
        writer.writerows(zip(*cols))
        yield buf.getvalue().encode("utf-8")


def write_csv(frame: pd.DataFrame, **options) -> bytes:
    """The whole CSV as bytes (small frames, tests); `iter_csv` options apply."""
    return b"".join(iter_csv(frame, **options))
