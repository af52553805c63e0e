"""Logging in, the signed-in user, and creating users."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from app.access import describe_scope
from app.auth.schemas import MeRead, TokenRead, UserCreate, UserRead
from app.auth.service import UserError, authenticate, create_user, normalize_email
from app.auth.tokens import create_access_token
from app.deps import AdminUser, CurrentUser, SessionDep
from app.models import User
from app.security import client_address, login_throttle, too_many_attempts

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenRead, responses={
    401: {"description": "Wrong e-mail or password"},
    429: {"description": "Too many failed sign-ins for the e-mail or from the address; `Retry-After` says "
                         "how many seconds to wait"},
})
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
          request: Request) -> TokenRead:
    """Exchange e-mail and password for a bearer access token (failed attempts are throttled)."""
    throttle, email, address = login_throttle(request), normalize_email(form.username), client_address(request)
    # Checked before any password hashing, so a flood of guesses costs little.
    if (blocked := throttle.retry_after(email, address)) is not None:
        raise too_many_attempts(*blocked)
    user = authenticate(session, email=form.username, password=form.password)
    if user is None:
        throttle.failed(email, address)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong e-mail or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    throttle.succeeded(email)
    return TokenRead(access_token=create_access_token(user.id))


@router.get("/me", response_model=MeRead)
def me(user: CurrentUser, session: SessionDep) -> MeRead:
    """Who the token belongs to, and what they lead or are."""
    return describe_scope(session, user)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def add_user(body: UserCreate, admin: AdminUser, session: SessionDep) -> User:
    """Create a login (administrators only); the e-mail links it to a seller or leader."""
    try:
        user = create_user(session, email=body.email, password=body.password, role=body.role, actor=admin)
    except UserError as exc:
        field, _, message = str(exc).partition(": ")
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", field], "msg": message, "type": "value_error"}],
        ) from exc
    session.commit()
    return user


@router.get("/users", response_model=list[UserRead])
def list_users(admin: AdminUser, session: SessionDep) -> list[User]:
    """Every login (administrators only)."""
    return list(session.scalars(select(User).order_by(User.email)))
