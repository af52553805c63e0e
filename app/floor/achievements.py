"""Achievements: the goals reached by sellers and districts, recorded once by the import that made them
so, and listed for who may see them (GET /achievements) and for a unit's wallboard.

- `record`: called by every import that commits (app.imports.service.import_file), in its transaction.
  The figures come from app.reporting.achievements (every seller's and district's revenue for every
  month and fiscal year with a revenue target; the celebrated KPIs' months of the open fiscal year);
  the rules that make them goals from app.analytics.achievements. A goal reached that has no row yet
  is inserted; a row whose goal is no longer reached (a credit note, a raised target) gets
  `revised_at` and stays; one reached again loses it. A re-import changes nothing.
- `list_for`: newest first (the moment recorded, then the day reached), the units the caller may see:
  a district's to whom sees the district, a seller's to whom sees the seller in the achievement's
  period (a year's: its last month), as app.access says; with `level` and `code`, that unit's
  subtree (a district and the sellers in it on the period's last day).
- `for_wall`: the same rows of one unit's subtree, for its wallboard (no caller's scope: the display
  token is for that unit).
"""

from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import cast

import pandas as pd
from fastapi import HTTPException, status
from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics.achievements import REVENUE, first_reached, goals
from app.analytics.periods import month_end_iso, shift_month
from app.models import Achievement, District, KpiDefinition, Region, Seller, SellerDistrict
from app.params import invalid
from app.reporting import achievements as figures
from app.reporting.facts import read_frame
from app.reporting.registry import load_registry
from app.reporting.units import COMPANY_CODE

LEVELS = ("company", "region", "district", "seller")
PAGE = 500  # rows read at a time while filling a page of the answer
CHUNK = 900  # ids per IN list


# --- listing ------------------------------------------------------------------------------------


def _moment(since: datetime | date | None) -> datetime | None:
    """`since` as a UTC moment: a day from its start (UTC), a moment without a zone as UTC."""
    if since is None:
        return None
    if not isinstance(since, datetime):
        return datetime.combine(since, time.min, tzinfo=UTC)
    if since.tzinfo is None:
        return since.replace(tzinfo=UTC)
    try:
        return since.astimezone(UTC)
    except OverflowError:  # a moment at the calendar's edge (0001-01-01T00:00+14:00): nothing before or after it
        return datetime.min.replace(tzinfo=UTC) if since.year == 1 else datetime.max.replace(tzinfo=UTC)


def _period_month(period: str, fiscal_start_month: int) -> str:
    """The month whose last day decides who sees an achievement of `period`: the month itself, or a
    fiscal year's last month."""
    if len(period) == 4:
        return shift_month(f"{period}-{fiscal_start_month:02d}", 11)
    return period


class _Assignments:
    """Each seller's district assignments, to tell the district a seller was in on a day."""

    def __init__(self, session: Session, seller_ids: set[int]) -> None:
        self._by_seller: dict[int, tuple[list[date], list[int]]] = {}
        ids = sorted(seller_ids)
        rows: list[tuple[int, int, date]] = []
        for i in range(0, len(ids), CHUNK):
            rows += session.execute(
                select(SellerDistrict.seller_id, SellerDistrict.district_id, SellerDistrict.valid_from).where(
                    SellerDistrict.seller_id.in_(ids[i : i + CHUNK])
                )
            ).all()
        for seller_id, district_id, valid_from in sorted(rows, key=lambda r: (r[0], r[2])):
            days, districts = self._by_seller.setdefault(seller_id, ([], []))
            days.append(valid_from)
            districts.append(district_id)

    def district_on(self, seller_id: int, day: date) -> int | None:
        days, districts = self._by_seller.get(seller_id, ([], []))
        at = bisect_right(days, day)
        return districts[at - 1] if at else None


def _month_end(month: str) -> date:
    return date.fromisoformat(month_end_iso(month))


def _read(item: Achievement, name: str, kpi_name: str) -> dict:
    """An achievement as AchievementRead has it."""
    return {
        "id": item.id,
        "level": item.level,
        "code": item.code,
        "name": name,
        "seller_code": item.code if item.level == "seller" else None,
        "kpi": item.kpi_code,
        "kpi_name": kpi_name,
        "period": item.period,
        "threshold": item.threshold,
        "goal": float(item.goal),
        "actual": float(item.actual),
        "reached_at": item.reached_on,
        "recorded_at": item.recorded_at,
        "revised": item.revised_at is not None,
        "revised_at": item.revised_at,
    }


# The check beyond SQL: for each (achievement, seller id or None, district id or None), kept or not
Keep = Callable[[Sequence[tuple[Achievement, int | None, int | None]]], list[bool]]


