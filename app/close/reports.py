"""A subscription's report for one period, as the file that goes out by e-mail.

Made with the owner's access scope (`app.access.scope_for`) through the code the API's exports run,
never a second computation, so the attachment holds what the owner would download themselves:
- variance: `app.reporting.budget.variance_report` (the frame of GET /budget/variance) written by the
  same `app.exports` writers the budget exports use, named as they name their files; the range is
  the period's month (`month`) or its fiscal year through it (`ytd`);
- scorecard: `app.scorecards.exports.table_export`, the file of GET /scorecards/{level}/{code}/export;
- meeting pack: `app.steering.pack`, the file of GET /meetings/pack.

What the owner may no longer have (their login switched off, a role that reads no reports, a unit
they no longer see for the period) is a `ReportUnavailable` saying so, not an empty file.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.access import scope_for
from app.analytics.periods import range_months
from app.budget.service import MEDIA
from app.exports import write_csv, write_parquet, write_xlsx
from app.exports.xlsx_writer import SheetFull
from app.models import Subscription, User
from app.reporting import budget as budget_reports
from app.reporting.registry import load_registry
from app.scorecards import exports as scorecard_exports
from app.scorecards import service as scorecards
from app.steering import pack

CONTENT_TYPES = {**MEDIA, "pdf": "application/pdf"}
SUBSCRIBERS = ("finance", "leader", "admin")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    summary: str = ""


class ReportUnavailable(Exception):
    """The report cannot be made for its owner now; the message says why."""


def params_of(subscription: Subscription) -> dict[str, Any]:
    return json.loads(subscription.params)


def title(subscription: Subscription, period: str) -> str:
    """What the report is, for a subject line: 'Variance 2026-06 (month, by district, product)'."""
    p = params_of(subscription)
    if subscription.report == "variance":
        return f"Variance {period} ({p['range']}, by {p['by'].replace(',', ', ')})"
    unit = "company" if p["level"] == "company" else f"{p['level']} {p['code']}"
    if subscription.report == "scorecard":
        return f"Scorecard {unit} {period} ({p['range']}, {p['table']})"
    return f"Meeting pack {unit} {period} ({p['range']})"


def render(session: Session, subscription: Subscription, owner: User, period: str) -> Attachment:
    """The subscription's report for the range ending at `period` ('YYYY-MM'), as `owner` sees it."""
    if not owner.is_active:
        raise ReportUnavailable(f"the owner's login {owner.email} is switched off")
    if owner.role not in SUBSCRIBERS:
        raise ReportUnavailable(f"the owner {owner.email} is a {owner.role} now, and {owner.role}s have no reports")
    p = params_of(subscription)
    fmt = subscription.format
    if subscription.report == "variance":
        return _variance(session, owner, period, p, fmt)
    if subscription.report == "scorecard":
        return _scorecard(session, owner, period, p, fmt)
    return _meeting_pack(session, owner, period, p, fmt)


def _csv_options(p: dict[str, Any]) -> dict[str, Any]:
    """How a CSV is written, as stored with the subscription (the exports' defaults where it has none)."""
    delimiter = p.get("delimiter", ",")
    return {
        "delimiter": delimiter,
        "decimal": p.get("decimal", "," if delimiter == ";" else "."),
        "bom": p.get("bom", False),
    }


def _money(value: Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _variance(session: Session, owner: User, period: str, p: dict[str, Any], fmt: str) -> Attachment:
    months = range_months(period, p["range"], load_registry(session).fiscal_start_month)
    from_, to, by = months[0], months[-1], p["by"].split(",")
    report = budget_reports.variance_report(session, scope=scope_for(session, owner), from_=from_, to=to, by=by)
    if fmt == "csv":
        data = write_csv(report.rows, **_csv_options(p))
    elif fmt == "xlsx":
        try:
            data = write_xlsx(report.rows, totals=report.totals, sheet_name="Variance") or b""
        except SheetFull as exc:
            raise ReportUnavailable(f"{exc}; subscribe to it as csv or parquet") from None
    else:
        data = write_parquet(report.rows) or b""
    t = report.totals
    pct = t.get("variance_pct")
    summary = (
        f"{len(report.rows)} rows from {from_} through {to}. Budget {_money(t.get('budget_amount'))}, "
        f"actual {_money(t.get('actual_amount'))}, variance {_money(t.get('variance_amount'))}"
        + ("" if pct is None else f" ({pct * 100:+.1f} %)")
        + "."
    )
    name = f"variance_{from_}_{to}_{'-'.join(by)}.{fmt}"  # as GET /budget/variance names its export
    return Attachment(name, CONTENT_TYPES[fmt], data, summary)


def _not_seen(p: dict[str, Any], owner: User, period: str) -> ReportUnavailable:
    unit = "the company" if p["level"] == "company" else f"{p['level']} {p['code']}"
    return ReportUnavailable(f"{unit} is not {owner.email}'s to see for {period} (or no longer exists)")


def _score(card: dict[str, Any]) -> str:
    score = card.get("overall_score")
    return "no overall score" if score is None else f"overall score {score:.2f}"


def _scorecard(session: Session, owner: User, period: str, p: dict[str, Any], fmt: str) -> Attachment:
    scope = scope_for(session, owner)
    found = scorecard_exports.table_export(
        session,
        scope=scope,
        level=p["level"],
        code=p["code"],
        period=period,
        range_=p["range"],
        table=p["table"],
        fmt=fmt,
        lang=p["lang"],
        **_csv_options(p),
    )
    card = scorecards.scorecard(
        session, scope=scope, level=p["level"], code=p["code"], period=period, range_=p["range"]
    )
    if found is None or card is None:
        raise _not_seen(p, owner, period)
    red = [k["code"] for persp in card["perspectives"] for k in persp["kpis"] if k["status"] == "red"]
    summary = f"{card['name']} ({card['code']}), {period} {p['range']}: {_score(card)}; " + (
        f"behind on {', '.join(red)}." if red else "no KPI behind."
    )
    name = scorecard_exports.file_name(
        table=p["table"], level=p["level"], code=card["code"], period=period, range_=p["range"], fmt=fmt
    )
    return Attachment(name, CONTENT_TYPES[fmt], bytes(found.body), summary)


def _meeting_pack(session: Session, owner: User, period: str, p: dict[str, Any], fmt: str) -> Attachment:
    found = pack.meeting_pack(
        session,
        scope=scope_for(session, owner),
        user=owner,
        level=p["level"],
        code=p["code"],
        period=period,
        range_=p["range"],
    )
    if found is None:
        raise _not_seen(p, owner, period)
    data = pack.render(found, format_=fmt, lang=p["lang"])
    summary = (
        f"{found['name']} ({found['code']}), {period} {p['range']}: {_score(found['scorecard'])}; "
        f"{len(found['attention'])} items need attention, {len(found['actions'])} open actions."
    )
    # as GET /meetings/pack names its file
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"meeting-pack-{p['level']}-{found['code']}-{period}") + f".{fmt}"
    return Attachment(name, CONTENT_TYPES[fmt], data, summary)
