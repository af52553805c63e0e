"""The access model, in one place: which units and sellers a signed-in user may see, and when.

- admin and finance: everything;
- leader: the units they lead (rows of `leader_units`) and everything below them: a region's
  districts, a district's accounts, and a district's sellers *for a period* when the seller belonged
  to the district on the period's last day (the rule of the children overview). After a move the old
  leader still sees the seller's earlier periods and no later ones; the new leader the periods from
  the move on. Period-less answers about a seller (the seller's record, the sellers list) follow the
  union: a seller the leader may see in at least one period;
- seller: themselves, in every period, and, as key account manager (`accounts.kam_seller_id` on a
  key account), those key accounts.

Every read of business data asks a `Scope`; what is outside it is answered as if it did not
exist (404), so nobody learns that it does. A Scope is plain data, cached per user under the data
version (the organization changes only through imports, which count the version up), and every
check against it runs per request: a cached figure is only ever looked up after the check.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.analytics.periods import month_end_iso
from app.models import (
    Account,
    District,
    Leader,
    LeaderUnit,
    Region,
    Seller,
    SellerDistrict,
    User,
)

# [start, end): from `start` on, until the day before `end` (None: still)
Span = tuple[date, date | None]


def _month_end(day: date) -> date:
    return date.fromisoformat(month_end_iso(day.strftime("%Y-%m")))


def _covers_a_month_end(span: Span) -> bool:
    """Whether some month's last day falls inside `span`: the first one from its start does, if any."""
    start, end = span
    return end is None or _month_end(start) < end


@dataclass(frozen=True)
class Scope:
    """What one user may see. `everything` short-cuts all checks (admin, finance, company leader).

    `seller_ids` are the sellers the caller sees in at least one period; `seller_spans` says when,
    for a leader: the days each of them belonged to one of the leader's districts. A seller of
    `seller_ids` without spans (the caller themselves) is seen in every period. `account_ids` are
    the key accounts the caller manages, seen whatever their district."""

    everything: bool = False
    region_ids: frozenset[int] = field(default_factory=frozenset)
    district_ids: frozenset[int] = field(default_factory=frozenset)
    seller_ids: frozenset[int] = field(default_factory=frozenset)
    seller_spans: Mapping[int, tuple[Span, ...]] = field(default_factory=dict, hash=False)
    account_ids: frozenset[int] = field(default_factory=frozenset)

    def sees_company(self) -> bool:
        return self.everything

    def sees_region(self, region_id: int) -> bool:
        return self.everything or region_id in self.region_ids

    def sees_district(self, district_id: int) -> bool:
        return self.everything or district_id in self.district_ids

    def sees_seller(self, seller_id: int, period: str | None = None) -> bool:
        """Whether the caller may see the seller's figures for `period` ('YYYY-MM': the seller belonged
        to one of the caller's districts on its last day); without a period, in at least one period."""
        if self.everything:
            return True
        if seller_id not in self.seller_ids:
            return False
        spans = self.seller_spans.get(seller_id)
        if spans is None or period is None:
            return True
        on = date.fromisoformat(month_end_iso(period))
        return any(start <= on and (end is None or on < end) for start, end in spans)

    def sees_account(self, account_id: int, district_id: int) -> bool:
        """An account of one of the caller's districts, or a key account the caller manages."""
        return self.sees_district(district_id) or account_id in self.account_ids

    def filter_regions(self, stmt: Select) -> Select:
        return stmt if self.everything else stmt.where(Region.id.in_(self.region_ids))

    def filter_districts(self, stmt: Select) -> Select:
        return stmt if self.everything else stmt.where(District.id.in_(self.district_ids))

    def filter_sellers(self, stmt: Select) -> Select:
        """Sellers the caller sees in at least one period (the period-less lists)."""
        return stmt if self.everything else stmt.where(Seller.id.in_(self.seller_ids))


NOTHING = Scope()
EVERYTHING = Scope(everything=True)


def seller_for(session: Session, user: User) -> Seller | None:
    return session.scalar(select(Seller).where(func.lower(Seller.email) == user.email))


def leader_for(session: Session, user: User) -> Leader | None:
    return session.scalar(select(Leader).where(func.lower(Leader.email) == user.email))


def managed_accounts(session: Session, seller: Seller) -> list[Account]:
    """The key accounts `seller` manages, by code."""
    return list(
        session.scalars(
            select(Account).where(Account.key_account, Account.kam_seller_id == seller.id).order_by(Account.code)
        )
    )


def seller_spans(history: list[tuple[int, int, date]], district_ids: set[int]) -> dict[int, tuple[Span, ...]]:
    """When each seller belonged to one of `district_ids`, from their assignments (seller_id,
    district_id, valid_from): each assignment lasts until the seller's next one; spans that meet are
    joined. Sellers never in those districts are left out."""
    by_seller: dict[int, list[tuple[date, int]]] = {}
    for seller_id, district_id, valid_from in history:
        by_seller.setdefault(seller_id, []).append((valid_from, district_id))
    out: dict[int, tuple[Span, ...]] = {}
    for seller_id, rows in by_seller.items():
        rows.sort()
        spans: list[list] = []
        for i, (start, district_id) in enumerate(rows):
            if district_id not in district_ids:
                continue
            end = rows[i + 1][0] if i + 1 < len(rows) else None
            if spans and spans[-1][1] == start:
                spans[-1][1] = end
            else:
                spans.append([start, end])
        if spans:
            out[seller_id] = tuple((start, end) for start, end in spans)
    return out


def scope_for(session: Session, user: User) -> Scope:
    """The scope of `user`, from their role and the seller or leader rows with their e-mail."""
    if user.role in ("admin", "finance"):
        return EVERYTHING
    if user.role == "seller":
        seller = seller_for(session, user)
        if seller is None:
            return NOTHING
        return Scope(
            seller_ids=frozenset({seller.id}), account_ids=frozenset(a.id for a in managed_accounts(session, seller))
        )
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
    district_ids = set(
        session.scalars(
            select(District.id).where(District.code.in_(district_codes) | District.region_id.in_(region_ids))
        )
    )
    # every assignment of every seller who has ever belonged to one of the districts: the spans
    # need each assignment's end, which is the seller's next assignment, wherever that is
    members = select(SellerDistrict.seller_id).where(SellerDistrict.district_id.in_(district_ids))
    history = session.execute(
        select(SellerDistrict.seller_id, SellerDistrict.district_id, SellerDistrict.valid_from).where(
            SellerDistrict.seller_id.in_(members.scalar_subquery())
        )
    ).all()
    spans = seller_spans([(seller_id, district_id, day) for seller_id, district_id, day in history], district_ids)
    # seen in at least one period: some month's last day falls in one of the spans
    seen = {sid for sid, found in spans.items() if any(_covers_a_month_end(span) for span in found)}
    return Scope(
        region_ids=frozenset(region_ids),
        district_ids=frozenset(district_ids),
        seller_ids=frozenset(seen),
        seller_spans={sid: spans[sid] for sid in seen},
    )