def _listed(
    session: Session,
    *,
    where: list,
    keep: Keep | None,
    since: datetime | None,
    limit: int,
) -> list[dict]:
    """The achievements of `where` (SQL conditions) that `keep` keeps, newest first, at most `limit`:
    read a page at a time, so a filter that drops most rows still fills the answer."""
    seller = and_(Achievement.level == "seller", Seller.code == Achievement.code)
    district = and_(Achievement.level == "district", District.code == Achievement.code)
    stmt = (
        select(Achievement, Seller.id, Seller.name, District.id, District.name, KpiDefinition.name)
        .outerjoin(Seller, seller)
        .outerjoin(District, district)
        .outerjoin(KpiDefinition, KpiDefinition.code == Achievement.kpi_code)
        .where(*where, *([Achievement.recorded_at >= since] if since is not None else []))
        .order_by(Achievement.recorded_at.desc(), Achievement.reached_on.desc(), Achievement.id.desc())
    )
    out: list[dict] = []
    offset = 0
    while len(out) < limit:
        page = session.execute(stmt.offset(offset).limit(PAGE)).all()
        offset += len(page)
        rows = [(item, seller_id, district_id) for item, seller_id, _, district_id, _, _ in page]
        kept = keep(rows) if keep is not None else [True] * len(rows)
        for (item, _, seller_name, _, district_name, kpi_name), ok in zip(page, kept, strict=True):
            if ok:
                out.append(_read(item, seller_name or district_name or item.code, kpi_name or item.kpi_code))
                if len(out) == limit:
                    break
        if len(page) < PAGE:
            break
    return out


def _subtree(session: Session, level: str, unit_id: int | None):  # noqa: ANN202
    """(SQL conditions, the district ids a seller must have been in on the period's last day, or None
    for any) of the subtree of a unit."""
    if level == "company":
        return [], None
    if level == "seller":
        return [Achievement.level == "seller", Seller.id == unit_id], None
    if level == "region":
        district_ids = set(session.scalars(select(District.id).where(District.region_id == unit_id)))
    else:
        district_ids = {unit_id} if unit_id is not None else set()
    codes = list(session.scalars(select(District.code).where(District.id.in_(sorted(district_ids)))))
    members = select(SellerDistrict.seller_id).where(SellerDistrict.district_id.in_(sorted(district_ids)))
    return [
        (Achievement.level == "district") & Achievement.code.in_(codes)
        | (Achievement.level == "seller") & Seller.id.in_(members.scalar_subquery())
    ], district_ids


def _keeper(session: Session, *, scope: Scope | None, inside: set[int] | None) -> Keep | None:
    """The per-row check: a seller's achievement seen by `scope` in its period, and (with `inside`) the
    seller in one of those districts on the period's last day; a district's seen by `scope`."""
    if (scope is None or scope.everything) and inside is None:
        return None
    start = load_registry(session).fiscal_start_month

    def keep(rows: Sequence[tuple[Achievement, int | None, int | None]]) -> list[bool]:
        sellers = {sid for item, sid, _ in rows if item.level == "seller" and sid is not None}
        history = _Assignments(session, sellers) if inside is not None and sellers else None
        out = []
        for item, seller_id, district_id in rows:
            if item.level == "district":
                out.append(district_id is not None and (scope is None or scope.sees_district(district_id)))
                continue
            if seller_id is None:
                out.append(False)
                continue
            month = _period_month(item.period, start)
            ok = scope is None or scope.sees_seller(seller_id, month)
            if ok and inside is not None and history is not None:
                ok = history.district_on(seller_id, _month_end(month)) in inside
            out.append(ok)
        return out

    return keep


def _unit_id(session: Session, level: str, code: str) -> int | None:
    models: dict[str, type[Region] | type[District] | type[Seller]] = {
        "region": Region,
        "district": District,
        "seller": Seller,
    }
    model = models[level]
    return session.scalar(select(model.id).where(model.code == code))


def list_for(
    session: Session, *, scope: Scope, since: datetime | date | None, level: str | None, code: str | None, limit: int
) -> dict:
    """AchievementsRead: the achievements of the units the caller may see (with `level` and `code`, of
    that unit's subtree), newest first. 422 for a level without a code (or a code without a level) or an
    unknown level; 404 for a unit that does not exist or is not the caller's to see, alike."""
    if (level is None) != (code is None):
        missing = "code" if code is None else "level"
        raise invalid(missing, None, "level and code go together: give both, or neither")
    where: list = []
    inside: set[int] | None = None
    if level is not None and code is not None:
        if level not in LEVELS:
            raise invalid("level", level, f"level must be one of {', '.join(LEVELS)}")
        if level == "company":
            unit_id = None
            visible = code == COMPANY_CODE and scope.sees_company()
        else:
            unit_id = _unit_id(session, level, code)
            visible = unit_id is not None and {
                "region": scope.sees_region,
                "district": scope.sees_district,
                "seller": scope.sees_seller,
            }[level](unit_id)
        if not visible:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such unit, or not yours to see")
        where, inside = _subtree(session, level, unit_id)
    if not scope.everything:
        districts = sorted(scope.district_ids)
        sellers = sorted(scope.seller_ids)
        where.append(
            (Achievement.level == "district") & District.id.in_(districts)
            | (Achievement.level == "seller") & Seller.id.in_(sellers)
        )
    items = _listed(
        session, where=where, keep=_keeper(session, scope=scope, inside=inside), since=_moment(since), limit=limit
    )
    return {"items": items}


