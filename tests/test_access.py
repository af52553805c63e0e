"""The access model: who sees which units and sellers, and the 404 for what is not theirs."""

from datetime import date

import pytest

from app.access import scope_for
from tests.builders import (
    login,
    make_district,
    make_leader,
    make_region,
    make_seller,
    make_user,
    move_seller,
)


@pytest.fixture
def org(session):
    """Two regions; north has d1 and d2, south has d3. s_mover moved from d1 to d3 in 2026."""
    north = make_region(session, code="NORTH")
    south = make_region(session, code="SOUTH")
    d1 = make_district(session, code="D1", region=north)
    d2 = make_district(session, code="D2", region=north)
    d3 = make_district(session, code="D3", region=south)
    s1 = make_seller(session, code="S1", district=d1)
    s2 = make_seller(session, code="S2", district=d2)
    s3 = make_seller(session, code="S3", district=d3)
    mover = make_seller(session, code="SM", district=d1, valid_from=date(2025, 1, 1))
    move_seller(session, seller=mover, district=d3, valid_from=date(2026, 3, 1))
    return {"north": north, "south": south, "d1": d1, "d2": d2, "d3": d3,
            "s1": s1, "s2": s2, "s3": s3, "mover": mover}


def test_admin_and_finance_see_everything(session, org):
    for role in ("admin", "finance"):
        scope = scope_for(session, make_user(session, role=role))
        assert scope.everything
        assert scope.sees_seller(org["s3"].id) and scope.sees_region(org["south"].id)


def test_seller_sees_only_themselves(session, org):
    user = make_user(session, role="seller", email=org["s1"].email)
    scope = scope_for(session, user)
    assert not scope.everything
    assert scope.seller_ids == {org["s1"].id}
    assert not scope.district_ids and not scope.region_ids


def test_district_leader_sees_district_and_its_sellers_including_those_who_left(session, org):
    """seller_ids: the sellers seen in at least one period; which periods: tests/test_access_moves.py."""
    make_leader(session, units=[("district", "D1")], email="lead-d1@example.com")
    scope = scope_for(session, make_user(session, role="leader", email="lead-d1@example.com"))
    assert scope.district_ids == {org["d1"].id}
    assert scope.seller_ids == {org["s1"].id, org["mover"].id}
    assert not scope.region_ids
    assert not scope.sees_district(org["d2"].id)


def test_region_leader_sees_region_its_districts_and_sellers(session, org):
    make_leader(session, units=[("region", "NORTH")], email="lead-n@example.com")
    scope = scope_for(session, make_user(session, role="leader", email="lead-n@example.com"))
    assert scope.region_ids == {org["north"].id}
    assert scope.district_ids == {org["d1"].id, org["d2"].id}
    assert scope.seller_ids == {org["s1"].id, org["s2"].id, org["mover"].id}


def test_leader_of_several_units_and_company_leader(session, org):
    make_leader(session, units=[("district", "D2"), ("district", "D3")], email="two@example.com")
    scope = scope_for(session, make_user(session, role="leader", email="two@example.com"))
    assert scope.district_ids == {org["d2"].id, org["d3"].id}
    assert scope.seller_ids == {org["s2"].id, org["s3"].id, org["mover"].id}
    make_leader(session, units=[("company", "")], email="ceo@example.com")
    assert scope_for(session, make_user(session, role="leader", email="ceo@example.com")).everything


def test_leader_login_without_leader_row_sees_nothing(session, org):
    scope = scope_for(session, make_user(session, role="leader", email="nobody@example.com"))
    assert not scope.everything and not scope.seller_ids and not scope.district_ids


def test_api_lists_only_what_the_caller_may_see(client, session, org):
    make_leader(session, units=[("region", "NORTH")], email="lead-n@example.com")
    headers = login(client, make_user(session, role="leader", email="lead-n@example.com"))
    assert [r["code"] for r in client.get("/api/v1/regions", headers=headers).json()] == ["NORTH"]
    assert [d["code"] for d in client.get("/api/v1/districts", headers=headers).json()] == ["D1", "D2"]
    assert [s["code"] for s in client.get("/api/v1/sellers", headers=headers).json()] == ["S1", "S2", "SM"]


def test_hidden_seller_is_404_exactly_like_an_unknown_one(client, session, org):
    headers = login(client, make_user(session, role="seller", email=org["s1"].email))
    own = client.get("/api/v1/sellers/S1", headers=headers)
    assert own.status_code == 200
    hidden = client.get("/api/v1/sellers/S2", headers=headers)
    unknown = client.get("/api/v1/sellers/NOPE", headers=headers)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"] == "no seller S2"
    assert client.get("/api/v1/sellers/S1").status_code == 401


def test_seller_history_keeps_the_move(client, session, org):
    headers = login(client, make_user(session, role="admin"))
    body = client.get("/api/v1/sellers/SM", headers=headers).json()
    assert body["district_code"] == "D3"
    assert body["history"] == [{"district_code": "D1", "valid_from": "2025-01-01"},
                               {"district_code": "D3", "valid_from": "2026-03-01"}]
    in_d3 = client.get("/api/v1/sellers", params={"district": "D3"}, headers=headers).json()
    assert [s["code"] for s in in_d3] == ["S3", "SM"]
