"""The request parameters the routers share: the unit's level, the period and its range, months, the
language of labels, how an export's CSV is written, the budget scope, and the 422s that name a bad
query parameter or body field."""

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Path, Query, status

from app.access import Scope
from app.analytics.periods import MONTH_PATTERN
from app.deps import CurrentUser, ScopeDep
from app.reporting.budget import check_by

Level = Annotated[Literal["seller", "district", "region", "company", "account"], Path()]
Period = Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM", examples=["2026-06"])]
Range = Annotated[Literal["month", "quarter", "ytd", "r12"], Query(alias="range")]
Month = Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]
Lang = Annotated[Literal["en", "nb"], Query(description="language of the figure's labels")]
# How an export's CSV is written (the budget's and the scorecard tables'): `;` and `,` for Norwegian Excel.
Delimiter = Annotated[Literal[",", ";"], Query(description="CSV only: `;` for Norwegian Excel")]
Decimal = Annotated[
    Literal[".", ","] | None,
    Query(
        description="CSV only: decimal separator; default `,` with delimiter `;`, else `.`; must "
        "differ from `delimiter` (422 otherwise)"
    ),
]
Bom = Annotated[bool, Query(description="CSV only: start with a UTF-8 byte-order mark (for Excel)")]


def invalid(field: str, value: object, message: str) -> HTTPException:
    """422 in FastAPI's own validation-error shape, naming the query parameter."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"type": "value_error", "loc": ["query", field], "msg": message, "input": value}],
    )


def invalid_at(loc: Sequence[str | int], value: Any, message: str) -> HTTPException:
    """422 in FastAPI's own validation-error shape, naming the field at `loc` (("body", "kpi"),
    ("query", "code")), as `invalid` names a query parameter. `value` must be JSON as it is."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"type": "value_error", "loc": list(loc), "msg": message, "input": value}],
    )


def decimal_separator(delimiter: str, decimal: str | None) -> str:
    """The CSV's decimal separator: `decimal`, or by default `,` with delimiter `;` and `.` otherwise;
    a 422 naming `decimal` when it is the delimiter."""
    decimal = decimal or ("," if delimiter == ";" else ".")
    if decimal == delimiter:
        raise invalid("decimal", decimal, f"decimal {decimal!r} must differ from delimiter {delimiter!r}")
    return decimal


def group_keys(value: str) -> list[str]:
    """The `by` parameter (comma-separated group keys) checked, or a 422 naming it."""
    try:
        return check_by([k.strip() for k in value.split(",")])
    except ValueError as exc:
        raise invalid("by", value, str(exc)) from None


def budget_scope(user: CurrentUser, scope: ScopeDep) -> Scope:
    """What the caller may see of budgets: sellers are refused outright (403; the route is public
    knowledge, so there is nothing to hide by a 404), leaders see their districts."""
    if user.role == "seller":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "sellers do not have access to budgets")
    return scope


BudgetScope = Annotated[Scope, Depends(budget_scope)]
