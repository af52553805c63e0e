"""JSON answers of the budget routes. Rows carry `<key>_code` / `<key>_name` only for the keys of
`by` (and `period` with per=month); money and quantities are numbers with two decimals."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Money = float | None


class GroupKeys(BaseModel):
    """The group columns; only those of the `by` asked for are present."""

    model_config = ConfigDict(extra="forbid")

    district_code: str | None = None
    district_name: str | None = None
    region_code: str | None = Field(None, description="null for a district without a region")
    region_name: str | None = None
    product_code: str | None = None
    product_name: str | None = None
    product_group_code: str | None = None
    product_group_name: str | None = Field(None, description="the same as product_group_code")
    seller_code: str | None = None
    seller_name: str | None = None


class VarianceFigures(BaseModel):
    budget_amount: Money = Field(description="null with by=seller (budgets are per district and product)")
    actual_amount: Money
    variance_amount: Money = Field(description="actual − budget")
    variance_pct: float | None = Field(description="variance / |budget| (0.05 = 5 %); null when the budget is 0")
    favorable: bool | None = Field(description="variance ≥ 0")
    budget_quantity: Money
    actual_quantity: Money
    price_effect: Money = Field(description="Σ (AP − BP)·AQ over the group's products")
    volume_effect: Money = Field(description="(ΣAQ − ΣBQ)·Σ m·BP")
    mix_effect: Money = Field(description="Σ (AQ − ΣAQ·m)·BP; price + volume + mix = variance to the cent")
    budget_margin: Money = Field(description="Σ (amount − cost) over budget rows with a cost; null when none")
    actual_margin: Money = Field(description="Σ (amount − cost) over sales with a cost; null when none")
    margin_variance: Money


class VarianceRow(GroupKeys, VarianceFigures):
    period: str | None = Field(None, description="YYYY-MM, with per=month only")


class VarianceRead(BaseModel):
    from_: str = Field(alias="from", description="first month, YYYY-MM")
    to: str
    by: list[str]
    per: Literal["month"] | None
    rows: list[VarianceRow]
    totals: VarianceFigures = Field(
        description="sums of the rows, exact to the cent; variance_pct and favorable from the summed figures"
    )


class ForecastFigures(BaseModel):
    budget: Money = Field(description="full-year budget")
    budget_to_date: Money
    actual_to_date: Money = Field(description="actual through as_of")
    budget_remainder: Money = Field(description="actual to date + budget of the remaining months")
    run_rate: Money = Field(description="actual to date / months elapsed × 12")
    seasonal: Money = Field(
        description="actual to date / budget to date × full-year budget; null when the budget to date is 0"
    )


class ForecastRow(GroupKeys, ForecastFigures):
    pass


class ForecastRead(BaseModel):
    year: int
    as_of: str
    by: list[str]
    rows: list[ForecastRow]
    totals: ForecastFigures
