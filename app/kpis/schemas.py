from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from app.analytics.kpis import Direction, PerspectiveKey, TimeRollup, Unit
from app.bodies import PatchModel, whole_number

if TYPE_CHECKING:
    FiscalMonth = int  # what whole_number's field holds (it builds an Annotated type at run time)
else:
    FiscalMonth = whole_number(ge=1, le=12)
Weight = Annotated[float, Field(ge=0, le=1000)]
Threshold = Annotated[float, Field(ge=0, le=10)]
REQUIRE_COMMENT_HELP = (
    "a red KPI of a closed month asks for a comment: the needs-attention list marks those without one (`needs_comment`)"
)
WALL_SHOW_NAMES_HELP = "the wallboard (/wall) shows sellers' names; false (the default): only their ranking positions"
CELEBRATED_HELP = (
    "reaching the KPI's month target is an achievement on the sales floor (GET /achievements), recorded by the next "
    "import; revenue always is (100 %, 120 % and the stretch of the month's and the year's target)"
)
NB_HELP = "the name in Norwegian bokmål; without one the English `name` is shown in both languages"


def _nb_or_english(value: object, info: ValidationInfo) -> object:
    """A stored name_nb, or the English name where none was given (a manual KPI created without one)."""
    return info.data.get("name") if value is None else value


class KpiRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    name_nb: str = Field(description="the name in Norwegian bokmål (the English name where none was given)")
    perspective: str
    unit: str
    direction: Direction
    weight: float
    green_threshold: float
    amber_threshold: float
    time_rollup: TimeRollup
    manual: bool
    active: bool
    celebrated: bool = Field(description=CELEBRATED_HELP)

    _name_nb = field_validator("name_nb", mode="before")(_nb_or_english)

    @field_validator("celebrated", mode="before")
    @classmethod
    def _revenue_always(cls, value: object, info: ValidationInfo) -> object:
        return True if info.data.get("code") == "revenue" else value


class KpiUpdate(PatchModel):
    """Any of these; what is left out stays as it is."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_nb: str | None = Field(default=None, min_length=1, max_length=200, description=NB_HELP)
    weight: Weight | None = None
    green_threshold: Threshold | None = None
    amber_threshold: Threshold | None = None
    active: bool | None = None
    celebrated: bool | None = Field(default=None, description=CELEBRATED_HELP)


class ManualKpiCreate(BaseModel):
    """A manual-entry KPI: its actuals are loaded as `kpi_values`, its targets as `targets`."""

    model_config = ConfigDict(extra="forbid", strict=True)  # JSON true is not 1, "5" is not 5

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$", description="lower case, digits and _")
    name: str = Field(min_length=1, max_length=200)
    name_nb: str | None = Field(default=None, min_length=1, max_length=200, description=NB_HELP)
    perspective: PerspectiveKey
    unit: Unit = "score"
    direction: Direction = "higher"
    weight: Weight = 1.0
    green_threshold: Threshold = 1.0
    amber_threshold: Threshold = 0.9
    time_rollup: TimeRollup = Field(
        default="last", description="over a range: `sum` of the months, or the `last` month's value"
    )

    @model_validator(mode="after")
    def _amber_below_green(self) -> "ManualKpiCreate":
        if self.amber_threshold > self.green_threshold:
            raise ValueError("amber_threshold must not be above green_threshold")
        return self


class PerspectiveRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    name: str
    name_nb: str = Field(description="the name in Norwegian bokmål (the English name where none was given)")
    weight: float

    _name_nb = field_validator("name_nb", mode="before")(_nb_or_english)


class PerspectiveUpdate(PatchModel):
    """Any of these; what is left out stays as it is."""

    weight: Weight | None = None
    name: str | None = Field(default=None, min_length=1, max_length=100)
    name_nb: str | None = Field(default=None, min_length=1, max_length=100, description=NB_HELP)


class ScorecardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score_cap: float = Field(ge=1, le=10, description="a KPI's score is min(attainment, cap)")
    fiscal_year_start_month: int = Field(ge=1, le=12)
    require_comment_on_red: bool = Field(default=False, description=REQUIRE_COMMENT_HELP)
    wall_show_names: bool = Field(default=False, description=WALL_SHOW_NAMES_HELP)


class ScorecardSettingsUpdate(PatchModel):
    """Any of these; what is left out stays as it is."""

    score_cap: float | None = Field(default=None, ge=1, le=10)
    fiscal_year_start_month: FiscalMonth | None = None
    require_comment_on_red: bool | None = Field(default=None, description=REQUIRE_COMMENT_HELP)
    wall_show_names: bool | None = Field(default=None, description=WALL_SHOW_NAMES_HELP)
