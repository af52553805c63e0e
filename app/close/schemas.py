"""The close's answers and bodies (PRODUCT.md §5, "The close"): locked months, snapshots and their
restatement diff, report subscriptions and their send log.

Money in a snapshot is answered as JSON numbers in the currency with two decimals (as the variance
answers it); the exports carry the same figures."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from app.bodies import PatchModel

Report = Literal["variance", "scorecard", "meeting_pack"]
ReportFormat = Literal["csv", "xlsx", "parquet", "pdf"]
Schedule = Literal["daily", "weekly", "monthly"]
MAX_RECIPIENTS = 50


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- locked months ------------------------------------------------------------------------------


class PeriodRead(BaseModel):
    period: str = Field(description="YYYY-MM")
    locked: bool
    locked_at: datetime | None = None
    locked_by: str | None = None
    snapshot_id: int | None = Field(None, description="the snapshot taken when it was locked")
    has_data: bool = Field(description="the month has sales, activities, targets, KPI values or budgets")


class PeriodsRead(BaseModel):
    open_period: str | None = Field(description="the month the pages open on (GET /data-status)")
    items: list[PeriodRead] = Field(description="newest first: every month with data, and every locked month")


class LockRead(BaseModel):
    period: str
    locked: bool
    locked_at: datetime | None = None
    locked_by: str | None = None
    unlocked_at: datetime | None = None
    unlocked_by: str | None = None
    snapshot_id: int


# --- snapshots ----------------------------------------------------------------------------------


class SnapshotRead(BaseModel):
    id: int
    period: str
    taken_at: datetime
    taken_by: str
    unlocked_at: datetime | None = None
    unlocked_by: str | None = None
    locked: bool = Field(description="this snapshot is the one of the month's current lock")
    data_version: int
    totals: dict[str, Any] = Field(description="the variance's totals line at the lock (of what the caller sees)")
    variance_rows: int
    scorecard_units: int


class SnapshotsRead(BaseModel):
    items: list[SnapshotRead]


class SnapshotDetailRead(SnapshotRead):
    rows: list[dict[str, Any]] = Field(description="the variance by district and product, as it stood")
    scorecards: list[dict[str, Any]] = Field(
        description="every unit's KPIs for the month and the year to date: "
        "{range, level, code, kpi, actual, target, attainment, score, status}; kpi '' is the overall score"
    )


class DiffRow(BaseModel):
    district_code: str
    product_code: str
    field: str
    before: float | bool | None
    after: float | bool | None


class ScoreDiffRow(BaseModel):
    range: str
    level: str
    code: str
    kpi: str
    field: str
    before: float | str | None
    after: float | str | None


class SnapshotDiffRead(BaseModel):
    snapshot: SnapshotRead
    restated: bool = Field(description="some figure changed since the snapshot")
    rows: list[DiffRow] = Field(description="each changed variance figure, before (the snapshot) and after (now)")
    scorecards: list[ScoreDiffRow] = Field(description="each changed scorecard figure")
    totals: dict[str, dict[str, Any]] = Field(description="{field: {before, after}} of the totals that changed")


# --- report subscriptions -----------------------------------------------------------------------


Recipients = Annotated[list[EmailStr], Field(min_length=1, max_length=MAX_RECIPIENTS)]


class SubscriptionCreate(_Body):
    report: Report
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="variance: {range: month|ytd, by: 'district,product'}; scorecard: {level, code, range, "
        "table: kpis|ranking, lang}; meeting_pack: {level, code, range, lang}; a CSV also {delimiter, decimal, "
        "bom}. Unknown parameters are a 422; the answer has the defaults filled in",
    )
    format: ReportFormat = Field(
        description="variance: csv, xlsx or parquet; scorecard: csv or xlsx; meeting_pack: pdf or xlsx (else a 422)"
    )
    schedule: Schedule = Field(
        description="daily, weekly (once per ISO week, by the week's first run), or monthly: each month once "
        "it is locked"
    )
    recipients: Recipients


class SubscriptionUpdate(PatchModel):
    active: bool | None = None
    recipients: Recipients | None = None
    schedule: Schedule | None = None


class SendRead(BaseModel):
    period_key: str
    status: Literal["sent", "failed"]
    attempts: int
    last_attempt_at: datetime
    sent_at: datetime | None = None
    error: str | None = None
    attachment: str | None = None
    attachment_bytes: int | None = None


class SubscriptionRead(BaseModel):
    id: int
    owner: str = Field(description="the e-mail of whose view the report is built with")
    report: Report
    params: dict[str, Any]
    format: ReportFormat
    schedule: Schedule
    recipients: list[str]
    active: bool
    created_at: datetime
    sends: list[SendRead] = Field(description="the send log, newest first (at most 24)")


class SubscriptionsRead(BaseModel):
    items: list[SubscriptionRead]
