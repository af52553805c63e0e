"""Budget control: variance against budget with its price/volume/mix split, and the year's forecast,
as JSON or as the exports finance pulls (CSV, XLSX, Parquet). One computation feeds every format.

Size: a variance is computed in parts (ranges of the first group key); CSV streams each part as it
is ready, in bounded memory whatever the number of rows; XLSX and Parquet are written part by part
into a temporary file, which is then sent (memory: one part; disk: the file). A JSON answer holds
every row at once, so it is limited to `MAX_JSON_ROWS` rows: a larger variance gets 422 naming
`format`, and CSV or Parquet (or a narrower query) gives it. The answers are built in `app.budget.service`."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from app.analytics.periods import MONTH_PATTERN
from app.budget import service
from app.budget.schemas import ForecastRead, VarianceRead
from app.budget.service import MEDIA
from app.deps import SessionDep, require_scope
from app.params import Bom, BudgetScope, Decimal, Delimiter, decimal_separator, group_keys, invalid
from app.reporting import budget as reports

router = APIRouter(prefix="/budget", tags=["budget"], dependencies=[Depends(require_scope("budgets:read"))])

# Rows of a JSON variance answer (one answer, built whole: about 1 KB of memory per row); CSV and
# Parquet have no limit, XLSX has Excel's 1,048,576 rows.
MAX_JSON_ROWS = 100_000
Format = Annotated[Literal["json", "csv", "xlsx", "parquet"], Query(alias="format")]
BY_HELP = f"comma-separated group keys from {', '.join(reports.GROUP_KEYS)}"

EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}, MEDIA["parquet"]: {}},
        "description": "JSON, or the export asked for by `format`",
    },
    403: {"description": "an API token without budgets:read, or a seller (sellers do not read budgets)"},
    422: {
        "description": "a bad query parameter; the message says which and why (also: a JSON variance "
        f"over {MAX_JSON_ROWS:,} rows, or an XLSX over Excel's row limit: use format=csv or "
        "parquet, or a narrower query)"
    },
}


@router.get("/variance", response_model=VarianceRead, responses=EXPORTS)
def get_variance(
    from_: Annotated[
        str,
        Query(
            alias="from",
            pattern=MONTH_PATTERN,
            description="first month, YYYY-MM; not after `to`, and at most 60 months before it (422 otherwise)",
            examples=["2026-01"],
        ),
    ],
    to: Annotated[str, Query(pattern=MONTH_PATTERN, description="last month, YYYY-MM", examples=["2026-06"])],
    scope: BudgetScope,
    session: SessionDep,
    by: Annotated[str, Query(description=BY_HELP, examples=["district,product"])] = "district",
    per: Annotated[Literal["month"] | None, Query(description="`month` splits every group per month")] = None,
    fmt: Format = "json",
    delimiter: Delimiter = ",",
    decimal: Decimal = None,
    bom: Bom = False,
) -> Response:
    """Budget against actual per group over a range of months (at most 60), with price/volume/mix.
    JSON answers at most 100,000 rows (422 beyond: use format=csv or parquet); exports have no limit
    but Excel's for XLSX."""
    keys = group_keys(by)
    separator = decimal_separator(delimiter, decimal)
    try:
        reports.check_range(from_, to)
    except ValueError as exc:
        raise invalid(
            "to" if "months" in str(exc) or "after" in str(exc) else "from", f"{from_}..{to}", str(exc)
        ) from None
    if fmt == "json":
        return JSONResponse(
            service.variance_answer(session, scope=scope, from_=from_, to=to, by=keys, per=per, max_rows=MAX_JSON_ROWS)
        )
    return service.variance_export(
        session,
        scope=scope,
        from_=from_,
        to=to,
        by=keys,
        per=per,
        fmt=fmt,
        delimiter=delimiter,
        decimal=separator,
        bom=bom,
    )


@router.get("/forecast", response_model=ForecastRead, responses=EXPORTS)
def get_forecast(
    year: Annotated[
        int,
        Query(
            ge=1900,
            le=2999,
            description="the fiscal year (it starts in the configured fiscal start month of this year)",
        ),
    ],
    scope: BudgetScope,
    session: SessionDep,
    as_of: Annotated[
        str | None,
        Query(
            pattern=MONTH_PATTERN,
            description="count actuals through this month; "
            "default the month of the latest sale, the month the pages open on "
            "(without sales, the last complete month), capped at the year's end",
        ),
    ] = None,
    by: Annotated[str, Query(description=BY_HELP, examples=["district"])] = "district",
    fmt: Format = "json",
    delimiter: Delimiter = ",",
    decimal: Decimal = None,
    bom: Bom = False,
) -> Response:
    """Where the fiscal year lands per group: budget_remainder, run_rate and seasonal. JSON answers
    at most 100,000 rows (422 beyond: use format=csv or parquet)."""
    keys = group_keys(by)
    separator = decimal_separator(delimiter, decimal)
    try:
        report, used = reports.forecast_report(session, scope=scope, year=year, as_of=as_of, by=keys)
    except ValueError as exc:
        raise invalid("as_of", as_of, str(exc)) from None
    if fmt == "json":
        return JSONResponse(service.forecast_answer(report, year=year, as_of=used, by=keys, max_rows=MAX_JSON_ROWS))
    return service.forecast_export(
        report, year=year, as_of=used, by=keys, fmt=fmt, delimiter=delimiter, decimal=separator, bom=bom
    )
