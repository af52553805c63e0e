"""Long-lived API tokens for other systems: create (shown once), list, revoke."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from app.deps import LoginUser, SessionDep
from app.models import ApiToken
from app.tokens import service
from app.tokens.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenRead

router = APIRouter(prefix="/tokens", tags=["tokens"])


def _read(row: ApiToken) -> ApiTokenRead:
    return ApiTokenRead(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=row.scope_list,
        user_email=row.user.email,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        revoked=row.revoked_at is not None,
        revoked_at=row.revoked_at,
    )


@router.post(
    "",
    response_model=ApiTokenCreated,
    status_code=status.HTTP_201_CREATED,
    responses={403: {"description": "called with an API token: only a person signed in creates tokens"}},
)
def create_token(body: ApiTokenCreate, user: LoginUser, session: SessionDep) -> ApiTokenCreated:
    """Create a read-only token acting as the caller, limited to `scopes`; the token is shown only here."""
    # Any role may: a token reads only what its user may read, within its scopes, and never writes.
    new = service.create_token(
        session, user=user, name=body.name, scopes=list(body.scopes), expires_in_days=body.expires_in_days
    )
    session.commit()
    row = new.row
    return ApiTokenCreated(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=row.scope_list,
        created_at=row.created_at,
        expires_at=row.expires_at,
        token=new.token,
    )


@router.get(
    "",
    response_model=list[ApiTokenRead],
    responses={403: {"description": "`all=true` from someone who is not an administrator"}},
)
def list_tokens(
    user: LoginUser,
    session: SessionDep,
    all_: Annotated[bool, Query(alias="all", description="every user's tokens (administrators)")] = False,
) -> list[ApiTokenRead]:
    """The caller's tokens, revoked ones included, newest first; administrators may ask for all."""
    if all_ and user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an administrator may list every user's tokens")
    return [_read(row) for row in service.list_tokens(session, user=None if all_ else user)]


@router.delete(
    "/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "no such token, or not the caller's"}},
)
def revoke_token(token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], user: LoginUser, session: SessionDep) -> None:
    """Revoke a token (the caller's own; any token for an administrator); it stops working at once."""
    if not service.revoke_token(session, token_id=token_id, by=user):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no token {token_id}")
    session.commit()
