"""The organization as the signed-in user may see it."""

from fastapi import APIRouter, HTTPException, status

from app.deps import ScopeDep, SessionDep
from app.org import service
from app.org.schemas import DistrictRead, RegionRead, SellerRead

router = APIRouter(tags=["organization"])


@router.get("/regions", response_model=list[RegionRead])
def regions(scope: ScopeDep, session: SessionDep) -> list[RegionRead]:
    """Regions the caller may see."""
    return service.list_regions(session, scope=scope)


@router.get("/districts", response_model=list[DistrictRead])
def districts(scope: ScopeDep, session: SessionDep) -> list[DistrictRead]:
    """Districts the caller may see."""
    return service.list_districts(session, scope=scope)


@router.get("/sellers", response_model=list[SellerRead])
def sellers(scope: ScopeDep, session: SessionDep, district: str | None = None) -> list[SellerRead]:
    """Sellers the caller may see in at least one period (a leader: sellers who belonged to one of
    their units on some month's last day, also those who moved away since), optionally only those now
    in one district."""
    return service.list_sellers(session, scope=scope, district_code=district)


@router.get(
    "/sellers/{code}",
    response_model=SellerRead,
    responses={404: {"description": "no such seller, or not one the caller may see"}},
)
def seller(code: str, scope: ScopeDep, session: SessionDep) -> SellerRead:
    """One seller with their district history; 404 when unknown or not the caller's to see in any
    period (the same rule as the list: the seller's figures are then the caller's for some periods)."""
    found = service.get_seller(session, scope=scope, code=code)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no seller {code}")
    return found
