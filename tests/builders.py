"""Small builders for test data, with defaults; each flushes and returns the row.

The fact builders (`add_sales`, `add_activities`, `add_targets`, `add_budgets`) add the rows given
and leave the database as an import of them would: the monthly aggregates of what they touched
brought in step (`aggregates.refresh`) and the data version counted up (no figure cached before
answers after them). A test that adds facts through them cannot forget `rebuild`.
The org builders (`make_seller`, `move_seller`, …) do not: build the organization first, then add
the facts (a seller moved after their sales were added would leave the aggregates stale).
"""

import itertools
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.passwords import hash_password
from app.auth.tokens import create_access_token
from app.models import (
    Account,
    Activity,
    Budget,
    District,
    Leader,
    LeaderUnit,
    Product,
    Region,
    Sale,
    Seller,
    SellerDistrict,
    Target,
    User,
)
from app.reporting import aggregates
from app.reporting.version import bump_version

_seq = itertools.count(1)
PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)


def _n() -> int:
    return next(_seq)


def make_region(session: Session, *, code: str | None = None, name: str | None = None) -> Region:
    n = _n()
    row = Region(code=code or f"R{n}", name=name or f"Region {n}")
    session.add(row)
    session.flush()
    return row


def make_district(session: Session, *, code: str | None = None, region: Region | None = None,
                  basis: str = "geographic", name: str | None = None) -> District:
    n = _n()
    row = District(code=code or f"D{n}", name=name or f"District {n}", basis=basis,
                   region_id=region.id if region else None)
    session.add(row)
    session.flush()
    return row


def make_seller(session: Session, *, district: District, code: str | None = None,
                email: str | None = None, valid_from: date = date(2020, 1, 1),
                name: str | None = None) -> Seller:
    n = _n()
    code = code or f"S{n}"
    row = Seller(code=code, name=name or f"Seller {n}", email=email or f"{code.lower()}@example.com")
    session.add(row)
    session.flush()
    move_seller(session, seller=row, district=district, valid_from=valid_from)
    return row


def move_seller(session: Session, *, seller: Seller, district: District, valid_from: date) -> SellerDistrict:
    row = SellerDistrict(seller_id=seller.id, district_id=district.id, valid_from=valid_from)
    session.add(row)
    session.flush()
    return row


def make_leader(session: Session, *, units: list[tuple[str, str]], email: str | None = None) -> Leader:
    """A leader of `units`, given as (level, code) pairs; ("company", "") for the whole company."""
    n = _n()
    row = Leader(email=email or f"leader{n}@example.com", name=f"Leader {n}")
    session.add(row)
    session.flush()
    for level, code in units:
        session.add(LeaderUnit(leader_id=row.id, level=level, unit_code=code))
    session.flush()
    return row


def make_account(session: Session, *, district: District, code: str | None = None,
                 key_account: bool = False, kam: Seller | None = None) -> Account:
    n = _n()
    row = Account(code=code or f"A{n}", name=f"Account {n}", district_id=district.id,
                  key_account=key_account, kam_seller_id=kam.id if kam else None)
    session.add(row)
    session.flush()
    return row


def make_product(session: Session, *, code: str | None = None, group: str = "General") -> Product:
    n = _n()
    row = Product(code=code or f"P{n}", name=f"Product {n}", product_group=group)
    session.add(row)
    session.flush()
    return row


def make_user(session: Session, *, role: str, email: str | None = None) -> User:
    row = User(email=(email or f"user{_n()}@example.com").lower(), password_hash=_PASSWORD_HASH,
               role=role, is_active=True)
    session.add(row)
    session.flush()
    return row


def make_two_districts(session: Session) -> tuple[Region, District, District, Seller]:
    """Region R1 with districts D1 and D2, and seller S1 in D1: where several small organizations start."""
    r1 = make_region(session, code="R1")
    d1 = make_district(session, code="D1", region=r1)
    d2 = make_district(session, code="D2", region=r1)
    s1 = make_seller(session, code="S1", district=d1)
    return r1, d1, d2, s1


