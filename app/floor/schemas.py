"""The sales floor's answers and bodies: achievements, display tokens and the wall."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Threshold = Literal["100", "120", "stretch"]
DisplayLevel = Literal["company", "region", "district"]


class AchievementRead(BaseModel):
    id: int
    level: Literal["seller", "district"]
    code: str
    name: str = Field(description="the seller's or the district's name")
    seller_code: str | None = Field(description="the seller's code (None for a district's achievement)")
    kpi: str = Field(description="the KPI's code (revenue, or a KPI an administrator marks as celebrated)")
    kpi_name: str
    period: str = Field(description="YYYY-MM for a month's target, YYYY for the year's")
    threshold: Threshold = Field(description="100 or 120 (% of the target), or stretch")
    goal: float = Field(description="the figure passed: the target, 1.2 × the target, or the stretch")
    actual: float = Field(description="the unit's figure when the goal was recorded")
    reached_at: date = Field(description="the day the data reached the goal")
    recorded_at: datetime = Field(description="when the import that made it so committed")
    revised: bool = Field(description="a later correction took the unit back below the goal (since revised)")
    revised_at: datetime | None = None


class AchievementsRead(BaseModel):
    items: list[AchievementRead] = Field(description="newest first")


class DisplayCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)  # a name of spaces is no name

    name: str = Field(min_length=1, max_length=100, description="where the screen hangs, say 'Oslo floor TV'")
    level: DisplayLevel
    code: str = Field(min_length=1, max_length=64, description="the unit's code ('-' for the company)")


class DisplayRead(BaseModel):
    id: int
    name: str
    level: DisplayLevel
    code: str
    unit_name: str
    created_by: str
    created_at: datetime
    last_seen_at: datetime | None = None
    revoked_at: datetime | None = None


class DisplayCreated(DisplayRead):
    token: str = Field(description="shown once: the TV opens /wall#<token>")
    wall_url: str = Field(description="the wall's address, relative to the app: /wall#<token>")


class DisplaysRead(BaseModel):
    items: list[DisplayRead]


class WallRead(BaseModel):
    """What the wallboard shows; free-form below the top level (the page is its only reader)."""

    display: dict[str, Any]
    unit: dict[str, Any]
    period: str | None
    show_names: bool
    refresh_seconds: int
    ranking: list[dict[str, Any]]
    month: dict[str, Any]
    achievements: list[dict[str, Any]]
