"""Report subscriptions: made by finance, leaders and administrators (the router refuses sellers and
API tokens), each read and changed by its owner (an administrator: every one).

A subscription's parameters are checked here, per report, and stored with their defaults filled in:

| report | parameters (default) | formats |
| --- | --- | --- |
| variance | range: month or ytd (month); by: group keys ("district,product") | csv, xlsx, parquet |
| scorecard | level, code; range: month, quarter, ytd, r12 (ytd); table: kpis, ranking (kpis); lang (en) | csv, xlsx |
| meeting_pack | level, code; range (ytd); lang: en, nb (en) | pdf, xlsx |

A CSV also takes delimiter (`,` or `;`), decimal (by default `,` with `;`, else `.`) and bom, as the
exports do. An unknown parameter, a bad value or a format the report lacks is a 422 naming the
field; a unit the owner may not see is a 404, as on the reads. A leader's variance is made of
their districts when it is sent (the budget access rules): there is no unit to check.
"""

import json
from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import scope_for
from app.analytics.periods import RANGES
from app.audit.service import record as record_audit
from app.close.schemas import SubscriptionCreate, SubscriptionUpdate
from app.models import ReportSend, Subscription, User
from app.params import invalid_at
from app.reporting.budget import check_by
from app.reporting.units import resolve_unit

FORMATS: dict[str, tuple[str, ...]] = {
    "variance": ("csv", "xlsx", "parquet"),
    "scorecard": ("csv", "xlsx"),
    "meeting_pack": ("pdf", "xlsx"),
}
LEVELS = ("seller", "district", "region", "company", "account")
LANGS = ("en", "nb")
# Each report's parameters: the values a choice takes (None: free text, checked on its own), and its
# default (None: required).
PARAMS: dict[str, dict[str, tuple[tuple[str, ...] | None, str | None]]] = {
    "variance": {"range": (("month", "ytd"), "month"), "by": (None, "district,product")},
    "scorecard": {
        "level": (LEVELS, None),
        "code": (None, None),
        "range": (RANGES, "ytd"),
        "table": (("kpis", "ranking"), "kpis"),
        "lang": (LANGS, "en"),
    },
    "meeting_pack": {"level": (LEVELS, None), "code": (None, None), "range": (RANGES, "ytd"), "lang": (LANGS, "en")},
}
CSV_PARAMS = ("delimiter", "decimal", "bom")
MAX_CODE = 64
# Sends answered with a subscription, newest first.
SENDS_SHOWN = 24


