"""The outlook answers: a unit's year (`outlook_answer`) and its children's probabilities
(`children_outlook_answer`), from app.reporting.outlook, for what the caller may see."""

from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics.kpis import KPI_BY_CODE
from app.analytics.outlook import Outlook
from app.reporting import outlook as reports
from app.reporting.dates import data_dates
from app.reporting.registry import load_registry, name_column
from app.reporting.units import Trees, Unit, resolve_unit
from app.scorecards.service import unseen_months


def _num(value: float, digits: int) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _kpi_rows(
    unit_kpis: list[str],
    rows: list[int],
    outlook: dict[str, Outlook],
    monthly: dict[str, np.ndarray],
    *,
    months: list[str],
    columns: list[str],
    upto: int,
    names: dict[str, tuple[str, str]],
    unloaded: set[str],
    hidden: frozenset[str] = frozenset(),
) -> list[dict]:
    """The answer's KPI rows: for each KPI, its row `rows[i]` of `outlook[kpi]` and `monthly[kpi]`."""
    out = []
    year_from = columns.index(months[0])
    left = months[months.index(columns[upto]) + 1 :]
    for kpi, i in zip(unit_kpis, rows, strict=True):
        o = outlook[kpi]
        name, unit = names[kpi]
        gone = kpi in unloaded or o.basis[i] == "none"
        q = o.quantiles[i]
        cumulative = np.cumsum(monthly[kpi][i, year_from : upto + 1])
        out.append(
            {
                "kpi": kpi,
                "name": name,
                "unit": unit,
                "target": _num(o.target[i], 4),
                "actual_to_date": _num(o.actual_to_date[i], 4),
                "p10": None if gone else _num(q[0], 2),
                "p50": None if gone else _num(q[1], 2),
                "p90": None if gone else _num(q[2], 2),
                "probability": None if kpi in unloaded else _num(o.probability[i], 4),
                "basis": "not_loaded" if kpi in unloaded else str(o.basis[i]),
                "path": [
                    {
                        "period": m,
                        **{p: None if gone else _num(o.path[i, h, j], 2) for j, p in enumerate(("p10", "p50", "p90"))},
                    }
                    for h, m in enumerate(left)
                ],
                # a month the caller may not see (a moved seller's months before or after the move): blank
                "actuals": [
                    {"period": m, "actual": None if m in hidden else round(float(v), 4)}
                    for m, v in zip(months[: len(cumulative)], cumulative, strict=True)
                ],
            }
        )
    return out


def _unloaded(session: Session, as_of: str) -> set[str]:
    """The KPIs whose facts are not loaded through as_of (activities lag sales): no outlook for them."""
    dates = data_dates(session)
    late = {
        "sales": dates.sales_month is None or dates.sales_month < as_of,
        "activities": dates.activities_month is None or dates.activities_month < as_of,
    }
    return {code for code, k in KPI_BY_CODE.items() if late[k.facts]}


def outlook_answer(
    session: Session,
    *,
    scope: Scope,
    level: str,
    code: str,
    year: int | None,
    as_of: str | None,
    lang: str = "en",
    today: date | None = None,
) -> dict | None:
    """`unit`'s outlook for the fiscal year as of a month; None when there is no such unit for the
    caller. BadOutlook (the message says why) for a year without sales or an as_of outside it or after the data."""
    year, months, as_of = reports.resolve_as_of(session, year, as_of, today)
    unit = resolve_unit(session, scope=scope, level=level, code=code, period=as_of)
    if unit is None:
        return None
    registry = load_registry(session)
    column = name_column(lang)
    names = {r.code: (getattr(r, column), r.unit) for r in registry.kpis.itertuples(index=False)}
    unloaded = _unloaded(session, as_of)
    hidden = unseen_months(scope, unit, months[: months.index(as_of) + 1])
    if unit.level == "account":
        kpis, joined, actual = reports.account_outlook(session, unit, year, as_of)
        found = reports.year_outlook(session, year, as_of)
        rows = _kpi_rows(
            kpis,
            list(range(len(kpis))),
            dict.fromkeys(kpis, joined),
            dict.fromkeys(kpis, actual),
            months=months,
            columns=found.columns,
            upto=found.upto,
            names=names,
            unloaded=unloaded,
            hidden=hidden,
        )
        band = joined.band
    else:
        found = reports.year_outlook(session, year, as_of)
        at = found.row.get(unit.key)
        if at is None:  # a unit that is not in the organization at the end of as_of (a seller not yet hired)
            return None
        rows = _kpi_rows(
            found.kpis,
            [at] * len(found.kpis),
            found.per_kpi,
            found.monthly,
            months=months,
            columns=found.columns,
            upto=found.upto,
            names=names,
            unloaded=unloaded,
            hidden=hidden,
        )
        band = "model" if any(found.per_kpi[k].band == "model" for k in found.kpis) else "empirical"
    return {
        "level": unit.level,
        "code": unit.code,
        "name": unit.name,
        "year": year,
        "as_of": as_of,
        "months": months,
        "band": band,
        "kpis": rows,
    }


def children_outlook_answer(
    session: Session,
    *,
    scope: Scope,
    level: str,
    code: str,
    year: int | None,
    as_of: str | None,
    today: date | None = None,
) -> dict | None:
    """Each unit below `unit` (for a district, each seller in it at the end of as_of) with its KPIs'
    target, p50 and probability; None when there is no such unit for the caller."""
    year, _, as_of = reports.resolve_as_of(session, year, as_of, today)
    unit = resolve_unit(session, scope=scope, level=level, code=code, period=as_of)
    if unit is None:
        return None
    found = reports.year_outlook(session, year, as_of)
    tree, units_by_key = Trees(session).at_end_of(as_of)
    kids: list[Unit] = [units_by_key[k] for k in tree.get(unit.key, [])] if unit.level != "account" else []
    unloaded = _unloaded(session, as_of)
    children = []
    for kid in kids:
        i = found.row[kid.key]
        kpis = {}
        for k in found.kpis:
            o = found.per_kpi[k]
            gone = k in unloaded or o.basis[i] == "none"
            kpis[k] = {
                "target": _num(o.target[i], 4),
                "p50": None if gone else _num(o.quantiles[i, 1], 2),
                "probability": None if k in unloaded else _num(o.probability[i], 4),
            }
        children.append({"level": kid.level, "code": kid.code, "name": kid.name, "kpis": kpis})
    head = {"level": unit.level, "code": unit.code, "name": unit.name, "year": year, "as_of": as_of}
    return {**head, "children": children}
