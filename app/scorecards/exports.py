"""The scorecard pages' tables as files (service of GET /scorecards/{level}/{code}/export): the unit's KPIs,
the ranking of the units below it and the heatmap's figures, as CSV or XLSX, in English or bokmål.

Each table is made of the answers the pages show (`app.scorecards.service.scorecard` and `children`, under
the caller's scope and cached as those are), so a file holds what the page shows and nothing else, and a
unit the caller may not see is None here (404) as it is there. The rows are written by `app.exports`.
"""

import re

from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.access import Scope
from app.budget.service import MEDIA
from app.exports.pack_tables import label
from app.exports.pack_xlsx import write_table_xlsx
from app.exports.scorecard_tables import build, write_table_csv
from app.reporting.outlook import BadOutlook
from app.scorecards import outlook, service
from app.steering.pack import ranked

# The sheet of each table, the same in every language (what a script reading the workbook looks for).
SHEETS = {"kpis": "KPIs", "ranking": "Ranking", "heatmap": "Heatmap", "outlook": "Outlook"}
# The title of each table's workbook, by the meeting pack's labels.
TITLES = {"kpis": "scorecard", "ranking": "ranking", "heatmap": "chart", "outlook": "year_target"}


def file_name(*, table: str, level: str, code: str, period: str, range_: str, fmt: str) -> str:
    """`scorecard-ranking-region-VEST-2026-10-ytd.csv`: which table of which unit, period and range. A
    header is Latin-1 and a unit's code any text: the name keeps letters, digits, `.`, `_` and `-`."""
    unit = level if level == "company" else f"{level}-{code}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"scorecard-{table}-{unit}-{period}-{range_}") + f".{fmt}"


def _chances(session: Session, scope: Scope, level: str, code: str, period: str) -> dict[str, float | None]:
    """Each child's chance of reaching the year's revenue target as of `period`, as the team page shows
    it beside the ranking (none where there is no outlook: a month without sales)."""
    try:
        found = outlook.children_outlook_answer(session, scope=scope, level=level, code=code, year=None, as_of=period)
    except BadOutlook:
        return {}
    return {c["code"]: c["kpis"]["revenue"]["probability"] for c in (found or {"children": []})["children"]}


def table_export(
    session: Session,
    *,
    scope: Scope,
    level: str,
    code: str,
    period: str,
    range_: str,
    table: str,
    fmt: str,
    lang: str,
    delimiter: str,
    decimal: str,
    bom: bool,
) -> Response | None:
    """The table `table` (`kpis`, `ranking`, `heatmap`, `outlook`) of the unit for the range ending at
    `period` (the outlook: of its fiscal year as of `period`), as a `fmt` file (`csv`, `xlsx`); None when
    there is no such unit or it is not the caller's to see; BadOutlook for an outlook that cannot be made."""
    if table == "outlook":
        card = outlook.outlook_answer(session, scope=scope, level=level, code=code, year=None, as_of=period, lang=lang)
    else:
        card = service.scorecard(session, scope=scope, level=level, code=code, period=period, range_=range_)
    if card is None:
        return None
    ranking = []
    if table in ("ranking", "heatmap"):
        below = service.children(session, scope=scope, level=level, code=code, period=period, range_=range_)
        ranking = ranked(below["children"]) if below is not None else []
    rows = build(
        table, card, ranking, lang, _chances(session, scope, level, code, period) if table == "ranking" else None
    )
    if fmt == "csv":
        body = write_table_csv(rows, lang=lang, delimiter=delimiter, decimal=decimal, bom=bom)
    else:
        title = f"{label(TITLES[table], lang)}: {card['name']} ({card['code']}), {period}"
        body = write_table_xlsx(rows, sheet=SHEETS[table], title=title, lang=lang)
    name = file_name(table=table, level=level, code=card["code"], period=period, range_=range_, fmt=fmt)
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
