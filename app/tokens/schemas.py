from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

TokenScope = Literal["scorecards:read", "budgets:read"]


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite gives back naive datetimes; every stored moment is UTC, so say so in the JSON.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON true is not 1, "5" is not 5

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="what the token is for, say `ERP budget pull`")
    scopes: list[TokenScope] = Field(
        min_length=1, description="`scorecards:read` and/or `budgets:read` (budgets, variance, forecast, exports)")
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="days until the token stops working; omit for no expiry")


class ApiTokenRead(BaseModel):
    """A token as lists show it: never the secret nor its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="the public part of the token, `sct_<prefix>_…`")
    scopes: list[TokenScope]
    user_email: str
    created_at: UtcDatetime
    last_used_at: UtcDatetime | None = Field(description="to the minute: uses are recorded at most once a minute")
    expires_at: UtcDatetime | None
    revoked: bool
    revoked_at: UtcDatetime | None


class ApiTokenCreated(BaseModel):
    """The token just created; `token` is shown this once and cannot be retrieved later."""

    id: int
    name: str
    prefix: str
    scopes: list[TokenScope]
    created_at: UtcDatetime
    expires_at: UtcDatetime | None
    token: str = Field(description="send as `Authorization: Bearer <token>`; store it now, it is not shown again")
