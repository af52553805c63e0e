"""Steering: needs attention, comments, coaching actions, goal conversations and the meeting pack.

Every route follows the access rules (app.access): a unit the caller may not see is 404, read or
written. Coaching (actions, goal conversations) is personal: finance reads none of it (404)."""

import re
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status

from app.deps import CurrentUser, LoginUser, ScopeDep, SessionDep, require_scope
from app.params import Lang, Period, Range
from app.steering import actions, attention, comments, conversations, pack
from app.steering.schemas import (
    ActionCreate,
    ActionRead,
    ActionsRead,
    ActionStatus,
    ActionUpdate,
    AttentionRead,
    CommentCreate,
    CommentRead,
    CommentsRead,
    GoalConversationCreate,
    GoalConversationRead,
    GoalConversationsRead,
    MeetingPackRead,
    NoteCreate,
    NoteRead,
    UnitLevel,
)

router = APIRouter(tags=["steering"], dependencies=[Depends(require_scope("scorecards:read"))])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such unit or item, or not the caller's to see"}}
OptionalLevel = Annotated[
    UnitLevel | None,
    Query(description="with `code`: the unit whose subtree is listed; one without the other is a 422"),
]
OptionalCode = Annotated[
    str | None,
    Query(
        max_length=64, description="with `level`: the unit's code (`-` for the company); one without the other is a 422"
    ),
]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the item's id")]


T = TypeVar("T")


def _found(found: T | None, what: str) -> T:
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {what}, or not yours to see")
    return found


# --- needs attention ----------------------------------------------------------------------------


@router.get("/attention", response_model=AttentionRead, responses=NOT_FOUND)
def get_attention(
    period: Period,
    scope: ScopeDep,
    user: CurrentUser,
    session: SessionDep,
    range_: Range = "ytd",
    level: OptionalLevel = None,
    code: OptionalCode = None,
) -> dict:
    """Every red KPI of every district and seller below the caller (or below the unit asked for), most
    costly first, with how many months it has been red and the area to improve."""
    found = attention.attention(session, scope=scope, user=user, period=period, range_=range_, level=level, code=code)
    return _found(found, f"{level} {code}")


# --- comments -----------------------------------------------------------------------------------


@router.post("/comments", status_code=status.HTTP_201_CREATED, response_model=CommentRead, responses=NOT_FOUND)
def post_comment(body: CommentCreate, scope: ScopeDep, user: LoginUser, session: SessionDep) -> dict:
    """A comment on a unit's KPI for a period, by someone who may see the unit."""
    found = _found(comments.create(session, scope=scope, user=user, body=body), f"{body.level} {body.code}")
    session.commit()
    return found


@router.get("/comments", response_model=CommentsRead, responses=NOT_FOUND)
def get_comments(
    level: UnitLevel,
    code: Annotated[str, Query(max_length=64)],
    period: Period,
    scope: ScopeDep,
    session: SessionDep,
    kpi: Annotated[str | None, Query(max_length=64)] = None,
) -> dict:
    """The comments on a unit's KPIs for a period, oldest first."""
    found = comments.list_for(session, scope=scope, level=level, code=code, period=period, kpi=kpi)
    return _found(found, f"{level} {code}")


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_comment(comment_id: ItemId, scope: ScopeDep, user: LoginUser, session: SessionDep) -> Response:
    """Remove a comment: its author or an administrator."""
    _found(comments.delete(session, scope=scope, user=user, comment_id=comment_id), f"comment {comment_id}")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- coaching actions ---------------------------------------------------------------------------


@router.post("/actions", status_code=status.HTTP_201_CREATED, response_model=ActionRead, responses=NOT_FOUND)
def post_action(body: ActionCreate, scope: ScopeDep, user: LoginUser, session: SessionDep) -> dict:
    """Open a coaching action on a unit's KPI (leaders of the unit, administrators); its baseline is
    the KPI's month attainment now."""
    found = _found(actions.create(session, scope=scope, user=user, body=body), f"{body.level} {body.code}")
    session.commit()
    return found


@router.get("/actions", response_model=ActionsRead, responses=NOT_FOUND)
def get_actions(
    scope: ScopeDep,
    user: CurrentUser,
    session: SessionDep,
    level: OptionalLevel = None,
    code: OptionalCode = None,
    status_: Annotated[ActionStatus | Literal["overdue"] | None, Query(alias="status")] = None,
) -> dict:
    """Coaching actions the caller may see: a leader's on their units (with `level` and `code`, on that
    unit and the units below it), a seller's own; each with its baseline and follow-up."""
    found = actions.list_for(session, scope=scope, user=user, level=level, code=code, status=status_)
    return _found(found, f"{level} {code}" if level else "coaching actions")


