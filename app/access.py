"""The access model, in one place: which units and sellers a signed-in user may see.

- admin and finance: everything;
- leader: the units they lead (rows of `leader_units`) and everything below them: a region's
  districts, a district's sellers (every seller who has belonged to it, so last year's team stays
  visible after a move) and accounts;
- seller: themselves only.

Every read of business data asks a `Scope`; what is outside it is answered as if it did not
exist (404), so nobody learns that it does.
"""

from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.auth.schemas import MeRead
from app.models import District, Leader, LeaderUnit, Region, Seller, SellerDistrict, User


@dataclass(frozen=True)
class Scope:
    """What one user may see. `everything` short-cuts all checks (admin, finance, company leader)."""

    everything: bool = False
    region_ids: frozenset[int] = field(default_factory=frozenset)
    district_ids: frozenset[int] = field(default_factory=frozenset)
    seller_ids: frozenset[int] = field(default_factory=frozenset)

    def sees_company(self) -> bool:
        return self.everything

    def sees_region(self, region_id: int) -> bool:
        return self.everything or region_id in self.region_ids

    def sees_district(self, district_id: int) -> bool:
        return self.everything or district_id in self.district_ids

    def sees_seller(self, seller_id: int) -> bool:
        return self.everything or seller_id in self.seller_ids

    def filter_regions(self, stmt: Select) -> Select:
        return stmt if self.everything else stmt.where(Region.id.in_(self.region_ids))

    def filter_districts(self, stmt: Select) -> Select:
        return stmt if self.everything else stmt.where(District.id.in_(self.district_ids))

    def filter_sellers(self, stmt: Select) -> Select:
        return stmt if self.everything else stmt.where(Seller.id.in_(self.seller_ids))


NOTHING = Scope()
EVERYTHING = Scope(everything=True)


def seller_for(session: Session, user: User) -> Seller | None:
    return session.scalar(select(Seller).where(func.lower(Seller.email) == user.email))


def leader_for(session: Session, user: User) -> Leader | None:
    return session.scalar(select(Leader).where(func.lower(Leader.email) == user.email))


def scope_for(session: Session, user: User) -> Scope:
    """The scope of `user`, from their role and the seller or leader rows with their e-mail."""
    if user.role in ("admin", "finance"):
        return EVERYTHING
    if user.role == "seller":
        seller = seller_for(session, user)
        return Scope(seller_ids=frozenset({seller.id})) if seller else NOTHING
    leader = leader_for(session, user)
    if leader is None:
        return NOTHING
    units = session.execute(
        select(LeaderUnit.level, LeaderUnit.unit_code).where(LeaderUnit.leader_id == leader.id)
    ).all()
    if any(level == "company" for level, _ in units):
        return EVERYTHING
    region_codes = [code for level, code in units if level == "region"]
    district_codes = [code for level, code in units if level == "district"]
    region_ids = set(session.scalars(select(Region.id).where(Region.code.in_(region_codes))))
    district_ids = set(session.scalars(
        select(District.id).where(
            District.code.in_(district_codes) | District.region_id.in_(region_ids)
        )
    ))
    seller_ids = set(session.scalars(
        select(SellerDistrict.seller_id).where(SellerDistrict.district_id.in_(district_ids))
    ))
    return Scope(region_ids=frozenset(region_ids), district_ids=frozenset(district_ids),
                 seller_ids=frozenset(seller_ids))


def describe_scope(session: Session, user: User) -> MeRead:
    """The signed-in user as the pages need them: role, own seller code, units led."""
    seller = seller_for(session, user) if user.role == "seller" else None
    units: list[str] = []
    if user.role == "leader" and (leader := leader_for(session, user)) is not None:
        for unit in sorted(leader.units, key=lambda u: (u.level, u.unit_code)):
            units.append("company" if unit.level == "company" else f"{unit.level}:{unit.unit_code}")
    return MeRead(email=user.email, role=user.role, seller_code=seller.code if seller else None,
                  units=units)
