"""Number cells parsed exactly: the text's digits read as an integer in minor units (value × 10**scale),
never through float, for a whole column at once (pyarrow compute); and, for a cell that fails, why.

The decimal separator is the file's (`raw.attrs["decimal"]`); with ',' (a semicolon file) a number may
carry thousands separators as Norwegian Excel writes them (see app.imports.parse).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from app.imports.errors import RowError, cell_errors
from app.imports.specs import Column

_SPACES = "\u0020\u00a0\u202f\u2009"
# Thousands separators of a semicolon file: a space, a no-break space (Excel), a narrow no-break space
# (some exports); or '.', but only before a decimal comma ('1.234' alone could be a decimal).
_GROUP_SPACES = "\u0020\u00a0\u202f"
_GROUPED_SPACES = rf"^-?[0-9]{{1,3}}(?:[{_GROUP_SPACES}][0-9]{{3}})+(?:,[0-9]+)?$"  # RE2 (pyarrow)
_GROUPED_DOTS = r"^-?[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+$"


def parse_number(
    column: Column,
    stripped: pd.Series,
    is_empty: np.ndarray,
    rows: np.ndarray,
    cells: pd.Series,
    decimal: str,
    text_decimal: str | None,
    errors: list[RowError],
) -> pd.Series:
    scale, int_digits = column.scale, column.digits - column.scale
    # pyarrow compute on the whole column (1M cells in tens of milliseconds), exact: the digits are
    # read as an integer and scaled by a power of ten, never through float.
    text = to_arrow(stripped)
    ok, minor = _minor_units(_without_thousands(text) if decimal == "," else text, decimal, scale, int_digits)
    comma_text = np.zeros(len(stripped), dtype=bool)
    if text_decimal == "," and decimal != "," and not ok.all():
        # An XLSX text cell written as Norwegian Excel shows a number ('1 234,50'); no text is a number
        # both ways with two values ('1,5' is not one with '.', '1.5' not one with ',').
        comma_text = to_numpy(pc.match_substring_regex(text, f"[,{_GROUP_SPACES}]")).astype(bool) & ~ok
        # '12,000' is twelve thousand as English writes it and twelve as Norwegian does: refused, not guessed
        ambiguous = comma_text & to_numpy(pc.match_substring_regex(text, r"^-?[1-9]\d{0,2}(,\d{3})+$")).astype(bool)
        comma_text &= ~ambiguous
        if comma_text.any():
            ok_comma, minor_comma = _minor_units(_without_thousands(text), ",", scale, int_digits)
            take = comma_text & ok_comma
            ok, minor = ok | take, np.where(take, minor_comma, minor)
    else:
        ambiguous = np.zeros(len(stripped), dtype=bool)
    problems: dict[tuple[str, str], str] = {}  # a bad value repeated down a column is explained once
    bad = np.flatnonzero(~ok & ~is_empty)
    # The bad cells as lists at once: .iat on an Arrow-backed column costs microseconds a cell.
    for i, shown, written in zip(bad.tolist(), stripped.iloc[bad].tolist(), cells.iloc[bad].tolist(), strict=True):
        if ambiguous[i]:
            errors.append(
                RowError(
                    int(rows[i]),
                    column.name,
                    written,
                    f"'{shown}' is a thousands separator in English and a decimal comma in "
                    "Norwegian: write it as a number cell, or without the separator",
                )
            )
            continue
        written_as = "," if comma_text[i] and "," in shown else decimal
        if (shown, written_as) not in problems:
            problems[shown, written_as] = _number_problem(shown, written_as, column)
        errors.append(RowError(int(rows[i]), column.name, written, problems[shown, written_as]))
    if column.minimum is not None:
        below = ok & (minor < int(column.minimum * 10**scale))
        if below.any():
            errors.extend(cell_errors(rows, cells, below, column.name, f"must be {column.minimum} or more"))
            ok &= ~below
    return pd.Series(pd.arrays.IntegerArray(minor.astype(np.int64), ~ok))


def _without_thousands(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """The cells written with thousands separators in groups of three ('1 234 567,50', '1.234,50'), without
    them; every other cell as it is (a separator out of place then fails as a number)."""
    grouped = pc.or_(pc.match_substring_regex(text, _GROUPED_SPACES), pc.match_substring_regex(text, _GROUPED_DOTS))
    return pc.if_else(grouped, pc.replace_substring_regex(text, f"[{_GROUP_SPACES}.]", ""), text)


def _minor_units(text: pa.ChunkedArray, decimal: str, scale: int, int_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """(well-formed and in range, the value in units of 10**-scale) per cell of plain '-1234.5' text."""
    body = pc.utf8_ltrim(text, "-")
    length = to_numpy(pc.utf8_length(text))
    body_len = to_numpy(pc.utf8_length(body))
    minus = length - body_len
    point = to_numpy(pc.find_substring(body, decimal))
    digits = pc.replace_substring(body, decimal, "")
    has_point = point >= 0
    frac_len = np.where(has_point, body_len - point - 1, 0)
    int_len = np.where(has_point, point, body_len)
    leading_zeros = body_len - to_numpy(pc.utf8_length(pc.utf8_ltrim(body, "0")))
    well_formed = (
        to_numpy(pc.ascii_is_decimal(digits)).astype(bool)
        & (to_numpy(pc.count_substring(body, decimal)) <= 1)
        & (minus <= 1)
        & (int_len >= 1)
        & (~has_point | (frac_len >= 1))
    )
    ok = well_formed & (frac_len <= scale) & (int_len - np.minimum(leading_zeros, int_len) <= int_digits)
    minor = np.zeros(len(length), dtype=np.int64)
    if ok.any():
        parsed = to_numpy(pc.cast(pc.filter(digits, pa.array(ok)), pa.int64())).astype(np.int64)
        minor[ok] = parsed * (10 ** (scale - frac_len[ok])).astype(np.int64)
        minor[ok & (minus == 1)] *= -1
    return ok, minor


def _number_problem(text: str, decimal: str, column: Column) -> str:
    """Why a cell is not an acceptable number; only called for the cells that failed."""
    other = "," if decimal == "." else "."
    sep = re.escape(decimal)
    plain = re.sub(f"[{_GROUP_SPACES}.]", "", text) if decimal == "," else text
    if re.fullmatch(rf"-?[0-9]+(?:{sep}[0-9]+)?", plain) and (plain == text or _grouped(text)):
        _, _, frac = plain.partition(decimal)
        if len(frac) > column.scale:
            return f"at most {column.scale} decimals" if column.scale else "must be a whole number"
        return f"too large (at most {column.digits - column.scale} digits before the decimal separator)"
    if decimal == ",":
        return _comma_number_problem(text)
    if any(s in text for s in _SPACES) and re.fullmatch(rf"-?[0-9{_SPACES}]+(?:{sep}[0-9]+)?", text):
        return "remove the thousands separators (spaces)"
    if re.fullmatch(rf"-?[0-9]+(?:{re.escape(other)}[0-9]+)?", text):
        return f"use {decimal!r} as the decimal separator (and no thousands separators)"
    if re.fullmatch(rf"-?[0-9]{{1,3}}(?:{re.escape(other)}[0-9]{{3}})+(?:{sep}[0-9]+)?", text):
        return "remove the thousands separators"
    return "not a number"


def _grouped(text: str) -> bool:
    return bool(re.fullmatch(_GROUPED_SPACES, text) or re.fullmatch(_GROUPED_DOTS, text))


def _comma_number_problem(text: str) -> str:
    """Why a cell of a semicolon file (decimal comma) is not a number."""
    spaces = f"[{_GROUP_SPACES}{_SPACES}]"
    if re.fullmatch(r"-?[0-9]{1,3}(?:\.[0-9]{3})+", text):  # '1.234': a thousand, or one and a bit?
        whole = text.replace(".", "")
        return (
            f"'.' separates thousands only before a decimal comma: write {text},00 or {whole} if you mean "
            f"{whole}, or {text.replace('.', ',')} if you mean a decimal"
        )
    if re.fullmatch(r"-?[0-9]+\.[0-9]+", text):
        return "use ',' as the decimal separator"
    if re.fullmatch(r"-?[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+", text):
        return "use ',' as the decimal separator, and a space or '.' between thousands (1 234,50)"
    if re.fullmatch(rf"-?[0-9](?:[0-9.]|{spaces})*(?:,[0-9]+)?", text) and text[-1:] not in (".", *_SPACES):
        if "." in text and re.search(spaces, text):
            return "use one kind of thousands separator: a space or '.', not both"
        if "\u2009" in text:
            return "use a space or a no-break space between thousands, not a thin space"
        return "thousands separators must come between groups of three digits (1 234 567,50 or 1.234.567,50)"
    return "not a number"


def to_arrow(series: pd.Series) -> pa.ChunkedArray:
    array = series.array
    if hasattr(array, "_pa_array"):  # ArrowStringArray: no copy
        return pa.chunked_array(array._pa_array.chunks, type=array._pa_array.type)
    return pa.chunked_array([pa.array(series.astype(object).tolist(), type=pa.string())])


def to_numpy(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return array.to_numpy(zero_copy_only=False) if isinstance(array, pa.Array) else array.to_numpy()
