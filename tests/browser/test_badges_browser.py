"""Achievements on the pages (PRODUCT.md §5, "The sales floor"), in a real browser, on a server of their
own (a small company loaded through the import API): the seller page's badges, the team page's latest,
and the admin page's "Celebrated" column (revenue always is).

District D1 has sellers S1 and S2. March 2026: S1 sold 1,350 against a revenue target of 1,000 and a
stretch of 1,300: 100 %, 120 % (1,200) and the stretch reached, of the month and of the year (March is
the year's only target); S2 sold 460 against 500: nothing. D1 takes its sellers' target, 1,500, and
stretch, 1,300 + 500 = 1,800: 1,810 reaches both (120 % = 1,800 too). A credit note of S1 on 30 March
(−200: 1,150) takes S1 below 120 % and the stretch: those badges stay, "since revised".
"""

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
EMAIL, PASSWORD = "admin@badges.example.com", "badges browser password"
FILES = {
    "regions": "code,name\nR1,Region One\n",
    "districts": "code,name,basis,region_code\nD1,District One,geographic,R1\n",
    "sellers": "code,name,email,district_code,valid_from\nS1,Siri Badge,s1@badges.example.com,D1,2020-01-01\n"
               "S2,Stig Plain,s2@badges.example.com,D1,2020-01-01\n",
    "accounts": "code,name,district_code\nA1,Account One,D1\n",
    "products": "code,name,product_group\nP1,Product One,General\n",
    "targets": "level,code,kpi,period,value,stretch\nseller,S1,revenue,2026-03,1000,1300\n"
               "seller,S2,revenue,2026-03,500,\n",
    "sales": "id,date,seller_code,account_code,product_code,quantity,amount\n"
             "x1,2026-03-10,S1,A1,P1,1,1350\nx2,2026-03-11,S2,A1,P1,1,460\n",
}
CREDIT = "id,date,seller_code,account_code,product_code,quantity,amount\nx3,2026-03-30,S1,A1,P1,-1,-200\n"


@pytest.fixture(scope="module")
def badges_server(tmp_path_factory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("badges")
    database_url = f"sqlite:///{(workdir / 'badges.db').as_posix()}"
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        create_user(session, email=EMAIL, password=PASSWORD, role="admin")
        session.commit()
    engine.dispose()
    with serving(database_url, workdir) as url:
        token = httpx.post(f"{url}/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for dataset, body in [*FILES.items(), ("sales", CREDIT)]:
            res = httpx.post(f"{url}/api/v1/imports/{dataset}", headers=headers,
                             files={"file": (f"{dataset}.csv", body.encode(), "text/csv")}, timeout=60)
            assert res.status_code == 200, res.text
        yield url


def sign_in(page: Page, url: str, path: str) -> None:
    page.goto(url + "/")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#me-email")).to_have_text(EMAIL, timeout=TIMEOUT)
    page.goto(url + path)


def test_the_seller_page_shows_the_sellers_badges(page: Page, badges_server):
    sign_in(page, badges_server, "/#/seller/S1?period=2026-03&range=month")
    badges = page.locator("#badges li.badge")
    # the month's and the year's 100 %, 120 % and stretch: six
    expect(badges).to_have_count(6, timeout=TIMEOUT)
    expect(page.locator("#badges li.badge[data-threshold=stretch]").first).to_contain_text("Stretch reached")
    # 1,150 after the credit note: below 1,200 and 1,300, still above 1,000
    expect(page.locator("#badges li.badge.revised")).to_have_count(4)
    expect(page.locator("#badges li.badge.revised").first).to_contain_text("(since revised)")
    expect(page.locator("#badges li.badge[data-threshold='100']:not(.revised)")).to_have_count(2)
    expect(page.locator("#badges")).to_contain_text("March 2026")
    expect(page.locator("#badges")).to_contain_text("fiscal year 2026")
    page.screenshot(path="/tmp/badges-seller.png", full_page=True)


def test_the_team_page_shows_the_teams_latest_in_bokmal(page: Page, badges_server):
    sign_in(page, badges_server, "/#/team/district/D1?period=2026-03&range=month")
    page.get_by_label("Language").select_option("nb")
    latest = page.locator("#badges li.badge")
    # the latest six, each naming whose: D1's six (reached on the 11th, after S1's of the 10th)
    expect(latest).to_have_count(6, timeout=TIMEOUT)
    expect(page.locator("#badges h2")).to_have_text("Siste prestasjoner")
    expect(page.locator("#badges")).to_contain_text("District One")


def test_the_admin_page_marks_celebrated_kpis(page: Page, badges_server):
    sign_in(page, badges_server, "/#/admin")
    revenue = page.locator("tr[data-kpi=revenue] input[name=celebrated]")
    expect(revenue).to_be_checked(timeout=TIMEOUT)
    expect(revenue).to_be_disabled()
    meetings = page.locator("tr[data-kpi=meetings]")
    expect(meetings.locator("input[name=celebrated]")).not_to_be_checked()
    meetings.locator("input[name=celebrated]").check()
    meetings.get_by_role("button", name="Save").click()
    expect(meetings.locator(".inline-msg")).to_have_text("Saved.", timeout=TIMEOUT)
    kpis = httpx.get(f"{badges_server}/api/v1/kpis", headers={"Authorization": "Bearer " + httpx.post(
        f"{badges_server}/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD}).json()["access_token"]})
    assert {k["code"]: k["celebrated"] for k in kpis.json()}["meetings"] is True
