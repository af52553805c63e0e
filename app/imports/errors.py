"""Errors of the import pipeline: one RowError per problem, ImportRejected carrying all of them."""

from __future__ import annotations

from dataclasses import dataclass

VALUE_MAX_CHARS = 100


@dataclass(frozen=True)
class RowError:
    """One problem in a file: where (spreadsheet row, column), the cell as written, and what is wrong.

    `row` counts as a spreadsheet shows it: header = 1, first data row = 2; None = the whole file.
    """

    row: int | None
    column: str | None
    value: str | None
    message: str

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
