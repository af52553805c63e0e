"""The steering answers and bodies: needs attention, comments, coaching actions, goal conversations,
the meeting pack (PRODUCT.md §5, "Steering").

A unit is addressed as the scorecards address it: `level` and `code` (the company's code is `-`).
Free text (comments, notes, outcomes) is stored and answered as it was written, trimmed; it is
text everywhere (the pages put it in text nodes, the exports in cells), never markup."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.analytics.periods import MONTH_PATTERN
from app.bodies import PatchModel
from app.models.steering import TEXT_LIMIT
from app.scorecards.schemas import ChildRead, ScorecardRead, Status

UnitLevel = Literal["seller", "district", "region", "company", "account"]
# The seven areas to improve when sales fail (the handbook's), and the six coaching arenas.
Area = Literal["goals", "culture", "sales_meetings", "goal_conversations", "management", "sales_process", "recruiting"]
Arena = Literal["appraisal", "training", "practice", "problem_solving", "goals", "plan"]
ActionStatus = Literal["open", "done", "dropped"]

Code = Annotated[str, Field(min_length=1, max_length=64, description="the unit's code (`-` for the company)")]
KpiCode = Annotated[str, Field(min_length=1, max_length=64, description="a KPI code of the registry")]
PeriodText = Annotated[str, Field(pattern=MONTH_PATTERN, description="YYYY-MM", examples=["2026-06"])]


def _text(value: str) -> str:
    """Trimmed; empty (or only spaces) is a 422."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


Text = Annotated[
    str,
    Field(min_length=1, max_length=TEXT_LIMIT, description=f"plain text, at most {TEXT_LIMIT} characters"),
    AfterValidator(_text),
]
OptionalText = Annotated[
    str,
    Field(max_length=TEXT_LIMIT, description=f"plain text, at most {TEXT_LIMIT} characters"),
    AfterValidator(str.strip),
]
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        # no spaces nor control characters (the request guard refuses those in any text)
        pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$",
        examples=["kari@example.com"],
    ),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- comments -----------------------------------------------------------------------------------


class CommentCreate(_Body):
    level: UnitLevel
    code: Code
    period: PeriodText
    kpi: KpiCode
    text: Text


class CommentRead(BaseModel):
    id: int
    level: str
    code: str
    period: str
    kpi: str
    text: str
    author: str = Field(description="the author's e-mail")
    created_at: datetime


class CommentsRead(BaseModel):
    items: list[CommentRead]


# --- coaching actions ---------------------------------------------------------------------------


class ActionCreate(_Body):
    level: UnitLevel
    code: Code
    kpi: KpiCode
    arena: Arena
    title: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_text)]
    due: date = Field(description="not before the day the action is opened")
    owner_email: Email = Field(description="who carries the action out: a seller's, a leader's or a login's e-mail")
    period: PeriodText | None = Field(
        default=None,
        description="the month whose attainment is the baseline, not after the month the pages open on (GET "
        "/data-status `open_period`, the default) nor more than 36 months before it",
    )


class ActionUpdate(PatchModel):
    """Any of these; what is left out stays as it is. Closing an action (`done` or `dropped`) records
    when; opening it again clears that."""

    status: ActionStatus | None = None
    outcome: OptionalText | None = None
    title: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_text)] | None = None
    # JSON has no dates: an ISO date string, which the PatchModel's strict parsing alone would refuse
    due: Annotated[date, Field(strict=False)] | None = None
    owner_email: Email | None = None


class Baseline(BaseModel):
    period: str
    attainment: float | None = Field(description="the KPI's month attainment when the action was opened")


class FollowUp(BaseModel):
    period: str
    attainment: float | None
    status: Status


class NoteCreate(_Body):
    text: Text


class NoteRead(BaseModel):
    id: int
    text: str
    author: str
    created_at: datetime


