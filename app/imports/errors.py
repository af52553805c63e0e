"""Errors of the import pipeline: one RowError per problem, ImportRejected carrying all of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

VALUE_MAX_CHARS = 100
# Rows named per group of the summary of a rejected file.
SUMMARY_ROWS = 5


@dataclass(frozen=True)
class RowError:
    """One problem in a file: where (spreadsheet row, column), the cell as written, and what is wrong.

    `row` counts as a spreadsheet shows it: header = 1, first data row = 2; None = the whole file.
    `group`: the message as the summary counts it, where the message names something of its own row
    ("duplicate of row 7" counts as "duplicate of an earlier row"); None = the message itself.
    """

    row: int | None
    column: str | None
    value: str | None
    message: str
    group: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Truncate here so no caller can send a 1 MB cell back in an error list.
        for name in ("value", "column"):  # a 1 MB header cell is an (unknown) column name
            text = getattr(self, name)
            if text is not None and len(text) > VALUE_MAX_CHARS:
                object.__setattr__(self, name, text[: VALUE_MAX_CHARS - 1] + "…")

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column:
            where += f", column {self.column}"
        shown = f" ({self.value!r})" if self.value not in (None, "") else ""
        return f"{where}{shown}: {self.message}"


def cell_errors(
    rows: np.ndarray, cells: pd.Series, mask: np.ndarray, column: str | None, message: str
) -> Iterable[RowError]:
    """A RowError for each cell of a column where `mask` is set: its row number, the cell as written, `message`."""
    for i in np.flatnonzero(mask):
        yield RowError(int(rows[i]), column, cells.iat[i], message)


def summarize(errors: list[RowError], *, rows: int = SUMMARY_ROWS) -> list[dict]:
    """The problems grouped by column and message: `{column, message, count, rows}`, most frequent first.

    `rows` holds the first few row numbers of the group (file order; a whole-file problem has none).
    Groups of equal count keep the order of their first problem.
    """
    groups: dict[tuple[str | None, str], list] = defaultdict(lambda: [0, []])
    for e in sorted(errors, key=lambda e: -1 if e.row is None else e.row):
        group = groups[(e.column, e.group or e.message)]
        group[0] += 1
        if e.row is not None and len(group[1]) < rows and e.row not in group[1]:
            group[1].append(e.row)
    ordered = sorted(groups.items(), key=lambda item: -item[1][0])  # stable: ties stay in file order
    return [
        {"column": column, "message": message, "count": count, "rows": first}
        for (column, message), (count, first) in ordered
    ]


class ImportRejected(Exception):
    """The file is rejected; nothing was written. `errors` lists every problem found."""

    def __init__(self, errors: list[RowError], message: str = "the file was not loaded") -> None:
        super().__init__(message)
        self.errors: list[RowError] = list(errors)
        self.message: str = message

    def __str__(self) -> str:
        if len(self.errors) == 1:
            return f"{self.message}: {self.errors[0]}"
        return f"{self.message}: {len(self.errors)} problems"


class FileProblem(ImportRejected):
    """The whole file is unreadable (encoding, empty, several sheets, ...): one RowError with row=None."""

    def __init__(self, message: str) -> None:
        super().__init__([RowError(row=None, column=None, value=None, message=message)], message)

    def __str__(self) -> str:
        return self.message
