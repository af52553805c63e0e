"""Stretch targets on the seller and team pages (PRODUCT.md §5, "The sales floor"), in a real browser,
on a server of their own (a small company loaded through the import API, files as a user writes them).

District D1 has sellers S1 and S2. March 2026: S1 sold 1,350 against a revenue target of 1,000 and a
stretch of 1,300 (attainment 135 %, 1,350 / 1,300 = 103.8 % of the stretch: "stretch reached"); S2
sold 460 against 500 and no stretch (92 %: close). D1 has no target of its own: 1,000 + 500 = 1,500,
and its stretch is 1,300 + 500 (S2's target) = 1,800 against 1,810 sold: 100.6 % of it, reached.
"""

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from app import migrate
from app.auth.service import create_user
from app.db import make_engine
from tests.liveserver import serving

pytestmark = [pytest.mark.browser]

TIMEOUT = 30_000
EMAIL, PASSWORD = "admin@stretch.example.com", "stretch browser password"
FILES = {
    "regions": "code,name\nR1,Region One\n",
    "districts": "code,name,basis,region_code\nD1,District One,geographic,R1\n",
    "sellers": "code,name,email,district_code,valid_from\nS1,Siri Stretch,s1@stretch.example.com,D1,2020-01-01\n"
               "S2,Stig Plain,s2@stretch.example.com,D1,2020-01-01\n",
    "accounts": "code,name,district_code\nA1,Account One,D1\n",
    "products": "code,name,product_group\nP1,Product One,General\n",
    "sales": "id,date,seller_code,account_code,product_code,quantity,amount\n"
             "x1,2026-03-10,S1,A1,P1,1,1350\nx2,2026-03-11,S2,A1,P1,1,460\n",
    "targets": "level,code,kpi,period,value,stretch\nseller,S1,revenue,2026-03,1000,1300\n"
               "seller,S2,revenue,2026-03,500,\n",
}


@pytest.fixture(scope="module")
def stretch_server(tmp_path_factory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("stretch")
    database_url = f"sqlite:///{(workdir / 'stretch.db').as_posix()}"
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        create_user(session, email=EMAIL, password=PASSWORD, role="admin")
        session.commit()
    engine.dispose()
    with serving(database_url, workdir) as url:
        token = httpx.post(f"{url}/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for dataset, body in FILES.items():
            res = httpx.post(f"{url}/api/v1/imports/{dataset}", headers=headers,
                             files={"file": (f"{dataset}.csv", body.encode(), "text/csv")}, timeout=60)
            assert res.status_code == 200, res.text
        # a stretch below its target is refused, naming the cell, and nothing is written
        bad = httpx.post(f"{url}/api/v1/imports/targets", headers=headers,
                         files={"file": ("targets.csv", b"level,code,kpi,period,value,stretch\n"
                                         b"seller,S1,revenue,2026-03,1000,900\n", "text/csv")})
        assert bad.status_code == 422, bad.text
        assert [(e["row"], e["column"], e["value"]) for e in bad.json()["errors"]] == [(2, "stretch", "900")]
        yield url


def sign_in(page: Page, url: str, path: str) -> None:
    page.goto(url + "/")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#me-email")).to_have_text(EMAIL, timeout=TIMEOUT)
    page.goto(url + path)


def test_the_seller_page_shows_the_stretch_reached(page: Page, stretch_server):
    sign_in(page, stretch_server, "/#/seller/S1?period=2026-03&range=month")
    table = page.locator("#unit-kpis table")
    expect(table.locator("thead th")).to_contain_text(["KPI", "Status", "Attainment", "Actual", "Target", "Stretch"],
                                                      timeout=TIMEOUT)
    revenue = table.locator("tr[data-kpi=revenue]")
    expect(revenue.locator(".status-stretch")).to_have_text("★ stretch reached")
    # 1,350 / 1,300 = 103.8 %: no decimals needed on its side of 100 %
    expect(revenue.locator("td.stretch")).to_have_text(re.compile(r"^NOK\s1,300104% of the stretch$"))
    # a KPI without a stretch: a dash in the column, its status as before
    expect(table.locator("tr[data-kpi=meetings] td.stretch")).to_have_text("–")
    # the bullet chart marks the stretch (a trace of its own, named in the legend)
    expect(page.locator(".chart[data-state=drawn]").nth(1)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".chart").nth(1).locator(".legendtext", has_text="Stretch")).to_have_count(1)


def test_the_team_page_marks_the_stretch_in_bokmal(page: Page, stretch_server):
    sign_in(page, stretch_server, "/#/team/district/D1?period=2026-03&range=month")
    page.get_by_label("Language").select_option("nb")
    ranking = page.locator("table.ranking")
    cell = ranking.locator("tr[data-code=S1] td.cell-stretch")
    expect(cell).to_have_count(1, timeout=TIMEOUT)
    expect(cell.locator(".mark")).to_have_text("★")
    expect(cell).to_have_attribute("title", re.compile(r"^strekkmål nådd · Strekkmål 1\s300\skr$"))
    expect(ranking.locator("tr[data-code=S2] td.cell-amber")).to_have_count(1)
    # the district's own card: its stretch is taken from its sellers (1,800), reached with 1,810
    revenue = page.locator("table.kpi-table tr[data-kpi=revenue]")
    expect(revenue.locator(".status-stretch")).to_have_text("★ strekkmål nådd")
    expect(revenue.locator("td.stretch")).to_contain_text(re.compile(r"1\s800\skr"))
