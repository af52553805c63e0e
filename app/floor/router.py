"""The sales floor: achievements, display tokens, and the wall a display token reads.

Who may do what:
- `GET /achievements`: anyone who reads scorecards, each seeing the achievements of the units they
  may see (a seller their own); an API token needs `scorecards:read`;
- display tokens: leaders (for a unit they lead or one below it) and administrators, signed in;
  each lists and revokes their own (an administrator every one);
- `GET /wall`: a display token only; it reads its unit's wall and nothing else (every other route
  answers it 401), and a revoked one is 401.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status

from app.deps import LoginUser, ScopeDep, SessionDep, require_scope
from app.floor import achievements, displays, wall
from app.floor.schemas import AchievementsRead, DisplayCreate, DisplayCreated, DisplaysRead, WallRead
from app.models import User
from app.params import invalid

router = APIRouter(tags=["sales floor"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such item, or not the caller's to see"}}
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the item's id")]


def _display_maker(user: LoginUser) -> User:
    """A leader or an administrator, signed in."""
    if user.role not in ("leader", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only leaders and administrators make wallboard displays")
    return user


DisplayMaker = Annotated[User, Depends(_display_maker)]


# --- achievements -------------------------------------------------------------------------------


@router.get(
    "/achievements",
    response_model=AchievementsRead,
    dependencies=[Depends(require_scope("scorecards:read"))],
    responses={
        404: {"description": "the unit is unknown, or not the caller's to see"},
        422: {"description": "a bad parameter, or `level` without `code` (or `code` without `level`)"},
    },
)
def get_achievements(
    scope: ScopeDep,
    session: SessionDep,
    since: Annotated[
        str | None,
        Query(
            pattern=r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$",
            description="only those recorded since this day or moment (ISO 8601: 2026-03-01, 2026-03-01T08:00+01:00)",
            examples=["2026-03-01"],
        ),
    ] = None,
    level: Annotated[
        Literal["seller", "district", "region", "company", "account"] | None,
        Query(description="with `code`: the unit whose subtree is listed; one without the other is a 422"),
    ] = None,
    code: Annotated[
        str | None, Query(min_length=1, max_length=64, description="the unit's code ('-': the company)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    """The goals reached by the units the caller may see, newest first, each once."""
    return achievements.list_for(session, scope=scope, since=_since(since), level=level, code=code, limit=limit)


def _since(text: str | None) -> datetime | date | None:
    """`since` as a day or a moment; a 422 naming it when the calendar has no such day or time."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise invalid("since", text, "not a day (YYYY-MM-DD) or a moment (ISO 8601)") from None


# --- display tokens -----------------------------------------------------------------------------


@router.post(
    "/displays",
    status_code=status.HTTP_201_CREATED,
    response_model=DisplayCreated,
    responses={
        403: {"description": "not a leader nor an administrator, or an API token"},
        404: {"description": "the unit is not the caller's to lead"},
    },
)
def post_display(body: DisplayCreate, user: DisplayMaker, session: SessionDep) -> dict:
    """Make a display token for a unit's wallboard; the token is shown once (open /wall#<token>)."""
    found = displays.create(session, user=user, body=body)
    if found is None:  # worded as for an unknown unit: nobody learns that a unit they do not lead exists
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {body.level} {body.code}")
    session.commit()
    return found


@router.get("/displays", response_model=DisplaysRead)
def get_displays(user: DisplayMaker, session: SessionDep) -> dict:
    """The caller's display tokens (an administrator's: every one), revoked ones included."""
    return displays.list_for(session, user=user)


@router.delete("/displays/{display_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_display(display_id: ItemId, user: DisplayMaker, session: SessionDep) -> Response:
    """Revoke a display token: its wall goes blank at its next refresh."""
    if not displays.revoke(session, user=user, display_id=display_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no display, or not yours to see")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the wall -----------------------------------------------------------------------------------


@router.get(
    "/wall", response_model=WallRead, responses={401: {"description": "no, an unknown or a revoked display token"}}
)
def get_wall(display: displays.DisplayDep, session: SessionDep) -> dict:
    """The wall of the display token's unit: its ranking, the month against target for it and each
    seller, the latest achievements."""
    return wall.read(session, display=display)
