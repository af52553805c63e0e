"""The small world of the wallboard's tests (tests/test_displays.py, tests/test_wall.py).

Region R1 "Fjord Region" holds districts D1 "Alder District" (sellers ZQA Astrid Quill and ZQB Bjorn
Quartz) and D2 "Birch District" (seller ZQC Cato Quince); region R2 "Skerry Region" holds D3 "Cedar
District" (seller ZQD Dina Quayle). Seller codes and names are distinctive, so a leak shows as plain
text in an answer.

November 2026, the month the pages open on (the latest sale's): revenue
  ZQA 600.00 + 550.00 = 1,150.00 against a target of 1,000 (115 %, green),
  ZQB 900.00 against 2,000 (45 %, red), ZQC 1,425.00 against 1,500 (95 %, amber),
  ZQD 500.00 against 400 (125 %, green).
District and region targets are the sums of their sellers' (none is set of their own). ZQB's October
sale of 100.00 is outside the month and shows nowhere on the wall's month.

Logins: an administrator, finance, seller ZQA, the leader of D1, the leader of R1, the leader of D3.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.models import Sale, Target, User
from tests.builders import (
    add_sales,
    add_targets,
    make_account,
    make_district,
    make_leader,
    make_product,
    make_region,
    make_seller,
    make_user,
)

PERIOD = "2026-11"
SELLERS = {  # code: (name, district)
    "ZQA": ("Astrid Quill", "D1"),
    "ZQB": ("Bjorn Quartz", "D1"),
    "ZQC": ("Cato Quince", "D2"),
    "ZQD": ("Dina Quayle", "D3"),
}
TARGETS = {"ZQA": "1000", "ZQB": "2000", "ZQC": "1500", "ZQD": "400"}
SALES = (  # id, day, seller, amount
    ("w1", date(2026, 11, 3), "ZQA", "600.00"),
    ("w2", date(2026, 11, 17), "ZQA", "550.00"),
    ("w3", date(2026, 11, 9), "ZQB", "900.00"),
    ("w4", date(2026, 11, 12), "ZQC", "1425.00"),
    ("w5", date(2026, 11, 20), "ZQD", "500.00"),
    ("w0", date(2026, 10, 15), "ZQB", "100.00"),
)


@dataclass
class Floor:
    users: dict[str, User]


def build_floor(session: Session) -> Floor:
    r1 = make_region(session, code="R1", name="Fjord Region")
    r2 = make_region(session, code="R2", name="Skerry Region")
    districts = {
        "D1": make_district(session, code="D1", region=r1, name="Alder District"),
        "D2": make_district(session, code="D2", region=r1, name="Birch District"),
        "D3": make_district(session, code="D3", region=r2, name="Cedar District"),
    }
    sellers = {
        code: make_seller(session, code=code, district=districts[d], name=name, email=f"{code.lower()}@floor.test")
        for code, (name, d) in SELLERS.items()
    }
    accounts = {code: make_account(session, code=f"AC{code}", district=districts[d])
                for code, (_, d) in SELLERS.items()}
    product = make_product(session, code="PF")
    add_sales(
        session,
        [
            Sale(id=sid, date=day, seller_id=sellers[code].id, account_id=accounts[code].id, product_id=product.id,
                 quantity=Decimal(1), amount=Decimal(amount))
            for sid, day, code, amount in SALES
        ],
    )
    add_targets(
        session,
        [
            Target(level="seller", unit_code=code, kpi_code="revenue", month=date(2026, 11, 1), value=Decimal(value),
                   source_period=PERIOD)
            for code, value in TARGETS.items()
        ],
    )
    make_leader(session, units=[("district", "D1")], email="lead-d1@floor.test")
    make_leader(session, units=[("region", "R1")], email="lead-r1@floor.test")
    make_leader(session, units=[("district", "D3")], email="lead-d3@floor.test")
    users = {
        "admin": make_user(session, role="admin", email="admin@floor.test"),
        "fin": make_user(session, role="finance", email="fin@floor.test"),
        "seller": make_user(session, role="seller", email="zqa@floor.test"),
        "ld1": make_user(session, role="leader", email="lead-d1@floor.test"),
        "lr1": make_user(session, role="leader", email="lead-r1@floor.test"),
        "ld3": make_user(session, role="leader", email="lead-d3@floor.test"),
    }
    session.flush()
    return Floor(users=users)
