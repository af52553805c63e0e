"""Needs attention: every red KPI of every district and seller below the caller (service of GET /attention).

The organization's red KPIs, their cost, months red and area come from app.reporting.attention (cached
under the data version); here they are cut to what the caller may see (app.access) and, with `level`
and `code`, to that unit's subtree, and given what the steering tables say of each: its open coaching
actions, its comments for the period and whether one is still required.
"""

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics.attention import RULES
from app.models import AppSetting, CoachingAction, Comment, User
from app.params import invalid
from app.reporting.attention import COLUMNS, LEVELS, red_items
from app.reporting.dates import open_period
from app.reporting.units import Trees, resolve_unit, subtree
from app.steering.schemas import AttentionItem

REQUIRE_COMMENT = "require_comment_on_red"  # the app_settings row: "true" requires a comment on a red KPI
# The red items' columns the answer shows (the others are the facts the rules read, and the unit's id)
ITEM_FIELDS = [c for c in COLUMNS if c in AttentionItem.model_fields]


def rules() -> list[dict]:
    """The rule table the areas are picked by, in its order (AttentionRule)."""
    return [
        {"order": i, "rule": r.rule, "area": r.area, "text": r.text, "text_nb": r.text_nb}
        for i, r in enumerate(RULES, start=1)
    ]


def _comment_required(session: Session) -> bool:
    setting = session.get(AppSetting, REQUIRE_COMMENT)
    return setting is not None and setting.value.strip().lower() == "true"


def _sees(scope: Scope, period: str) -> Callable[[str, int], bool]:
    """Whether the caller may see a district's or a seller's figures for `period`."""

    def sees(level: str, unit_id: int) -> bool:
        if level == "district":
            return scope.sees_district(unit_id)
        return scope.sees_seller(unit_id, period)

    return sees


def _visible(
    session: Session, scope: Scope, period: str, range_: str, level: str | None, code: str | None
) -> pd.DataFrame | None:
    """The organization's red items the caller may see (below the unit asked for, with `level`);
    None when that unit is not the caller's to see."""
    frame = red_items(session, period=period, range_=range_)
    if level is not None and code is not None:
        unit = resolve_unit(session, scope=scope, level=level, code=code, period=period)
        if unit is None:
            return None
        tree, _ = Trees(session).at_end_of(period)
        below = {key for key in subtree(tree, [unit.key]) if key[0] in LEVELS}
        frame = frame[np.array([key in below for key in zip(frame["level"], frame["code"], strict=True)], dtype=bool)]
    if not scope.everything:
        sees = _sees(scope, period)
        seen = [sees(lv, int(uid)) for lv, uid in zip(frame["level"], frame["unit_id"], strict=True)]
        frame = frame[np.array(seen, dtype=bool)]
    return frame


def _none_for_nan(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def items_for(
    session: Session, *, scope: Scope, period: str, range_: str, level: str | None = None, code: str | None = None
) -> list[dict] | None:
    """The AttentionItems the caller may see, most costly first; None when the unit asked for is not
    the caller's to see."""
    frame = _visible(session, scope, period, range_, level, code)
    if frame is None:
        return None
    if frame.empty:
        return []
    keys = {(lv, c) for lv, c in zip(frame["level"], frame["code"], strict=True)}
    comments: dict[tuple[str, str, str], list[dict]] = {}
    for row in session.scalars(
        select(Comment)
        .where(Comment.period == period, Comment.level.in_(LEVELS))
        .order_by(Comment.created_at, Comment.id)
    ):
        if (row.level, row.unit_code) in keys:
            comments.setdefault((row.level, row.unit_code, row.kpi_code), []).append(
                {
                    "id": row.id,
                    "level": row.level,
                    "code": row.unit_code,
                    "period": row.period,
                    "kpi": row.kpi_code,
                    "text": row.text,
                    "author": row.author,
                    "created_at": row.created_at,
                }
            )
    actions = {
        (lv, c, kpi): int(n)
        for lv, c, kpi, n in session.execute(
            select(CoachingAction.level, CoachingAction.unit_code, CoachingAction.kpi_code, func.count())
            .where(CoachingAction.status == "open", CoachingAction.level.in_(LEVELS))
            .group_by(CoachingAction.level, CoachingAction.unit_code, CoachingAction.kpi_code)
        )
    }
    opened = open_period(session)
    required = _comment_required(session) and opened is not None and period < opened
    out = []
    for row in frame[ITEM_FIELDS].to_dict("records"):
        item = {k: _none_for_nan(v) for k, v in row.items()}
        item["months_red"] = int(item["months_red"])
        item["cost"] = float(item["cost"])
        key = (item["level"], item["code"], item["kpi"])
        item["open_actions"] = actions.get(key, 0)
        item["comments"] = comments.get(key, [])
        item["needs_comment"] = required and not item["comments"]
        out.append(item)
    return out


def attention(
    session: Session, *, scope: Scope, user: User, period: str, range_: str, level: str | None, code: str | None
) -> dict | None:
    """The AttentionRead answer; None when the unit asked for is not the caller's to see."""
    if (level is None) != (code is None):
        missing = "code" if code is None else "level"
        raise invalid(missing, None, "level and code go together: give both, or neither")
    items = items_for(session, scope=scope, period=period, range_=range_, level=level, code=code)
    if items is None:
        return None
    if user.role == "finance":  # coaching is personal: finance learns nothing of it, not even a count
        for item in items:
            item["open_actions"] = 0
    opened = open_period(session)
    return {
        "level": level,
        "code": code,
        "period": period,
        "range": range_,
        "closed": opened is not None and period < opened,
        "items": items,
        "rules": rules(),
    }
