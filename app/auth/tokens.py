"""Short-lived access tokens: HS256 JWTs carrying the user id."""

from datetime import UTC, datetime, timedelta

import jwt

from app.config import get_settings

ALGORITHM = "HS256"


def create_access_token(user_id: int, *, minutes: int | None = None) -> str:
    settings = get_settings()
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=minutes or settings.access_token_minutes)
    payload = {"sub": str(user_id), "iat": now, "exp": expires, "typ": "access"}
    return jwt.encode(payload, settings.secret_key, algorithm=ALGORITHM)


def decode_access_token(token: str) -> int | None:
    """The user id in a valid, unexpired access token; None for anything else."""
    try:
        payload = jwt.decode(token, get_settings().secret_key, algorithms=[ALGORITHM],
                             options={"require": ["sub", "exp"]})
    except jwt.PyJWTError:
        return None
    if payload.get("typ") != "access":
        return None
    try:
        return int(payload["sub"])
    except (TypeError, ValueError):
        return None
