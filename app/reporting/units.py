"""The units a scorecard is of (the company, regions, districts, sellers, accounts), who may see
which, and the organization tree per month end.

A unit and the tree per month end are cached under the data version (app.reporting.cache): units
change only through imports, which count the version up.
"""

from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import date
from typing import cast

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics.periods import month_end_iso
from app.models import Account, District, Region, Seller, SellerDistrict
from app.reporting import cache as figure_cache
from app.reporting.facts import read_frame
from app.reporting.registry import Registry

COMPANY_CODE = "-"


@dataclass(frozen=True)
class Unit:
    level: str
    id: int | None
    code: str
    name: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.level, "" if self.level == "company" else self.code)


_UNIT_MODELS: dict[str, type[Seller | District | Region | Account]] = {
    "seller": Seller,
    "district": District,
    "region": Region,
    "account": Account,
}


def resolve_unit(session: Session, *, scope: Scope, level: str, code: str, period: str | None = None) -> Unit | None:
    """The unit asked for, or None when it does not exist or is not the caller's to see (for `period`:
    a seller is a leader's to see for the periods the seller belonged to one of the leader's units on
    the period's last day, app.access). Only the unit is cached; the check runs on every call, before
    any cached figure of the unit is looked up."""
    if level == "company":
        return Unit("company", None, COMPANY_CODE, "Company") if code == COMPANY_CODE and scope.sees_company() else None
    if level not in _UNIT_MODELS:
        return None
    # Units change only through imports, which count the data version up: cached under it (units
    # that exist only; a code that does not is asked for again, so made-up codes take no room).
    found = figure_cache.get_or_compute(
        session, ("unit", level, code), lambda: _read_unit(session, level, code), keep=lambda found: found is not None
    )
    if found is None:
        return None
    unit, district_id = found
    visible = {
        "seller": lambda: scope.sees_seller(unit.id, period),
        "district": lambda: scope.sees_district(unit.id),
        "region": lambda: scope.sees_region(unit.id),
        "account": lambda: scope.sees_account(unit.id, district_id),
    }[level]()
    return unit if visible else None


# The perspective of the KPIs about the people who sell (training hours, coaching sessions): not
# a figure of a customer, so an account's card leaves it out.
PEOPLE_PERSPECTIVE = "learning"


def card_registry(registry: Registry, level: str) -> Registry:
    """The registry a `level` unit's card and trend are scored with. An account's leaves out the KPIs
    about people, read from the registry: those of the learning & growth perspective (built in:
    training_hours and coaching_sessions; also any manual KPI an administrator puts there), and that
    perspective, so the overall score renormalizes over the other three. The rest stay: the sales
    KPIs, and the activities that carry an account code (csat, meetings, proposals, won/lost for
    hit_rate). On one account the customer counts read as "bought in the range" (active_customers
    0 or 1), "first bought in the range" (new_customers) and key_account_share as 100 % or 0."""
    if level != "account":
        return registry
    kpis = registry.kpis[registry.kpis["perspective"] != PEOPLE_PERSPECTIVE].reset_index(drop=True)
    kept = registry.perspectives["key"].isin(set(kpis["perspective"]))
    return replace(registry, kpis=kpis, perspectives=registry.perspectives[kept].reset_index(drop=True))


def known_units(session: Session, period: str) -> dict[Hashable, tuple[Unit, None]]:
    """Every region, district and seller of the organization at the end of `period`, keyed and kept
    as `resolve_unit` caches them (for the precomputer: a cached figure is still found through its unit)."""
    _, units_by_key = Trees(session).at_end_of(period)
    return {("unit", unit.level, unit.code): (unit, None) for unit in units_by_key.values() if unit.level != "company"}


def _read_unit(session: Session, level: str, code: str) -> tuple[Unit, int | None] | None:
    """The unit of `level` with `code` and, for an account, its district; None when there is none."""
    model = _UNIT_MODELS[level]
    # (select() of a union of models is typed as their common base: the row is one of them)
    row = cast(Seller | District | Region | Account | None, session.scalar(select(model).where(model.code == code)))
    if row is None:
        return None
    return Unit(level, row.id, row.code, row.name), (row.district_id if isinstance(row, Account) else None)


def _sellers_on(session: Session, on: date) -> pd.DataFrame:
    """seller_id, code, name, district_id of every seller as assigned on `on`."""
    frame = read_frame(
        session,
        (
            select(
                SellerDistrict.seller_id,
                SellerDistrict.district_id,
                SellerDistrict.valid_from,
                Seller.code,
                Seller.name,
            )
            .join(Seller, Seller.id == SellerDistrict.seller_id)
            .where(SellerDistrict.valid_from <= on)
        ),
        ["seller_id", "district_id", "valid_from", "code", "name"],
    )
    return frame.sort_values("valid_from").drop_duplicates("seller_id", keep="last")


def _tree(session: Session, on: date) -> tuple[dict, dict[tuple[str, str], Unit]]:
    """The organization on a date: (children of each (level, code), every unit by its key)."""
    regions = session.execute(select(Region.id, Region.code, Region.name)).all()
    districts = session.execute(select(District.id, District.code, District.name, District.region_id)).all()
    sellers = _sellers_on(session, on)
    units: dict[tuple[str, str], Unit] = {("company", ""): Unit("company", None, COMPANY_CODE, "Company")}
    children: dict[tuple[str, str], list[tuple[str, str]]] = {("company", ""): []}
    region_code = {}
    for rid, code, name in sorted(regions, key=lambda r: r[1]):
        units[("region", code)] = Unit("region", rid, code, name)
        children[("company", "")].append(("region", code))
        children[("region", code)] = []
        region_code[rid] = code
    district_code = {}
    for did, code, name, region_id in sorted(districts, key=lambda d: d[1]):
        units[("district", code)] = Unit("district", did, code, name)
        parent = ("region", region_code[region_id]) if region_id in region_code else ("company", "")
        children[parent].append(("district", code))
        children[("district", code)] = []
        district_code[did] = code
    for row in sellers.sort_values("code").itertuples(index=False):
        units[("seller", row.code)] = Unit("seller", int(row.seller_id), row.code, row.name)
        children[("district", district_code[row.district_id])].append(("seller", row.code))
    return children, units


def subtree(children: dict, roots: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`roots` and every unit below them."""
    out, stack = [], list(roots)
    while stack:
        unit = stack.pop()
        out.append(unit)
        stack.extend(children.get(unit, []))
    return out


class Trees:
    """The organization tree per month end, built once per data version (in the figure cache: every
    import that can change it counts the version up) and held for the request. Read-only."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._trees: dict[str, tuple[dict, dict[tuple[str, str], Unit]]] = {}

    def at_end_of(self, period: str) -> tuple[dict, dict[tuple[str, str], Unit]]:
        if period not in self._trees:
            self._trees[period] = figure_cache.get_or_compute(
                self._session, ("tree", period), lambda: _tree(self._session, date.fromisoformat(month_end_iso(period)))
            )
        return self._trees[period]
