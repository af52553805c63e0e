"""Logging in, the signed-in user, and creating users."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from app.access import describe_scope
from app.auth.schemas import MeRead, TokenRead, UserCreate, UserRead
from app.auth.service import UserError, authenticate, create_user
from app.auth.tokens import create_access_token
from app.deps import AdminUser, CurrentUser, SessionDep
from app.models import User

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenRead)
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep) -> TokenRead:
    """Exchange e-mail and password for a bearer access token."""
    user = authenticate(session, email=form.username, password=form.password)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong e-mail or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return TokenRead(access_token=create_access_token(user.id))


@router.get("/me", response_model=MeRead)
def me(user: CurrentUser, session: SessionDep) -> MeRead:
    """Who the token belongs to, and what they lead or are."""
    return describe_scope(session, user)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def add_user(body: UserCreate, admin: AdminUser, session: SessionDep) -> User:
    """Create a login (administrators only); the e-mail links it to a seller or leader."""
    try:
        user = create_user(session, email=body.email, password=body.password, role=body.role)
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
