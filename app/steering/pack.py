"""The sales meeting's pack for a unit, as JSON, PDF and XLSX (service of GET /meetings/pack).

The pack is put together from the answers the other routes give, under the caller's scope, so it
shows what the caller would see there and nothing else: the unit's scorecard (GET /scorecards), the
units below it ranked (GET /scorecards/…/children), the attention items below it with their comments
(GET /attention) and the open coaching actions on it and below it (GET /actions; none for finance,
who reads no coaching). The PDF and the XLSX are written from that one dict by app.exports, so the
three formats cannot disagree.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.access import Scope
from app.exports.pack_pdf import write_pack_pdf
from app.exports.pack_xlsx import write_pack_xlsx
from app.models import User
from app.scorecards import service as scorecards
from app.steering import actions, attention


def _rank_key(child: dict[str, Any]) -> tuple[bool, float, str]:
    """Best overall score first, units without one last, then by code (as the team page ranks them)."""
    score = child.get("overall_score")
    return (score is None, -(score or 0.0), child["code"])


def ranked(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(children, key=_rank_key)


def meeting_pack(
    session: Session, *, scope: Scope, user: User, level: str, code: str, period: str, range_: str
) -> dict | None:
    """The MeetingPackRead answer for the unit, for the range ending at `period`; None when there is no
    such unit or it is not the caller's to see."""
    card = scorecards.scorecard(session, scope=scope, level=level, code=code, period=period, range_=range_)
    if card is None:
        return None
    below = scorecards.children(session, scope=scope, level=level, code=code, period=period, range_=range_)
    items = attention.attention(session, scope=scope, user=user, period=period, range_=range_, level=level, code=code)
    open_actions = actions.list_for(
        session, scope=scope, user=user, level=level, code=code, status="open", period=period
    )
    return {
        "level": card["level"],
        "code": card["code"],
        "name": card["name"],
        "period": card["period"],
        "range": card["range"],
        "scorecard": card,
        "ranking": ranked(below["children"]) if below is not None else [],
        "attention": items["items"] if items is not None else [],
        "actions": open_actions["items"] if open_actions is not None else [],
        "generated_at": datetime.now(UTC),
    }


def render(pack: dict, *, format_: str, lang: str) -> bytes:
    """The pack as a PDF or an XLSX file, labelled in `lang`."""
    if format_ == "pdf":
        return write_pack_pdf(pack, lang=lang)
    if format_ == "xlsx":
        return write_pack_xlsx(pack, lang=lang)
    raise ValueError(f"no meeting pack as {format_!r}: pdf or xlsx")