class ActionRead(BaseModel):
    id: int
    level: str
    code: str
    name: str = Field(description="the unit's name")
    kpi: str
    kpi_name: str
    kpi_name_nb: str
    arena: Arena
    title: str
    owner_email: str
    due: date
    status: ActionStatus
    overdue: bool = Field(description="open and due before today")
    outcome: str | None
    baseline: Baseline
    follow_up: list[FollowUp] = Field(
        description="the KPI's month attainment in every month after the baseline's, through the latest "
        "month with sales"
    )
    notes: list[NoteRead]
    created_by: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class ActionsRead(BaseModel):
    items: list[ActionRead]


# --- needs attention ----------------------------------------------------------------------------


class AttentionRule(BaseModel):
    """One rule of the table that picks a red KPI's area (app/analytics/attention.py); the first
    that matches wins."""

    order: int
    rule: str = Field(description="the rule's id")
    area: Area
    text: str = Field(description="the rule in English")
    text_nb: str = Field(description="the rule in Norwegian bokmål")


class AttentionItem(BaseModel):
    level: str
    code: str
    name: str
    district_code: str | None = Field(
        description="the district the unit belongs to (a seller's on the period's last day; a district's own code)"
    )
    kpi: str
    kpi_name: str
    kpi_name_nb: str
    unit: str = Field(description="the KPI's unit: currency, ratio, count, hours or score")
    perspective: str
    actual: float | None
    target: float | None
    attainment: float | None
    status: Status
    cost: float = Field(
        description="the KPI's weight share in its perspective × the perspective's weight share × the shortfall, "
        "max(0, 1 − attainment): the order, most costly first"
    )
    months_red: int = Field(
        description="months in a row, ending at the period, with the KPI's month status (the month scored on its "
        "own) red, up to 12; 0 when the period's month is not red"
    )
    area: Area
    rule: str = Field(description="the id of the rule that picked the area (`rules`)")
    open_actions: int = Field(description="open coaching actions on this unit's KPI")
    comments: list[CommentRead] = Field(description="the comments on this unit's KPI for the period")
    needs_comment: bool = Field(
        description="a comment is required (the `require_comment_on_red` setting, a closed month) and there is none"
    )


class AttentionRead(BaseModel):
    level: str | None = Field(description="the unit asked for; null for everything below the caller")
    code: str | None
    period: str
    range: str
    closed: bool = Field(description="the period is a closed month: before the month the pages open on")
    items: list[AttentionItem]
    rules: list[AttentionRule]


# --- goal conversations -------------------------------------------------------------------------


class AgreedKpi(_Body):
    kpi: KpiCode
    period: Annotated[str, Field(pattern=r"^(19|2\d)\d{2}(-(0[1-9]|1[0-2]))?$", description="YYYY or YYYY-MM")]
    target: float | None = Field(default=None, ge=-1e12, le=1e12, allow_inf_nan=False)


class GoalConversationCreate(_Body):
    seller_code: Code
    held_on: date = Field(description="the day it was held: from 1900 on and not in the future (a 422 otherwise)")
    kpis: list[AgreedKpi] = Field(default_factory=list, max_length=30)
    notes: OptionalText = ""


class AgreedKpiRead(BaseModel):
    """An agreed KPI as answered (a model of its own: the body's fields carry the guard's text pattern
    in the OpenAPI document, an answer's do not)."""

    kpi: str
    period: str
    target: float | None


class GoalConversationRead(BaseModel):
    id: int
    seller_code: str
    seller_name: str
    held_on: date
    kpis: list[AgreedKpiRead]
    notes: str
    activity_id: str = Field(description="the goal_conversation activity it counts as")
    recorded_by: str
    created_at: datetime


class GoalConversationsRead(BaseModel):
    items: list[GoalConversationRead]


# --- the meeting pack ---------------------------------------------------------------------------


class MeetingPackRead(BaseModel):
    level: str
    code: str
    name: str
    period: str
    range: str
    scorecard: ScorecardRead
    ranking: list[ChildRead] = Field(description="the units below, best overall score first")
    attention: list[AttentionItem]
    actions: list[ActionRead] = Field(description="the open coaching actions of the unit and the units below")
    generated_at: datetime
