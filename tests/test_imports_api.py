"""POST /api/v1/imports/{dataset}: who may, what comes back, and nothing written on rejection."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.config import get_settings
from app.models import Region, Sale
from tests.builders import login, make_account, make_district, make_product, make_seller, make_user

URL = "/api/v1/imports/{}"
REGIONS = b"code,name\nN,North\nS,South\n"


@pytest.fixture
def admin_headers(client, session):
    return login(client, make_user(session, role="admin"))


def post(client, dataset, body: bytes, headers, name="file.csv", **kw):
    return client.post(URL.format(dataset), files={"file": (name, body, "text/csv")}, headers=headers, **kw)


def test_admin_loads_a_file(client, session, admin_headers):
    res = post(client, "regions", REGIONS, admin_headers)
    assert res.status_code == 200, res.text
    assert res.json() == {"dataset": "regions", "rows": 2, "inserted": 2, "updated": 0, "unchanged": 0,
                          "dry_run": False}
    assert session.scalar(select(Region.name).where(Region.code == "S")) == "South"
    again = post(client, "regions", REGIONS.replace(b"South", b"Southern"), admin_headers)
    assert again.json() == {"dataset": "regions", "rows": 2, "inserted": 0, "updated": 1, "unchanged": 1,
                                 "dry_run": False}


def test_semicolon_csv_with_decimal_comma(client, session, admin_headers):
    d = make_district(session, code="D1")
    make_seller(session, code="S1", district=d)
    make_account(session, code="A1", district=d)
    make_product(session, code="P1")
    body = "id;date;seller_code;account_code;product_code;quantity;amount\nI1;2025-01-05;S1;A1;P1;2;1234,50\n"
    res = post(client, "sales", body.encode(), admin_headers)
    assert res.status_code == 200, res.text
    assert session.get(Sale, "I1").amount == Decimal("1234.50")


@pytest.mark.parametrize("how", ["query", "form"])
def test_dry_run_writes_nothing(client, session, admin_headers, how):
    kw = {"params": {"dry_run": "true"}} if how == "query" else {"data": {"dry_run": "true"}}
    res = post(client, "regions", REGIONS, admin_headers, **kw)
    assert res.status_code == 200, res.text
    assert res.json()["dry_run"] is True
    assert res.json()["inserted"] == 2
    assert session.scalar(select(func.count()).select_from(Region)) == 0


def test_rejected_file_lists_errors_and_writes_nothing(client, session, admin_headers):
    body = b"code,name\nN,North\n,Nameless\nS,South\nN,Again\n"
    res = post(client, "regions", body, admin_headers)
    assert res.status_code == 422
    payload = res.json()
    assert payload["error_count"] == 2
    assert [(e["row"], e["column"]) for e in payload["errors"]] == [(3, "code"), (5, "code")]
    assert payload["errors"][1]["message"] == "duplicate of row 2"
    assert set(payload["errors"][0]) == {"row", "column", "value", "message"}
    assert isinstance(payload["detail"], str)
    assert session.scalar(select(func.count()).select_from(Region)) == 0


def test_unknown_reference_is_422(client, session, admin_headers):
    res = post(client, "districts", b"code,name,basis,region_code\nD1,Oslo,geographic,R404\n", admin_headers)
    assert res.status_code == 422
    assert res.json()["errors"] == [{"row": 2, "column": "region_code", "value": "R404",
                                     "message": "unknown region_code"}]


def test_every_error_listed_with_a_summary(client, admin_headers):
    body = "code,name\n" + "".join(f"R{i},\n" for i in range(1200))  # every name missing
    res = post(client, "regions", body.encode(), admin_headers)
    assert res.status_code == 422
    payload = res.json()
    assert payload["error_count"] == 1200
    assert len(payload["errors"]) == 1200  # every problem, not the first thousand
    assert [e["row"] for e in payload["errors"]] == list(range(2, 1202))  # data rows 2..1201
    assert payload["summary"] == [{"column": "name", "message": "a value is required", "count": 1200,
                                   "rows": [2, 3, 4, 5, 6]}]


def test_unreadable_file_is_422_with_a_message(client, admin_headers):
    res = post(client, "regions", "code,name\nN,Nord\xf8st\n".encode("latin-1"), admin_headers)
    assert res.status_code == 422
    assert "UTF-8" in res.json()["detail"]
    assert res.json()["errors"][0]["row"] is None


def test_without_token_401(client):
    assert post(client, "regions", REGIONS, {}).status_code == 401


@pytest.mark.parametrize("role", ["leader", "seller", "finance"])
def test_non_admin_403(client, session, role):
    headers = login(client, make_user(session, role=role))
    assert post(client, "regions", REGIONS, headers).status_code == 403
    assert session.scalar(select(func.count()).select_from(Region)) == 0


def test_unknown_dataset_404_names_the_datasets(client, admin_headers):
    res = post(client, "regionz", REGIONS, admin_headers)
    assert res.status_code == 404
    assert "regions" in res.json()["detail"]
    assert "budgets" in res.json()["detail"]


def test_file_too_large_413(client, admin_headers, monkeypatch):
    monkeypatch.setattr(get_settings(), "max_upload_mb", 1)
    body = b"code,name\n" + b"R1,North\n" * 120_000  # about 1.1 MB
    res = post(client, "regions", body, admin_headers)
    assert res.status_code == 413
    assert "1 MB" in res.json()["detail"]


def test_missing_file_is_422(client, admin_headers):
    res = client.post(URL.format("regions"), headers=admin_headers)
    assert res.status_code == 422


def test_openapi_documents_the_answers(client):
    op = client.get("/api/openapi.json").json()["paths"]["/api/v1/imports/{dataset}"]["post"]
    assert {"200", "401", "403", "404", "413", "422"} <= set(op["responses"])
