from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["green", "amber", "red", "none"]


class KpiPrevious(BaseModel):
    actual: float | None
    target: float | None
    attainment: float | None
    status: Status


class KpiRead(BaseModel):
    code: str
    name: str
    unit: str = Field(description="currency, ratio (0.35 = 35 %), count, hours or score")
    direction: Literal["higher", "lower"]
    actual: float | None
    target: float | None
    attainment: float | None
    score: float | None
    status: Status
    previous: KpiPrevious = Field(description="the same KPI for the range ending one month earlier")


class PerspectiveRead(BaseModel):
    key: str
    name: str
    weight: float
    score: float | None
    previous_score: float | None
    kpis: list[KpiRead]


class ScorecardRead(BaseModel):
    level: str
    code: str
    name: str
    period: str
    range: str
    months: list[str]
    overall_score: float | None
    previous_period: str
    previous_overall_score: float | None
    perspectives: list[PerspectiveRead]


class ChildKpi(BaseModel):
    actual: float | None
    target: float | None
    attainment: float | None
    status: Status


class ChildRead(BaseModel):
    level: str
    code: str
    name: str
    overall_score: float | None
    kpis: dict[str, ChildKpi]


class ChildrenRead(BaseModel):
    level: str
    code: str
    name: str
    period: str
    range: str
    children: list[ChildRead]


class TrendPoint(BaseModel):
    period: str
    overall_score: float | None
    kpis: dict[str, ChildKpi]


class TrendRead(BaseModel):
    level: str
    code: str
    name: str
    points: list[TrendPoint]
