"""Logging in, the signed-in user, and creating users."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import service
from app.auth.schemas import MeRead, PasswordChange, PasswordSet, TokenRead, UserCreate, UserRead, UserUpdate
from app.auth.service import UserError, WrongPassword, authenticate, create_user, normalize_email
from app.auth.tokens import create_access_token
from app.deps import AdminUser, CurrentUser, LoginUser, SessionDep
from app.models import User
from app.security import client_address, login_throttle, too_many_attempts

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenRead,
    responses={
        401: {"description": "Wrong e-mail or password"},
        429: {
            "description": "Too many failed sign-ins for the e-mail from this address, or from this address; "
            "`Retry-After` says how many seconds to wait"
        },
    },
)
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, request: Request) -> TokenRead:
    """Exchange e-mail and password for a bearer access token (failed attempts are throttled)."""
    throttle, email, address = login_throttle(request), normalize_email(form.username), client_address(request)
    # Checked before any password hashing, so a flood of guesses costs little.
    if (blocked := throttle.retry_after(session, email, address)) is not None:
        raise too_many_attempts(*blocked)
    user = authenticate(session, email=form.username, password=form.password)
    if user is None:
        throttle.failed(session, email, address)
        session.commit()  # the failure counts, though the answer is an error
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong e-mail or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    throttle.succeeded(session, email, address)
    session.commit()
    return TokenRead(access_token=create_access_token(user.id, version=user.session_version))


@router.get("/me", response_model=MeRead)
def me(user: CurrentUser, session: SessionDep) -> MeRead:
    """Who the token belongs to, and what they lead or are."""
    return service.describe_scope(session, user)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def add_user(body: UserCreate, admin: AdminUser, session: SessionDep) -> User:
    """Create a login (administrators only); the e-mail links it to a seller or leader."""
    try:
        user = create_user(session, email=body.email, password=body.password, role=body.role, actor=admin)
    except UserError as exc:
        raise _unprocessable(exc) from exc
    session.commit()
    return user


def _unprocessable(exc: UserError) -> HTTPException:
    """A UserError ("field: message") as FastAPI's validation answer naming the field."""
    field, _, message = str(exc).partition(": ")
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": ["body", field], "msg": message, "type": "value_error"}]
    )


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {user_id}")
    return user


UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_NO_USER: dict[int | str, dict[str, Any]] = {404: {"description": "no such user"}}


@router.patch("/users/{user_id}", response_model=UserRead, responses=_NO_USER)
def change_user(user_id: UserId, body: UserUpdate, admin: AdminUser, session: SessionDep) -> User:
    """Change a login's role, or switch it off or on (administrators). Switched off, its login and API
    tokens fail at once, on every instance; its comments and actions keep its name."""
    try:
        user = service.update_user(
            session, user=_user(session, user_id), actor=admin, active=body.active, role=body.role
        )
    except UserError as exc:
        raise _unprocessable(exc) from exc
    session.commit()
    return user


@router.put("/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT, responses=_NO_USER)
def reset_password(user_id: UserId, body: PasswordSet, admin: AdminUser, session: SessionDep) -> Response:
    """Set a new password for a login (administrators); the user's sessions end, API tokens stay."""
    try:
        service.set_password(session, user=_user(session, user_id), password=body.password, actor=admin)
    except UserError as exc:
        raise _unprocessable(exc) from exc
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/me/password",
    response_model=TokenRead,
    responses={
        429: {
            "description": "Too many wrong passwords for this login from this address (they count as failed "
            "sign-ins); `Retry-After` says how many seconds to wait"
        },
    },
)
def change_own_password(body: PasswordChange, user: LoginUser, session: SessionDep, request: Request) -> TokenRead:
    """Change your own password, giving the current one. Your other sessions end; the answer is a new
    token for this one. A wrong current password counts as a failed sign-in (a stolen token cannot be
    used to guess the password)."""
    throttle, address = login_throttle(request), client_address(request)
    if (blocked := throttle.retry_after(session, user.email, address)) is not None:
        raise too_many_attempts(*blocked)
    try:
        service.set_password(
            session, user=user, password=body.new_password, actor=user, current_password=body.current_password
        )
    except WrongPassword as exc:
        throttle.failed(session, user.email, address)
        session.commit()  # the failure counts, though the answer is an error
        raise _unprocessable(exc) from exc
    except UserError as exc:
        raise _unprocessable(exc) from exc
    session.commit()
    return TokenRead(access_token=create_access_token(user.id, version=user.session_version))


@router.get("/users", response_model=list[UserRead])
def list_users(admin: AdminUser, session: SessionDep) -> list[User]:
    """Every login (administrators only)."""
    return list(session.scalars(select(User).order_by(User.email)))
