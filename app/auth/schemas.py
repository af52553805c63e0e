from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from app.bodies import PatchModel
from app.models.users import Role


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON true is not 1, "5" is not 5

    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    role: Role


class UserUpdate(PatchModel):
    """Either or both; what is left out stays as it is. No one can switch off or demote their own login."""

    active: bool | None = Field(
        default=None,
        description="false switches the login off: its login tokens fail "
        "at once and its API tokens are revoked; true lets it sign in again",
    )
    role: Role | None = Field(
        default=None, description="a seller or leader role needs a seller or leader with the login's e-mail"
    )


class PasswordSet(BaseModel):
    """A new password an administrator sets for a login; the user's sessions end."""

    model_config = ConfigDict(extra="forbid", strict=True)

    password: str = Field(min_length=8, max_length=200)


class PasswordChange(BaseModel):
    """The caller's own new password, with the current one."""

    model_config = ConfigDict(extra="forbid", strict=True)

    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: Role
    is_active: bool
    created_at: datetime


class KeyAccountRead(BaseModel):
    code: str
    name: str


class MeRead(BaseModel):
    email: str
    role: Role
    seller_code: str | None
    units: list[str] = Field(description="units led, as `level:code` (`company` for the whole company)")
    key_accounts: list[KeyAccountRead] = Field(
        default_factory=list,
        description="the key accounts a seller manages (their scorecards are the seller's "
        "to read), by code; empty for everyone else",
    )
