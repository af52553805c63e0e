"""Short-lived access tokens: HS256 JWTs carrying the user id and the user's session version."""

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import jwt

from app.config import get_settings

ALGORITHM = "HS256"


class AccessClaims(NamedTuple):
    user_id: int
    version: int  # the user's session_version when the token was issued


def create_access_token(user_id: int, *, version: int = 0, minutes: int | None = None) -> str:
    """A login token for `user_id`; `version` is the user's `session_version` (app.models.User)."""
    settings = get_settings()
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=minutes or settings.access_token_minutes)
    payload = {"sub": str(user_id), "ver": version, "iat": now, "exp": expires, "typ": "access"}
    return jwt.encode(payload, settings.secret_key, algorithm=ALGORITHM)


def decode_access_token(token: str) -> AccessClaims | None:
    """The claims of a valid, unexpired access token; None for anything else. A token from before
    session versions (no `ver`) counts as version 0."""
    try:
        payload = jwt.decode(
            token, get_settings().secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.PyJWTError:
        return None
    if payload.get("typ") != "access":
        return None
    version = payload.get("ver", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    try:
        return AccessClaims(int(payload["sub"]), version)
    except (TypeError, ValueError):
        return None