def for_wall(session: Session, *, level: str, code: str, limit: int = 12) -> list[dict]:
    """The latest achievements of a unit's subtree (level company, region or district; code '-' for the
    company), newest first, shaped as AchievementRead; none for a unit that does not exist."""
    if level == "company":
        unit_id = None
    elif level in ("region", "district"):
        unit_id = _unit_id(session, level, code)
        if unit_id is None:
            return []
    else:
        return []
    where, inside = _subtree(session, level, unit_id)
    return _listed(session, where=where, keep=_keeper(session, scope=None, inside=inside), since=None, limit=limit)


# --- recording ----------------------------------------------------------------------------------


def _vanished(known: pd.DataFrame, found: pd.DataFrame) -> list[int]:
    """The ids of recorded, unrevised achievements whose goal is gone (a target or stretch removed or
    set to 0, the unit's figures gone) among what was evaluated: revenue's every period, a celebrated
    KPI's periods evaluated now. Gone is below it: they are revised, as a correction below would be."""
    if known.empty:
        return []
    keys = ["level", "code", "kpi", "period", "threshold"]
    text = dict.fromkeys(keys, object)
    current = found[keys].astype(text).drop_duplicates().assign(_current=True)
    gone = known.astype(text).merge(current, on=keys, how="left")
    gone = gone[gone["_current"].isna().to_numpy() & ~gone["_revised"].astype(bool).to_numpy()]
    evaluated = found[["kpi", "period"]].astype(object).drop_duplicates().assign(_evaluated=True)
    looked_at = gone[["kpi", "period"]].merge(evaluated, on=["kpi", "period"], how="left")["_evaluated"]
    mask = (gone["kpi"] == REVENUE).to_numpy() | looked_at.notna().to_numpy()
    return gone.loc[mask, "_id"].astype("int64").tolist()


def record(session: Session) -> int:
    """Record the goals reached by now that were not recorded before; returns how many.

    Also marks as revised (`revised_at`) a recorded goal whose figure is now below it, and clears the
    mark of one reached again. Flushes only: it runs in the import's transaction."""
    now = datetime.now(UTC)
    found = goals(figures.achievement_figures(session))
    keys = ["level", "code", "kpi", "period", "threshold"]
    known = read_frame(
        session,
        select(
            Achievement.id,
            Achievement.level,
            Achievement.code,
            Achievement.kpi_code,
            Achievement.period,
            Achievement.threshold,
            Achievement.revised_at.is_not(None),
        ),
        ["_id", *keys, "_revised"],
    )
    text = dict.fromkeys(keys, object)
    found = found.astype(text).merge(known.astype(text), on=keys, how="left")
    met = found["met"].to_numpy(dtype=bool)
    recorded = found["_id"].notna().to_numpy()
    revised = found["_revised"].fillna(False).astype(bool).to_numpy()
    is_new = met & ~recorded
    revise = found.loc[~met & recorded & ~revised, "_id"].astype("int64").tolist()
    revise += _vanished(known, found)
    restore = found.loc[met & recorded & revised, "_id"].astype("int64").tolist()
    for ids, value in ((revise, now), (restore, None)):
        for i in range(0, len(ids), CHUNK):
            session.execute(
                update(Achievement).where(Achievement.id.in_(ids[i : i + CHUNK])).values(revised_at=value),
                execution_options={"synchronize_session": False},
            )
    new = found[is_new]
    if new.empty:
        session.flush()
        return 0
    days = _reached_on(session, new)
    rows = [
        {
            "level": level,
            "code": code,
            "kpi_code": kpi,
            "period": period,
            "threshold": threshold,
            "goal": _decimal(goal),
            "actual": _decimal(actual),
            "reached_on": day,
            "recorded_at": now,
            "revised_at": None,
        }
        for level, code, kpi, period, threshold, goal, actual, day in zip(
            new["level"],
            new["code"],
            new["kpi"],
            new["period"],
            new["threshold"],
            new["goal"],
            new["actual"],
            days,
            strict=True,
        )
    ]
    for i in range(0, len(rows), 5000):
        session.execute(insert(cast(Table, Achievement.__table__)), rows[i : i + 5000])
    session.flush()
    return len(rows)


def _reached_on(session: Session, new: pd.DataFrame) -> list[date]:
    """The day each new goal was reached: for revenue, the day the running total first passed it (the
    daily sales of only the units that reached something new); for another KPI, the data's last day in
    the period."""
    days = new["data_day"].copy()
    revenue = new[new["kpi"] == REVENUE]
    if not revenue.empty:
        daily = figures.daily_revenue(session, revenue[["level", "code", "first_day", "last_day"]])
        first = first_reached(revenue, daily)
        days.loc[revenue.index] = first.where(first.notna(), revenue["data_day"])
    return list(days)


def _decimal(value: float) -> Decimal:
    """A figure as the Numeric(18, 4) column keeps it."""
    return Decimal(repr(float(value))).quantize(Decimal("0.0001"))
