"""Check a raw frame of strings against a dataset spec and type its columns.

parse() returns the typed frame and every problem found (never stops at the first):
- column `row` (int64): the spreadsheet row number (header = 1);
- text/code/email/enum: pandas str dtype, missing for empty cells; stripped; emails and enums
  lower case;
- money/quantity/number: integers in minor units (value × 10**scale, parsed from the text, never
  through float): int64 when the column is required and every cell parsed, else nullable Int64;
- date: datetime64[ns] (NaT when missing), from YYYY-MM-DD or DD.MM.YYYY (D.M.YYYY too);
- period: str 'YYYY' or 'YYYY-MM'; month_number: int64 1..12; bool: pandas "boolean" dtype;
- optional columns absent from the file are added as all-missing.
Numbers: `raw.attrs["decimal"]` is the file's decimal separator. With ',' (a semicolon file) a number
may carry thousands separators as Norwegian Excel writes them: a space, a no-break space (U+00A0 or
U+202F) or '.' before a decimal comma, between groups of three digits. `raw.attrs["text_decimal"]`
= ',' (XLSX): text cells may also be written that way; a number cell reaches parse as '1234.5'.
Cells that failed are missing in the frame; use the frame only when the error list is empty.
A header that is another dataset's gets that said first, and its rows are not checked.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from app.imports.errors import RowError, cell_errors
from app.imports.numbers import parse_number, to_arrow, to_numpy
from app.imports.specs import COUNT_ACTIVITY_TYPES, DATASETS, NUMERIC_KINDS, Column, DatasetSpec

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DMY = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")  # as Norwegian Excel writes a date
_DMY_SHORT = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{2}")
_PERIOD = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")
_TRUE = frozenset({"true", "yes", "1", "ja", "sann"})
_FALSE = frozenset({"false", "no", "0", "nei", "usann"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SUSPECT = r"^[=+@-]|[\x00-\x1f\x7f]"  # RE2 (pyarrow); a superset of what _unsafe_text rejects
# A missing cell, as np.where takes it (an object array of None).
_MISSING = np.array(None, dtype=object)
# How the summary of a rejected file counts "duplicate of row N" (the same key as an earlier row).
DUPLICATE_GROUP = "duplicate of an earlier row (the same key)"
DATE_MIN_YEAR, DATE_MAX_YEAR = 1900, 2199  # datetime64[ns] ends in 2262
PERIOD_MIN_YEAR, PERIOD_MAX_YEAR = 1900, 2999


def parse(spec: DatasetSpec, raw: pd.DataFrame, *, duplicates: bool = True) -> tuple[pd.DataFrame, list[RowError]]:
    """Header checks, per-cell types, per-row rules, duplicate keys inside the frame.

    duplicates=False leaves the duplicate keys to the caller (a file read in batches has its keys
    checked across batches by the database).
    """
    errors: list[RowError] = list(raw.attrs.get("row_errors", ()))
    decimal = raw.attrs.get("decimal", ".")
    text_decimal = raw.attrs.get("text_decimal")
    rows = _row_numbers(raw)
    positions = _check_header(spec, raw, errors)
    others = other_datasets(spec, raw.columns)
    if others:
        return _foreign_header(spec, others, errors)
    _repeated_header(raw, positions, rows, errors)

    out: dict[str, pd.Series] = {"row": pd.Series(rows, dtype="int64")}
    written: dict[str, pd.Series] = {}  # the cells as written, for error values
    empty: dict[str, np.ndarray] = {}
    for column in spec.columns:
        pos = positions.get(column.name)
        if pos is None:
            out[column.name] = _all_missing(column, len(raw))
            written[column.name] = pd.Series([""] * len(raw), dtype="str")
            empty[column.name] = np.ones(len(raw), dtype=bool)
            continue
        cells = raw.iloc[:, pos].reset_index(drop=True).astype("str").fillna("")
        stripped = cells.str.strip()
        is_empty = stripped.eq("").to_numpy(dtype=bool)
        written[column.name], empty[column.name] = cells, is_empty
        if column.cell_required and is_empty.any():
            errors.extend(cell_errors(rows, cells, is_empty, column.name, "a value is required"))
        out[column.name] = _parse_column(column, stripped, is_empty, rows, cells, decimal, text_decimal, errors)

    typed = pd.DataFrame(out)
    typed = _row_rules(spec, typed, written, empty, errors)
    if duplicates:
        _duplicate_keys(spec, typed, written, positions, errors)
    typed = _tighten(spec, typed)
    order = {name: i for i, name in enumerate(spec.column_names)}
    errors.sort(key=lambda e: (e.row or 0, order.get(e.column or "", -1)))
    return typed, errors


def _row_numbers(raw: pd.DataFrame) -> np.ndarray:
    index = raw.index
    # read_table numbers rows from 2; a frame built by hand with a default index counts from 0.
    if isinstance(index, pd.RangeIndex) and index.start == 0:
        return np.arange(2, 2 + len(raw), dtype=np.int64)
    return np.asarray(index, dtype=np.int64)


def _check_header(spec: DatasetSpec, raw: pd.DataFrame, errors: list[RowError]) -> dict[str, int]:
    known = spec.column_names
    positions: dict[str, int] = {}
    for pos, name in enumerate(str(c) for c in raw.columns):
        if name == "":
            if raw.iloc[:, pos].astype("str").fillna("").str.strip().ne("").any():
                errors.append(RowError(1, None, "", f"column {pos + 1} has values but no name in the header"))
            continue
        if name in positions:
            errors.append(RowError(1, name, name, "the column appears more than once in the header"))
            continue
        if name not in known:
            errors.append(RowError(1, name, name, _unknown_column_message(name, known)))
            continue
        positions[name] = pos
    for column in spec.columns:
        if column.required and column.name not in positions:
            errors.append(RowError(1, column.name, None, "missing column"))
    return positions


def other_datasets(spec: DatasetSpec, columns: Iterable[object]) -> list[str]:
    """The datasets whose columns these are, when they are not this dataset's: [] when they fit it.

    Another dataset fits when every column it requires is in the header and it knows more of the
    header's names than `spec` does; of those, the ones that know the most (targets and kpi_values
    share their columns). Only asked when the header does not fit `spec` (a missing required
    column, or an unknown one), so a file with a typo in one column is not taken for another dataset.
    """
    names = {str(c) for c in columns} - {""}
    own = spec.column_names
    fits = all(c.name in names for c in spec.columns if c.required) and names <= set(own)
    if fits:
        return []
    known_here = len(names & set(own))
    scored = []
    for other in DATASETS.values():
        if other.name == spec.name or not all(c.name in names for c in other.columns if c.required):
            continue
        known = len(names & set(other.column_names))
        if known > known_here:
            scored.append((known, other.name))
    best = max((k for k, _ in scored), default=0)
    return [name for k, name in scored if k == best]


def _foreign_header(
    spec: DatasetSpec, others: list[str], errors: list[RowError]
) -> tuple[pd.DataFrame, list[RowError]]:
    """Another dataset's header: that first, then the header's problems; the rows are not checked (each
    would only repeat that the file is not a `spec` file)."""
    which = " or ".join(others)
    first = RowError(1, None, None, f"these are the columns of {which}, not of {spec.name}; load this file as {which}")
    order = {name: i for i, name in enumerate(spec.column_names)}
    header = sorted(
        (e for e in errors if e.row is None or e.row == 1), key=lambda e: (e.row or 0, order.get(e.column or "", -1))
    )
    typed = pd.DataFrame({"row": pd.Series([], dtype="int64"), **{c.name: _all_missing(c, 0) for c in spec.columns}})
    return typed, [first, *header]


def _repeated_header(raw: pd.DataFrame, positions: dict[str, int], rows: np.ndarray, errors: list[RowError]) -> None:
    """A data row that repeats the header (two exports pasted together) would otherwise load as data."""
    if len(positions) < 2:
        return
    mask = np.ones(len(raw), dtype=bool)
    for name, pos in positions.items():
        candidates = np.flatnonzero(mask)
        if not len(candidates):
            return
        cells = raw.iloc[candidates, pos].astype("str").fillna("").str.strip().str.lower()
        mask[candidates] = cells.eq(name).to_numpy(dtype=bool)
    for i in np.flatnonzero(mask):
        errors.append(
            RowError(int(rows[i]), None, None, "the header row appears again (were two files pasted together?)")
        )


def _unknown_column_message(name: str, known: tuple[str, ...]) -> str:
    message = f"unknown column; the columns are {', '.join(known)}"
    if name.lower().strip() in known:
        return f"unknown column; did you mean {name.lower().strip()!r}? (column names are lower case)"
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    if close:
        return f"unknown column; did you mean {close[0]!r}?"
    return message


def _parse_column(
    column: Column,
    stripped: pd.Series,
    is_empty: np.ndarray,
    rows: np.ndarray,
    cells: pd.Series,
    decimal: str,
    text_decimal: str | None,
    errors: list[RowError],
) -> pd.Series:
    kind = column.kind
    if kind in NUMERIC_KINDS:
        return parse_number(column, stripped, is_empty, rows, cells, decimal, text_decimal, errors)
    if kind in ("text", "code"):
        too_long = (stripped.str.len() > column.max_length).to_numpy(dtype=bool)
        if too_long.any():
            errors.extend(
                cell_errors(rows, cells, too_long, column.name, f"longer than {column.max_length} characters")
            )
        unsafe = _unsafe_cells(stripped, ~(is_empty | too_long), rows, cells, column.name, errors)
        return stripped.where(~(is_empty | too_long | unsafe))
    converters: dict[str, Callable[[str], tuple[object, str | None]]] = {
        "email": lambda t: _email(t, column.max_length),
        "enum": lambda t: _enum(t, column.choices),
        "date": _date,
        "period": _period,
        "month_number": _month_number,
        "bool": _bool,
    }
    values, bad = _by_unique(stripped, is_empty, converters[kind], rows, cells, column.name, errors)
    if kind == "date":
        return pd.Series(np.where(bad | is_empty, np.datetime64("NaT", "ns"), values).astype("datetime64[ns]"))
    if kind == "month_number":
        return pd.Series(pd.array(np.where(bad | is_empty, _MISSING, values).tolist(), dtype="Int64"))
    if kind == "bool":
        return pd.Series(pd.array(np.where(bad | is_empty, _MISSING, values).tolist(), dtype="boolean"))
    return pd.Series(np.where(bad | is_empty, _MISSING, values), dtype="str")


def _by_unique(
    stripped: pd.Series,
    is_empty: np.ndarray,
    convert: Callable[[str], tuple[object, str | None]],
    rows: np.ndarray,
    cells: pd.Series,
    name: str,
    errors: list[RowError],
) -> tuple[np.ndarray, np.ndarray]:
    """Convert each distinct text once (dates, enums, periods repeat a lot), then spread back."""
    codes, uniques = pd.factorize(stripped)
    values = np.empty(len(uniques), dtype=object)
    messages: list[str | None] = []
    for i, text in enumerate(uniques):
        if text == "":
            values[i], message = None, None
        else:
            values[i], message = convert(text)
        messages.append(message)
    bad_unique = np.array([m is not None for m in messages], dtype=bool)
    bad = bad_unique[codes] if len(codes) else np.zeros(0, dtype=bool)
    for i in np.flatnonzero(bad).tolist():
        errors.append(RowError(int(rows[i]), name, cells.iat[i], messages[codes[i]]))
    if values.size and values.dtype == object and all(isinstance(v, np.datetime64) or v is None for v in values):
        values = np.array([v if v is not None else np.datetime64("NaT", "ns") for v in values], dtype="datetime64[ns]")
    return (values[codes] if len(codes) else values[:0]), bad


def _unsafe_cells(
    stripped: pd.Series, candidates: np.ndarray, rows: np.ndarray, cells: pd.Series, name: str, errors: list[RowError]
) -> np.ndarray:
    """Text that a spreadsheet would run as a formula, or with control characters: an error each."""
    mask = to_numpy(pc.match_substring_regex(to_arrow(stripped), _SUSPECT)).astype(bool) & candidates
    for i in np.flatnonzero(mask):  # the regex only preselects; _unsafe_text decides
        message = _unsafe_text(stripped.iat[i])
        if message is None:
            mask[i] = False
        else:
            errors.append(RowError(int(rows[i]), name, cells.iat[i], message))
    return mask


def _unsafe_text(text: str) -> str | None:
    control = _CONTROL.search(text)
    if control:
        if control.group() in "\r\n":
            return 'contains a line break (is a quote (") left open on an earlier line?)'
        return f"contains the control character U+{ord(control.group()):04X}"
    first = text[:1]
    # OWASP "CSV injection": '=anything', and '+', '-' or '@' followed by a function call or a
    # command ('+SUM(A1)', '@HYPERLINK(...)', '-2+3+cmd|...'). Names such as '@Home AS', '+Vest' or
    # '-20% kampanje' are text; exports neutralize every such cell anyway.
    if first == "=" or (first in "+-@" and any(c in text for c in "(!|")):
        return f"starts with {first!r}, which a spreadsheet runs as a formula; remove the {first!r}"
    return None


def _email(text: str, max_length: int) -> tuple[object, str | None]:
    if len(text) > max_length:
        return None, f"longer than {max_length} characters"
    unsafe = _unsafe_text(text)
    if unsafe:
        return None, unsafe
    if not _EMAIL.fullmatch(text):
        return None, "not an e-mail address"
    return text.lower(), None


def _enum(text: str, choices: tuple[str, ...]) -> tuple[object, str | None]:
    lowered = text.lower()
    if lowered in choices:
        return lowered, None
    return None, f"must be one of: {', '.join(choices)}"


def _date(text: str) -> tuple[object, str | None]:
    """YYYY-MM-DD, or DD.MM.YYYY (D.M.YYYY too) as Norwegian Excel writes a date."""
    if _DATE.fullmatch(text):
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            return None, "not a date in the calendar (YYYY-MM-DD)"
    elif match := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
        try:
            value = dt.date(year, month, day)
        except ValueError:
            return None, "not a date in the calendar (DD.MM.YYYY)"
    elif _DMY_SHORT.fullmatch(text):
        return None, "not a date (YYYY-MM-DD or DD.MM.YYYY): write the year with four digits"
    else:
        return None, "not a date (YYYY-MM-DD or DD.MM.YYYY)"
    if not DATE_MIN_YEAR <= value.year <= DATE_MAX_YEAR:
        return None, f"the year must be between {DATE_MIN_YEAR} and {DATE_MAX_YEAR}"
    return np.datetime64(value, "ns"), None


def _period(text: str) -> tuple[object, str | None]:
    match = _PERIOD.fullmatch(text)
    if not match:
        return None, "not a period (YYYY for a year, YYYY-MM for a month)"
    year, month = int(match.group(1)), match.group(2)
    if not PERIOD_MIN_YEAR <= year <= PERIOD_MAX_YEAR:
        return None, f"the year must be between {PERIOD_MIN_YEAR} and {PERIOD_MAX_YEAR}"
    if month is not None and not 1 <= int(month) <= 12:
        return None, "the month must be 01 to 12"
    return text, None


def _month_number(text: str) -> tuple[object, str | None]:
    if not re.fullmatch(r"[0-9]{1,2}", text) or not 1 <= int(text) <= 12:
        return None, "must be a month number from 1 to 12"
    return int(text), None


def _bool(text: str) -> tuple[object, str | None]:
    lowered = text.lower()
    if lowered in _TRUE:
        return True, None
    if lowered in _FALSE:
        return False, None
    return None, "must be true or false (also yes/no, 1/0, ja/nei)"


def _all_missing(column: Column, n: int) -> pd.Series:
    if column.kind in NUMERIC_KINDS or column.kind == "month_number":
        return pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
    if column.kind == "date":
        return pd.Series(np.full(n, np.datetime64("NaT", "ns")))
    if column.kind == "bool":
        return pd.Series(pd.array([pd.NA] * n, dtype="boolean"))
    return pd.Series([None] * n, dtype="str")


def _row_rules(
    spec: DatasetSpec,
    typed: pd.DataFrame,
    written: dict[str, pd.Series],
    empty: dict[str, np.ndarray],
    errors: list[RowError],
) -> pd.DataFrame:
    rows = typed["row"].to_numpy()
    if spec.name == "leaders":
        both = ~empty["district_code"] & ~empty["region_code"]
        errors.extend(
            cell_errors(
                rows,
                written["region_code"],
                both,
                "region_code",
                "give district_code or region_code, not both (both empty = the whole company)",
            )
        )
    elif spec.name in ("targets", "kpi_values"):
        level = typed["level"]
        company = level.eq("company").to_numpy(dtype=bool, na_value=False)
        other_level = level.notna().to_numpy(dtype=bool) & ~company
        code_empty = empty["code"]
        errors.extend(
            cell_errors(rows, written["code"], company & ~code_empty, "code", "must be empty for level company")
        )
        for i in np.flatnonzero(other_level & code_empty):
            errors.append(RowError(int(rows[i]), "code", "", f"a code is required for level {level.iat[i]}"))
        if spec.name == "kpi_values":
            yearly = typed["period"].str.len().eq(4).to_numpy(dtype=bool, na_value=False)
            errors.extend(
                cell_errors(
                    rows, written["period"], yearly, "period", "actual values are monthly; give the month (YYYY-MM)"
                )
            )
    elif spec.name == "activities":
        typed = _activity_rules(typed, written, empty, errors)
    return typed


def _activity_rules(
    typed: pd.DataFrame, written: dict[str, pd.Series], empty: dict[str, np.ndarray], errors: list[RowError]
) -> pd.DataFrame:
    rows = typed["row"].to_numpy()
    kind = typed["type"]
    value = typed["value"]
    value_empty = empty["value"]
    counts = kind.isin(COUNT_ACTIVITY_TYPES).to_numpy(dtype=bool)
    needs_value = kind.isin(("training_hours", "csat")).to_numpy(dtype=bool)
    for i in np.flatnonzero(needs_value & value_empty):
        errors.append(RowError(int(rows[i]), "value", "", f"a value is required for type {kind.iat[i]}"))
    known = value.notna().to_numpy(dtype=bool)
    number = value.fillna(0).to_numpy(dtype=np.int64)
    csat = kind.eq("csat").to_numpy(dtype=bool, na_value=False)
    bad_csat = csat & known & ((number < 100) | (number > 500))
    errors.extend(cell_errors(rows, written["value"], bad_csat, "value", "csat must be a score from 1 to 5"))
    negative = ~csat & known & (number < 0)
    errors.extend(cell_errors(rows, written["value"], negative, "value", "must be 0 or more"))
    # An empty value of a count type is one event: 1.00 in minor units.
    fill = counts & value_empty
    if fill.any():
        filled = value.copy()
        filled[fill] = 100
        typed = typed.assign(value=filled)
    return typed


def _duplicate_keys(
    spec: DatasetSpec,
    typed: pd.DataFrame,
    written: dict[str, pd.Series],
    positions: dict[str, int],
    errors: list[RowError],
) -> None:
    key = list(spec.key)
    columns = [spec.column(k) for k in key]
    if any(c.required and c.name not in positions for c in columns):
        return  # already reported as a missing column
    frame = typed[key]
    usable = np.ones(len(frame), dtype=bool)
    for c in columns:
        if c.cell_required:
            usable &= frame[c.name].notna().to_numpy(dtype=bool)
    # A missing optional key cell (company targets, leader units) takes part in the key as "".
    frame = frame.assign(**{c.name: frame[c.name].fillna("") for c in columns if not c.cell_required})
    frame = frame[usable]
    repeat = frame.duplicated(keep="first")
    if not repeat.any():
        return
    involved = frame[frame.duplicated(keep=False)]
    first_row = typed["row"][involved.index].groupby([involved[k] for k in key], sort=False).transform("min")
    rows = typed["row"]
    for i in repeat[repeat].index:
        shown = ", ".join(written[k].iat[i].strip() for k in key)
        errors.append(
            RowError(
                int(rows.iat[i]), ", ".join(key), shown, f"duplicate of row {int(first_row[i])}", group=DUPLICATE_GROUP
            )
        )


def _tighten(spec: DatasetSpec, typed: pd.DataFrame) -> pd.DataFrame:
    """Required numeric columns without a missing cell become plain int64."""
    changes = {}
    for c in spec.columns:
        # activities.value may be empty in the file but is always filled after the row rules.
        filled = c.cell_required or (spec.name == "activities" and c.name == "value")
        if (c.kind in NUMERIC_KINDS or c.kind == "month_number") and filled:
            series = typed[c.name]
            if not series.isna().any():
                changes[c.name] = series.astype("int64")
    return typed.assign(**changes) if changes else typed