@router.get("/actions/{action_id}", response_model=ActionRead, responses=NOT_FOUND)
def get_action(action_id: ItemId, scope: ScopeDep, user: CurrentUser, session: SessionDep) -> dict:
    """One coaching action with its baseline, follow-up and notes."""
    return _found(actions.read(session, scope=scope, user=user, action_id=action_id), f"action {action_id}")


@router.patch("/actions/{action_id}", response_model=ActionRead, responses=NOT_FOUND)
def patch_action(action_id: ItemId, body: ActionUpdate, scope: ScopeDep, user: LoginUser, session: SessionDep) -> dict:
    """Change an action's status (done, dropped), outcome, title, due date or owner (leaders of the
    unit, administrators)."""
    found = _found(
        actions.update(session, scope=scope, user=user, action_id=action_id, body=body), f"action {action_id}"
    )
    session.commit()
    return found


@router.post(
    "/actions/{action_id}/notes", status_code=status.HTTP_201_CREATED, response_model=NoteRead, responses=NOT_FOUND
)
def post_action_note(
    action_id: ItemId, body: NoteCreate, scope: ScopeDep, user: LoginUser, session: SessionDep
) -> dict:
    """A note on an action: by a leader who manages it, or by the seller it is about."""
    found = _found(
        actions.add_note(session, scope=scope, user=user, action_id=action_id, body=body), f"action {action_id}"
    )
    session.commit()
    return found


# --- goal conversations -------------------------------------------------------------------------


@router.post(
    "/goal-conversations",
    status_code=status.HTTP_201_CREATED,
    response_model=GoalConversationRead,
    responses=NOT_FOUND,
)
def post_goal_conversation(body: GoalConversationCreate, scope: ScopeDep, user: LoginUser, session: SessionDep) -> dict:
    """Record a goal conversation held with a seller (the seller's leaders, administrators). It counts
    as a `goal_conversation` activity of the seller on its date, as an imported one does."""
    found = _found(conversations.create(session, scope=scope, user=user, body=body), f"seller {body.seller_code}")
    session.commit()
    return found


@router.get("/goal-conversations", response_model=GoalConversationsRead, responses=NOT_FOUND)
def get_goal_conversations(
    scope: ScopeDep,
    user: CurrentUser,
    session: SessionDep,
    seller_code: Annotated[str | None, Query(max_length=64)] = None,
) -> dict:
    """Goal conversations the caller may see, newest first: a seller's own, a leader's sellers'."""
    found = conversations.list_for(session, scope=scope, user=user, seller_code=seller_code)
    return _found(found, f"seller {seller_code}" if seller_code else "goal conversations")


@router.get("/goal-conversations/{conversation_id}", response_model=GoalConversationRead, responses=NOT_FOUND)
def get_goal_conversation(conversation_id: ItemId, scope: ScopeDep, user: CurrentUser, session: SessionDep) -> dict:
    """One goal conversation with the KPIs and targets agreed."""
    found = conversations.read(session, scope=scope, user=user, conversation_id=conversation_id)
    return _found(found, f"goal conversation {conversation_id}")


@router.delete("/goal-conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_goal_conversation(
    conversation_id: ItemId, scope: ScopeDep, user: LoginUser, session: SessionDep
) -> Response:
    """Remove a goal conversation and the activity it counts as (the seller's leaders, administrators)."""
    found = conversations.delete(session, scope=scope, user=user, conversation_id=conversation_id)
    _found(found, f"goal conversation {conversation_id}")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the meeting pack ---------------------------------------------------------------------------

PACK_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/meetings/pack",
    response_model=MeetingPackRead,
    responses={
        **NOT_FOUND,
        200: {"content": {media: {} for media in PACK_TYPES.values()}, "description": "the pack"},
    },
)
def get_meeting_pack(
    level: Annotated[UnitLevel, Query()],
    code: Annotated[str, Query(max_length=64)],
    period: Period,
    scope: ScopeDep,
    user: CurrentUser,
    session: SessionDep,
    range_: Range = "ytd",
    format_: Annotated[Literal["json", "pdf", "xlsx"], Query(alias="format")] = "json",
    lang: Lang = "en",
) -> Any:
    """The sales meeting's pack for a unit: its scorecard, the ranking of the units below, the attention
    items with their comments, the open actions; as JSON, PDF or XLSX."""
    found = _found(
        pack.meeting_pack(session, scope=scope, user=user, level=level, code=code, period=period, range_=range_),
        f"{level} {code}",
    )
    if format_ == "json":
        return found
    body = pack.render(found, format_=format_, lang=lang)
    # a header is Latin-1 and a unit's code any text: the file's name keeps letters, digits, . _ -
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"meeting-pack-{level}-{found['code']}-{period}") + f".{format_}"
    return Response(
        body, media_type=PACK_TYPES[format_], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
