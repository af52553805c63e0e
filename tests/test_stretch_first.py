"""The first stretch an installation imports reaches the scorecard (tests/test_stretch.py holds the rest).

Apart from test_stretch.py: that module's world holds SQLite's write lock for the module, and this test
needs the per-test session of tests/conftest.py on an installation without any stretch."""

from datetime import date
from decimal import Decimal

from app.models import Sale, Target
from tests.builders import (
    add_sales,
    add_targets,
    make_account,
    make_district,
    make_product,
    make_region,
    make_seller,
    make_user,
    signed_in,
)

API = "/api/v1"
HEADER = "level,code,kpi,period,value,stretch\n"


def _kpis(card: dict) -> dict[str, dict]:
    return {k["code"]: k for p in card["perspectives"] for k in p["kpis"]}


def test_the_first_stretch_imported_reaches_an_installation_that_had_none(client, session):
    """Until a stretch is stored the sums leave it out (`stretch_stored`, once per data version); the
    import that stores the first one counts the version up, so the next card has it."""
    from app.reporting.unit_targets import stretch_stored

    d1 = make_district(session, code="D1", region=make_region(session, code="R1"))
    s1 = make_seller(session, code="S1", district=d1)
    add_sales(session, [Sale(id="q1", date=date(2026, 3, 10), seller_id=s1.id,
                             account_id=make_account(session, code="A1", district=d1).id,
                             product_id=make_product(session, code="P1").id, quantity=Decimal(1),
                             amount=Decimal("1350"), cost=None)])
    add_targets(session, [Target(level="seller", unit_code="S1", kpi_code="revenue", month=date(2026, 3, 1),
                                 value=Decimal(1000), source_period="2026-03")])
    headers = signed_in(make_user(session, role="admin"))

    def revenue() -> dict:
        res = client.get(f"{API}/scorecards/seller/S1", params={"period": "2026-03", "range": "ytd"}, headers=headers)
        assert res.status_code == 200, res.text
        return _kpis(res.json())["revenue"]

    assert not stretch_stored(session)
    assert (revenue()["stretch"], revenue()["status"]) == (None, "green")  # 1,350 / 1,000
    res = client.post(f"{API}/imports/targets", headers=headers,
                      files={"file": ("t.csv", (HEADER + "seller,S1,revenue,2026-03,1000,1300\n").encode(), "text/csv")})
    assert res.status_code == 200 and res.json()["updated"] == 1, res.text
    assert stretch_stored(session)
    assert (revenue()["stretch"], revenue()["status"]) == (1300.0, "stretch")  # 1,350 / 1,300 = 1.038
