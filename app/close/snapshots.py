"""Snapshots: what a month's variance by district and product and every unit's scorecard were when it
was locked; read as JSON or exported, and compared with the live figures (the restatement diff).

- `take` computes the month's variance by district and product for the whole company (the frame of
  GET /budget/variance?from=P&to=P&by=district,product, computed fresh, not from the figure cache) and
  every unit's scorecard for the month and the year to date (`score_all`), and stores them: money as
  exact cents (Numeric), the totals line as JSON.
- Readers see what they may see of it: finance and administrators (and a company leader) all of it;
  a leader the rows of their districts, with totals recomputed over those rows, and the scores of
  the units they may see in that month.
- `diff` computes the live figures the same way and lists every figure that differs: money to the
  cent, ratios and scores within a hair (1e-9), statuses and `favorable` exactly.
"""

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from fastapi import Response
from sqlalchemy import Float, cast, func, insert, select
from sqlalchemy.orm import Session

from app.access import EVERYTHING, Scope
from app.analytics import variance as va
from app.analytics.targets import TARGET_SCALE
from app.budget.service import export as export_report
from app.exports import json_records
from app.models import District, PeriodLock, Snapshot, SnapshotScore, SnapshotVariance, User
from app.reporting import budget as budget_reports
from app.reporting import cache as figure_cache
from app.reporting.scorecards import score_all
from app.reporting.units import COMPANY_CODE, Trees
from app.reporting.version import current_version

BY = ["district", "product"]
KEYS = ["district_code", "product_code"]
NAMES = ["district_name", "product_name"]
MONEY = [
    "budget_amount",
    "actual_amount",
    "variance_amount",
    "budget_quantity",
    "actual_quantity",
    "price_effect",
    "volume_effect",
    "mix_effect",
    "budget_margin",
    "actual_margin",
    "margin_variance",
]
# The variance's figures, in the order the diff lists them.
FIELDS = list(va.VARIANCE_COLUMNS)
SCORE_FIELDS = ["actual", "target", "attainment", "score", "status"]
# A scorecard's actual and target are compared at the stored scale of targets and KPI values (four
# decimals: finer than a cent, so a money KPI's change of one cent on billions shows); attainment and
# score, ratios, beyond an absolute 1e-9 (what float arithmetic may add on the same figures).
FIGURES = ("actual", "target")
FIGURE_SCALE = 10**TARGET_SCALE
RANGES = ("month", "ytd")
TOLERANCE = 1e-9


# --- computing ----------------------------------------------------------------------------------


def _live_variance(session: Session, period: str) -> pd.DataFrame:
    """The month's variance by district and product for the whole company, computed now."""
    parts = list(budget_reports.variance_parts(session, scope=EVERYTHING, from_=period, to=period, by=BY))
    rows = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return rows[[*KEYS, *NAMES, *FIELDS]].reset_index(drop=True)


