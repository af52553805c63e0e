"""Request dependencies as Annotated aliases: the session, the signed-in user, role checks, scope."""

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from app.access import Scope, scope_for
from app.auth.tokens import decode_access_token
from app.db import get_session
from app.models import User

SessionDep = Annotated[Session, Depends(get_session)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def get_current_user(token: Annotated[str | None, Depends(oauth2_scheme)], session: SessionDep) -> User:
    """The user of a valid bearer token; 401 for a missing, expired or forged one."""
    if not token:
        raise _unauthorized("not signed in: send an Authorization: Bearer token")
    user_id = decode_access_token(token)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        raise _unauthorized("invalid or expired token")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_admin(user: CurrentUser) -> User:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an administrator may do this")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


def get_scope(user: CurrentUser, session: SessionDep) -> Scope:
    return scope_for(session, user)


ScopeDep = Annotated[Scope, Depends(get_scope)]
