"""schemathesis over the whole OpenAPI, in-process: no 5xx, every status documented, every body as documented.

Every operation gets a bounded, derandomized run (a fixed set of examples, no example database, no
shrinking), valid and invalid data mixed, once with an administrator's token and once with none, against
the test database holding a little organization, so some generated codes hit real rows. Writes stay in
the test's rolled-back transaction. (schemathesis' own pytest plugin breaks on pytest 9, so the cases
are drawn with hypothesis directly.)
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app.auth.tokens import create_access_token
from tests.builders import make_account, make_district, make_product, make_region, make_seller, make_user

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
OPENAPI = "/api/openapi.json"
# Per operation; 6-25 s for all of them on a 2-core machine. SCHEMATHESIS_EXAMPLES=200 for a deep run.
ADMIN_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
ANONYMOUS_EXAMPLES = 3  # every answer is the same 401, whatever the input


def _settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,  # the same cases on every run
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def organization(session) -> None:
    region = make_region(session, code="R1")
    district = make_district(session, code="D1", region=region)
    make_seller(session, code="S1", district=district)
    make_account(session, code="A1", district=district)
    make_product(session, code="P1")


def _fuzz(app, headers: dict[str, str], max_examples: int) -> dict[str, str]:
    """Every operation, valid and invalid data mixed; label -> the failures schemathesis reports."""
    schema = schemathesis.openapi.from_asgi(OPENAPI, app)
    failures = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

        @_settings(max_examples)
        @given(case=strategy)
        def check(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect them all, report at the end
            failures[operation.label] = str(exc)
    return failures


def test_the_document_covers_the_api(app):
    labels = {op.ok().label for op in schemathesis.openapi.from_asgi(OPENAPI, app).get_all_operations()}
    assert len(labels) >= 30
    assert {"POST /api/v1/imports/{dataset}", "GET /api/v1/sellers/{code}", "PATCH /api/v1/kpis/{code}"} <= labels


def test_as_admin(app, session, organization):
    admin = make_user(session, role="admin")
    failures = _fuzz(app, {"Authorization": f"Bearer {create_access_token(admin.id)}"}, ADMIN_EXAMPLES)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_without_a_token(app, organization):
    failures = _fuzz(app, {}, ANONYMOUS_EXAMPLES)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_the_fuzzer_catches_what_it_should():
    """The run above would fail on a server error, an undocumented status or a body off its schema."""
    from fastapi import FastAPI, HTTPException
    from pydantic import BaseModel

    class Count(BaseModel):
        n: int

    bad = FastAPI(openapi_url=OPENAPI)

    @bad.get("/crash")
    def crash() -> Count:
        raise RuntimeError("boom")

    @bad.get("/teapot")
    def teapot() -> Count:
        raise HTTPException(418, "undocumented")

    @bad.get("/wrong-body", response_model=None)
    def wrong_body() -> dict:
        return {"n": "not a number"}

    bad.openapi_schema = None
    schema = bad.openapi()
    schema["paths"]["/wrong-body"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Count"}
    schema.setdefault("components", {}).setdefault("schemas", {})["Count"] = Count.model_json_schema()
    bad.openapi_schema = schema
    failures = _fuzz(bad, {}, 2)
    assert set(failures) == {"GET /crash", "GET /teapot", "GET /wrong-body"}
    assert "boom" in failures["GET /crash"]  # in process, the exception behind a 500 comes through as itself
    assert "Undocumented" in failures["GET /teapot"]
    assert "violates schema" in failures["GET /wrong-body"]


# What the runs above found, pinned so a change cannot bring it back unnoticed.


def test_a_huge_token_id_is_a_422_not_a_database_error(client, session):
    """PostgreSQL integers end at 2**31 - 1; a bigger id in the path used to reach the query and fail there."""
    admin = make_user(session, role="admin")
    headers = {"Authorization": f"Bearer {create_access_token(admin.id)}"}
    assert client.delete("/api/v1/tokens/11667484355", headers=headers).status_code == 422
    assert client.delete(f"/api/v1/tokens/{2**31 - 1}", headers=headers).status_code == 404


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/tokens", {"name": "x", "scopes": ["budgets:read"], "expires_in_days": True}),
    ("/api/v1/tokens", {"name": "x", "scopes": ["budgets:read"], "expires_in_days": "30"}),
    ("/api/v1/settings/scorecard", {"score_cap": True}),
    ("/api/v1/perspectives/financial", {"weight": "40"}),
])
def test_request_bodies_are_parsed_strictly(client, session, path, body):
    """JSON `true` is not the number 1 and "30" is not 30: such a body is a 422, not quietly coerced."""
    admin = make_user(session, role="admin")
    headers = {"Authorization": f"Bearer {create_access_token(admin.id)}"}
    method = client.post if path == "/api/v1/tokens" else client.patch
    res = method(path, json=body, headers=headers)
    assert res.status_code == 422, res.text


def test_an_unparseable_body_is_a_documented_400(client, session):
    admin = make_user(session, role="admin")
    res = client.post("/api/v1/users", content=b"\xff\xfe{", headers={
        "Authorization": f"Bearer {create_access_token(admin.id)}", "Content-Type": "application/json"})
    assert res.status_code == 400
    documented = client.get("/api/openapi.json").json()["paths"]["/api/v1/users"]["post"]["responses"]
    assert {"400", "401", "403", "422"} <= set(documented)


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/kpis/revenue", {"green_threshold": None}), ("/api/v1/kpis/revenue", {"amber_threshold": None}),
    ("/api/v1/kpis/revenue", {"weight": None}), ("/api/v1/kpis/revenue", {"name": None}),
    ("/api/v1/kpis/revenue", {"active": None}), ("/api/v1/settings/scorecard", {"score_cap": None}),
    ("/api/v1/perspectives/financial", {"weight": None}),
])
def test_an_explicit_null_in_a_patch_is_a_422_naming_the_field(client, session, path, body):
    """It used to reach the database as NULL and fail there (500). Leaving the field out keeps it."""
    admin = make_user(session, role="admin")
    headers = {"Authorization": f"Bearer {create_access_token(admin.id)}"}
    before = client.get("/api/v1/kpis", headers=headers).json()
    res = client.patch(path, json=body, headers=headers)
    assert res.status_code == 422, res.text
    (problem,) = res.json()["detail"]
    assert problem["loc"] == ["body", next(iter(body))] and "null" in problem["msg"]
    assert client.get("/api/v1/kpis", headers=headers).json() == before
    field = next(iter(body))
    # Values that keep amber at or below green (0.9 and 1.0 by default).
    value = {"name": "Sales", "active": True, "score_cap": 1.5, "green_threshold": 1.1,
             "amber_threshold": 0.8}.get(field, 2.0)
    assert client.patch(path, json={field: value}, headers=headers).status_code == 200


def test_no_patch_field_is_documented_as_nullable(app):
    schemas = app.openapi()["components"]["schemas"]
    for name in ("KpiUpdate", "PerspectiveUpdate", "ScorecardSettingsUpdate", "UserUpdate"):
        for field, prop in schemas[name]["properties"].items():
            assert "default" not in prop and {"type": "null"} not in prop.get("anyOf", []), (name, field)


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("OPTIONS", "/api/v1/users", "GET, POST"), ("DELETE", "/api/v1/users", "GET, POST"),
    ("OPTIONS", "/api/v1/users/7", "PATCH"), ("OPTIONS", "/api/v1/tokens", "GET, POST"),
    ("PUT", "/api/v1/health", "GET"), ("POST", "/static/app.js", "GET, HEAD"),
])
def test_a_405_lists_every_method_of_the_address(client, method, path, allow):
    """Starlette listed the methods of the first route that matched (`POST` for /users)."""
    res = client.request(method, path)
    assert res.status_code == 405
    assert res.headers["allow"] == allow
    for listed in allow.split(", "):  # and each listed method is routed (401 without a token, or served)
        assert client.request(listed, path).status_code != 405


def test_the_cross_field_rules_are_in_the_document(app):
    """Rules JSON Schema cannot state are in the parameters' descriptions (tests/schemathesis.toml relies on it)."""
    def described(path: str, name: str) -> str:
        (param,) = [p for p in app.openapi()["paths"][path]["get"]["parameters"] if p["name"] == name]
        return param["description"]

    for path in ("/api/v1/audit", "/api/v1/budget/variance", "/api/v1/charts/budget/monthly",
                 "/api/v1/charts/budget/waterfall"):
        assert "not after `to`" in described(path, "from"), path
    assert "differ from `delimiter`" in described("/api/v1/budget/variance", "decimal")
    assert "60 months" in described("/api/v1/budget/variance", "from")


@pytest.mark.parametrize("value", ["0", "1796150000", "2026-1-5", "05.11.2026"])
def test_an_audit_date_filter_is_a_date_as_written(client, session, value):
    """`to=0` was read as a Unix time (1 January 1970) and accepted."""
    admin = make_user(session, role="admin")
    headers = {"Authorization": f"Bearer {create_access_token(admin.id)}"}
    res = client.get(f"/api/v1/audit?to={value}", headers=headers)
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["query", "to"]
    assert client.get("/api/v1/audit?to=2026-11-05", headers=headers).status_code == 200
