"""Display tokens for the wallboard (PRODUCT.md §5, "The sales floor"): minting (`scd_<prefix>_<secret>`),
checking a wall's bearer, listing and revoking.

A display token reads the wall of one unit (a district, a region or the company) and nothing else. It is
stored as API tokens are (app.tokens.service): a public prefix and the SHA-256 of the secret, never the
secret itself; the TV opens `/wall#<token>`, the fragment never reaches a server log. Every other route
refuses it with 401: it is neither a login JWT nor an API token (`sct_`), so app.deps.get_principal fails
it, and the wall refuses everything but a display token.

A display lives while its maker may still make it: a display whose maker was switched off, or (a leader)
no longer leads its unit, is refused (401) as a revoked one is; an administrator can make a new one.
"""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.access import EVERYTHING, Scope, scope_for
from app.audit.service import record as record_audit
from app.db import get_session
from app.floor.schemas import DisplayCreate
from app.models import Display, District, Region, User
from app.reporting import cache as figure_cache
from app.reporting.units import COMPANY_CODE, Unit, resolve_unit

DISPLAY_MARK = "scd_"
PREFIX_BYTES = 5  # 10 hex characters: public, shown in lists, unique per display
# last_seen_at is written at most this often per display: a TV polling every 30 s costs a write a minute.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)

display_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="DisplayToken",
    description="A wallboard's display token (`scd_…`, POST /displays); it reads GET /wall and nothing else.",
)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(credential: str) -> tuple[str, str] | None:
    """(prefix, secret) of a display token's text; None when it is not shaped like one."""
    if not credential.startswith(DISPLAY_MARK):
        return None
    prefix, sep, secret = credential[len(DISPLAY_MARK) :].partition("_")
    if not sep or len(prefix) != 2 * PREFIX_BYTES or not secret:
        return None
    return prefix, secret


def maker_scope(session: Session, user: User) -> Scope:
    """What `user` may see, cached under the data version as the request scope is (app.deps.get_scope)."""
    if user.role == "admin":
        return EVERYTHING
    return figure_cache.get_or_compute(
        session, ("scope", user.id, user.role, user.email), lambda: scope_for(session, user)
    )


def _made_by(session: Session, user: User, level: str, code: str) -> Unit | None:
    """The unit `user` may make a display of: an administrator any unit; a leader a unit they lead or one
    below it; None otherwise, and for a unit that does not exist."""
    if not user.is_active or user.role not in ("admin", "leader"):
        return None
    return resolve_unit(session, scope=maker_scope(session, user), level=level, code=code)


def _unit_names(session: Session, rows: list[Display]) -> dict[tuple[str, str], str]:
    """The name of each display's unit, by (level, code); a unit gone since shows its code."""
    codes = {level: {r.code for r in rows if r.level == level} for level in ("region", "district")}
    names = {("company", COMPANY_CODE): "Company"}
    for level, model in (("region", Region), ("district", District)):
        if codes[level]:
            found = session.execute(select(model.code, model.name).where(model.code.in_(codes[level])))
            names |= {(level, code): name for code, name in found}
    return names


def _read(row: Display, unit_name: str, maker_email: str) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "level": row.level,
        "code": row.code,
        "unit_name": unit_name,
        "created_by": maker_email,
        "created_at": row.created_at,
        "last_seen_at": row.last_seen_at,
        "revoked_at": row.revoked_at,
    }


