"""The checks the dataset loaders share: codes looked up as ids (unknown codes listed), a sale or
activity before its seller's first district, a month covered by two rows of a file; and `Refs`, what
the loaders read from the database once per import."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.imports.errors import ImportRejected, RowError
from app.models import SellerDistrict


def present(s: pd.Series) -> np.ndarray:
    return np.asarray(s.notna() & (s.astype("str") != ""), dtype=bool)


def lookup(
    frame: pd.DataFrame, col: str, mapping: dict, errors: list[RowError], message: str | None = None
) -> pd.Series:
    """Ids for the codes in `frame[col]` (NA where empty or unknown); unknown codes become errors."""
    codes = frame[col]
    # Map the distinct codes only (a few thousand), not a million cells.
    positions, uniques = pd.factorize(codes)
    unique_ids = pd.array([mapping.get(u) for u in uniques] + [None], dtype="Int64")
    ids = pd.Series(unique_ids.take(np.where(positions < 0, len(uniques), positions)), index=frame.index)
    bad = present(codes) & np.asarray(ids.isna())
    if bad.any():
        msg = message or f"unknown {col}"
        for r, v in zip(frame.loc[bad, "row"].tolist(), codes[bad].tolist(), strict=True):
            errors.append(RowError(int(r), col, str(v), msg))
    return ids


def code_map(session: Session, model) -> dict[str, int]:  # noqa: ANN001
    return dict(session.execute(select(model.code, model.id)).all())


class Refs:
    """What the loaders look up in the database, read once per import rather than once per batch.

    Only for what the import does not change itself (a sellers file writes sellers, so its loader
    reads their ids directly).
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._codes: dict[type, dict[str, int]] = {}
        self._first: dict[int, str] | None = None

    def codes(self, model) -> dict[str, int]:  # noqa: ANN001
        if model not in self._codes:
            self._codes[model] = code_map(self.session, model)
        return self._codes[model]

    def first_valid_from(self) -> dict[int, str]:
        if self._first is None:
            self._first = _first_valid_from(self.session)
        return self._first


def iso(dates: pd.Series) -> pd.Series:
    """datetime64 (or date objects) -> 'YYYY-MM-DD' text; NA stays NA. Each distinct day once."""
    codes, days = pd.factorize(pd.to_datetime(dates))
    text = np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D").astype(object)
    out = np.append(text, [None])[np.where(codes < 0, len(text), codes)]
    return pd.Series(out, index=dates.index, dtype="str")


def _first_valid_from(session: Session) -> dict[int, str]:
    return {
        sid: d.isoformat()
        for sid, d in session.execute(
            select(SellerDistrict.seller_id, func.min(SellerDistrict.valid_from)).group_by(SellerDistrict.seller_id)
        )
    }


def check_seller_history(
    frame: pd.DataFrame, seller_ids: pd.Series, dates: pd.Series, first: dict[int, str], errors: list[RowError]
) -> None:
    """A sale or activity before the seller's first district assignment has no district to count for."""
    starts = seller_ids.map(first)
    bad = np.array(starts.notna() & dates.notna(), dtype=bool)
    if not bad.any():
        return
    bad[bad] = np.asarray(dates[bad] < starts[bad], dtype=bool)
    for r, d, code, start in zip(
        frame.loc[bad, "row"].tolist(),
        dates[bad].tolist(),
        frame.loc[bad, "seller_code"].tolist(),
        starts[bad].tolist(),
        strict=True,
    ):
        errors.append(
            RowError(
                int(r),
                "date",
                d,
                f"seller {code} has no district before {start}",
                group="the seller has no district yet on this date",
            )
        )


def check_overlaps(stored: pd.DataFrame, key: list[str], periods: dict[int, str], errors: list[RowError]) -> None:
    """A yearly row and a monthly row of the same key in one file would both write that month."""
    dup = stored.duplicated(key, keep=False)
    if not dup.any():
        return
    first_src: dict[tuple, int] = {}
    for rec in stored.loc[dup, [*key, "_src"]].itertuples(index=False):
        k, src = tuple(rec[:-1]), int(rec[-1])
        if k not in first_src:
            first_src[k] = src
        elif first_src[k] != src:
            month = next(v for c, v in zip(key, k, strict=True) if c == "month")
            errors.append(
                RowError(
                    src,
                    "period",
                    periods[src],
                    f"{str(month)[:7]} is also covered by row {first_src[k]} ({periods[first_src[k]]})",
                    group="a month also covered by another row",
                )
            )


def raise_if(errors: list[RowError]) -> None:
    if errors:
        # Every problem, in file order (whole-file problems first).
        raise ImportRejected(sorted(errors, key=lambda e: -1 if e.row is None else e.row))
