"""Request dependencies as Annotated aliases: the session, the caller (login or API token), role and
token-scope checks, the access scope."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.access import Scope, scope_for
from app.auth.tokens import decode_access_token
from app.db import READ_METHODS, get_session
from app.models import TOKEN_SCOPES, User
from app.reporting.cache import FIGURES, get_or_compute
from app.reporting.version import note_version, transaction_version, with_version
from app.tokens.service import looks_like_api_token, touch, verify_token

SessionDep = Annotated[Session, Depends(get_session)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person signed in (token_id None, every scope) or an API token acting as its user."""

    user: User
    token_id: int | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def is_api_token(self) -> bool:
        return self.token_id is not None

    def has_scope(self, scope: str) -> bool:
        return not self.is_api_token or scope in self.scopes


# A login's user and the data version, in one statement (see get_principal).
_USER_AND_VERSION = with_version(select(User).where(User.id == bindparam("user_id")))


def _forbidden(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail)


def get_principal(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)], session: SessionDep
) -> Principal:
    """The caller of a bearer credential, a login JWT or an API token; 401 for a missing or bad one."""
    if not token:
        raise _unauthorized("not signed in: send an Authorization: Bearer token")
    if looks_like_api_token(token):
        # Checked against the database on every request: a revoked or expired token fails at once.
        api_token = verify_token(session, token)
        if api_token is None or not api_token.user.is_active:
            raise _unauthorized("invalid, expired or revoked API token")
        if request.method not in READ_METHODS:  # an API token only reads: refused before any write route runs
            raise _forbidden("an API token can only read; sign in to change anything")
        try:
            if touch(session, api_token):
                session.commit()
        except OperationalError:
            # The last-use time is best effort: a database busy with a write (SQLite) must not fail a read.
            session.rollback()
        # Read here, in the thread that read the caller: the cache lookups that follow (the access
        # scope, on the event loop; then the figures) use it without reading it again.
        transaction_version(session)
        return Principal(user=api_token.user, token_id=api_token.id, scopes=frozenset(api_token.scope_list))
    claims = decode_access_token(token)
    # The user and the data version in one statement, for the same reason (one round trip less).
    found = session.execute(_USER_AND_VERSION, {"user_id": claims.user_id}).first() if claims is not None else None
    # A password changed or the login switched off since the token was issued: session_version moved on.
    if claims is None or found is None or not found[0].is_active or found[0].session_version != claims.version:
        raise _unauthorized("invalid or expired token")
    note_version(session, found[1])
    return Principal(user=found[0])


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_current_user(principal: PrincipalDep) -> User:
    """The user of a valid bearer credential (for an API token, the user it acts as)."""
    return principal.user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def require_login(principal: PrincipalDep) -> User:
    """A person signed in with a password; API tokens are refused (403)."""
    if principal.is_api_token:
        raise _forbidden("an API token cannot do this; sign in")
    return principal.user


LoginUser = Annotated[User, Depends(require_login)]


def require_scope(scope: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency passing every signed-in person, and API tokens that carry `scope` (403 otherwise)."""
    if scope not in TOKEN_SCOPES:
        raise ValueError(f"unknown token scope {scope!r}; scopes are {', '.join(TOKEN_SCOPES)}")

    async def _check(principal: PrincipalDep) -> Principal:
        if not principal.has_scope(scope):
            raise _forbidden(f"this API token lacks the scope {scope}")
        return principal

    _check.__name__ = f"require_scope_{scope.replace(':', '_')}"
    return _check


async def require_admin(user: LoginUser) -> User:
    """An administrator signed in; API tokens are refused even for administrators."""
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an administrator may do this")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


async def get_scope(user: CurrentUser, session: SessionDep) -> Scope:
    """The caller's access scope. It follows from the user's role and e-mail (read fresh on every
    request, so a changed role or a deactivation holds at once) and from the seller, leader and
    organization rows, which only imports write, and every import counts the data version up: so it
    is cached under the data version, keyed by what it is derived from. A cached scope is found on
    the event loop, with the version the caller's sign-in check read; only a missing one is computed
    in a worker thread."""
    key = ("scope", user.id, user.role, user.email)
    found = FIGURES.peek(session, key)
    if found is not None:
        return found
    return await run_in_threadpool(get_or_compute, session, key, lambda: scope_for(session, user))


ScopeDep = Annotated[Scope, Depends(get_scope)]
