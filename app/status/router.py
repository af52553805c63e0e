"""GET /data-status: how fresh the figures are, and the month the pages open on."""

from fastapi import APIRouter

from app.deps import PrincipalDep, SessionDep
from app.status import service
from app.status.schemas import DataStatusRead

router = APIRouter(tags=["status"])


@router.get("/data-status", response_model=DataStatusRead)
def get_data_status(principal: PrincipalDep, session: SessionDep) -> dict:
    """The latest sale and activity, the latest import, and the month the pages open on (any signed-in
    caller; the importer's e-mail only for administrators signed in, who read the audit trail)."""
    show_who = principal.user.role == "admin" and not principal.is_api_token
    return service.data_status(session, show_who=show_who)
