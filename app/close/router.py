"""The close: locked months (`/periods`), the snapshots taken at each lock and their restatement diff
(`/snapshots`), and the reports sent by e-mail (`/subscriptions`; `scorecard send-reports` sends them).

Who may do what:
- lock and unlock: finance and administrators, signed in (an API token only reads);
- `GET /periods`: anyone signed in (the pages mark locked months);
- snapshots: who reads budgets (sellers 403), each seeing what they may see of it (a leader their
  districts and units); an API token needs `budgets:read`;
- subscriptions: finance, leaders and administrators, signed in; each sees and changes their own
  (an administrator every one). A report holds what its owner may see when it is sent.
"""

from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status

from app.analytics.periods import MONTH_PATTERN
from app.close import locks, snapshots, subscriptions
from app.close.schemas import (
    LockRead,
    PeriodsRead,
    SnapshotDetailRead,
    SnapshotDiffRead,
    SnapshotsRead,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionsRead,
    SubscriptionUpdate,
)
from app.deps import CurrentUser, LoginUser, SessionDep, require_scope
from app.models import User
from app.params import Bom, BudgetScope, Decimal, Delimiter, decimal_separator

router = APIRouter(tags=["close"])

PeriodPath = Annotated[str, Path(pattern=MONTH_PATTERN, description="YYYY-MM", examples=["2026-06"])]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the item's id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such item, or not the caller's to see"}}
SNAPSHOT_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def _closer(user: LoginUser) -> User:
    """Finance or an administrator, signed in."""
    if user.role not in ("finance", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only finance and administrators lock and unlock months")
    return user


def _subscriber(user: LoginUser) -> User:
    """Finance, a leader or an administrator, signed in."""
    if user.role not in ("finance", "leader", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "sellers do not subscribe to reports")
    return user


Closer = Annotated[User, Depends(_closer)]
Subscriber = Annotated[User, Depends(_subscriber)]


T = TypeVar("T")


def _found(found: T | None, what: str) -> T:
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {what}, or not yours to see")
    return found


# --- locked months ------------------------------------------------------------------------------


@router.get("/periods", response_model=PeriodsRead)
def get_periods(user: CurrentUser, session: SessionDep) -> dict:
    """Every month with data and every locked month, newest first, each with its lock."""
    return locks.periods(session)


@router.post(
    "/periods/{period}/lock",
    status_code=status.HTTP_201_CREATED,
    response_model=LockRead,
    responses={
        403: {"description": "not finance nor an administrator, or an API token"},
        409: {"description": "the month is locked already"},
        422: {"description": "not a month, or a month with no data"},
    },
)
def post_lock(period: PeriodPath, user: Closer, session: SessionDep) -> dict:
    """Lock a month: imports that would change its figures are refused until it is unlocked. Takes
    the month's snapshot (variance by district and product, every unit's scorecard) as it stands."""
    found = locks.lock(session, period=period, user=user)
    session.commit()
    return found


@router.post(
    "/periods/{period}/unlock",
    response_model=LockRead,
    responses={
        403: {"description": "not finance nor an administrator, or an API token"},
        409: {"description": "the month is not locked"},
    },
)
def post_unlock(period: PeriodPath, user: Closer, session: SessionDep) -> dict:
    """Unlock a month; its snapshot stays, for the restatement diff."""
    found = locks.unlock(session, period=period, user=user)
    session.commit()
    return found


# --- snapshots ----------------------------------------------------------------------------------


@router.get("/snapshots", response_model=SnapshotsRead, dependencies=[Depends(require_scope("budgets:read"))])
def get_snapshots(
    scope: BudgetScope,
    session: SessionDep,
    period: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="only this month's")] = None,
) -> dict:
    """The snapshots taken at each lock, newest first."""
    return snapshots.list_for(session, scope=scope, period=period)


