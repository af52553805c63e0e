"""The wall a display token reads (GET /wall): its unit's ranking, the month against target for the unit
and each seller below it, and the latest achievements, for the open period (the month the pages open on).

Every figure is one the scorecard pages show, read through their services (app.scorecards.service:
the team page's ranking of the units below, over the month; each unit's revenue for the month), so the
wall and the pages cannot disagree. The answer, but for the display's own fields, is cached under the
data version (app.reporting.cache) per unit, period and name setting: many TVs polling every
WALL_REFRESH_SECONDS cost one cache lookup each. Imports count the version up, and so does a changed
setting; achievements are recorded by imports.

Names: the company setting `wall_show_names` (GET/PATCH /settings/scorecard, false by default) decides
whether sellers are shown by name or by position only. Without names, no seller's name or code is in
the answer: a seller is their position in the list they are shown in (the ranking by overall score,
the month by revenue attainment), and a seller's achievement carries the seller's position in the
month's list. Districts and regions are shown by name either way.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from app.access import EVERYTHING
from app.config import get_settings
from app.exports.pack_tables import score_status
from app.floor import achievements
from app.models import AppSetting, Display
from app.reporting import cache as figure_cache
from app.reporting.dates import open_period
from app.reporting.units import Trees, Unit, resolve_unit, subtree
from app.scorecards import service as scorecards
from app.steering.pack import ranked

SHOW_NAMES = "wall_show_names"  # the app_settings row: "true" shows sellers' names on the wall
KPI = "revenue"  # the month against target is the month's revenue
RANGE = "month"
ACHIEVEMENTS = 12  # the latest, newest first
# A KPI's figures the wall shows (stretch and stretch_attainment where the scorecard has them).
FIGURES = ("actual", "target", "attainment", "status", "stretch", "stretch_attainment")


def show_names(session: Session) -> bool:
    """The company setting: sellers by name on the wall (True) or by position only (False, the default).
    Cached under the data version, which a changed setting counts up."""
    return figure_cache.get_or_compute(session, (SHOW_NAMES,), lambda: _show_names(session))


def _show_names(session: Session) -> bool:
    row = session.get(AppSetting, SHOW_NAMES)
    return row is not None and row.value == "true"


def read(session: Session, *, display: Display) -> dict:
    """The wall of `display`'s unit (the dependency checked the token and that its unit exists)."""
    unit = resolve_unit(session, scope=EVERYTHING, level=display.level, code=display.code)
    if unit is None:  # gone since the dependency looked: as good as revoked
        unit = Unit(display.level, None, display.code, display.code)
    names = show_names(session)
    period = open_period(session)
    figures = figure_cache.get_or_compute(
        session, ("wall", unit.key, period, names), lambda: _figures(session, unit, period, names)
    )
    return {
        "display": {"id": display.id, "name": display.name},
        "unit": {"level": unit.level, "code": unit.code, "name": unit.name},
        "period": period,
        "show_names": names,
        "refresh_seconds": get_settings().wall_refresh_seconds,
        **figures,
    }


def _kpi(found: Mapping[str, Any] | None) -> dict[str, Any]:
    """A KPI's figures as the wall shows them; all None (status none) without any."""
    found = found or {}
    return {key: found.get(key, "none" if key == "status" else None) for key in FIGURES}


def _card_kpi(card: Mapping[str, Any] | None, code: str) -> Mapping[str, Any] | None:
    for perspective in (card or {}).get("perspectives", []):
        for kpi in perspective["kpis"]:
            if kpi["code"] == code:
                return kpi
    return None


def _children(session: Session, unit: Unit, period: str) -> list[dict[str, Any]]:
    found = scorecards.children(
        session, scope=EVERYTHING, level=unit.level, code=unit.code, period=period, range_=RANGE
    )
    return found["children"] if found is not None else []


def _who(row: Mapping[str, Any], position: int, names: bool) -> dict[str, Any]:
    """A unit of a list as the wall names it: its position, and its level, code and name unless it is a
    seller and names are not shown."""
    out: dict[str, Any] = {"position": position, "level": row["level"]}
    if names or row["level"] != "seller":
        out |= {"code": row["code"], "name": row["name"]}
    return out


def _month_key(row: Mapping[str, Any]) -> tuple[bool, float, float, str]:
    """The month's order: best revenue attainment first, those without one last; then the larger
    revenue, then the code."""
    kpi = row["revenue"]
    att, actual = kpi["attainment"], kpi["actual"]
    return (att is None, -(att or 0.0), -(actual or 0.0), row["code"])


def _figures(session: Session, unit: Unit, period: str | None, names: bool) -> dict[str, Any]:
    """The wall's figures of `unit` for `period` (None: no sales loaded yet, an empty wall)."""
    if period is None:
        return {"ranking": [], "month": {"unit": _kpi(None), "sellers": []}, "achievements": []}
    ranking = [
        _who(row, i, names)
        | {
            "overall_score": row["overall_score"],
            "status": score_status(row["overall_score"]),
            KPI: _kpi(row["kpis"].get(KPI)),
        }
        for i, row in enumerate(ranked(_children(session, unit, period)), start=1)
    ]
    card = scorecards.scorecard(
        session, scope=EVERYTHING, level=unit.level, code=unit.code, period=period, range_=RANGE
    )
    sellers = sorted(_sellers_below(session, unit, period), key=_month_key)
    positions = {row["code"]: i for i, row in enumerate(sellers, start=1)}
    return {
        "ranking": ranking,
        "month": {
            "unit": _kpi(_card_kpi(card, KPI)),
            "sellers": [_who(row, i, names) | {KPI: row[KPI]} for i, row in enumerate(sellers, start=1)],
        },
        "achievements": [_achievement(a, positions, names) for a in _latest(session, unit)],
    }


def _sellers_below(session: Session, unit: Unit, period: str) -> list[dict[str, Any]]:
    """Each seller in `unit` on the period's last day, with the month's revenue: the rows of each
    district's overview (the team page's figures), for a region or the company district by district."""
    if unit.level == "district":
        districts = [unit]
    else:
        tree, units_by_key = Trees(session).at_end_of(period)
        districts = [units_by_key[key] for key in subtree(tree, [unit.key]) if key[0] == "district"]
    return [
        {"level": "seller", "code": row["code"], "name": row["name"], KPI: _kpi(row["kpis"].get(KPI))}
        for district in sorted(districts, key=lambda d: d.code)
        for row in _children(session, district, period)
        if row["level"] == "seller"
    ]


def _latest(session: Session, unit: Unit) -> list[dict[str, Any]]:
    """The unit's latest achievements, newest first (app.floor.achievements, shaped as AchievementRead)."""
    return achievements.for_wall(session, level=unit.level, code=unit.code, limit=ACHIEVEMENTS)


def _achievement(item: Mapping[str, Any], positions: Mapping[str, int], names: bool) -> dict[str, Any]:
    """An achievement as the wall celebrates it: who (a seller without names: their position in the
    month's list, None when not in it), the goal, the figures."""
    is_seller = item["level"] == "seller"
    out: dict[str, Any] = {
        "id": item["id"],
        "level": item["level"],
        "position": positions.get(item["code"]) if is_seller else None,
        **{key: item.get(key) for key in ("kpi", "kpi_name", "period", "threshold", "goal", "actual")},
        "reached_at": item.get("reached_at"),
        "recorded_at": item.get("recorded_at"),
        "revised": bool(item.get("revised")),
    }
    if names or not is_seller:
        out |= {"code": item["code"], "name": item.get("name")}
    return out
