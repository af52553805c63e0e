"""Scorecards of the demo company against a plain second computation over the demo's own CSV files.

The app reads the database through SQL and pandas; this test reads the generated files with pandas
alone (merge_asof for the district on each sale's date, Decimal sums), so the two share no code.
"""

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db import get_session, make_engine
from app.demo.command import DEMO_PASSWORD, build_demo
from app.main import create_app

PERIOD = "2026-10"
YTD = [f"2026-{m:02d}" for m in range(1, 11)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    company, _ = build_demo(path, today=date(2026, 11, 27))  # the data ends on 31 October 2026
    files = {name: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
             for name, text in company.files.items()}
    return company, path, files


@pytest.fixture(scope="module")
def client(demo) -> Iterator[TestClient]:
    company, path, _ = demo
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    app = create_app(precompute=False)

    def session_override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    with TestClient(app) as test_client:
        admin = next(login for login in company.logins if login.role == "admin")
        token = test_client.post("/api/v1/auth/token",
                                 data={"username": admin.email, "password": DEMO_PASSWORD}).json()["access_token"]
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client
    engine.dispose()


@pytest.fixture(scope="module")
def sales(demo) -> pd.DataFrame:
    """Every sale with the district of its seller on its date, by merge_asof over the seller rows."""
    _, _, files = demo
    sales = files["sales"].assign(date=lambda f: pd.to_datetime(f["date"])).sort_values("date")
    history = (files["sellers"].assign(valid_from=lambda f: pd.to_datetime(f["valid_from"]))
               .rename(columns={"code": "seller_code"}).sort_values("valid_from"))
    placed = pd.merge_asof(sales, history[["seller_code", "valid_from", "district_code"]],
                           left_on="date", right_on="valid_from", by="seller_code", direction="backward")
    assert placed["district_code"].notna().all()
    regions = files["districts"].set_index("code")["region_code"]
    return placed.assign(region_code=placed["district_code"].map(regions),
                         month=placed["date"].dt.strftime("%Y-%m"))


def _money(values: pd.Series) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal(0))


def _kpis(card: dict) -> dict:
    return {k["code"]: k for p in card["perspectives"] for k in p["kpis"]}


def _card(client, level, code):
    res = client.get(f"/api/v1/scorecards/{level}/{code}", params={"period": PERIOD, "range": "ytd"})
    assert res.status_code == 200, res.text
    return _kpis(res.json())


def _expected(rows: pd.DataFrame, all_sales: pd.DataFrame) -> dict:
    ytd = rows[rows["month"].isin(YTD)]
    revenue = _money(ytd["amount"])
    margin = revenue - _money(ytd["cost"])
    buying = ytd[ytd["amount"].map(Decimal) > 0]
    first = (all_sales[all_sales["amount"].map(Decimal) > 0].groupby("account_code")["month"].min())
    new = buying[buying["account_code"].map(first).isin(YTD)]["account_code"].nunique()
    return {"revenue": revenue, "gross_margin": margin, "margin_pct": margin / revenue,
            "active_customers": buying["account_code"].nunique(), "new_customers": new}


@pytest.mark.parametrize(("level", "code", "column"), [
    ("district", "STV", "district_code"), ("district", "OSL", "district_code"),
    ("district", "KJD", "district_code"), ("district", "VIK", "district_code"),  # S156 moved in May
    ("region", "VEST", "region_code"), ("seller", "S148", "seller_code"), ("seller", "S151", "seller_code"),
])
def test_sales_kpis_match_a_plain_computation(client, sales, level, code, column):
    got = _card(client, level, code)
    want = _expected(sales[sales[column] == code], sales)
    assert Decimal(str(got["revenue"]["actual"])) == want["revenue"]
    assert Decimal(str(got["gross_margin"]["actual"])) == want["gross_margin"]
    assert got["margin_pct"]["actual"] == pytest.approx(float(want["margin_pct"]), rel=1e-12)
    assert got["active_customers"]["actual"] == want["active_customers"]
    assert got["new_customers"]["actual"] == want["new_customers"]


def test_company_equals_the_sum_of_its_regions_and_all_sales(client, sales):
    company = _card(client, "company", "-")
    ytd = sales[sales["month"].isin(YTD)]
    assert Decimal(str(company["revenue"]["actual"])) == _money(ytd["amount"])
    res = client.get("/api/v1/scorecards/company/-/children", params={"period": PERIOD, "range": "ytd"})
    regions = res.json()["children"]
    assert sum(Decimal(str(r["kpis"]["revenue"]["actual"])) for r in regions) == _money(ytd["amount"])


def test_activity_kpis_of_a_district_match(client, demo):
    _, _, files = demo
    acts = files["activities"].assign(date=lambda f: pd.to_datetime(f["date"])).sort_values("date")
    history = (files["sellers"].assign(valid_from=lambda f: pd.to_datetime(f["valid_from"]))
               .rename(columns={"code": "seller_code"}).sort_values("valid_from"))
    acts = pd.merge_asof(acts, history[["seller_code", "valid_from", "district_code"]], left_on="date",
                         right_on="valid_from", by="seller_code", direction="backward")
    acts = acts[(acts["district_code"] == "STV") & acts["date"].dt.strftime("%Y-%m").isin(YTD)]
    value = acts["value"].replace("", "1").astype(float)
    won = value[acts["type"] == "won"].sum()
    lost = value[acts["type"] == "lost"].sum()
    csat = value[acts["type"] == "csat"]
    got = _card(client, "district", "STV")
    assert got["hit_rate"]["actual"] == pytest.approx(won / (won + lost))
    assert got["csat"]["actual"] == pytest.approx(csat.mean())  # every response weighs the same
    assert got["meetings"]["actual"] == pytest.approx(value[acts["type"] == "meeting"].sum())
    coaching = value[acts["type"].isin(["coaching_session", "goal_conversation"])].sum()
    assert got["coaching_sessions"]["actual"] == pytest.approx(coaching)


def test_seller_revenue_target_is_the_phased_year_to_date(client, demo):
    _, _, files = demo
    targets = files["targets"]
    yearly = targets[(targets["level"] == "seller") & (targets["code"] == "S148")
                     & (targets["kpi"] == "revenue") & (targets["period"] == "2026")]["value"]
    weights = files["seasonality"].assign(month=lambda f: f["month"].astype(int)).sort_values("month")
    w = weights["weight"].astype(float).to_numpy()
    exact = float(yearly.iloc[0]) * w[:10].sum() / w.sum()
    got = _card(client, "seller", "S148")["revenue"]
    # Each phased month is within a cent of its exact share, so ten months within ten cents.
    assert got["target"] == pytest.approx(exact, abs=0.10)
    assert got["attainment"] == pytest.approx(got["actual"] / got["target"])