@router.get(
    "/snapshots/{snapshot_id}",
    response_model=SnapshotDetailRead,
    dependencies=[Depends(require_scope("budgets:read"))],
    responses={
        **NOT_FOUND,
        200: {"content": {m: {} for m in SNAPSHOT_MEDIA.values()}, "description": "JSON, or the export asked for"},
    },
)
def get_snapshot(
    snapshot_id: ItemId,
    scope: BudgetScope,
    session: SessionDep,
    fmt: Annotated[Literal["json", "csv", "xlsx", "parquet"], Query(alias="format")] = "json",
    table: Annotated[
        Literal["variance", "scorecards"], Query(description="exports only: which table of the snapshot")
    ] = "variance",
    delimiter: Delimiter = ",",
    decimal: Decimal = None,
    bom: Bom = False,
) -> Response | dict:
    """A snapshot: its variance by district and product and every unit's scorecard as they stood at
    the lock; as JSON, or one of its tables as CSV, XLSX or Parquet."""
    separator = decimal_separator(delimiter, decimal)
    if fmt == "json":
        return _found(snapshots.read(session, scope=scope, snapshot_id=snapshot_id), f"snapshot {snapshot_id}")
    return _found(
        snapshots.export(
            session,
            scope=scope,
            snapshot_id=snapshot_id,
            table=table,
            fmt=fmt,
            delimiter=delimiter,
            decimal=separator,
            bom=bom,
        ),
        f"snapshot {snapshot_id}",
    )


@router.get(
    "/snapshots/{snapshot_id}/diff",
    response_model=SnapshotDiffRead,
    dependencies=[Depends(require_scope("budgets:read"))],
    responses=NOT_FOUND,
)
def get_snapshot_diff(snapshot_id: ItemId, scope: BudgetScope, session: SessionDep) -> dict:
    """What changed since the snapshot: each variance figure and scorecard figure that differs now,
    before (the snapshot) and after (the live figures)."""
    return _found(snapshots.diff(session, scope=scope, snapshot_id=snapshot_id), f"snapshot {snapshot_id}")


# --- report subscriptions -----------------------------------------------------------------------


@router.post(
    "/subscriptions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionRead,
    responses={
        403: {"description": "a seller, or an API token"},
        404: {"description": "the report's unit is not the caller's to see"},
        422: {"description": "a bad body: a recipient that is not an e-mail, parameters or a format the report lacks"},
    },
)
def post_subscription(body: SubscriptionCreate, user: Subscriber, session: SessionDep) -> dict:
    """Subscribe to a report by e-mail; `scorecard send-reports` sends it when due (a new one at once)."""
    found = subscriptions.create(session, user=user, body=body)
    session.commit()
    return found


@router.get("/subscriptions", response_model=SubscriptionsRead)
def get_subscriptions(user: Subscriber, session: SessionDep) -> dict:
    """The caller's subscriptions (an administrator's: every one), with their send log."""
    return subscriptions.list_for(session, user=user)


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionRead, responses=NOT_FOUND)
def get_subscription(subscription_id: ItemId, user: Subscriber, session: SessionDep) -> dict:
    """One subscription with its send log."""
    return _found(subscriptions.read(session, user=user, subscription_id=subscription_id), "subscription")


@router.patch("/subscriptions/{subscription_id}", response_model=SubscriptionRead, responses=NOT_FOUND)
def patch_subscription(
    subscription_id: ItemId, body: SubscriptionUpdate, user: Subscriber, session: SessionDep
) -> dict:
    """Pause or resume a subscription, or change its recipients or schedule."""
    found = _found(subscriptions.update(session, user=user, subscription_id=subscription_id, body=body), "subscription")
    session.commit()
    return found


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_subscription(subscription_id: ItemId, user: Subscriber, session: SessionDep) -> Response:
    """Stop and remove a subscription and its send log."""
    _found(subscriptions.delete(session, user=user, subscription_id=subscription_id), "subscription")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
