"""The writers' shared opening: a frame, or the parts of one, with the column names and kinds of
its first part, and every part checked to have the same columns."""

import itertools
from collections.abc import Iterable, Iterator, Mapping

import pandas as pd

from app.exports.columns import column_kinds


def as_parts(frames: pd.DataFrame | Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """A frame, or the parts of one (frames with the same columns, in row order), as an iterator of parts."""
    return iter([frames]) if isinstance(frames, pd.DataFrame) else iter(frames)


class Parts:
    """A frame, or the parts of one, opened for writing: `columns` and `kinds` (per column name, see
    `column_kinds`) are those of the first part (or `kinds` where given). Iterate once for every
    part in order, the first included, each checked to have the first part's columns (ValueError
    otherwise); the first part is let go once passed, so memory holds one part at a time."""

    def __init__(self, first: pd.DataFrame, rest: Iterator[pd.DataFrame], kinds: Mapping[str, str] | None) -> None:
        self._first: pd.DataFrame | None = first
        self._rest = rest
        self.columns = list(first.columns)
        self.kinds = column_kinds(first, kinds)

    def head(self, rows: int) -> pd.DataFrame:
        """The first `rows` rows of the first part (before iterating)."""
        if self._first is None:
            raise RuntimeError("the first part has been passed")
        return self._first.iloc[:rows]

    def __iter__(self) -> Iterator[pd.DataFrame]:
        if self._first is None:
            raise RuntimeError("the parts can be read once")
        parts = itertools.chain([self._first], self._rest)
        self._first = None  # hold one part at a time
        for frame in parts:
            if list(frame.columns) != self.columns:
                raise ValueError(f"a part has the columns {list(frame.columns)}, not {self.columns}")
            yield frame


def open_parts(frames: pd.DataFrame | Iterable[pd.DataFrame], kinds: Mapping[str, str] | None = None) -> Parts | None:
    """`frames` opened for writing (see `Parts`); None when there is no frame at all."""
    parts = as_parts(frames)
    first = next(parts, None)
    return None if first is None else Parts(first, parts, kinds)
