"""The front page in a real browser: sign in, and a wrong password."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [
    pytest.mark.browser,
    # pytest-base-url (a pytest-playwright dependency) still defines a fixture pytest 9 deprecates.
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]


def test_login_page_signs_the_admin_in(page: Page, live_server):
    page.goto(live_server.url + "/")
    expect(page).to_have_title(re.compile("Sales Scorecard"))
    page.get_by_label("E-mail").fill(live_server.admin_email)
    page.get_by_label("Password").fill(live_server.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()
    expect(page.locator("#me-email")).to_have_text(live_server.admin_email)
    expect(page.get_by_role("alert")).to_be_hidden()


def test_wrong_password_shows_the_error(page: Page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_label("E-mail").fill(live_server.admin_email)
    page.get_by_label("Password").fill(live_server.admin_password + "-wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    expect(page.get_by_text("Signed in as")).to_be_hidden()
