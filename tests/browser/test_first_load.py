"""A first visit in a real browser: the sign-in form never waits for plotly.js (the page does not load it;
the first chart does), charts show an error if it fails and draw once it arrives, and a second visit takes
every script from the browser's cache (versioned, immutable URLs)."""

import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_pages import SELLER_CHARTS, TIMEOUT, expect_charts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

PLOTLY = re.compile(r"/vendor/.*plotly")


def sign_in(page: Page, server, local: str) -> None:
    page.get_by_label("E-mail").fill(server.email(local))
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#me-email")).to_have_text(server.email(local), timeout=TIMEOUT)


def test_the_sign_in_form_never_waits_for_plotly(page: Page, demo_server):
    """Every plotly.js request held back: the form shows and signs in, the page shows without its charts;
    the first request fails (the charts say so), the next one arrives (the charts draw)."""
    held: list[Route] = []
    page.route(PLOTLY, lambda route: held.append(route))  # answered below, or never
    page.goto(demo_server.url + "/#/seller/S148?period=2026-10&range=ytd")
    expect(page.locator("#login-form")).to_be_visible()
    assert held == []  # the sign-in page does not ask for plotly.js at all
    sign_in(page, demo_server, "nora.naess")
    expect(page.get_by_role("heading", name=re.compile("Nora Næss"))).to_be_visible()
    expect(page.locator("tr[data-kpi=revenue]")).to_be_visible()
    expect(page.locator("script[data-plotly]")).to_have_count(1)
    expect(page.locator(".chart")).to_have_count(SELLER_CHARTS)
    expect(page.locator(".chart[data-state]")).to_have_count(0)  # neither drawn nor failed: waiting
    assert len(held) == 1  # one request for every chart, made when the charts were asked for

    held[0].abort()  # plotly.js failed: every chart says so, the rest of the page stays
    expect(page.locator(".chart[data-state=error]")).to_have_count(SELLER_CHARTS, timeout=TIMEOUT)
    expect(page.locator(".chart[data-state=error]").first).to_contain_text("charts could not be loaded")
    expect(page.locator("tr[data-kpi=revenue]")).to_be_visible()

    page.evaluate("location.hash = '#/seller/S148?period=2026-10&range=month'")  # the next charts try again
    expect(page.locator("script[data-plotly]")).to_have_count(1)
    expect(page.locator(".chart")).to_have_count(SELLER_CHARTS)
    expect(page.locator(".chart[data-state]")).to_have_count(0)
    assert len(held) == 2
    held[1].continue_()
    expect_charts(page, SELLER_CHARTS)
    assert len(held) == 2


def test_a_second_visit_takes_every_script_from_the_cache(page: Page, demo_server):
    def scripts(p: Page) -> list[dict]:
        """The Script responses of page `p` as the DevTools protocol reports them."""
        seen: list[dict] = []
        cdp = p.context.new_cdp_session(p)
        cdp.on("Network.responseReceived", lambda e: seen.append(e["response"]) if e["type"] == "Script" else None)
        cdp.send("Network.enable")
        return seen

    def from_network(responses: list[dict]) -> list[str]:
        return [r["url"] for r in responses if not (r.get("fromDiskCache") or r.get("fromMemoryCache"))]

    first = scripts(page)
    page.goto(demo_server.url + "/")
    sign_in(page, demo_server, "nora.naess")
    expect_charts(page, SELLER_CHARTS)
    assert any(PLOTLY.search(url) for url in from_network(first))  # a cold cache: fetched, plotly.js too
    assert any(url.endswith("/app.js") for url in from_network(first))
    # kept for good because the server says so (not by a heuristic on Last-Modified, which soon runs out)
    for response in first:
        headers = {k.lower(): v for k, v in response["headers"].items()}
        assert "immutable" in headers.get("cache-control", ""), response["url"]

    again = page.context.new_page()  # the same browser cache; a tab of its own (signs in again)
    second = scripts(again)
    again.goto(demo_server.url + "/")
    sign_in(again, demo_server, "nora.naess")
    expect_charts(again, SELLER_CHARTS)
    assert {r["url"] for r in second} >= {r["url"] for r in first}  # the same scripts ran
    assert from_network(second) == []
    again.close()
