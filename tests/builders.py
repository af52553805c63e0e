"""Small builders for test data, with defaults; each flushes and returns the row."""

import itertools
from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.passwords import hash_password
from app.models import (
    Account,
    District,
    Leader,
    LeaderUnit,
    Product,
    Region,
    Seller,
    SellerDistrict,
    User,
)

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


def login(client: TestClient, user: User, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for `user`, got through the real login route."""
    res = client.post("/api/v1/auth/token", data={"username": user.email, "password": password})
    assert res.status_code == 200, res.text
    return {"Authorization": f"Bearer {res.json()['access_token']}"}


def money(value: str) -> Decimal:
    return Decimal(value)