def _live_scores(session: Session, period: str) -> pd.DataFrame:
    """Every unit's KPIs (and overall score, kpi ''), for the month and the year to date, computed now."""
    frames = []
    for range_ in RANGES:
        scored = score_all(session, period=period, range_=range_)
        kpis = scored.kpis
        levels = [key[0] for key in kpis["entity"]]
        codes = [key[1] or COMPANY_CODE for key in kpis["entity"]]
        frames.append(
            pd.DataFrame(
                {
                    "range": range_,
                    "level": levels,
                    "code": codes,
                    "kpi": kpis["code"].astype("str").to_numpy(),
                    "actual": kpis["actual"].to_numpy(dtype="float64"),
                    "target": kpis["target"].to_numpy(dtype="float64"),
                    "attainment": kpis["attainment"].to_numpy(dtype="float64"),
                    "score": kpis["score"].to_numpy(dtype="float64"),
                    "status": kpis["status"].astype("object").to_numpy(),
                }
            )
        )
        overall = scored.overall
        frames.append(
            pd.DataFrame(
                {
                    "range": range_,
                    "level": [key[0] for key in overall.index],
                    "code": [key[1] or COMPANY_CODE for key in overall.index],
                    "kpi": "",
                    "actual": float("nan"),
                    "target": float("nan"),
                    "attainment": float("nan"),
                    "score": overall.to_numpy(dtype="float64"),
                    "status": None,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _cents(value: Any) -> int | None:
    """A money cell of the variance frame (a float holding exact cents) as integer cents."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value) * 100)


def _decimal(value: Any) -> Decimal | None:
    cents = _cents(value)
    return None if cents is None else Decimal(cents).scaleb(-2)


def _plain(value: Any) -> Any:
    """A cell as JSON takes it: NaN and NA as None, numpy scalars as Python ones."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def take(session: Session, *, period: str, user: User) -> Snapshot:
    """Store `period`'s variance by district and product and every unit's scorecard as they stand now.
    Flushes only; the caller commits (with the lock)."""
    rows = _live_variance(session, period)
    scores = _live_scores(session, period)
    snapshot = Snapshot(
        period=period,
        taken_at=datetime.now(UTC),
        taken_by_user_id=user.id,
        taken_by=user.email,
        data_version=current_version(session.connection()),
        totals=json.dumps(va.totals(rows[FIELDS])),
    )
    session.add(snapshot)
    session.flush()
    if len(rows):
        columns = {c: _texts(rows[c]) for c in (*KEYS, *NAMES)}
        columns |= {c: _money(rows[c]) for c in MONEY}
        columns |= {"variance_pct": _floats(rows["variance_pct"]), "favorable": _plains(rows["favorable"])}
        _bulk_insert(session, SnapshotVariance, snapshot.id, columns)
    if len(scores):
        columns = {c: _texts(scores[c]) for c in ("range", "level", "code")} | {"kpi_code": _texts(scores["kpi"])}
        columns |= {c: _floats(scores[c]) for c in ("actual", "target", "attainment", "score")}
        columns |= {"status": _plains(scores["status"])}
        _bulk_insert(session, SnapshotScore, snapshot.id, columns)
    session.flush()
    return snapshot


# Column by column, not cell by cell through DataFrame.to_dict: a company's snapshot is 100k rows.


def _texts(column: pd.Series) -> list[Any]:
    return [None if v is None or v is pd.NA else str(v) for v in column.astype("object")]


def _floats(column: pd.Series) -> list[float | None]:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return [None if math.isnan(v) else v for v in values.tolist()]


def _money(column: pd.Series) -> list[Decimal | None]:
    """Floats holding exact cents as Decimal cents, through whole cents (never float arithmetic on money)."""
    return [None if v is None else Decimal(round(v * 100)).scaleb(-2) for v in _floats(column)]


def _plains(column: pd.Series) -> list[Any]:
    return [_plain(v) for v in column.astype("object")]


def _bulk_insert(session: Session, model: type, snapshot_id: int, columns: dict[str, list[Any]]) -> None:
    """One bulk INSERT of the rows given as columns (render_nulls: every row has every column, so they
    go in as one statement instead of one per pattern of nulls)."""
    names = ["snapshot_id", *columns]
    records = [
        dict(zip(names, values, strict=True))
        for values in zip([snapshot_id] * len(next(iter(columns.values()))), *columns.values(), strict=True)
    ]
    session.execute(insert(model).execution_options(render_nulls=True), records)


# --- reading ------------------------------------------------------------------------------------


def _district_codes(session: Session, scope: Scope) -> set[str] | None:
    """The codes of the districts `scope` sees; None: every one."""
    if scope.everything:
        return None
    return set(session.scalars(select(District.code).where(District.id.in_(scope.district_ids))))


def _stored_variance(session: Session, snapshot_id: int, scope: Scope) -> pd.DataFrame:
    """A snapshot's variance rows of the districts `scope` sees, as the variance frame has them (money
    as floats of exact cents). Plain rows, not ORM objects: a company's snapshot has tens of thousands."""
    columns = [*KEYS, *NAMES, *FIELDS]
    codes = _district_codes(session, scope)
    found = session.execute(
        select(
            *(
                cast(getattr(SnapshotVariance, c), Float).label(c) if c in MONEY else getattr(SnapshotVariance, c)
                for c in columns
            )
        )
        .where(
            SnapshotVariance.snapshot_id == snapshot_id,
            *([] if codes is None else [SnapshotVariance.district_code.in_(codes)]),
        )
        .order_by(SnapshotVariance.district_code, SnapshotVariance.product_code)
    ).all()
    frame = pd.DataFrame([tuple(r) for r in found], columns=columns)
    for c in [*MONEY, "variance_pct"]:  # (read as floats by the database: cents are exact in a double)
        frame[c] = frame[c].astype("float64")
    frame["favorable"] = pd.array(frame["favorable"].astype("object"), dtype="boolean")
    return frame


def _stored_scores(session: Session, snapshot_id: int) -> pd.DataFrame:
    """A snapshot's score rows (kpi '' for a unit's overall score), as plain rows."""
    found = session.execute(
        select(
            SnapshotScore.range,
            SnapshotScore.level,
            SnapshotScore.code,
            SnapshotScore.kpi_code,
            *(getattr(SnapshotScore, c) for c in SCORE_FIELDS),
        )
        .where(SnapshotScore.snapshot_id == snapshot_id)
        .order_by(SnapshotScore.range, SnapshotScore.level, SnapshotScore.code, SnapshotScore.kpi_code)
    ).all()
    return pd.DataFrame([tuple(r) for r in found], columns=["range", "level", "code", "kpi", *SCORE_FIELDS])


def _visible_variance(session: Session, scope: Scope, rows: pd.DataFrame) -> pd.DataFrame:
    codes = _district_codes(session, scope)
    return rows if codes is None else rows[rows["district_code"].isin(codes)].reset_index(drop=True)


def _visible_scores(session: Session, scope: Scope, scores: pd.DataFrame, period: str) -> pd.DataFrame:
    if scope.everything or scores.empty:
        return scores
    _, units = Trees(session).at_end_of(period)

    def sees(level: str, code: str) -> bool:
        unit = units.get((level, "" if level == "company" else code))
        if unit is None or unit.id is None:
            return level == "company" and scope.sees_company()
        if level == "region":
            return scope.sees_region(unit.id)
        if level == "district":
            return scope.sees_district(unit.id)
        if level == "seller":
            return scope.sees_seller(unit.id, period)
        return False

    pairs = scores[["level", "code"]].drop_duplicates()
    seen = {(lv, cd) for lv, cd in pairs.itertuples(index=False) if sees(lv, cd)}
    mask = pd.MultiIndex.from_frame(scores[["level", "code"]]).isin(list(seen))
    return scores[mask].reset_index(drop=True)


def _totals(snapshot: Snapshot, scope: Scope, rows: pd.DataFrame) -> dict[str, Any]:
    if scope.everything:
        return json.loads(snapshot.totals)
    return va.totals(rows[FIELDS])


def _locked_ids(session: Session) -> set[int]:
    return set(session.scalars(select(PeriodLock.snapshot_id)))


def _summary(
    snapshot: Snapshot, scope: Scope, rows: pd.DataFrame | None, units: int, locked: set[int], count: int = 0
) -> dict[str, Any]:
    """A snapshot's summary (SnapshotRead) from its visible rows, or, for a caller who sees everything,
    from its stored totals and the row `count` (rows None)."""
    return {
        "id": snapshot.id,
        "period": snapshot.period,
        "taken_at": snapshot.taken_at,
        "taken_by": snapshot.taken_by,
        "unlocked_at": snapshot.unlocked_at,
        "unlocked_by": snapshot.unlocked_by,
        "locked": snapshot.id in locked,
        "data_version": snapshot.data_version,
        "totals": json.loads(snapshot.totals) if rows is None else _totals(snapshot, scope, rows),
        "variance_rows": count if rows is None else len(rows),
        "scorecard_units": units,
    }


def _units(scores: pd.DataFrame) -> int:
    return len(scores[["level", "code"]].drop_duplicates()) if len(scores) else 0


def list_for(session: Session, *, scope: Scope, period: str | None) -> dict:
    """The answer of GET /snapshots (SnapshotsRead): newest first. For a caller who sees everything it
    reads counts and the stored totals only; for others the visible rows, to total them."""
    stmt = select(Snapshot).order_by(Snapshot.taken_at.desc(), Snapshot.id.desc())
    if period is not None:
        stmt = stmt.where(Snapshot.period == period)
    snapshots = list(session.scalars(stmt))
    locked = _locked_ids(session)
    items = []
    if scope.everything:
        ids = [snapshot.id for snapshot in snapshots]
        counted = (
            select(SnapshotVariance.snapshot_id, func.count())
            .where(SnapshotVariance.snapshot_id.in_(ids))
            .group_by(SnapshotVariance.snapshot_id)
        )
        rows = {snapshot_id: int(n) for snapshot_id, n in session.execute(counted)}
        pairs = (
            select(SnapshotScore.snapshot_id, SnapshotScore.level, SnapshotScore.code)
            .where(SnapshotScore.snapshot_id.in_(ids))
            .distinct()
            .subquery()
        )
        per_unit = select(pairs.c.snapshot_id, func.count()).group_by(pairs.c.snapshot_id)
        units = {snapshot_id: int(n) for snapshot_id, n in session.execute(per_unit)}
        for snapshot in snapshots:
            items.append(_summary(snapshot, scope, None, units.get(snapshot.id, 0), locked, rows.get(snapshot.id, 0)))
        return {"items": items}
    for snapshot in snapshots:
        visible = _stored_variance(session, snapshot.id, scope)
        scores = _visible_scores(session, scope, _stored_scores(session, snapshot.id), snapshot.period)
        items.append(_summary(snapshot, scope, visible, _units(scores), locked))
    return {"items": items}


def _loaded(session: Session, scope: Scope, snapshot_id: int) -> tuple[Snapshot, pd.DataFrame, pd.DataFrame] | None:
    snapshot = session.get(Snapshot, snapshot_id)
    if snapshot is None:
        return None
    rows = _stored_variance(session, snapshot_id, scope)
    scores = _visible_scores(session, scope, _stored_scores(session, snapshot_id), snapshot.period)
    return snapshot, rows, scores


def read(session: Session, *, scope: Scope, snapshot_id: int) -> dict | None:
    """The answer of GET /snapshots/{id} (SnapshotDetailRead); None: no such snapshot."""
    found = _loaded(session, scope, snapshot_id)
    if found is None:
        return None
    snapshot, rows, scores = found
    return {
        **_summary(snapshot, scope, rows, _units(scores), _locked_ids(session)),
        "rows": json_records(rows),
        "scorecards": json_records(scores),
    }


def export(
    session: Session,
    *,
    scope: Scope,
    snapshot_id: int,
    table: str,
    fmt: str,
    delimiter: str,
    decimal: str,
    bom: bool,
) -> Response | None:
    """One table of a snapshot as CSV, XLSX or Parquet; None: no such snapshot."""
    found = _loaded(session, scope, snapshot_id)
    if found is None:
        return None
    snapshot, rows, scores = found
    stem = f"snapshot_{snapshot.period}_{table}"
    if table == "variance":
        report = budget_reports.Report(rows=rows, totals=_totals(snapshot, scope, rows))
        sheet = "Variance"
    else:
        report = budget_reports.Report(rows=scores, totals={})
        sheet = "Scorecards"
    return export_report(report, fmt, stem, sheet=sheet, delimiter=delimiter, decimal=decimal, bom=bom)


# --- the restatement diff -----------------------------------------------------------------------


def _differs(field: str, before: Any, after: Any) -> bool:
    before, after = _plain(before), _plain(after)
    if before is None or after is None:
        return (before is None) != (after is None)
    if field in MONEY:
        return _cents(before) != _cents(after)
    if isinstance(before, (int, float)) and isinstance(after, (int, float)) and not isinstance(before, bool):
        if field in FIGURES:
            return round(float(before) * FIGURE_SCALE) != round(float(after) * FIGURE_SCALE)
        return abs(float(before) - float(after)) > TOLERANCE
    return before != after


def _shown(field: str, value: Any) -> Any:
    value = _plain(value)
    if value is None:
        return None
    if field in MONEY:
        return _cents(value) / 100  # type: ignore[operator]
    return value


def _changed(field: str, before: pd.Series, after: pd.Series) -> np.ndarray:
    """Which cells of one figure differ, column at a time (what `_differs` says of one cell): a null on
    one side only; money in whole cents; a scorecard's actual and target at four decimals; ratios
    beyond the tolerance; the rest by equality."""
    b_null, a_null = before.isna().to_numpy(), after.isna().to_numpy()
    both = ~b_null & ~a_null
    out = b_null != a_null
    if not both.any():
        return out
    numeric = pd.api.types.is_numeric_dtype(before) and pd.api.types.is_numeric_dtype(after)
    if numeric and not (pd.api.types.is_bool_dtype(before) or pd.api.types.is_bool_dtype(after)):
        b = before.to_numpy(dtype="float64", na_value=np.nan)[both]
        a = after.to_numpy(dtype="float64", na_value=np.nan)[both]
        if field in MONEY:
            differs = np.round(b * 100) != np.round(a * 100)
        elif field in FIGURES:
            differs = np.round(b * FIGURE_SCALE) != np.round(a * FIGURE_SCALE)
        else:
            differs = np.abs(b - a) > TOLERANCE
    else:
        b_obj, a_obj = before.astype("object").to_numpy()[both], after.astype("object").to_numpy()[both]
        differs = np.array([_differs(field, x, y) for x, y in zip(b_obj, a_obj, strict=True)], dtype=bool)
    out[both] = differs
    return out


def _frame_diff(before: pd.DataFrame, after: pd.DataFrame, keys: list[str], fields: list[str]) -> list[dict]:
    """Every (row, figure) that differs between two frames keyed by `keys`, in key order and then in
    the order of `fields`; a row on one side only gives its figures with null on the other side. The
    comparison runs a column at a time; only the cells that differ become dicts."""
    merged = before.merge(after, on=keys, how="outer", suffixes=("_before", "_after"), sort=True)
    found: list[tuple[int, int]] = []
    for n, f in enumerate(fields):
        found += [(int(i), n) for i in np.flatnonzero(_changed(f, merged[f"{f}_before"], merged[f"{f}_after"]))]
    found.sort()
    out = []
    for i, n in found:
        f = fields[n]
        b, a = merged.at[i, f"{f}_before"], merged.at[i, f"{f}_after"]
        out.append(
            {**{k: _plain(merged.at[i, k]) for k in keys}, "field": f, "before": _shown(f, b), "after": _shown(f, a)}
        )
    return out


def diff(session: Session, *, scope: Scope, snapshot_id: int) -> dict | None:
    """The answer of GET /snapshots/{id}/diff (SnapshotDiffRead); None: no such snapshot."""
    found = _loaded(session, scope, snapshot_id)
    if found is None:
        return None
    snapshot, rows, scores = found
    # The live figures of the month, the company's, are what a diff costs (the variance and two
    # score_all): kept in the figure cache under the data version, so the budget page asking for the
    # diff of each locked month again computes nothing until the data changes.
    live_variance = figure_cache.get_or_compute(
        session, ("close", "live-variance", snapshot.period), lambda: _live_variance(session, snapshot.period)
    )
    live_all_scores = figure_cache.get_or_compute(
        session, ("close", "live-scores", snapshot.period), lambda: _live_scores(session, snapshot.period)
    )
    live_rows = _visible_variance(session, scope, live_variance)
    live_scores = _visible_scores(session, scope, live_all_scores, snapshot.period)
    changed = _frame_diff(rows.drop(columns=NAMES), live_rows.drop(columns=NAMES), KEYS, FIELDS)
    score_changes = _frame_diff(scores, live_scores, ["range", "level", "code", "kpi"], SCORE_FIELDS)
    before_totals = _totals(snapshot, scope, rows)
    after_totals = va.totals(live_rows[FIELDS])
    totals = {
        f: {"before": before_totals.get(f), "after": after_totals.get(f)}
        for f in FIELDS
        if _differs(f, before_totals.get(f), after_totals.get(f))
    }
    return {
        "snapshot": _summary(snapshot, scope, rows, _units(scores), _locked_ids(session)),
        "restated": bool(changed or score_changes or totals),
        "rows": changed,
        "scorecards": score_changes,
        "totals": totals,
    }
