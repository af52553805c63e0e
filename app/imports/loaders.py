"""The datasets' loaders: per dataset, what its rows are checked for against the database and the rows
it stores, one frame per table (`LOADERS`); yearly targets, KPI values and budgets phased into months.

A loader raises ImportRejected listing every problem it found; `with_reference_errors` adds those
problems to a file's parse errors, so one answer lists all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.analytics.periods import months_of, phase
from app.imports.checks import (
    Refs,
    check_overlaps,
    check_seller_history,
    code_map,
    iso,
    lookup,
    present,
    raise_if,
)
from app.imports.driver import TablePlan
from app.imports.errors import ImportRejected, RowError
from app.imports.specs import DATASETS, DatasetSpec
from app.models import (
    Account,
    Activity,
    Budget,
    District,
    KpiDefinition,
    KpiValue,
    Leader,
    LeaderUnit,
    Product,
    Region,
    Sale,
    Seasonality,
    Seller,
    SellerDistrict,
    Target,
)


def _tp(model, key: tuple[str, ...], kinds: dict[str, str], pk: str | None = "id") -> TablePlan:  # noqa: ANN001
    return TablePlan(model.__table__, key, kinds, pk)


def _with_src(frame: pd.DataFrame, data: dict) -> pd.DataFrame:
    out = pd.DataFrame(data, index=frame.index)
    out["_src"] = frame["row"].to_numpy()
    return out


def _load_regions(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    plan = _tp(Region, ("code",), {"code": "str", "name": "str"})
    return [(plan, _with_src(f, {"code": f["code"], "name": f["name"]}))]


def _load_products(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    plan = _tp(Product, ("code",), {"code": "str", "name": "str", "product_group": "str"})
    return [(plan, _with_src(f, {"code": f["code"], "name": f["name"], "product_group": f["product_group"]}))]


def _load_districts(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    errors: list[RowError] = []
    region_id = lookup(f, "region_code", code_map(session, Region), errors)
    raise_if(errors)
    plan = _tp(District, ("code",), {"code": "str", "name": "str", "basis": "str", "region_id": "int"})
    return [(plan, _with_src(f, {"code": f["code"], "name": f["name"], "basis": f["basis"], "region_id": region_id}))]


def _load_accounts(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    errors: list[RowError] = []
    district_id = lookup(f, "district_code", code_map(session, District), errors)
    kam_id = lookup(f, "kam_seller_code", code_map(session, Seller), errors, "unknown seller code")
    raise_if(errors)
    plan = _tp(
        Account,
        ("code",),
        {
            "code": "str",
            "name": "str",
            "district_id": "int",
            "segment": "str",
            "key_account": "bool",
            "kam_seller_id": "int",
        },
    )
    key_account = pd.array(f["key_account"], dtype="boolean").fillna(False)
    return [
        (
            plan,
            _with_src(
                f,
                {
                    "code": f["code"],
                    "name": f["name"],
                    "district_id": district_id,
                    "segment": f["segment"],
                    "key_account": key_account,
                    "kam_seller_id": kam_id,
                },
            ),
        )
    ]


def _load_sellers(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    errors: list[RowError] = []
    district_id = lookup(f, "district_code", code_map(session, District), errors)
    valid_from = iso(f["valid_from"])
    f = f.assign(_vf=valid_from)
    # The row with the latest valid_from gives the seller's name and e-mail ...
    latest = f.sort_values(["code", "_vf", "row"]).drop_duplicates("code", keep="last")
    # ... unless the database already holds a later assignment for that seller.
    stored_latest = {
        code: d.isoformat()
        for code, d in session.execute(
            select(Seller.code, func.max(SellerDistrict.valid_from))
            .join(SellerDistrict, SellerDistrict.seller_id == Seller.id)
            .group_by(Seller.code)
        )
    }
    newer = latest["code"].map(stored_latest).astype("string")
    latest = latest[newer.isna() | (latest["_vf"] >= newer.fillna(""))]
    # One e-mail, one seller: within the file and against sellers the file does not rename.
    seen: dict[str, tuple[str, int]] = {}
    for code, email, row in latest.sort_values("row")[["code", "email", "row"]].itertuples(index=False):
        if not (isinstance(code, str) and isinstance(email, str)):
            continue  # a cell that failed to parse: reported already
        if email in seen:
            other, other_row = seen[email]
            errors.append(
                RowError(
                    int(row),
                    "email",
                    email,
                    f"e-mail also given to seller {other} on row {other_row}",
                    group="e-mail also given to another seller of the file",
                )
            )
        else:
            seen[email] = (code, int(row))
    file_emails = dict(zip(latest["code"], latest["email"], strict=True))
    for code, email in session.execute(select(Seller.code, Seller.email)):
        owner = seen.get(email)
        if owner and owner[0] != code and file_emails.get(code, email) == email:
            errors.append(
                RowError(
                    owner[1],
                    "email",
                    email,
                    f"e-mail already belongs to seller {code}",
                    group="e-mail already belongs to another seller",
                )
            )
    raise_if(errors)

    seller_plan = _tp(Seller, ("code",), {"code": "str", "name": "str", "email": "str"})
    seller_rows = _with_src(latest, {"code": latest["code"], "name": latest["name"], "email": latest["email"]})

    def history(ids: dict[str, int]) -> pd.DataFrame:
        return _with_src(f, {"seller_id": f["code"].map(ids), "valid_from": valid_from, "district_id": district_id})

    history_plan = _tp(
        SellerDistrict, ("seller_id", "valid_from"), {"seller_id": "int", "valid_from": "date", "district_id": "int"}
    )
    # The history needs the seller ids, known only once the sellers are written.
    return [(seller_plan, seller_rows), (history_plan, lambda: history(code_map(session, Seller)))]


def _load_leaders(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    errors: list[RowError] = []
    lookup(f, "district_code", code_map(session, District), errors)
    lookup(f, "region_code", code_map(session, Region), errors)
    names: dict[str, tuple[str, int]] = {}
    for email, name, row in f[["email", "name", "row"]].itertuples(index=False):
        if not (isinstance(email, str) and isinstance(name, str)):
            continue  # a cell that failed to parse: reported already
        if email in names and names[email][0] != name:
            errors.append(
                RowError(
                    int(row),
                    "name",
                    name,
                    f"row {names[email][1]} gives this leader another name ({names[email][0]})",
                    group="another row gives this leader another name",
                )
            )
        names.setdefault(email, (name, int(row)))
    raise_if(errors)
    has_d, has_r = present(f["district_code"]), present(f["region_code"])
    level = np.where(has_d, "district", np.where(has_r, "region", "company"))
    unit = np.where(has_d, f["district_code"].astype(object), np.where(has_r, f["region_code"].astype(object), ""))
    leaders = f.drop_duplicates("email")
    leader_plan = _tp(Leader, ("email",), {"email": "str", "name": "str"})
    leader_rows = _with_src(leaders, {"email": leaders["email"], "name": leaders["name"]})
    unit_plan = _tp(
        LeaderUnit, ("leader_id", "level", "unit_code"), {"leader_id": "int", "level": "str", "unit_code": "str"}
    )

    def units() -> pd.DataFrame:
        ids = dict(session.execute(select(Leader.email, Leader.id)).all())
        return _with_src(f, {"leader_id": f["email"].map(ids), "level": level, "unit_code": unit})

    return [(leader_plan, leader_rows), (unit_plan, units)]


def _load_seasonality(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    plan = _tp(Seasonality, ("month",), {"month": "int", "weight": "dec6"}, pk=None)
    return [(plan, _with_src(f, {"month": f["month"], "weight": f["weight"]}))]


def check_seasonality(session: Session) -> None:
    rows = dict(session.execute(select(Seasonality.month, Seasonality.weight)).all())
    missing = [m for m in range(1, 13) if m not in rows]
    if missing:
        raise ImportRejected(
            [
                RowError(
                    None,
                    "month",
                    None,
                    f"the seasonality profile needs all 12 months; missing: {', '.join(map(str, missing))}",
                )
            ]
        )
    if sum(rows.values()) <= 0:
        raise ImportRejected([RowError(None, "weight", None, "the twelve weights add up to zero")])


def _seasonality_weights(session: Session) -> list[Decimal]:
    rows = dict(session.execute(select(Seasonality.month, Seasonality.weight)).all())
    if len(rows) == 12 and sum(rows.values()) > 0:
        return [rows[m] for m in range(1, 13)]
    return [Decimal(1)] * 12  # flat profile until a seasonality file is loaded


def _expand_periods(f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame position, month ISO date, month index 0-11 within the year) for each stored month."""
    pos, month, idx = [], [], []
    for i, p in enumerate(f["period"].tolist()):
        for j, m in enumerate(months_of(p)):
            pos.append(i)
            month.append(m.isoformat())
            idx.append(j if len(p) == 4 else -1)
    return np.array(pos, dtype=np.int64), np.array(month, dtype=object), np.array(idx, dtype=np.int64)


