"""Fresh by default (issue #15) in a real browser: with the browser's clock far past the demo's last sale,
the pages open on the latest month with sales and say how fresh their figures are; a month without sales
is marked, and nobody is red for it."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from tests.browser.test_pages import TIMEOUT, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]
OSLO = ZoneInfo("Europe/Oslo")
# short month names as en-GB writes them (Intl, in chromium): not the C library's ("Sept", not "Sep")
EN_GB = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec")


def _en_gb(moment: datetime, *, time: bool = False) -> str:
    """28 Jun 2026, or with the time: 28 Jun 2026 10:02."""
    return f"{moment.day} {EN_GB[moment.month - 1]} {moment.year}" + (f" {moment:%H:%M}" if time else "")


def _loaded(database_url: str) -> tuple[str, datetime, str]:
    """The demo's latest sale date, and its latest import's time and dataset, read from its database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            latest = conn.execute(text("SELECT max(date) FROM sales")).scalar_one()
            at, dataset = conn.execute(text("SELECT at, dataset FROM audit_events WHERE action = 'import' "
                                            "ORDER BY at DESC, id DESC LIMIT 1")).one()
    finally:
        engine.dispose()
    at = datetime.fromisoformat(str(at)).replace(tzinfo=ZoneInfo("UTC"))  # SQLite keeps UTC, without a zone
    return str(latest), at, dataset


@pytest.mark.browser_context_args(timezone_id="Europe/Oslo", locale="en-GB")
def test_pages_open_on_the_latest_month_with_sales_whatever_the_clock(page: Page, demo_server):
    latest, at, dataset = _loaded(demo_server.database_url)
    assert latest.startswith("2026-10") and dataset == "budgets"  # the demo as made on 2026-11-27, budgets last
    # 1 December would open on November by the clock; 15 February 2027 on January 2027
    page.clock.set_fixed_time(datetime(2027, 2, 15, 9, 30, tzinfo=OSLO))
    sign_in(page, demo_server, "hilde.andersen")  # the leader of region Vest: lands on the region's team page
    expect(page).to_have_url(re.compile(r"#/team/region/VEST\?period=2026-10&range=ytd"), timeout=TIMEOUT)
    expect(page.locator("input[name=period]")).to_have_value("2026-10")
    # "30 Oct 2026" as en-GB writes the latest sale's day; the import in Oslo time, with its year (not 2027's)
    day = datetime.fromisoformat(latest)
    local = at.astimezone(OSLO)
    line = f"figures through {_en_gb(day)} · last import {_en_gb(local, time=True)}, budgets"
    expect(page.locator("#freshness")).to_have_text(line, timeout=TIMEOUT)
    expect(page.locator("#no-sales")).to_have_count(0)
    expect(page.locator("#overall-score")).not_to_have_text("–")  # October is scored

    # November, picked by hand: marked, with a way back to October, and nobody red for it
    page.goto(f"{demo_server.url}/#/team/region/VEST?period=2026-11&range=month")
    expect(page.locator("#no-sales")).to_contain_text(
        f"No sales loaded for November 2026 yet; figures run through {_en_gb(day)}.", timeout=TIMEOUT)
    expect(page.locator("#overall-score")).to_have_text("–")
    expect(page.locator("td.cell-red")).to_have_count(0)
    page.locator("#no-sales a").click()
    expect(page).to_have_url(re.compile(r"period=2026-10&range=month"), timeout=TIMEOUT)
    expect(page.locator("#no-sales")).to_have_count(0)

    # the budget page too: January through October, the forecast's actuals through October
    page.goto(f"{demo_server.url}/#/budget")
    expect(page).to_have_url(re.compile(r"#/budget\?from=2026-01&to=2026-10&by=district"), timeout=TIMEOUT)
    expect(page.locator("#freshness")).to_have_text(line, timeout=TIMEOUT)
    expect(page.get_by_role("heading", name="Forecast for 2026 (actuals through October 2026)")).to_be_visible()

    # in bokmål: "tall til og med 30. okt. 2026 · siste import …, budsjetter"
    page.locator("#lang").select_option("nb")
    expect(page.locator("#freshness")).to_have_text(
        re.compile(rf"^tall til og med {day.day}\. okt\. 2026 · siste import {local.day}\. \S+ {local.year} "
                   rf"{local:%H:%M}, budsjetter$"), timeout=TIMEOUT)
