"""API tokens: minting (`sct_<prefix>_<secret>`), verifying by prefix and SHA-256, listing, revoking."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.audit.service import record as record_audit
from app.models import TOKEN_SCOPES, ApiToken, User

TOKEN_MARK = "sct_"
PREFIX_BYTES = 5  # 10 hex characters: public, shown in lists, unique per token
# last_used_at is written at most this often per token, so reads do not each cost a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    """A token just created: the row, and the full token text, which is never available again."""

    row: ApiToken
    token: str


def looks_like_api_token(credential: str) -> bool:
    return credential.startswith(TOKEN_MARK)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _parse(credential: str) -> tuple[str, str] | None:
    if not looks_like_api_token(credential):
        return None
    prefix, sep, secret = credential[len(TOKEN_MARK) :].partition("_")
    if not sep or len(prefix) != 2 * PREFIX_BYTES or not secret:
        return None
    return prefix, secret


def canonical_scopes(scopes: list[str]) -> str:
    """Known scopes, deduplicated, in TOKEN_SCOPES order, comma-separated."""
    unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}; scopes are {', '.join(TOKEN_SCOPES)}")
    return ",".join(s for s in TOKEN_SCOPES if s in scopes)


def create_token(
    session: Session,
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_in_days: int | None,
    now: datetime | None = None,
) -> NewToken:
    """Mint a token for `user`; only the prefix and the SHA-256 of the secret are stored."""
    now = now or datetime.now(UTC)
    while True:  # a prefix collision is a 1 in 2**40 event per pair; retry rather than fail
        prefix = secrets.token_hex(PREFIX_BYTES)
        if session.scalar(select(ApiToken.id).where(ApiToken.prefix == prefix)) is None:
            break
    secret = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        prefix=prefix,
        token_hash=hash_secret(secret),
        scopes=canonical_scopes(scopes),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(row)
    session.flush()
    # The prefix is public; neither the secret nor its hash goes into the trail.
    record_audit(
        session,
        actor=user,
        action="token.create",
        entity=f"token:{prefix}",
        after={"name": name, "user": user.email, "scopes": row.scope_list, "expires_at": row.expires_at},
    )
    return NewToken(row=row, token=f"{TOKEN_MARK}{prefix}_{secret}")


def verify_token(session: Session, credential: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token `credential` names; None if malformed, unknown, wrong secret, revoked or expired."""
    parsed = _parse(credential)
    if parsed is None:
        return None
    prefix, secret = parsed
    row = session.scalar(select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.prefix == prefix))
    if row is None or not hmac.compare_digest(row.token_hash, hash_secret(secret)):
        return None
    now = now or datetime.now(UTC)
    if row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    return row


def touch(session: Session, row: ApiToken, *, now: datetime | None = None) -> bool:
    """Record a use of `row`, at most once per LAST_USED_RESOLUTION; True if a write is pending."""
    now = now or datetime.now(UTC)
    last = row.last_used_at
    if last is not None and now - last < LAST_USED_RESOLUTION:
        return False
    row.last_used_at = now
    session.flush()
    return True


def list_tokens(session: Session, *, user: User | None) -> list[ApiToken]:
    """The tokens of `user`, or of everybody when `user` is None; newest first."""
    stmt = select(ApiToken).options(joinedload(ApiToken.user))
    if user is not None:
        stmt = stmt.where(ApiToken.user_id == user.id)
    return list(session.scalars(stmt.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, *, token_id: int, by: User, now: datetime | None = None) -> bool:
    """Revoke one token of `by` (any token for an administrator); False if there is none to see."""
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != by.id and by.role != "admin"):
        return False
    if row.revoked_at is None:  # revoking twice keeps the first moment
        row.revoked_at = now or datetime.now(UTC)
        session.flush()
        record_audit(
            session,
            actor=by,
            action="token.revoke",
            entity=f"token:{row.prefix}",
            before={"revoked_at": None},
            after={"name": row.name, "revoked_at": row.revoked_at},
        )
    return True
