from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

# `stretch`: green, and the actual reaches the KPI's stretch (shown above green; the score is unchanged).
Status = Literal["stretch", "green", "amber", "red", "none"]

Stretch = Annotated[
    float | None,
    Field(
        description="the stretch goal beside the target (a targets row's optional `stretch`), over the range as "
        "the target is: a KPI that adds up over time sums each month's stretch, or its target where the month "
        "has none; null when no month of the range (and, for a unit taking its target from its children, no "
        "child) has a stretch"
    ),
]
StretchAttainment = Annotated[
    float | None,
    Field(
        description="attainment against the stretch (actual / stretch; stretch / actual where lower is better); "
        "status `stretch` from 1 on; null without a stretch or an actual"
    ),
]


# What is loaded for the answer's period (app.analytics.freshness).
DataThrough = Annotated[
    date | None,
    Field(description="the date of the latest sale loaded: the figures run through it (null without sales)"),
]
NoSalesYet = Annotated[
    bool,
    Field(
        description="the period's month is after the latest sale's: its sales are not "
        "loaded yet, so the sales KPIs have no attainment, score or status "
        "(their actual is what is loaded of the range, null when none of "
        "it is), and the overall score is null"
    ),
]
NoActivitiesYet = Annotated[
    bool,
    Field(
        description="the same for activities (meetings, proposals, hit rate, training, coaching, customer satisfaction)"
    ),
]


class KpiPrevious(BaseModel):
    actual: float | None
    target: float | None
    attainment: float | None
    status: Status
    stretch: Stretch
    stretch_attainment: StretchAttainment


class KpiComment(BaseModel):
    id: int
    text: str = Field(description="plain text, as it was written")
    author: str = Field(description="the author's e-mail")
    created_at: datetime


class KpiRead(BaseModel):
    code: str
    name: str
    name_nb: str = Field(description="the name in Norwegian bokmål (the English name where none was given)")
    unit: str = Field(description="currency, ratio (0.35 = 35 %), count, hours or score")
    direction: Literal["higher", "lower"]
    green_threshold: float = Field(description="status green from this attainment on")
    amber_threshold: float = Field(description="status amber from this attainment on (red below)")
    actual: float | None
    target: float | None
    attainment: float | None
    score: float | None
    status: Status
    stretch: Stretch
    stretch_attainment: StretchAttainment
    previous: KpiPrevious = Field(description="the same KPI for the range ending one month earlier")
    comments: list[KpiComment] = Field(
        default_factory=list,
        description="the comments on this KPI of the unit for the period, oldest first (POST /comments)",
    )


class PerspectiveRead(BaseModel):
    key: str
    name: str
    name_nb: str = Field(description="the name in Norwegian bokmål")
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
    data_through: DataThrough
    no_sales_yet: NoSalesYet
    no_activities_yet: NoActivitiesYet


class ChildKpi(BaseModel):
    actual: float | None
    target: float | None
    attainment: float | None
    status: Status
    stretch: Stretch
    stretch_attainment: StretchAttainment


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
    data_through: DataThrough
    no_sales_yet: NoSalesYet
    no_activities_yet: NoActivitiesYet


class TrendPoint(BaseModel):
    period: str
    overall_score: float | None
    kpis: dict[str, ChildKpi]


class TrendRead(BaseModel):
    level: str
    code: str
    name: str
    points: list[TrendPoint]


# The outlook (app.analytics.outlook has the method; the README says how to read the band).
Basis = Literal["history", "profile", "none", "not_loaded"]


class OutlookPoint(BaseModel):
    period: str = Field(description="a month left in the year, YYYY-MM")
    p10: float | None
    p50: float | None
    p90: float | None


class OutlookActual(BaseModel):
    period: str = Field(description="a month of the year through as_of, YYYY-MM")
    actual: float | None = Field(
        description="the actual of the year through this month, summed month by month (null: a month the caller "
        "may not see, a moved seller's months with another leader)"
    )


class OutlookKpi(BaseModel):
    kpi: str
    name: str
    unit: str
    target: float | None = Field(description="the year's target (null: none)")
    actual_to_date: float | None = Field(description="the actual of the fiscal year through as_of")
    p10: float | None = Field(description="where the year lands: 1 in 10 below this")
    p50: float | None = Field(description="where the year lands: as likely below as above")
    p90: float | None = Field(description="where the year lands: 1 in 10 above this (p10-p90: the 80 % band)")
    probability: float | None = Field(
        description="the probability of reaching the year's target (1 when reached already; null without a target)"
    )
    basis: Basis = Field(
        description="`history`: a year or more of the unit's own months; `profile`: fewer, read against the "
        "seasonality profile alone; `none`: no month of its own yet (no outlook); `not_loaded`: the KPI's facts "
        "are not loaded through as_of"
    )
    path: list[OutlookPoint] = Field(description="the band month by month to the year's end (the fan)")
    actuals: list[OutlookActual] = Field(description="the year to date, month by month")


class OutlookRead(BaseModel):
    level: str
    code: str
    name: str
    year: int
    as_of: str
    months: list[str] = Field(description="the fiscal year's months")
    band: Literal["empirical", "model"] = Field(
        description="`empirical`: the band is read from how the same forecasts erred on the history; `model`: "
        "too little history yet, a normal band around the forecast"
    )
    kpis: list[OutlookKpi]


class ChildOutlookKpi(BaseModel):
    target: float | None
    p50: float | None
    probability: float | None


class ChildOutlook(BaseModel):
    level: str
    code: str
    name: str
    kpis: dict[str, ChildOutlookKpi]


class ChildrenOutlookRead(BaseModel):
    level: str
    code: str
    name: str
    year: int
    as_of: str
    children: list[ChildOutlook]
