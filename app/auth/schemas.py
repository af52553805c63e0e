from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

Role = Literal["admin", "leader", "seller", "finance"]


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON true is not 1, "5" is not 5

    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    role: Role


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: Role
    is_active: bool
    created_at: datetime


class MeRead(BaseModel):
    email: str
    role: Role
    seller_code: str | None
    units: list[str] = Field(description="units led, as `level:code` (`company` for the whole company)")