def create(session: Session, *, user: User, body: DisplayCreate, now: datetime | None = None) -> dict | None:
    """Mint a display token for the unit of `body`; None when the unit does not exist or is not the
    caller's to lead (the route answers both 404, alike). Only the prefix and the SHA-256 of the secret
    are stored; the token is in the answer, once."""
    unit = _made_by(session, user, body.level, body.code)
    if unit is None:
        return None
    while True:  # a prefix collision is a 1 in 2**40 event per pair; retry rather than fail
        prefix = secrets.token_hex(PREFIX_BYTES)
        if session.scalar(select(Display.id).where(Display.prefix == prefix)) is None:
            break
    secret = secrets.token_urlsafe(32)
    row = Display(
        name=body.name,
        level=unit.level,
        code=unit.code,
        prefix=prefix,
        token_hash=hash_secret(secret),
        created_by_user_id=user.id,
        created_at=now or datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    # The prefix is public; neither the secret nor its hash goes into the trail.
    record_audit(
        session,
        actor=user,
        action="display.create",
        entity=f"display:{prefix}",
        after={"name": row.name, "level": row.level, "code": row.code},
    )
    token = f"{DISPLAY_MARK}{prefix}_{secret}"
    return _read(row, unit.name, user.email) | {"token": token, "wall_url": f"/wall#{token}"}


def list_for(session: Session, *, user: User) -> dict:
    """The caller's displays (an administrator's: every one), revoked ones included, newest first."""
    stmt = select(Display, User.email).join(User, User.id == Display.created_by_user_id)
    if user.role != "admin":
        stmt = stmt.where(Display.created_by_user_id == user.id)
    found = session.execute(stmt.order_by(Display.created_at.desc(), Display.id.desc())).all()
    names = _unit_names(session, [row for row, _ in found])
    return {"items": [_read(row, names.get((row.level, row.code), row.code), email) for row, email in found]}


def revoke(session: Session, *, user: User, display_id: int, now: datetime | None = None) -> bool:
    """Revoke one display of the caller (any display for an administrator); False if there is none to
    see. Revoking twice keeps the first moment."""
    row = session.get(Display, display_id)
    if row is None or (row.created_by_user_id != user.id and user.role != "admin"):
        return False
    if row.revoked_at is None:
        row.revoked_at = now or datetime.now(UTC)
        session.flush()
        record_audit(
            session,
            actor=user,
            action="display.revoke",
            entity=f"display:{row.prefix}",
            before={"revoked_at": None},
            after={"name": row.name, "revoked_at": row.revoked_at},
        )
    return True


def verify(session: Session, credential: str) -> Display | None:
    """The live display `credential` names; None if malformed, unknown, of a wrong secret, revoked, or
    its maker may no longer make it (switched off; a leader who no longer leads the unit)."""
    parsed = parse(credential)
    if parsed is None:
        return None
    prefix, secret = parsed
    row = session.scalar(select(Display).where(Display.prefix == prefix))
    # compared in constant time; an unknown prefix is compared too, so it takes as long as a wrong secret
    expected = row.token_hash if row is not None else "0" * 64
    if not hmac.compare_digest(expected, hash_secret(secret)) or row is None or row.revoked_at is not None:
        return None
    maker = session.get(User, row.created_by_user_id)
    if maker is None or _made_by(session, maker, row.level, row.code) is None:
        return None
    return row


def touch(session: Session, row: Display, *, now: datetime | None = None) -> bool:
    """Record that the wall was read, at most once per LAST_SEEN_RESOLUTION; True if a write is pending."""
    now = now or datetime.now(UTC)
    if row.last_seen_at is not None and now - row.last_seen_at < LAST_SEEN_RESOLUTION:
        return False
    row.last_seen_at = now
    session.flush()
    return True


def current_display(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(display_bearer)],
    session: Annotated[Session, Depends(get_session)],
) -> Display:
    """The display of the request's bearer token; 401 (WWW-Authenticate: Bearer) for none, a login's or
    an API token, an unknown or a revoked one."""
    if credentials is None:
        raise _unauthorized("no display token: open the wall as /wall#<display token>")
    row = verify(session, credentials.credentials)
    if row is None:
        raise _unauthorized("invalid or revoked display token")
    try:
        if touch(session, row):
            session.commit()
    except OperationalError:
        # The last-seen time is best effort: a database busy with a write (SQLite) must not fail a read.
        session.rollback()
    return row


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


DisplayDep = Annotated[Display, Depends(current_display)]