def check_params(report: str, fmt: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The report's parameters checked and completed with their defaults; a 422 naming the field."""
    if fmt not in FORMATS[report]:
        raise invalid_at(["body", "format"], fmt, f"report {report} comes as {', '.join(FORMATS[report])}, not {fmt}")
    spec = PARAMS[report]
    allowed = [*spec, *(CSV_PARAMS if fmt == "csv" else ())]
    for name in raw:
        if name not in allowed:
            why = (
                f"{name} applies to format csv only"
                if name in CSV_PARAMS and report != "meeting_pack"
                else f"report {report} has no parameter {name}; its parameters are {', '.join(allowed)}"
            )
            raise invalid_at(["body", "params", name], raw[name], why)
    out: dict[str, Any] = {}
    for name, (choices, default) in spec.items():
        value = raw.get(name, default)
        if value is None:
            raise invalid_at(["body", "params", name], None, f"report {report} needs {name}")
        if not isinstance(value, str):
            raise invalid_at(["body", "params", name], value, f"{name} must be text")
        if choices is not None and value not in choices:
            raise invalid_at(["body", "params", name], value, f"{name} must be one of {', '.join(choices)}")
        out[name] = value
    if "by" in out:
        try:
            out["by"] = ",".join(check_by([k.strip() for k in out["by"].split(",")]))
        except ValueError as exc:
            raise invalid_at(["body", "params", "by"], raw.get("by"), str(exc)) from None
    if "code" in out and not 1 <= len(out["code"]) <= MAX_CODE:
        raise invalid_at(["body", "params", "code"], out["code"], f"code must have 1 to {MAX_CODE} characters")
    if fmt == "csv":
        out.update(_csv_options(raw))
    return out


def _csv_options(raw: dict[str, Any]) -> dict[str, Any]:
    delimiter = raw.get("delimiter", ",")
    if delimiter not in (",", ";"):
        raise invalid_at(["body", "params", "delimiter"], delimiter, "delimiter must be , or ;")
    decimal = raw.get("decimal", "," if delimiter == ";" else ".")
    if decimal not in (".", ","):
        raise invalid_at(["body", "params", "decimal"], decimal, "decimal must be . or ,")
    if decimal == delimiter:
        raise invalid_at(
            ["body", "params", "decimal"], decimal, f"decimal {decimal!r} must differ from delimiter {delimiter!r}"
        )
    bom = raw.get("bom", False)
    if not isinstance(bom, bool):
        raise invalid_at(["body", "params", "bom"], bom, "bom must be true or false")
    return {"delimiter": delimiter, "decimal": decimal, "bom": bom}


def _recipients(addresses: Sequence[str]) -> list[str]:
    """The addresses once each (the first spelling kept), in the order given."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(str(address).lower(), str(address))
    return list(seen.values())


def _sends(session: Session, subscription_id: int) -> list[dict]:
    rows = session.scalars(
        select(ReportSend)
        .where(ReportSend.subscription_id == subscription_id)
        .order_by(ReportSend.last_attempt_at.desc(), ReportSend.period_key.desc())
        .limit(SENDS_SHOWN)
    )
    return [
        {
            "period_key": r.period_key,
            "status": r.status,
            "attempts": r.attempts,
            "last_attempt_at": r.last_attempt_at,
            "sent_at": r.sent_at,
            "error": r.error,
            "attachment": r.attachment,
            "attachment_bytes": r.attachment_bytes,
        }
        for r in rows
    ]


def answer(session: Session, row: Subscription, owner_email: str) -> dict:
    """The SubscriptionRead answer of `row`, with its send log."""
    return {
        "id": row.id,
        "owner": owner_email,
        "report": row.report,
        "params": json.loads(row.params),
        "format": row.format,
        "schedule": row.schedule,
        "recipients": json.loads(row.recipients),
        "active": row.active,
        "created_at": row.created_at,
        "sends": _sends(session, row.id),
    }


def _audited(row: Subscription) -> dict[str, Any]:
    return {
        "report": row.report,
        "params": json.loads(row.params),
        "format": row.format,
        "schedule": row.schedule,
        "recipients": json.loads(row.recipients),
        "active": row.active,
    }


def create(session: Session, *, user: User, body: SubscriptionCreate) -> dict:
    """A new subscription (SubscriptionRead); 404 for a unit the user may not see, 422 for bad params."""
    params = check_params(body.report, body.format, body.params)
    if "level" in params:
        scope = scope_for(session, user)
        if resolve_unit(session, scope=scope, level=params["level"], code=params["code"]) is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"no {params['level']} {params['code']}, or not yours to see"
            )
    row = Subscription(
        owner_user_id=user.id,
        report=body.report,
        params=json.dumps(params, ensure_ascii=False),
        format=body.format,
        schedule=body.schedule,
        recipients=json.dumps(_recipients(body.recipients), ensure_ascii=False),
        active=True,
    )
    session.add(row)
    session.flush()
    record_audit(
        session, actor=user, action="subscription.create", entity=f"subscription:{row.id}", after=_audited(row)
    )
    return answer(session, row, user.email)


def _visible(session: Session, user: User, subscription_id: int) -> tuple[Subscription, str] | None:
    """The subscription and its owner's e-mail when `user` owns it or is an administrator."""
    found = session.execute(
        select(Subscription, User.email)
        .join(User, User.id == Subscription.owner_user_id)
        .where(Subscription.id == subscription_id)
    ).first()
    if found is None or (user.role != "admin" and found[0].owner_user_id != user.id):
        return None
    return found[0], found[1]


def list_for(session: Session, *, user: User) -> dict:
    """The user's subscriptions (an administrator's: every one), oldest first."""
    stmt = select(Subscription, User.email).join(User, User.id == Subscription.owner_user_id).order_by(Subscription.id)
    if user.role != "admin":
        stmt = stmt.where(Subscription.owner_user_id == user.id)
    return {"items": [answer(session, row, email) for row, email in session.execute(stmt)]}


def read(session: Session, *, user: User, subscription_id: int) -> dict | None:
    found = _visible(session, user, subscription_id)
    return None if found is None else answer(session, *found)


def update(session: Session, *, user: User, subscription_id: int, body: SubscriptionUpdate) -> dict | None:
    """Pause or resume, new recipients or a new schedule; the send log stays."""
    found = _visible(session, user, subscription_id)
    if found is None:
        return None
    row, owner = found
    before = _audited(row)
    changes = body.model_dump(exclude_unset=True)
    if "active" in changes:
        row.active = changes["active"]
    if "schedule" in changes:
        row.schedule = changes["schedule"]
    if "recipients" in changes:
        row.recipients = json.dumps(_recipients(changes["recipients"]), ensure_ascii=False)
    session.flush()
    after = _audited(row)
    if after != before:
        record_audit(
            session,
            actor=user,
            action="subscription.update",
            entity=f"subscription:{row.id}",
            before=before,
            after=after,
        )
    return answer(session, row, owner)


def delete(session: Session, *, user: User, subscription_id: int) -> bool | None:
    """Remove the subscription and its send log; None when it is not the user's."""
    found = _visible(session, user, subscription_id)
    if found is None:
        return None
    row = found[0]
    before = _audited(row)
    session.execute(sql_delete(ReportSend).where(ReportSend.subscription_id == row.id))
    session.delete(row)
    session.flush()
    record_audit(
        session, actor=user, action="subscription.delete", entity=f"subscription:{subscription_id}", before=before
    )
    return True
