"""Security in a real browser: the API docs render offline under the CSP, and a throttled sign-in
says how long to wait. (Every browser test also fails on any CSP violation: see conftest.py.)"""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]


def test_api_docs_render_offline_under_the_csp(page: Page, live_server):
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(live_server.url + "/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Sales Scorecard", timeout=20_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/auth/token")).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    # an operation opens, with its responses and the button to try it
    page.locator(".opblock-summary-path", has_text="/api/v1/health").first.click()
    expect(page.locator(".opblock.is-open .responses-wrapper")).to_be_visible()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    assert failed == []
    assert all(url.startswith(live_server.url) for url in page.evaluate(
        "performance.getEntriesByType('resource').map((r) => r.name)"))


def test_a_throttled_sign_in_says_how_long_to_wait(page: Page, live_server):
    # An e-mail of its own, so the other browser tests' sign-ins are not throttled.
    page.goto(live_server.url + "/")
    page.get_by_label("E-mail").fill("throttled@example.com")
    for _ in range(5):
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
        expect(page.get_by_role("button", name="Sign in")).to_be_enabled()
        page.evaluate("document.getElementById('login-error').hidden = true")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^Too many failed sign-ins\. Try again in 1 min\.$"))