def make_budget_month(session: Session, *, s1_quantity: str, s1_amount: str) -> dict[str, Any]:
    """R1 with D1: sellers S1 (Ann) and S2 (Bo), account AC1, products A and B. D1's budget for
    January 2026: A 100 for 1000.00, B 50 for 1000.00, no cost. On 15 January S1 sells A
    (`s1_quantity` for `s1_amount`) and S2 sells B (40 for 840.00), no costs; each has a revenue
    target of 1000 for January."""
    r1 = make_region(session, code="R1")
    d1 = make_district(session, code="D1", region=r1)
    s1 = make_seller(session, code="S1", district=d1, name="Ann")
    s2 = make_seller(session, code="S2", district=d1, name="Bo")
    acc = make_account(session, code="AC1", district=d1)
    a, b = make_product(session, code="A"), make_product(session, code="B")
    add_budgets(session, [Budget(district_id=d1.id, product_id=product.id, month=date(2026, 1, 1),
                                 quantity=Decimal(qty), amount=Decimal(amount), cost=None, source_period="2026-01")
                          for product, qty, amount in ((a, "100", "1000.00"), (b, "50", "1000.00"))])
    add_sales(session, [Sale(id=sid, date=date(2026, 1, 15), seller_id=seller.id, account_id=acc.id,
                             product_id=product.id, quantity=Decimal(qty), amount=Decimal(amount), cost=None)
                        for sid, seller, product, qty, amount in (("x1", s1, a, s1_quantity, s1_amount),
                                                                  ("x2", s2, b, "40", "840.00"))])
    add_targets(session, [Target(level="seller", unit_code=code, kpi_code="revenue", month=date(2026, 1, 1),
                                 value=Decimal("1000"), source_period="2026-01") for code in ("S1", "S2")])
    return {"r1": r1, "d1": d1, "s1": s1, "s2": s2, "acc": acc, "a": a, "b": b}


# --------------------------------------------------------------------------------------------------
# facts: each builder adds the rows given (model instances), flushes them and leaves the database as
# an import of them would


def _month(day: date) -> str:
    return f"{day:%Y-%m}"


Fact = TypeVar("Fact", Sale, Activity, Target, Budget)


def _added(session: Session, rows: Iterable[Fact]) -> list[Fact]:
    rows = list(rows)
    session.add_all(rows)
    session.flush()
    return rows


def add_sales(session: Session, rows: Iterable[Sale]) -> list[Sale]:
    """Add sales; refresh the aggregates of their sellers' months and of their accounts, and count the
    data version up."""
    rows = _added(session, rows)
    touched = aggregates.Touched(sales={(row.seller_id, _month(row.date)) for row in rows},
                                 accounts={row.account_id for row in rows if row.account_id is not None})
    aggregates.refresh(session, touched)
    bump_version(session)
    return rows


def add_activities(session: Session, rows: Iterable[Activity]) -> list[Activity]:
    """Add activities; refresh the aggregates of their sellers' months, and count the data version up."""
    rows = _added(session, rows)
    aggregates.refresh(session, aggregates.Touched(activities={(row.seller_id, _month(row.date)) for row in rows}))
    bump_version(session)
    return rows


def add_targets(session: Session, rows: Iterable[Target]) -> list[Target]:
    """Add targets and count the data version up (targets have no aggregates)."""
    rows = _added(session, rows)
    bump_version(session)
    return rows


def add_budgets(session: Session, rows: Iterable[Budget]) -> list[Budget]:
    """Add budget lines and count the data version up (budgets have no aggregates)."""
    rows = _added(session, rows)
    bump_version(session)
    return rows


def signed_in(user: User) -> dict[str, str]:
    """Authorization headers of a login token for `user`, signed as the login route signs it, without the
    route's argon2 check (a few tenths of a second each): for tests of what a signed-in user gets. Tests
    of signing in itself use `login`."""
    return {"Authorization": f"Bearer {create_access_token(user.id, version=user.session_version)}"}


def login(client: TestClient, user: User, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for `user`, got through the real login route."""
    res = client.post("/api/v1/auth/token", data={"username": user.email, "password": password})
    assert res.status_code == 200, res.text
    return {"Authorization": f"Bearer {res.json()['access_token']}"}


def money(value: str) -> Decimal:
    return Decimal(value)
