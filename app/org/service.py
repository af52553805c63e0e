"""Reads of the organization, always through the reader's scope."""

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.access import Scope
from app.models import District, Region, Seller
from app.org.schemas import DistrictRead, RegionRead, SellerAssignmentRead, SellerRead


def list_regions(session: Session, *, scope: Scope) -> list[RegionRead]:
    stmt = scope.filter_regions(select(Region).order_by(Region.code))
    return [RegionRead(code=r.code, name=r.name) for r in session.scalars(stmt)]


def list_districts(session: Session, *, scope: Scope) -> list[DistrictRead]:
    stmt = scope.filter_districts(
        select(District, Region.code).outerjoin(Region, District.region_id == Region.id).order_by(District.code)
    )
    return [DistrictRead(code=d.code, name=d.name, basis=d.basis, region_code=rc) for d, rc in session.execute(stmt)]


def _seller_read(seller: Seller, district_codes: dict[int, str]) -> SellerRead:
    history = [
        SellerAssignmentRead(district_code=district_codes[a.district_id], valid_from=a.valid_from)
        for a in seller.assignments
    ]
    return SellerRead(
        code=seller.code,
        name=seller.name,
        email=seller.email,
        district_code=history[-1].district_code if history else None,
        history=history,
    )


def list_sellers(session: Session, *, scope: Scope, district_code: str | None = None) -> list[SellerRead]:
    """Sellers visible in at least one period (Scope.filter_sellers); with `district_code`, those who
    belong to that district now."""
    stmt = scope.filter_sellers(select(Seller).options(selectinload(Seller.assignments)).order_by(Seller.code))
    district_codes = dict(session.execute(select(District.id, District.code)).all())
    sellers = [_seller_read(s, district_codes) for s in session.scalars(stmt)]
    if district_code is not None:
        sellers = [s for s in sellers if s.district_code == district_code]
    return sellers


def get_seller(session: Session, *, scope: Scope, code: str) -> SellerRead | None:
    seller = session.scalar(select(Seller).options(selectinload(Seller.assignments)).where(Seller.code == code))
    if seller is None or not scope.sees_seller(seller.id):  # in at least one period: the record has none
        return None
    district_ids = {a.district_id for a in seller.assignments}
    codes = dict(session.execute(select(District.id, District.code).where(District.id.in_(district_ids))).all())
    return _seller_read(seller, codes)
