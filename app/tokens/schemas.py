from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.bodies import whole_number
from app.models.tokens import TokenScope

if TYPE_CHECKING:
    Days = int  # what whole_number's field holds (it builds an Annotated type at run time)
else:
    Days = whole_number(ge=1, le=3650)


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON true is not 1, "5" is not 5

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="what the token is for, say `ERP budget pull`"
    )
    scopes: list[TokenScope] = Field(
        min_length=1, description="`scorecards:read` and/or `budgets:read` (budgets, variance, forecast, exports)"
    )
    expires_in_days: Days | None = Field(
        default=None, description="days until the token stops working; omit for no expiry"
    )


class ApiTokenRead(BaseModel):
    """A token as lists show it: never the secret nor its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="the public part of the token, `sct_<prefix>_…`")
    scopes: list[TokenScope]
    user_email: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="to the minute: uses are recorded at most once a minute")
    expires_at: datetime | None
    revoked: bool
    revoked_at: datetime | None


class ApiTokenCreated(BaseModel):
    """The token just created; `token` is shown this once and cannot be retrieved later."""

    id: int
    name: str
    prefix: str
    scopes: list[TokenScope]
    created_at: datetime
    expires_at: datetime | None
    token: str = Field(description="send as `Authorization: Bearer <token>`; store it now, it is not shown again")
