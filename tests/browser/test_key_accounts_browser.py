"""A key account manager in a real browser (issue 15): their scorecard page links to the key accounts
they manage, each opens as a scorecard page without the KPIs about people, and an account that is
not theirs is "not found".

In the demo company (made as of 2026-11-27) the senior seller of each district manages its key
accounts: Kristin Moen (S147, Viken) manages K10451 and K10452; K10453 is a Viken account that is not
a key account. The login is this file's own, so the other browser tests' logins are untouched."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_pages import SELLER_CHARTS, expect_charts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

TIMEOUT = 20_000
PASSWORD = "key account browser"
PERIOD = "period=2026-10&range=ytd"  # the demo company's last month


def test_a_key_account_manager_opens_their_key_accounts(page: Page, demo_server):
    admin = httpx.post(f"{demo_server.url}/api/v1/auth/token",
                       data={"username": demo_server.email("admin"), "password": demo_server.password})
    headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
    email = demo_server.email("kristin.moen")
    created = httpx.post(f"{demo_server.url}/api/v1/users", headers=headers,
                         json={"email": email, "password": PASSWORD, "role": "seller"})
    assert created.status_code == 201, created.text

    page.goto(f"{demo_server.url}/#/seller/S147?{PERIOD}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#me-email")).to_have_text(email, timeout=TIMEOUT)
    expect_charts(page, SELLER_CHARTS)
    expect(page.get_by_role("heading", name="Your key accounts")).to_be_visible()
    links = page.locator("ul.key-accounts a")
    expect(links).to_have_text(["Drammen kommune storkjøkken (K10451)", "Fredrikstad universitetssykehus (K10452)"])

    links.first.click()
    expect(page).to_have_url(re.compile(r"#/accounts/K10451\?period=2026-10&range=ytd"))
    expect(page.get_by_role("heading", name=re.compile("Drammen kommune storkjøkken"))).to_be_visible(timeout=TIMEOUT)
    expect_charts(page, SELLER_CHARTS)
    expect(page.locator("tr[data-kpi=revenue]")).to_be_visible()
    expect(page.locator("tr[data-kpi=meetings]")).to_be_visible()
    expect(page.locator("tr[data-kpi=training_hours]")).to_have_count(0)
    expect(page.locator("tr[data-kpi=coaching_sessions]")).to_have_count(0)

    page.get_by_role("link", name="Back to your scorecard").click()
    expect(page).to_have_url(re.compile(r"#/seller/S147\?"))
    expect(page.locator("tr[data-kpi=training_hours]")).to_be_visible(timeout=TIMEOUT)  # a seller's card has them

    page.goto(f"{demo_server.url}/#/accounts/K10453?{PERIOD}")  # a Viken account, not a key account
    expect(page.get_by_role("alert")).to_have_text("Not found, or not yours to see.", timeout=TIMEOUT)
    expect(page.locator(".main-svg")).to_have_count(0)
