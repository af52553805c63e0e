"""The outlook on the pages, in a real browser against the demo company: the seller's fan and table,
the KPI picked redrawing the fan, the team page's chances beside the ranking and ranked by them."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_pages import PERIOD, SELLER_CHARTS, TEAM_CHARTS, TIMEOUT, expect_charts, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]


def _api(server, local: str, path: str) -> dict:
    token = httpx.post(f"{server.url}/api/v1/auth/token",
                       data={"username": server.email(local), "password": server.password}).json()["access_token"]
    return httpx.get(f"{server.url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}).json()


def test_the_seller_sees_where_the_year_lands(page: Page, demo_server):
    sign_in(page, demo_server, "nora.naess", f"/#/seller/S148?{PERIOD}")
    expect_charts(page, SELLER_CHARTS)
    outlook = page.locator("#outlook")
    expect(outlook.get_by_role("heading", name="Where the year lands")).to_be_visible()
    expect(outlook).to_contain_text("As of the end of October 2026, for fiscal year 2026.")
    fan = outlook.locator(".chart[data-chart^=outlook-]")
    expect(fan.locator(".gtitle")).to_have_text("Revenue · 2026")
    expect(fan.locator(".legendtext", has_text="80 % band (p10–p90)")).to_have_count(1)
    # the table says what the API says, written as the pages write money
    answer = _api(demo_server, "nora.naess", "/scorecards/seller/S148/outlook?as_of=2026-10")
    revenue = next(k for k in answer["kpis"] if k["kpi"] == "revenue")
    row = outlook.locator("tr[data-outlook-kpi=revenue]")
    expect(row.locator("th")).to_have_text("Revenue")
    expect(row).to_contain_text(f"NOK {round(revenue['p50']):,}")
    expect(row).to_contain_text(f"NOK {round(revenue['target']):,}")
    expect(outlook.locator("tbody tr")).to_have_count(len(answer["kpis"]))
    chance = row.locator("td.probability")
    p = revenue["probability"]
    expect(chance).to_have_text("100%" if p >= 1 else "> 99%" if p > 0.99 else "< 1%" if p < 0.01 else f"{round(p * 100)}%")
    # another KPI redraws the fan
    outlook.locator("select[name=outlook-kpi]").select_option("meetings")
    expect(outlook.locator(".chart[data-chart=outlook-S148-meetings][data-state=drawn] .gtitle")).to_have_text(
        "Customer meetings · 2026", timeout=TIMEOUT)


def test_the_team_page_ranks_by_the_chance_of_the_years_revenue_target(page: Page, demo_server):
    sign_in(page, demo_server, "hilde.andersen", f"/#/team/region/VEST?{PERIOD}")
    expect_charts(page, TEAM_CHARTS)
    ranking = page.locator("table.ranking")
    expect(ranking.locator("thead th").nth(4)).to_have_text("Chance of the year's revenue target")
    cells = ranking.locator("td.chance")
    expect(cells.first).not_to_have_text("…", timeout=TIMEOUT)
    answer = _api(demo_server, "hilde.andersen", "/scorecards/region/VEST/children/outlook?as_of=2026-10")
    chances = {c["code"]: c["kpis"]["revenue"]["probability"] for c in answer["children"]}
    shown = {tr.get_attribute("data-code"): float(tr.locator("td.chance").get_attribute("data-probability"))
             for tr in ranking.locator("tbody tr").all()}
    assert shown == pytest.approx(chances)
    page.locator("select[name=rank-by]").select_option("chance")
    codes = [tr.get_attribute("data-code") for tr in ranking.locator("tbody tr").all()]
    assert codes == sorted(chances, key=lambda c: (-chances[c], c))
    assert ranking.locator("tbody tr td:first-child").all_inner_texts() == [str(i) for i in range(1, len(codes) + 1)]
    expect(ranking.locator("thead th").nth(4)).to_have_attribute("aria-sort", "descending")
    # and back
    page.locator("select[name=rank-by]").select_option("overall")
    expect(ranking.locator("thead th").nth(2)).to_have_attribute("aria-sort", "descending")
    expect(page.locator("#outlook .chart[data-state=drawn]")).to_have_count(1)
    assert re.search(r"Rogaland", ranking.inner_text())