def _phased(
    total: pd.Series, pos: np.ndarray, idx: np.ndarray, periods: pd.Series, weights: list[Decimal], unit: int = 1
) -> pd.Series:
    """Each stored month's share of its row's total; yearly totals phased in steps of `unit` minor units."""
    totals = pd.array(total, dtype="Int64")
    yearly = np.asarray(periods.str.len() == 4, dtype=bool)
    shares: dict[int, list[int]] = {}
    for i in np.flatnonzero(yearly & np.asarray(~totals.isna(), dtype=bool)):
        t = int(totals[i])
        step = unit if t % unit == 0 else 1  # sub-cent totals are phased in their own units
        shares[int(i)] = [s * step for s in phase(t // step, weights)]
    out = [
        None if pd.isna(totals[p]) else (shares[p][j] if j >= 0 else int(totals[p]))
        for p, j in zip(pos.tolist(), idx.tolist(), strict=True)
    ]
    return pd.Series(pd.array(out, dtype="Int64"))


def _plan_rows(session: Session, f: pd.DataFrame, model, kpi_values: bool) -> list[tuple]:  # noqa: ANN001
    errors: list[RowError] = []
    kpis = {
        code: (rollup, manual, active, direction)
        for code, rollup, manual, active, direction in session.execute(
            select(
                KpiDefinition.code,
                KpiDefinition.time_rollup,
                KpiDefinition.manual,
                KpiDefinition.active,
                KpiDefinition.direction,
            )
        )
    }
    unit_maps = {"seller": Seller, "district": District, "region": Region, "account": Account}
    known = {level: set(code_map(session, m)) for level, m in unit_maps.items()}
    for row, level, code, kpi in f[["row", "level", "code", "kpi"]].itertuples(index=False):
        if level in known and isinstance(code, str) and code and code not in known[level]:
            errors.append(RowError(int(row), "code", code, f"unknown {level} code"))
        if not isinstance(kpi, str):
            continue
        if kpi not in kpis:
            errors.append(RowError(int(row), "kpi", kpi, f"unknown kpi; the KPIs are: {', '.join(sorted(kpis))}"))
        elif not kpis[kpi][2]:
            errors.append(RowError(int(row), "kpi", kpi, f"kpi {kpi} is not active"))
        elif kpi_values and not kpis[kpi][1]:
            errors.append(
                RowError(
                    int(row), "kpi", kpi, f"{kpi} is computed from sales and activities; kpi_values holds manual KPIs"
                )
            )
    stretched = "stretch" in f.columns  # a targets file (kpi_values have no stretch)
    if stretched:
        _check_stretch(f, {code: k[3] for code, k in kpis.items()}, errors)
    # The rows whose KPI and period are known are checked on for overlaps, so one answer lists every
    # problem (a cell that failed to parse is reported already).
    usable = np.asarray(f["period"].notna() & f["kpi"].isin(list(kpis)), dtype=bool)
    if not usable.all():
        f = f[usable].reset_index(drop=True)
    pos, month, idx = _expand_periods(f)
    sub = f.iloc[pos].reset_index(drop=True)
    weights = _seasonality_weights(session)
    summed = np.asarray(sub["kpi"].map(lambda k: kpis[k][0] == "sum"), dtype=bool)
    # 'sum' KPIs: the year is split by the seasonality to the cent (value has 4 decimals: 100 units);
    # 'last' KPIs: a level, not a flow, so every month carries the yearly value.
    phased = _phased(f["value"], pos, idx, f["period"], weights, unit=100)
    value = pd.Series(np.where(summed, phased.astype(object), sub["value"].astype(object)))
    columns = {
        "level": sub["level"],
        "unit_code": sub["code"].fillna("").astype("str"),
        "kpi_code": sub["kpi"],
        "month": month,
        "value": pd.array(value, dtype="Int64"),
        "source_period": sub["period"],
    }
    kinds = {
        "level": "str",
        "unit_code": "str",
        "kpi_code": "str",
        "month": "date",
        "value": "dec4",
        "source_period": "str",
    }
    if stretched:
        columns["stretch"] = _phased_stretch(f, pos, idx, weights, pd.array(value, dtype="Int64"), summed)
        kinds["stretch"] = "dec4"
    stored = pd.DataFrame({**columns, "_src": sub["row"].to_numpy()})
    check_overlaps(
        stored, ["level", "unit_code", "kpi_code", "month"], dict(zip(f["row"], f["period"], strict=True)), errors
    )
    raise_if(errors)
    plan = _tp(model, ("level", "unit_code", "kpi_code", "month"), kinds)
    return [(plan, stored)]


def _decimal_text(units: int, scale: int = 4) -> str:
    """An integer of 10**-scale as the plain decimal a user wrote: 13000000 -> '1300'; 3500 -> '0.35'."""
    text = format(Decimal(units).scaleb(-scale), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _check_stretch(f: pd.DataFrame, directions: dict[str, str], errors: list[RowError]) -> None:
    """A stretch is a goal beyond the target: at least the value where the KPI is better higher, at
    most where it is better lower (equal is allowed). Checked on each row as the file gives it (a
    yearly row by its yearly figures); rows whose value, stretch or KPI is missing or unknown pass
    (reported already, or nothing to compare)."""
    value = pd.array(f["value"], dtype="Int64")
    stretch = pd.array(f["stretch"], dtype="Int64")
    both = ~np.asarray(value.isna(), dtype=bool) & ~np.asarray(stretch.isna(), dtype=bool)
    for i in np.flatnonzero(both):
        kpi = f["kpi"].iat[i]
        direction = directions.get(kpi) if isinstance(kpi, str) else None
        v, st = int(value[i]), int(stretch[i])
        if direction == "higher" and st < v:
            side, rule = "below", "at least"
        elif direction == "lower" and st > v:
            side, rule = "above", "at most"
        else:
            continue
        errors.append(
            RowError(
                int(f["row"].iat[i]),
                "stretch",
                _decimal_text(st),
                f"the stretch {_decimal_text(st)} is {side} the target value {_decimal_text(v)}: {kpi} is better "
                f"{direction}, so its stretch must be {rule} its target",
                group=f"a stretch {side} the target (the KPI is better {direction})",
            )
        )


def _phased_stretch(
    f: pd.DataFrame,
    pos: np.ndarray,
    idx: np.ndarray,
    weights: list[Decimal],
    value: pd.arrays.IntegerArray,
    summed: np.ndarray,
) -> pd.arrays.IntegerArray:
    """Each stored month's stretch (NA where the row has none). A 'last' KPI's month carries the row's
    stretch, as its value does; a yearly row of a KPI that adds up over time is phased by the same
    seasonality as its value: each month's stretch is the month's target plus its share of the
    stretch's excess over the yearly target (`_phased`: largest remainder, to the cent), so every
    month's stretch is on the stretch's side of its target and the twelve add up to the yearly
    stretch exactly."""
    stretch = pd.array(f["stretch"], dtype="Int64")
    excess = _phased(pd.Series(stretch - pd.array(f["value"], dtype="Int64")), pos, idx, f["period"], weights, unit=100)
    excess_units = np.asarray(excess.array.fillna(0), dtype="int64")
    month_value = np.asarray(value.fillna(0), dtype="int64")
    row_stretch = stretch.take(pos)
    as_phased = pd.array(month_value + excess_units, dtype="Int64")
    out = pd.array(np.where(summed, as_phased.fillna(0), row_stretch.fillna(0)).astype("int64"), dtype="Int64")
    missing = np.asarray(row_stretch.isna(), dtype=bool) | (summed & np.asarray(excess.isna(), dtype=bool))
    out[missing] = pd.NA
    return out


def _load_targets(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    return _plan_rows(session, f, Target, kpi_values=False)


def _load_kpi_values(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    return _plan_rows(session, f, KpiValue, kpi_values=True)


def _load_budgets(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    errors: list[RowError] = []
    district_id = lookup(f, "district_code", code_map(session, District), errors)
    product_id = lookup(f, "product_code", code_map(session, Product), errors)
    # The rows with known references and period are checked on for overlaps, so one answer lists every
    # problem (a cell that failed to parse is reported already).
    usable = np.asarray(district_id.notna() & product_id.notna() & f["period"].notna(), dtype=bool)
    if not usable.all():
        f, district_id, product_id = (x[usable].reset_index(drop=True) for x in (f, district_id, product_id))
    pos, month, idx = _expand_periods(f)
    weights = _seasonality_weights(session)
    stored = pd.DataFrame(
        {
            "district_id": district_id.to_numpy()[pos],
            "product_id": product_id.to_numpy()[pos],
            "month": month,
            "quantity": _phased(f["quantity"], pos, idx, f["period"], weights),
            "amount": _phased(f["amount"], pos, idx, f["period"], weights),
            "cost": _phased(f["cost"], pos, idx, f["period"], weights),
            "source_period": f["period"].to_numpy()[pos],
            "_src": f["row"].to_numpy()[pos],
        }
    )
    check_overlaps(
        stored, ["district_id", "product_id", "month"], dict(zip(f["row"], f["period"], strict=True)), errors
    )
    raise_if(errors)
    plan = _tp(
        Budget,
        ("district_id", "product_id", "month"),
        {
            "district_id": "int",
            "product_id": "int",
            "month": "date",
            "quantity": "dec2",
            "amount": "dec2",
            "cost": "dec2",
            "source_period": "str",
        },
    )
    return [(plan, stored)]


def _load_sales(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    errors: list[RowError] = []
    seller_id = lookup(f, "seller_code", refs.codes(Seller), errors)
    account_id = lookup(f, "account_code", refs.codes(Account), errors)
    product_id = lookup(f, "product_code", refs.codes(Product), errors)
    date = iso(f["date"])
    check_seller_history(f, seller_id, date, refs.first_valid_from(), errors)
    raise_if(errors)
    plan = _tp(
        Sale,
        ("id",),
        {
            "id": "str",
            "date": "date",
            "seller_id": "int",
            "account_id": "int",
            "product_id": "int",
            "quantity": "dec2",
            "amount": "dec2",
            "cost": "dec2",
        },
        pk=None,
    )
    return [
        (
            plan,
            _with_src(
                f,
                {
                    "id": f["id"],
                    "date": date,
                    "seller_id": seller_id,
                    "account_id": account_id,
                    "product_id": product_id,
                    "quantity": f["quantity"],
                    "amount": f["amount"],
                    "cost": f["cost"],
                },
            ),
        )
    ]


def _load_activities(session: Session, f: pd.DataFrame, refs: Refs) -> list[tuple]:
    errors: list[RowError] = []
    seller_id = lookup(f, "seller_code", refs.codes(Seller), errors)
    account_id = lookup(f, "account_code", refs.codes(Account), errors)
    date = iso(f["date"])
    check_seller_history(f, seller_id, date, refs.first_valid_from(), errors)
    raise_if(errors)
    plan = _tp(
        Activity,
        ("id",),
        {"id": "str", "date": "date", "seller_id": "int", "account_id": "int", "type": "str", "value": "dec2"},
        pk=None,
    )
    return [
        (
            plan,
            _with_src(
                f,
                {
                    "id": f["id"],
                    "date": date,
                    "seller_id": seller_id,
                    "account_id": account_id,
                    "type": f["type"],
                    "value": f["value"],
                },
            ),
        )
    ]


LOADERS: dict[str, Callable[[Session, pd.DataFrame, Refs], list[tuple]]] = {
    "regions": _load_regions,
    "districts": _load_districts,
    "sellers": _load_sellers,
    "leaders": _load_leaders,
    "accounts": _load_accounts,
    "products": _load_products,
    "seasonality": _load_seasonality,
    "sales": _load_sales,
    "activities": _load_activities,
    "targets": _load_targets,
    "kpi_values": _load_kpi_values,
    "budgets": _load_budgets,
}
assert set(LOADERS) == set(DATASETS), "every dataset needs a loader"


def with_reference_errors(
    session: Session, dataset: str, frame: pd.DataFrame, errors: list[RowError], refs: Refs | None = None
) -> list[RowError]:
    """The parse errors plus the reference errors of every row, so one answer lists all: a row with a bad
    amount and an unknown seller gets both. A cell that failed to parse is missing in the frame, and the
    loaders pass over missing cells; a loader that cannot take such a frame is asked again with the rows
    that parsed cleanly."""
    if frame.empty or any(e.row is None for e in errors):
        return errors
    good = frame[~frame["row"].isin({e.row for e in errors})].reset_index(drop=True)
    for rows in (frame, good) if len(good) < len(frame) else (frame,):
        if rows.empty:
            break
        savepoint = session.begin_nested()  # the loaders only read, but nothing of this may stay
        try:
            LOADERS[dataset](session, rows, refs or Refs(session))
            found: list[RowError] | None = []
        except ImportRejected as exc:
            found = exc.errors
        except Exception:
            found = None
        finally:
            savepoint.rollback()
        if found is not None:
            return _in_row_order(DATASETS[dataset], errors + found)
    return errors


def _in_row_order(spec: DatasetSpec, errors: list[RowError]) -> list[RowError]:
    """Whole-file problems first, then by row, and in a row by the dataset's column order (as parse() does)."""
    order = {name: i for i, name in enumerate(spec.column_names)}
    return sorted(errors, key=lambda e: (-1 if e.row is None else e.row, order.get(e.column or "", -1)))
