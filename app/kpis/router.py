"""The KPI registry: everyone signed in reads it, administrators change it."""

from fastapi import APIRouter, HTTPException, status

from app.deps import AdminUser, CurrentUser, SessionDep
from app.kpis import service
from app.kpis.schemas import (
    KpiRead,
    KpiUpdate,
    ManualKpiCreate,
    PerspectiveRead,
    PerspectiveUpdate,
    ScorecardSettings,
    ScorecardSettingsUpdate,
)
from app.models import KpiDefinition, Perspective

router = APIRouter(tags=["kpis"])


def _unprocessable(exc: Exception) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))


@router.get("/kpis", response_model=list[KpiRead])
def list_kpis(user: CurrentUser, session: SessionDep) -> list[KpiDefinition]:
    """Every KPI with its perspective, weight and thresholds."""
    return service.list_kpis(session)


@router.post("/kpis", response_model=KpiRead, status_code=status.HTTP_201_CREATED)
def create_kpi(body: ManualKpiCreate, admin: AdminUser, session: SessionDep) -> KpiDefinition:
    """Add a manual-entry KPI (administrators)."""
    try:
        kpi = service.create_manual_kpi(session, body=body, actor=admin)
    except service.RegistryError as exc:
        raise _unprocessable(exc) from exc
    session.commit()
    return kpi


@router.patch("/kpis/{code}", response_model=KpiRead, responses={404: {"description": "no such KPI"}})
def update_kpi(code: str, body: KpiUpdate, admin: AdminUser, session: SessionDep) -> KpiDefinition:
    """Change a KPI's names (English, bokmål), weight, thresholds, whether it is shown or celebrated
    (administrators)."""
    try:
        kpi = service.update_kpi(session, code=code, changes=body, actor=admin)
    except service.RegistryError as exc:
        raise _unprocessable(exc) from exc
    if kpi is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no KPI {code}")
    session.commit()
    return kpi


@router.get("/perspectives", response_model=list[PerspectiveRead])
def list_perspectives(user: CurrentUser, session: SessionDep) -> list[Perspective]:
    """The four perspectives with their names (English, bokmål) and weights."""
    return service.list_perspectives(session)


@router.patch(
    "/perspectives/{key}", response_model=PerspectiveRead, responses={404: {"description": "no such perspective"}}
)
def update_perspective(key: str, body: PerspectiveUpdate, admin: AdminUser, session: SessionDep) -> Perspective:
    """Change a perspective's weight or names (administrators); weights renormalize over scored perspectives."""
    perspective = service.update_perspective(session, key=key, changes=body, actor=admin)
    if perspective is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no perspective {key}")
    session.commit()
    return perspective


@router.get("/settings/scorecard", response_model=ScorecardSettings)
def read_settings(user: CurrentUser, session: SessionDep) -> ScorecardSettings:
    """The score cap and the fiscal year's first month."""
    return service.get_settings(session)


@router.patch("/settings/scorecard", response_model=ScorecardSettings)
def change_settings(body: ScorecardSettingsUpdate, admin: AdminUser, session: SessionDep) -> ScorecardSettings:
    """Change the score cap or the fiscal year's first month (administrators)."""
    settings = service.update_settings(session, changes=body, actor=admin)
    session.commit()
    return settings
